/* rng.c - xoshiro256** (Blackman and Vigna), seeded through splitmix64. */
#include "engine/rng.h"

static uint64_t splitmix64 (uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void eddy_rng_seed (eddy_rng_t *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64 (&x);
}

uint64_t eddy_rng_next (eddy_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl (s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl (s[3], 45);
    return result;
}

double eddy_rng_uniform (eddy_rng_t *rng)
{
    /* 53 high bits fill a double's mantissa exactly */
    return (eddy_rng_next (rng) >> 11) * 0x1.0p-53;
}

uint64_t eddy_rng_below (eddy_rng_t *rng, uint64_t n)
{
    if (n == 0)
        return 0;
    /* rejection sampling keeps the result unbiased */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = eddy_rng_next (rng);
    } while (x >= limit);
    return x % n;
}
