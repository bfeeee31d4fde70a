/*
 * What the image store's files share (store.c, store_build.c,
 * store_cmds.c, store_tar.c); the rest of the CLI sees only cli.h's
 * store_* section.  Errors: -1 with one line in `err` unless said.
 */
#ifndef MONOS_CLI_STORE_H
#define MONOS_CLI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX	 128 /* a name's or a tag's characters */
#define STORE_REF_MAX	 (2 * STORE_NAME_MAX + 2)
#define STORE_MIN_PREFIX 6	    /* digits of a digest that may name an image */
#define STORE_CONFIG_MAX (1u << 20) /* bytes of a configuration */

/* The tags file in memory: ref[i] ("NAME:TAG") names digest[i]. */
struct store_tags {
	char **ref;
	char (*digest)[STORE_DIGEST_LEN];
	size_t n;
};

/* store_fail - printf into `err`; returns -1. */
int store_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* store_path - the store's directory with the relative path `fmt` appended
 * ("" for the directory itself): 0, or -1 without a data directory. */
int store_path(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* store_init - make the store's directories (private to the user). */
int store_init(char *err, size_t errlen);
/* store_lock - the store's lock, held exclusively until the fd is closed:
 * every change of tags, configs and trees is made under it. */
int store_lock(char *err, size_t errlen);
/* store_ref - NAME[:TAG] checked and completed ("hello" -> "hello:latest"):
 * 0, or -1 when it is not a valid reference. */
int store_ref(const char *in, char *out, size_t n);
/* store_hex_ok - `s` is exactly `n` lowercase hex digits. */
bool store_hex_ok(const char *s, size_t n);
int store_tags_read(struct store_tags *t, char *err, size_t errlen);
/* store_tags_write - replace the tags file with `t` (sorted), atomically. */
int store_tags_write(struct store_tags *t, char *err, size_t errlen);
/* store_tags_add - set ref -> digest (replacing): 0 or -1 (no memory). */
int store_tags_add(struct store_tags *t, const char *ref, const char *digest);
void store_tags_remove(struct store_tags *t, size_t i);
void store_tags_free(struct store_tags *t);
/* store_list_images - every image's "sha256:HEX", sorted (malloc'd). */
int store_list_images(char ***out, size_t *n);
void store_free_list(char **v, size_t n);
/* store_resolve - `ref` (a tag, sha256:HEX or a unique prefix) to the
 * image's digest: 1, 0 when none, -1 (several match, or no store). */
int store_resolve(const char *ref, char *digest, char *err, size_t errlen);
/* store_hash_fd - read `fd` to its end, copying to `out` unless it is -1:
 * its size and "sha256:HEX".  0 or -errno. */
int store_hash_fd(int fd, int out, uint64_t *size, char *digest);
/* store_read_small - a whole file of at most `max` bytes, NUL added: 0 or -errno. */
int store_read_small(const char *path, size_t max, char **text, size_t *len);
/* store_config_text - image `digest`'s configuration, checked against it. */
int store_config_text(const char *digest, char **text, size_t *len, char *err, size_t errlen);
/* store_put_file - move the finished file `tmp` to `dir`/HEX`suffix` (HEX
 * of `digest`), replacing a file there (a damaged one is so repaired). */
int store_put_file(const char *tmp, const char *dir, const char *digest, const char *suffix,
		   char *err, size_t errlen);
/* store_delete_image - remove image `digest`'s configuration, and its tree
 * unless another image uses it; tags are the caller's.  0 or -1. */
int store_delete_image(const char *digest, char *err, size_t errlen);

#endif
