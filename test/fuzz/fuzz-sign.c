/* fuzz-sign.c - libFuzzer target: the signed-request decoder
 * (eddy_sign_unwrap) on any text, and the [sign] config parser on any
 * TOML.  MUNGE texts are refused by type here (no munged to ask); what
 * decodes as "none" must survive wrap/unwrap with the same uid and bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/sign.h"
#include "engine/util/toml.h"

static void check_conf (const char *s, size_t size)
{
    json_t *doc = eddy_toml_parse (s, size, "fuzz", NULL);
    struct eddy_sign_conf c;

    if (!doc)
        return;
    for (int multi = 0; multi <= 1; multi++) {
        if (eddy_sign_conf_parse (&c, json_object_get (doc, "sign"), multi, NULL) == 0) {
            enum eddy_sign_mech def = eddy_sign_mech_parse (c.default_type);
            if (!def || !(c.allowed & def) || !(c.max_ttl > 0)
                || (multi && (c.allowed & EDDY_SIGN_NONE)))
                abort ();
            json_decref (eddy_sign_conf_tojson (&c));
        }
    }
    json_decref (doc);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct eddy_sign_conf c;
    char *s = malloc (size + 1);
    void *payload = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    uint32_t uid = 0, uid2 = 0;
    char mech[8];

    if (!s)
        abort ();
    memcpy (s, data, size);
    s[size] = '\0';
    eddy_sign_conf_init (&c, false);
    c.allowed = EDDY_SIGN_NONE;
    if (eddy_sign_unwrap (&c, s, &payload, &len, &uid, mech, sizeof (mech), NULL) == 0) {
        if (strcmp (mech, "none") != 0 || ((char *)payload)[len] != '\0')
            abort ();
        char *J = eddy_sign_wrap_as (&c, "none", uid, payload, len, NULL);
        if (!J || eddy_sign_unwrap (&c, J, &again, &len2, &uid2, NULL, 0, NULL) < 0
            || uid2 != uid || len2 != len || memcmp (again, payload, len) != 0)
            abort ();
        free (J);
        free (again);
        free (payload);
    }
    if (size > 0 && s[0] == '[')
        check_conf (s, size);
    free (s);
    return 0;
}
