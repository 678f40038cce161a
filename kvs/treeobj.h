/* treeobj.h - the objects of the KVS hash tree, in the spirit of Flux
 * RFC 11.  Every object is a JSON object {"ver":1,"type":T,"data":D}:
 *
 *   val     D = base64 of a small value's bytes, kept inline in its dir
 *   valref  D = [blobref, ...]: the value is the concatenation of the
 *           blobs (raw bytes); an append adds one blobref
 *   dirref  D = [blobref]: a directory stored in its own blob
 *   dir     D = {name: val|valref|dirref|dir|hdir}: a flat directory
 *   hdir    D = {"0".."f": dirref|dir|hdir}, plus "level": L (0-63):
 *           a shard of a large directory.  An entry NAME lives under the
 *           slot named by hex digit L of sha256(NAME); a slot leads to a
 *           flat dir "bucket" holding full names, or to an hdir of level
 *           L + 1.  A flat dir or bucket that outgrows EDDY_TREEOBJ_SPLIT
 *           entries becomes an hdir, so no stored object grows with the
 *           size of the directory.
 *
 * Stored blobs never contain an inline dir or hdir: those exist only in a
 * commit's working tree, before it is written out.  Names are non-empty
 * and contain no '.'.  Encoding is compact JSON with sorted keys, so equal
 * objects have equal blobrefs.
 */
#ifndef EDDY_KVS_TREEOBJ_H
#define EDDY_KVS_TREEOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "engine/error.h"

#define EDDY_TREEOBJ_SPLIT 32    /* entries before a flat dir is sharded */
#define EDDY_TREEOBJ_INLINE_MAX 64 /* bytes up to which a value stays inline */
/* bytes up to which a value built by appends stays inline: a queued job's
 * eventlog (4 entries, about 250 bytes) is one val in its directory, not
 * four blobs of 40-100 bytes, each with a 71-byte ref and a store entry */
#define EDDY_TREEOBJ_APPEND_INLINE_MAX 512
#define EDDY_TREEOBJ_LEVEL_MAX 63

typedef enum {
    EDDY_TREEOBJ_INVALID = 0,
    EDDY_TREEOBJ_VAL,
    EDDY_TREEOBJ_VALREF,
    EDDY_TREEOBJ_DIRREF,
    EDDY_TREEOBJ_DIR,
    EDDY_TREEOBJ_HDIR,
} eddy_treeobj_type_t;

/* Constructors: new references, NULL + ENOMEM (or EINVAL for a bad ref). */
json_t *eddy_treeobj_val (const void *data, size_t len);
json_t *eddy_treeobj_valref (const char *ref);
json_t *eddy_treeobj_dirref (const char *ref);
json_t *eddy_treeobj_dir (void);
json_t *eddy_treeobj_hdir (int level);

/* The type of obj, INVALID if it is not a tree object at all (only the
 * shape of the header is looked at: use check () for a full validation).
 */
eddy_treeobj_type_t eddy_treeobj_type (const json_t *obj);

/* Validate obj (recursively for inline entries).  inline_ok allows inline
 * dir/hdir entries (a working tree); stored blobs are checked without.
 * 0, or -1 + EINVAL with err saying what is wrong.
 */
int eddy_treeobj_check (const json_t *obj, bool inline_ok, eddy_error_t *err);

/* Decode a stored blob into a checked tree object (new reference), or
 * NULL + EINVAL (err says why).  Total on any input.
 */
json_t *eddy_treeobj_decode (const void *buf, size_t len, eddy_error_t *err);

/* Encode as compact JSON with sorted keys (malloc'd, NUL-terminated; *len
 * without the NUL).  NULL + ENOMEM.  An inline dir or hdir entry (not obj
 * itself) that has a member EDDY_TREEOBJ_REF_KEY, a blobref string, is
 * encoded as a dirref to that blob: a working tree keeps the directories
 * it wrote inline, each with the blob that holds it as it is (tree.c).
 * Members whose names start with '.' are never encoded.
 */
#define EDDY_TREEOBJ_REF_KEY ".ref"

char *eddy_treeobj_encode (const json_t *obj, size_t *len);

/* The same bytes as eddy_treeobj_encode (obj) for a dir or hdir obj,
 * made from base[0..base_len), the encoding of an earlier version of obj,
 * by copying the entries obj still shares with it: changed is an array
 * of every name of obj's data set, replaced or removed since that version
 * (repeats and extra names are harmless), or that one name as a string.  Only the changed entries are
 * encoded.  The caller vouches that base is
 * eddy_treeobj_encode ()'s output (blobs this process encoded); NULL +
 * EINVAL if base does not have that shape after all or obj's header
 * differs from it, or if a name in base is escaped (encode in full
 * then), ENOMEM.
 */
char *eddy_treeobj_encode_update (const json_t *obj,
                                  const char *base,
                                  size_t base_len,
                                  const json_t *changed,
                                  size_t *len);

/* The hex digit (0-15) of sha256(name) that picks name's slot at level. */
int eddy_treeobj_slot (const char *name, int level);

/* The same in two steps, for a walk down the levels of one name: hash it
 * once with name_digest (), then read the digit of each level from the
 * digest (digest_slot (d, level) == slot (name, level)).
 */
#define EDDY_TREEOBJ_DIGEST 32
void eddy_treeobj_name_digest (const char *name, unsigned char digest[EDDY_TREEOBJ_DIGEST]);
int eddy_treeobj_digest_slot (const unsigned char digest[EDDY_TREEOBJ_DIGEST], int level);

/* True if name is a valid directory entry name. */
bool eddy_treeobj_name_valid (const char *name);

#endif /* !EDDY_KVS_TREEOBJ_H */
