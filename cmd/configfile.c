/* configfile.c - read TOML configuration files and merge a conf.d directory.
 *
 * Files are read whole and handed to the engine's buffer parser; a
 * directory's files are parsed one by one, then merged table by table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/configfile.h"
#include "engine/util/toml.h"

#define CONFIG_MAX_SIZE (64 * 1024 * 1024)

static int read_file (const char *path, char **bufp, size_t *lenp, eddy_error_t *err)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int fd, saved;

    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        goto syserr;
    if (fstat (fd, &st) < 0)
        goto syserr;
    if (S_ISDIR (st.st_mode)) {
        errno = EISDIR;
        goto syserr;
    }
    /* st_size is only a hint (pipes, /proc): read until EOF, but bounded. */
    size_t cap =
        st.st_size > 0 && st.st_size < CONFIG_MAX_SIZE ? (size_t)st.st_size + 1 : 4096;
    for (;;) {
        if (len == cap) {
            if (cap >= CONFIG_MAX_SIZE) {
                errno = EFBIG;
                eddy_error_set (err, "%s: larger than %d MiB", path,
                                CONFIG_MAX_SIZE >> 20);
                goto error;
            }
            cap *= 2;
        }
        char *nbuf = realloc (buf, cap);
        if (!nbuf)
            goto syserr;
        buf = nbuf;
        ssize_t n = read (fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto syserr;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close (fd);
    *bufp = buf;
    *lenp = len;
    return 0;
syserr:
    eddy_error_set (err, "%s: %s", path, strerror (errno));
error:
    saved = errno;
    if (fd >= 0)
        close (fd);
    free (buf);
    errno = saved;
    return -1;
}

static json_t *load_file (const char *path, eddy_config_check_f check, void *arg, eddy_error_t *err)
{
    char *buf;
    size_t len;
    json_t *o;
    int saved;

    if (!path) {
        errno = EINVAL;
        eddy_error_set (err, "no configuration path");
        return NULL;
    }
    if (read_file (path, &buf, &len, err) < 0)
        return NULL;
    o = eddy_toml_parse (buf, len, path, err);
    saved = errno;
    free (buf);
    if (o && check && check (path, o, arg, err) < 0) {
        saved = errno ? errno : EINVAL;
        json_decref (o);
        o = NULL;
    }
    errno = saved;
    return o;
}

json_t *eddy_config_load_file (const char *path, eddy_error_t *err)
{
    return load_file (path, NULL, NULL, err);
}

/* Tables merge; date/time and inf/nan objects are values. */
static bool is_table (const json_t *v)
{
    return json_is_object (v) && !eddy_toml_datetime (v, NULL) &&
           !eddy_toml_float (v, NULL);
}

struct keypath {
    const char *key[EDDY_TOML_MAX_DEPTH + 1];
    size_t len[EDDY_TOML_MAX_DEPTH + 1];
    int n;
};

static bool has_path (const json_t *o, const struct keypath *kp)
{
    for (int i = 0; i < kp->n; i++) {
        if (!is_table (o) || !(o = json_object_getn (o, kp->key[i], kp->len[i])))
            return false;
    }
    return true;
}

/* Print the path for a message: bare keys as they are, others quoted. */
static void format_path (const struct keypath *kp, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < kp->n && used < size; i++) {
        bool bare = kp->len[i] > 0;
        for (size_t k = 0; k < kp->len[i]; k++) {
            char c = kp->key[i][k];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-'))
                bare = false;
        }
        int n =
            snprintf (out + used, size - used, "%s%s%.*s%s", i ? "." : "",
                      bare ? "" : "\"", (int)kp->len[i], kp->key[i], bare ? "" : "\"");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

struct source {
    char *path;
    json_t *doc;
};

/* Merge src (from file `idx`) into dst. */
static int merge (json_t *dst,
                  const json_t *src,
                  struct keypath *kp,
                  const struct source *files,
                  int idx,
                  eddy_error_t *err)
{
    const char *key;
    size_t klen;
    json_t *sv;

    json_object_keylen_foreach ((json_t *)src, key, klen, sv)
    {
        json_t *dv = json_object_getn (dst, key, klen);
        kp->key[kp->n] = key;
        kp->len[kp->n] = klen;
        kp->n++;
        if (!dv) {
            /* Copy: later merges must not write into a file's own tree,
             * which names the defining file on a conflict. */
            json_t *cpy = json_deep_copy (sv);
            if (!cpy || json_object_setn_new (dst, key, klen, cpy) < 0) {
                errno = ENOMEM;
                return eddy_error_set (err, "out of memory");
            }
        } else if (is_table (dv) && is_table (sv)) {
            if (merge (dv, sv, kp, files, idx, err) < 0)
                return -1;
        } else {
            char path[120];
            int first = 0;
            while (first < idx && !has_path (files[first].doc, kp))
                first++;
            format_path (kp, path, sizeof (path));
            errno = EEXIST;
            return eddy_error_set (err, "%s: '%s' is already defined in %s",
                                   files[idx].path, path,
                                   first < idx ? files[first].path : "another file");
        }
        kp->n--;
    }
    return 0;
}

static int cmpstr (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

static json_t *load_dir (const char *path, eddy_config_check_f check, void *arg, eddy_error_t *err)
{
    DIR *dir;
    struct dirent *de;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct source *files = NULL;
    json_t *root = NULL;
    int saved;

    if (!(dir = opendir (path))) {
        eddy_error_set (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    while ((errno = 0, de = readdir (dir))) {
        size_t n = strlen (de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp (de->d_name + n - 5, ".toml"))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc (names, cap * sizeof (*names));
            if (!nn)
                goto nomem;
            names = nn;
        }
        if (!(names[count] = strdup (de->d_name)))
            goto nomem;
        count++;
    }
    if (errno) {
        eddy_error_set (err, "%s: %s", path, strerror (errno));
        goto error;
    }
    if (count)
        qsort (names, count, sizeof (*names), cmpstr);
    if (!(files = calloc (count ? count : 1, sizeof (*files))) ||
        !(root = json_object ()))
        goto nomem;
    for (size_t i = 0; i < count; i++) {
        struct keypath kp = {.n = 0};
        if (asprintf (&files[i].path, "%s/%s", path, names[i]) < 0) {
            files[i].path = NULL;
            goto nomem;
        }
        if (!(files[i].doc = load_file (files[i].path, NULL, NULL, err)))
            goto error;
        if (merge (root, files[i].doc, &kp, files, (int)i, err) < 0)
            goto error;
    }
    /* the files fit together: now what each one says */
    for (size_t i = 0; check && i < count; i++) {
        if (check (files[i].path, files[i].doc, arg, err) < 0) {
            if (!errno)
                errno = EINVAL;
            goto error;
        }
    }
    goto done;
nomem:
    errno = ENOMEM;
    eddy_error_set (err, "%s: out of memory", path);
error:
    json_decref (root);
    root = NULL;
done:
    saved = errno;
    for (size_t i = 0; i < count; i++) {
        free (names[i]);
        if (files) {
            free (files[i].path);
            json_decref (files[i].doc);
        }
    }
    free (names);
    free (files);
    closedir (dir);
    errno = saved;
    return root;
}

json_t *eddy_config_load_dir (const char *path, eddy_error_t *err)
{
    return load_dir (path, NULL, NULL, err);
}

json_t *eddy_config_load_checked (const char *path,
                                  eddy_config_check_f check,
                                  void *arg,
                                  eddy_error_t *err)
{
    struct stat st;

    if (!path) {
        errno = EINVAL;
        eddy_error_set (err, "no configuration path");
        return NULL;
    }
    if (stat (path, &st) < 0) {
        eddy_error_set (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    if (S_ISDIR (st.st_mode))
        return load_dir (path, check, arg, err);
    return load_file (path, check, arg, err);
}

json_t *eddy_config_load (const char *path, eddy_error_t *err)
{
    return eddy_config_load_checked (path, NULL, NULL, err);
}
