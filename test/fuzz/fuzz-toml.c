/* fuzz-toml.c - libFuzzer target for the TOML parser (engine/util/toml.c).
 *
 * Parses the input as-is (a private copy, not NUL-terminated, so overreads
 * show up under ASan) and walks whatever it returns.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/toml.h"

static size_t walk (const json_t *v, int depth)
{
    size_t n = 1;
    assert (depth <= EDDY_TOML_MAX_DEPTH);
    if (eddy_toml_datetime (v, NULL) || eddy_toml_float (v, NULL))
        return n;
    if (json_is_object (v)) {
        const char *key;
        size_t klen;
        json_t *m;
        json_object_keylen_foreach ((json_t *)v, key, klen, m) n += walk (m, depth + 1);
    } else if (json_is_array (v)) {
        for (size_t i = 0; i < json_array_size (v); i++)
            n += walk (json_array_get (v, i), depth + 1);
    }
    return n;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *buf = malloc (size ? size : 1);
    eddy_error_t err;
    json_t *o;

    if (!buf)
        return 0;
    memcpy (buf, data, size);
    if ((o = eddy_toml_parse (buf, size, "fuzz", &err))) {
        walk (o, 1);
        json_decref (o);
    } else
        assert (errno == EINVAL || errno == ENOMEM);
    free (buf);
    return 0;
}
