/*
 * The image store (issue 11; design.md contract 24): images built by
 * `monos build`, under $XDG_DATA_HOME/monos/images (default ~/.local/share,
 * beside volumes/), every file named by the sha256 of its content:
 *
 *   rootfs/HEX.cpio    a packed tree: the cpio image `monos run` would boot,
 *                      without the per-run archive (owners 0:0; the manifest directory's files at time 0)
 *   configs/HEX.json   an image's configuration: its tree's digest and size,
 *                      the program to start and the manifest's model
 *                      (manifest_json); HEX is the image's digest
 *   tags               "NAME:TAG sha256:HEX" lines, sorted; replaced whole
 *                      (written aside, renamed) under an flock of `lock`
 *   tmp/               files being written, renamed into place once whole
 *
 * Nothing in the store is trusted when read: a configuration whose text
 * does not hash to its name, or a tree whose bytes do not hash to the
 * configuration's digest (a corrupt byte, a truncated file), is refused at
 * run and never booted.  This file holds the layout, the tags and the
 * reading of images; store_build.c, store_cmds.c and store_tar.c the
 * commands.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/sha256.h>
#include <lib/yaml.h>

#include "cli.h"
#include "store.h"

#define STORE_DIR_MODE 0700
#define STORE_IO_CHUNK (1u << 20)
#define STORE_SCHEMA   "monos-image/1"

int store_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int store_path(char *out, size_t n, const char *fmt, ...)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char rel[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(rel))
		return -1;
	if (xdg && xdg[0] == '/')
		r = snprintf(out, n, "%s/monos/images%s%s", xdg, *rel ? "/" : "", rel);
	else if (home && home[0] == '/')
		r = snprintf(out, n, "%s/.local/share/monos/images%s%s", home, *rel ? "/" : "",
			     rel);
	else
		return -1;
	return r < 0 || (size_t)r >= n ? -1 : 0;
}

int store_init(char *err, size_t errlen)
{
	static const char *const subs[] = { "", "rootfs", "configs", "tmp" };
	char dir[PATH_MAX];

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (store_path(dir, sizeof(dir), "%s", subs[i]))
			return store_fail(err, errlen,
					  "no data directory: set HOME or "
					  "XDG_DATA_HOME");
		for (char *p = dir + 1; i == 0 && *p; p++) { /* mkdir -p of the parents */
			if (*p != '/')
				continue;
			*p = 0;
			mkdir(dir, 0755);
			*p = '/';
		}
		if (mkdir(dir, STORE_DIR_MODE) && errno != EEXIST)
			return store_fail(err, errlen, "cannot create %s: %s", dir,
					  strerror(errno));
	}
	return 0;
}

int store_lock(char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (store_init(err, errlen) || store_path(path, sizeof(path), "lock"))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0)
			close(fd);
		return store_fail(err, errlen, "cannot lock %s: %s", path, strerror(errno));
	}
	return fd;
}

/* A name: [a-z0-9][a-z0-9._-]*, at most 128; a tag: [A-Za-z0-9_][A-Za-z0-9_.-]*
 * at most 128 (docker's rules, without registries: no '/'). */
static bool ref_part_ok(const char *s, size_t n, const char *first, const char *rest)
{
	if (!n || n > STORE_NAME_MAX || !strchr(first, s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!s[i] || !strchr(rest, s[i]))
			return false;
	return true;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define TAG_CHARS    LOWER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"

int store_ref(const char *in, char *out, size_t n)
{
	const char *colon = strchr(in, ':');
	size_t nl = colon ? (size_t)(colon - in) : strlen(in);
	const char *tag = colon ? colon + 1 : "latest";

	if (!ref_part_ok(in, nl, LOWER_DIGITS, LOWER_DIGITS "._-") ||
	    !ref_part_ok(tag, strlen(tag), TAG_CHARS, TAG_CHARS ".-") || !strcmp(in, "sha256"))
		return -1;
	return (size_t)snprintf(out, n, "%.*s:%s", (int)nl, in, tag) < n ? 0 : -1;
}

bool store_hex_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return strlen(s) == n;
}

void store_tags_free(struct store_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ref[i]);
	free(t->ref);
	free(t->digest);
	memset(t, 0, sizeof(*t));
}

int store_tags_add(struct store_tags *t, const char *ref, const char *digest)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->ref[i], ref)) {
			snprintf(t->digest[i], sizeof(t->digest[i]), "%s", digest);
			return 0;
		}
	}
	char **r = realloc(t->ref, (t->n + 1) * sizeof(*r));
	char(*d)[STORE_DIGEST_LEN] = r ? realloc(t->digest, (t->n + 1) * sizeof(*d)) : NULL;

	if (r)
		t->ref = r;
	if (!d)
		return -1;
	t->digest = d;
	if (!(t->ref[t->n] = strdup(ref)))
		return -1;
	snprintf(t->digest[t->n++], STORE_DIGEST_LEN, "%s", digest);
	return 0;
}

void store_tags_remove(struct store_tags *t, size_t i)
{
	free(t->ref[i]);
	memmove(t->ref + i, t->ref + i + 1, (t->n - i - 1) * sizeof(*t->ref));
	memmove(t->digest + i, t->digest + i + 1, (t->n - i - 1) * sizeof(*t->digest));
	t->n--;
}

int store_tags_read(struct store_tags *t, char *err, size_t errlen)
{
	char path[PATH_MAX], line[STORE_NAME_MAX * 2 + STORE_DIGEST_LEN + 8];
	char ref[sizeof(line)], dig[sizeof(line)];
	FILE *f;

	memset(t, 0, sizeof(*t));
	if (store_path(path, sizeof(path), "tags"))
		return store_fail(err, errlen, "no data directory: set HOME or XDG_DATA_HOME");
	if (!(f = fopen(path, "re")))
		return errno == ENOENT ? 0
				       : store_fail(err, errlen, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%s %s", ref, dig) != 2 || strncmp(dig, "sha256:", 7) ||
		    !store_hex_ok(dig + 7, 64))
			continue; /* a damaged line names nothing */
		if (store_tags_add(t, ref, dig)) {
			fclose(f);
			return store_fail(err, errlen, "out of memory");
		}
	}
	fclose(f);
	return 0;
}

static int tag_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_tags_write(struct store_tags *t, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	char **sorted = malloc((t->n + 1) * sizeof(char *));
	FILE *f;
	int rc = 0;

	if (!sorted || store_path(path, sizeof(path), "tags") ||
	    store_path(tmp, sizeof(tmp), "tmp/tags.%d", (int)getpid())) {
		free(sorted);
		return store_fail(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < t->n; i++) /* "REF DIGEST" lines, sorted by REF */
		if (asprintf(&sorted[i], "%s %s", t->ref[i], t->digest[i]) < 0)
			sorted[i] = NULL, rc = -1;
	if (!rc)
		qsort(sorted, t->n, sizeof(char *), tag_cmp);
	if (!rc && !(f = fopen(tmp, "we")))
		rc = store_fail(err, errlen, "%s: %s", tmp, strerror(errno));
	else if (!rc) {
		for (size_t i = 0; i < t->n; i++)
			fprintf(f, "%s\n", sorted[i]);
		if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path))
			rc = store_fail(err, errlen, "cannot write %s: %s", path, strerror(errno));
	}
	for (size_t i = 0; i < t->n; i++)
		free(sorted[i]);
	free(sorted);
	return rc;
}

/* Every image's digest (configs/HEX.json), for prefix lookups and listing. */
int store_list_images(char ***out, size_t *n)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;

	*out = NULL, *n = 0;
	if (store_path(dir, sizeof(dir), "configs") || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **grown;

		if (len != 64 + 5 || strcmp(e->d_name + 64, ".json") ||
		    !(grown = realloc(*out, (*n + 1) * sizeof(char *))))
			continue;
		*out = grown;
		if (asprintf(&grown[*n], "sha256:%.64s", e->d_name) >= 0)
			++*n;
	}
	closedir(d);
	if (*n > 1) /* qsort's array may not be NULL, even empty */
		qsort(*out, *n, sizeof(char *), tag_cmp);
	return 0;
}

void store_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int store_resolve(const char *ref, char *digest, char *err, size_t errlen)
{
	struct store_tags t;
	char full[STORE_REF_MAX], **all;
	const char *hex = !strncmp(ref, "sha256:", 7) ? ref + 7 : ref;
	size_t n, hl = strlen(hex), found = 0;

	if (store_tags_read(&t, err, errlen))
		return -1;
	for (size_t i = 0; !store_ref(ref, full, sizeof(full)) && i < t.n; i++) {
		if (!strcmp(t.ref[i], full)) {
			snprintf(digest, STORE_DIGEST_LEN, "%s", t.digest[i]);
			store_tags_free(&t);
			return 1;
		}
	}
	store_tags_free(&t);
	if (hl < STORE_MIN_PREFIX || hl > 64 || !store_hex_ok(hex, hl))
		return 0;
	store_list_images(&all, &n);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(all[i] + 7, hex, hl) && found++ == 0)
			snprintf(digest, STORE_DIGEST_LEN, "%s", all[i]);
	store_free_list(all, n);
	if (found > 1)
		return store_fail(err, errlen, "%s: names %zu images; give more digits", ref,
				  found);
	return found ? 1 : 0;
}

int store_hash_fd(int fd, int out, uint64_t *size, char *digest)
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];
	char *buf = malloc(STORE_IO_CHUNK);
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	sha256_init(&c);
	*size = 0;
	while ((got = read(fd, buf, STORE_IO_CHUNK)) > 0) {
		sha256_update(&c, buf, got);
		*size += got;
		if (out >= 0 && msg_write_full(out, buf, got) < 0) {
			got = -1;
			break;
		}
	}
	free(buf);
	if (got < 0)
		return -errno;
	sha256_final(&c, d);
	sha256_hex(d, hex);
	snprintf(digest, STORE_DIGEST_LEN, "sha256:%s", hex);
	return 0;
}

/* Read the whole small file `path` (at most `max` bytes) into *text. */
int store_read_small(const char *path, size_t max, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t got = -1;

	*text = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size <= max && (*text = malloc(st.st_size + 1)))
		got = pread(fd, *text, st.st_size, 0);
	close(fd);
	if (got != st.st_size) {
		free(*text);
		*text = NULL;
		return -EIO;
	}
	(*text)[got] = 0;
	*len = got;
	return 0;
}

int store_config_text(const char *digest, char **text, size_t *len, char *err, size_t errlen)
{
	char path[PATH_MAX], hex[SHA256_HEX_SIZE];
	uint8_t d[SHA256_DIGEST_SIZE];
	int rc;

	if (store_path(path, sizeof(path), "configs/%s.json", digest + 7))
		return store_fail(err, errlen, "no data directory");
	if ((rc = store_read_small(path, STORE_CONFIG_MAX, text, len)))
		return store_fail(err, errlen, "image %.19s: cannot read its configuration: %s",
				  digest, strerror(-rc));
	sha256(*text, *len, d);
	sha256_hex(d, hex);
	if (strcmp(hex, digest + 7)) {
		free(*text);
		*text = NULL;
		return store_fail(err, errlen,
				  "image %.19s is damaged: its configuration does not match its "
				  "digest (remove it: monos rmi %.19s)",
				  digest, digest + 7);
	}
	return 0;
}

/* A list of strings from a JSON array node. */
static int node_list(const struct yaml_node *n, char ***v, size_t *count)
{
	if (!n || n->kind != YAML_SEQ)
		return -1;
	for (const struct yaml_entry *e = n->entries; e; e = e->next) {
		char **grown = realloc(*v, (*count + 1) * sizeof(char *));

		if (!grown || e->value->kind != YAML_SCALAR)
			return -1;
		*v = grown;
		if (!(grown[*count] = strdup(e->value->str)))
			return -1;
		++*count;
	}
	return 0;
}

/* The configuration's fields into `img` (its text is trusted as ours now
 * that its digest matched, but read with the same checks). */
static int parse_config(const char *text, size_t len, struct store_image *img, char *err,
			size_t errlen)
{
	const struct yaml_node *root, *n;
	struct yaml_tree tree;
	int64_t size;
	int rc = -1;

	if (manifest_yaml_parse(text, len, &tree, NULL))
		return store_fail(err, errlen, "image %.19s: a configuration monos cannot read",
				  img->digest);
	root = yaml_root(&tree);
	if (!yaml_is(yaml_get(root, "schema"), STORE_SCHEMA) || !(n = yaml_get(root, "rootfs")) ||
	    n->kind != YAML_SCALAR || n->len != 71 || strncmp(n->str, "sha256:", 7) ||
	    !store_hex_ok(n->str + 7, 64) || yaml_int(yaml_get(root, "rootfs_size"), &size) ||
	    size < 0 || !(n = yaml_get(root, "exe")) || n->kind != YAML_SCALAR) {
		store_fail(err, errlen, "image %.19s: not a %s configuration", img->digest,
			   STORE_SCHEMA);
		goto out;
	}
	snprintf(img->rootfs, sizeof(img->rootfs), "%s", yaml_get(root, "rootfs")->str);
	img->rootfs_size = (uint64_t)size;
	if (!(img->exe = strdup(n->str)) ||
	    node_list(yaml_get(root, "entry"), &img->entry, &img->nentry) ||
	    node_list(yaml_get(root, "path_dirs"), &img->path_dirs, &img->npath_dirs)) {
		store_fail(err, errlen, "image %.19s: a bad entry or path_dirs", img->digest);
		goto out;
	}
	if (manifest_from_node(yaml_get(root, "config"), img->digest, "/", &img->m, err, errlen))
		goto out;
	rc = 0;
out:
	yaml_free(&tree);
	return rc;
}

int store_find(const char *ref, struct store_image *img, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	memset(img, 0, sizeof(*img));
	rc = store_resolve(ref, img->digest, err, errlen);
	if (rc <= 0)
		return rc;
	if (store_config_text(img->digest, &text, &len, err, errlen))
		return -1;
	rc = parse_config(text, len, img, err, errlen);
	free(text);
	if (!rc && store_path(img->rootfs_path, sizeof(img->rootfs_path), "rootfs/%s.cpio",
			      img->rootfs + 7))
		rc = store_fail(err, errlen, "path too long");
	return rc ? -1 : 1;
}

int store_copy_rootfs(const struct store_image *img, int fd, char *err, size_t errlen)
{
	char digest[STORE_DIGEST_LEN];
	uint64_t size;
	int in = open(img->rootfs_path, O_RDONLY | O_CLOEXEC), rc;

	if (in < 0)
		return store_fail(err, errlen, "image %.19s: its packed tree %.19s is missing: %s",
				  img->digest, img->rootfs, strerror(errno));
	rc = store_hash_fd(in, fd, &size, digest);
	close(in);
	if (rc)
		return store_fail(err, errlen, "image %.19s: %s", img->digest, strerror(-rc));
	if (size != img->rootfs_size)
		return store_fail(err, errlen,
				  "image %.19s is damaged: its packed tree has %llu bytes, not "
				  "%llu (build it again, or remove it with monos rmi)",
				  img->digest, (unsigned long long)size,
				  (unsigned long long)img->rootfs_size);
	if (strcmp(digest, img->rootfs))
		return store_fail(err, errlen,
				  "image %.19s is damaged: its packed tree's digest is %.19s, not "
				  "%.19s (build it again, or remove it with monos rmi)",
				  img->digest, digest, img->rootfs);
	return 0;
}

void store_image_free(struct store_image *img)
{
	free(img->exe);
	store_free_list(img->entry, img->nentry);
	store_free_list(img->path_dirs, img->npath_dirs);
	manifest_free(&img->m);
	memset(img, 0, sizeof(*img));
}

int store_put_file(const char *tmp, const char *dir, const char *digest, const char *suffix,
		   char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (store_path(path, sizeof(path), "%s/%s%s", dir, digest + 7, suffix))
		return store_fail(err, errlen, "path too long");
	/* Over a file of the same name too: its content should be the same, and
	 * a damaged one is repaired so. */
	if (rename(tmp, path) < 0)
		return store_fail(err, errlen, "cannot store %s: %s", path, strerror(errno));
	return 0;
}

/* The digest of the tree that image `digest` uses ("" when unreadable). */
static void rootfs_of(const char *digest, char *out)
{
	char path[PATH_MAX], *text = NULL, *p;
	size_t len;

	out[0] = 0;
	if (store_path(path, sizeof(path), "configs/%s.json", digest + 7) ||
	    store_read_small(path, STORE_CONFIG_MAX, &text, &len))
		return;
	/* canonical JSON (store_build.c): "rootfs":"sha256:HEX" */
	if ((p = strstr(text, "\"rootfs\":\"sha256:")) && strlen(p + 17) > 64 &&
	    p[17 + 64] == '"') {
		p[17 + 64] = 0;
		if (store_hex_ok(p + 17, 64))
			snprintf(out, STORE_DIGEST_LEN, "sha256:%s", p + 17);
	}
	free(text);
}

int store_delete_image(const char *digest, char *err, size_t errlen)
{
	char path[PATH_MAX], rootfs[STORE_DIGEST_LEN], other[STORE_DIGEST_LEN], **all;
	size_t n;
	bool used = false;

	rootfs_of(digest, rootfs);
	if (store_path(path, sizeof(path), "configs/%s.json", digest + 7) ||
	    (unlink(path) < 0 && errno != ENOENT))
		return store_fail(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	if (!rootfs[0])
		return 0;
	store_list_images(&all, &n);
	for (size_t i = 0; i < n && !used; i++) {
		rootfs_of(all[i], other);
		used = !strcmp(other, rootfs);
	}
	store_free_list(all, n);
	if (!used && !store_path(path, sizeof(path), "rootfs/%s.cpio", rootfs + 7))
		unlink(path);
	return 0;
}
