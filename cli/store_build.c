/*
 * `monos build [-f monos.yaml] [-t NAME[:TAG]]...`: read the manifest, pack
 * what `monos run` would pack for it (the program with its interpreter,
 * libraries and scripts' interpreters, the files, locale data for its env:
 * pack.c, image.c, locales.c) into a cpio tree written reproducibly (owners
 * 0:0, the manifest directory's files at time 0, names in the packers'
 * fixed order), then store the tree and
 * the image's configuration under their sha256 digests (store.c) and tag
 * the image.  The same manifest and inputs give the same digest wherever
 * and whenever it is built.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/sha256.h>

#include "cli.h"
#include "store.h"

#define BUILD_DEFAULT_MANIFEST "monos.yaml"

const char store_help[] =
	"Usage: monos build [-f FILE] [-t NAME[:TAG]]... [--verbose]\n"
	"       monos images\n"
	"       monos inspect IMAGE...\n"
	"       monos rmi IMAGE...\n"
	"       monos tag IMAGE NAME[:TAG]\n"
	"       monos save IMAGE... -o FILE\n"
	"       monos load -i FILE\n"
	"\n"
	"build packs the program of the manifest FILE (default monos.yaml; see\n"
	"docs/manifest.md) with its libraries and files into an image in the store,\n"
	"$XDG_DATA_HOME/monos/images (default ~/.local/share), named by the sha256\n"
	"digest of its content, and tags it NAME:TAG (TAG defaults to latest).  The\n"
	"same manifest and inputs give the same digest.  It prints the digest.\n"
	"\n"
	"IMAGE is NAME[:TAG], sha256:DIGEST or at least 6 leading digits of a digest.\n"
	"images lists the store; inspect prints images as JSON; rmi removes tags, and\n"
	"an image once no tag names it (or when named by digest); tag adds a name.\n"
	"save writes images with their tags to FILE, a tar archive (tags,\n"
	"configs/DIGEST.json, rootfs/DIGEST.cpio); load reads one, checking every\n"
	"digest, into this store.  'monos run IMAGE [ARGS]' runs an image, its\n"
	"configuration overridden by run's flags.\n";

/* One build: its inputs and what it made. */
struct build {
	struct manifest m;
	struct program prog;
	struct pack pk;
	char **tags;
	size_t ntags;
	bool verbose;
	char rootfs[STORE_DIGEST_LEN], digest[STORE_DIGEST_LEN];
	uint64_t rootfs_size;
};

static int build_args(int argc, char **argv, struct build *b, const char **file)
{
	char ref[STORE_REF_MAX];

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--verbose")) {
			b->verbose = true;
		} else if ((!strcmp(a, "-f") || !strcmp(a, "-t")) && i + 1 < argc) {
			if (a[1] == 'f') {
				*file = argv[++i];
				continue;
			}
			if (store_ref(argv[++i], ref, sizeof(ref))) {
				msg_error("build: '%s' is not NAME[:TAG] (lowercase letters, "
					  "digits, '.', '_', '-')",
					  argv[i]);
				return -1;
			}
			char **grown = realloc(b->tags, (b->ntags + 1) * sizeof(char *));

			if (!grown || !(grown[b->ntags] = strdup(ref)))
				return msg_error("out of memory"), -1;
			b->tags = grown;
			b->ntags++;
		} else {
			msg_error("build: unexpected '%s' (see 'monos help build')", a);
			return -1;
		}
	}
	return 0;
}

/* The tree: the program's pack, the files, locale data. */
static int write_tree(struct build *b, int fd)
{
	struct image_writer w;
	int rc;

	image_open(&w, fd);
	w.reproducible = true;
	rc = pack_write(&w, &b->pk);
	for (size_t i = 0; !rc && i < b->m.nfiles; i++) {
		char *colon = strrchr(b->m.files[i], ':');
		size_t dl = strlen(b->m.dir);

		*colon = 0; /* "HOST:GUEST", both absolute (manifest.c) */
		/* The manifest directory's files get time 0: their times say where
		 * and when the directory was copied.  Other host files keep theirs
		 * (a package's, the same wherever it is built; Python's .pyc files
		 * are checked against their sources' times, so zeroing them all
		 * made every import compile again: 3.5 s more for `import json`). */
		w.zero_times = !strncmp(b->m.files[i], b->m.dir, dl) &&
			       (b->m.files[i][dl] == '/' || dl == 1);
		rc = image_add_path(&w, b->m.files[i], colon + 1);
		w.zero_times = false;
		*colon = ':';
	}
	if (!rc)
		rc = locales_pack(&w, &b->pk.prog, b->m.env, b->m.nenv, b->verbose);
	if (!rc)
		rc = image_finish_archive(&w);
	if (rc)
		msg_error("cannot pack the image: %s", w.err);
	image_close(&w);
	return rc ? -1 : 0;
}

/* Check and pack the program and the files, as run_main does. */
static int pack_inputs(struct build *b)
{
	char **argv = calloc(b->m.nargs + 2, sizeof(char *));
	char msg[1024];
	int rc;

	if (!argv)
		return msg_error("out of memory"), -1;
	argv[0] = b->m.program;
	for (size_t i = 0; i < b->m.nargs; i++)
		argv[i + 1] = b->m.args[i];
	rc = program_check(argv, (int)b->m.nargs + 1, &b->prog, msg, sizeof(msg));
	free(argv);
	if (rc)
		return msg_error("%s", msg), -1;
	if (pack_program(&b->pk, &b->prog, b->m.program, b->verbose))
		return msg_error("%s", b->pk.err), -1;
	for (size_t i = 0; i < b->m.nfiles; i++) {
		char *host = strndup(b->m.files[i], strrchr(b->m.files[i], ':') - b->m.files[i]);

		rc = host ? pack_scan(&b->pk, host) : -1;
		free(host);
		if (rc)
			return msg_error("%s", b->pk.err), -1;
	}
	if (pack_finish(&b->pk))
		return msg_error("%s", b->pk.err), -1;
	return 0;
}

/* Pack into tmp/, hash, and move the tree into rootfs/. */
static int store_tree(struct build *b)
{
	char tmp[PATH_MAX], err[512];
	int fd, rc = -1;

	if (store_path(tmp, sizeof(tmp), "tmp/rootfs.XXXXXX") || (fd = mkstemp(tmp)) < 0)
		return msg_error("cannot create a file in the store: %s", strerror(errno)), -1;
	if (!write_tree(b, fd)) {
		lseek(fd, 0, SEEK_SET);
		if ((rc = store_hash_fd(fd, -1, &b->rootfs_size, b->rootfs)))
			msg_error("cannot read %s: %s", tmp, strerror(-rc));
	}
	if (close(fd) < 0 && !rc)
		rc = -1, msg_error("cannot write %s: %s", tmp, strerror(errno));
	if (!rc && (rc = store_put_file(tmp, "rootfs", b->rootfs, ".cpio", err, sizeof(err))))
		msg_error("%s", err);
	if (rc)
		unlink(tmp);
	return rc;
}

/* The configuration's text: canonical JSON (keys in a fixed order). */
static char *config_text(const struct build *b)
{
	size_t nargs = b->m.nargs, nentry = b->prog.argc - nargs, len = 0;
	char *cfg = manifest_json(&b->m), *buf = NULL;
	FILE *f = cfg ? open_memstream(&buf, &len) : NULL;

	if (!f) {
		free(cfg);
		return NULL;
	}
	fprintf(f, "{\"schema\":\"monos-image/1\",\"rootfs\":\"%s\",\"rootfs_size\":%llu,\"exe\":",
		b->rootfs, (unsigned long long)b->rootfs_size);
	manifest_json_string(f, b->prog.exe);
	fputs(",\"entry\":", f);
	manifest_json_list(f, b->prog.argv, nentry);
	fputs(",\"path_dirs\":", f);
	manifest_json_list(f, b->pk.path_dirs, b->pk.npath_dirs);
	fprintf(f, ",\"config\":%s}\n", cfg);
	free(cfg);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int store_config(struct build *b)
{
	char tmp[PATH_MAX], err[512], hex[SHA256_HEX_SIZE], *text = config_text(b);
	uint8_t d[SHA256_DIGEST_SIZE];
	int fd = -1, rc = -1;

	if (!text)
		return msg_error("out of memory"), -1;
	sha256(text, strlen(text), d);
	sha256_hex(d, hex);
	snprintf(b->digest, sizeof(b->digest), "sha256:%s", hex);
	if (store_path(tmp, sizeof(tmp), "tmp/config.XXXXXX") || (fd = mkstemp(tmp)) < 0)
		msg_error("cannot create a file in the store: %s", strerror(errno));
	else if (msg_write_full(fd, text, strlen(text)) < 0 || close(fd) < 0)
		msg_error("cannot write %s: %s", tmp, strerror(errno)), unlink(tmp);
	else if (store_put_file(tmp, "configs", b->digest, ".json", err, sizeof(err)))
		msg_error("%s", err), unlink(tmp);
	else
		rc = 0;
	free(text);
	return rc;
}

static int add_tags(struct build *b)
{
	struct store_tags t;
	char err[512];
	int rc = store_tags_read(&t, err, sizeof(err));

	for (size_t i = 0; !rc && i < b->ntags; i++)
		if ((rc = store_tags_add(&t, b->tags[i], b->digest)))
			snprintf(err, sizeof(err), "out of memory");
	if (!rc)
		rc = store_tags_write(&t, err, sizeof(err));
	if (rc)
		msg_error("%s", err);
	store_tags_free(&t);
	return rc;
}

int store_build_main(int argc, char **argv)
{
	struct build b = { 0 };
	const char *file = BUILD_DEFAULT_MANIFEST;
	char err[1024];
	int lock = -1, rc = -1;

	if (argc > 0 && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")))
		return fputs(store_help, stdout), 0;
	if (build_args(argc, argv, &b, &file))
		goto out;
	if (manifest_load(file, &b.m, err, sizeof(err))) {
		msg_error("%s", err);
		goto out;
	}
	if (pack_inputs(&b))
		goto out;
	if ((lock = store_lock(err, sizeof(err))) < 0) {
		msg_error("%s", err);
		goto out;
	}
	if (!store_tree(&b) && !store_config(&b) && !add_tags(&b)) {
		printf("%s\n", b.digest);
		rc = 0;
	}
out:
	if (lock >= 0)
		close(lock);
	store_free_list(b.tags, b.ntags);
	pack_free(&b.pk);
	program_free(&b.prog);
	manifest_free(&b.m);
	return rc ? CLI_EXIT_ERROR : 0;
}
