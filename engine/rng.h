/* rng.h - the engine's seeded pseudo-random generator.
 *
 * Every random choice in eddy (sim jitter, backoff, sampling) comes from an
 * eddy_rng_t seeded explicitly, so a simulation is a pure function of its
 * inputs and seed (DESIGN.md contract 4).  xoshiro256** seeded by splitmix64.
 */
#ifndef EDDY_RNG_H
#define EDDY_RNG_H

#include <stdint.h>

typedef struct eddy_rng {
    uint64_t s[4];
} eddy_rng_t;

/* Seed the generator; equal seeds give equal sequences on every platform. */
void eddy_rng_seed (eddy_rng_t *rng, uint64_t seed);

/* Next 64 random bits. */
uint64_t eddy_rng_next (eddy_rng_t *rng);

/* Uniform double in [0, 1). */
double eddy_rng_uniform (eddy_rng_t *rng);

/* Uniform integer in [0, n); n == 0 returns 0. */
uint64_t eddy_rng_below (eddy_rng_t *rng, uint64_t n);

#endif /* !EDDY_RNG_H */
