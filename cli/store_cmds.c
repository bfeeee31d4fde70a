/*
 * The image store's small commands: `monos images`, `inspect`, `rmi` and
 * `tag` (store.c has the layout).  Each changes the store under its lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"

#define SHORT_ID 12 /* hex digits of a digest shown by `images`, as docker */

/* The size of image `digest`'s tree from its configuration (0: unknown). */
static uint64_t image_size(const char *digest)
{
	char err[256], *text, *p;
	size_t len;
	uint64_t size = 0;

	if (store_config_text(digest, &text, &len, err, sizeof(err)))
		return 0;
	if ((p = strstr(text, "\"rootfs_size\":")))
		size = strtoull(p + 14, NULL, 10);
	free(text);
	return size;
}

static void print_row(const char *ref, const char *digest)
{
	const char *colon = ref ? strrchr(ref, ':') : NULL;
	double mb = image_size(digest) / 1e6;

	printf("%-24.*s %-16s %-14.*s %.1fMB\n", ref ? (int)(colon - ref) : 6, ref ? ref : "<none>",
	       ref ? colon + 1 : "<none>", SHORT_ID, digest + 7, mb);
}

int store_images_main(int argc, char **argv)
{
	struct store_tags t;
	char err[512], **all;
	size_t n;

	(void)argv;
	if (argc > 0)
		return msg_error("images: takes no arguments"), CLI_EXIT_ERROR;
	if (store_tags_read(&t, err, sizeof(err)))
		return msg_error("%s", err), CLI_EXIT_ERROR;
	printf("%-24s %-16s %-14s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "SIZE");
	for (size_t i = 0; i < t.n; i++)
		print_row(t.ref[i], t.digest[i]);
	store_list_images(&all, &n);
	for (size_t i = 0; i < n; i++) { /* untagged images */
		size_t j = 0;

		while (j < t.n && strcmp(t.digest[j], all[i]))
			j++;
		if (j == t.n)
			print_row(NULL, all[i]);
	}
	store_free_list(all, n);
	store_tags_free(&t);
	return 0;
}

/* One image as docker inspect's shape: Id, RepoTags, Size, Config. */
static int inspect_one(const char *ref, const struct store_tags *t, bool first)
{
	char digest[STORE_DIGEST_LEN], err[512], *text;
	size_t len;
	bool any = false;
	int rc = store_resolve(ref, digest, err, sizeof(err));

	if (rc <= 0) {
		if (rc)
			msg_error("%s", err);
		else
			msg_error("inspect: no such image or instance: %s", ref);
		return -1;
	}
	if (store_config_text(digest, &text, &len, err, sizeof(err)))
		return msg_error("%s", err), -1;
	while (len && text[len - 1] == '\n')
		text[--len] = 0;
	printf("%s{\"Id\":\"%s\",\"RepoTags\":[", first ? "" : ",", digest);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->digest[i], digest))
			continue;
		printf("%s", any ? "," : "");
		manifest_json_string(stdout, t->ref[i]);
		any = true;
	}
	printf("],\"Size\":%llu,\"Config\":%s}", (unsigned long long)image_size(digest), text);
	free(text);
	return 0;
}

int store_inspect_main(int argc, char **argv)
{
	struct store_tags t;
	char err[512];
	int rc = 0;

	if (argc < 1)
		return msg_error("inspect: name an IMAGE"), CLI_EXIT_ERROR;
	if (store_tags_read(&t, err, sizeof(err)))
		return msg_error("%s", err), CLI_EXIT_ERROR;
	fputs("[", stdout);
	for (int i = 0; i < argc; i++)
		if (inspect_one(argv[i], &t, i == 0))
			rc = CLI_EXIT_ERROR;
	fputs("]\n", stdout);
	store_tags_free(&t);
	return rc;
}

/* Remove one reference: a tag, or by digest the image and all its tags. */
static int rmi_one(const char *ref, struct store_tags *t)
{
	char digest[STORE_DIGEST_LEN], full[STORE_REF_MAX], err[512];
	bool by_tag = false, tagged = false;
	int rc = store_resolve(ref, digest, err, sizeof(err));

	if (rc <= 0)
		return msg_error("rmi: %s%s", rc ? err : "no such image: ", rc ? "" : ref), -1;
	if (!store_ref(ref, full, sizeof(full)))
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(t->ref[i], full)) {
				store_tags_remove(t, i);
				printf("Untagged: %s\n", full);
				by_tag = true;
				break;
			}
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->digest[i], digest))
			continue;
		if (by_tag) {
			tagged = true;
			break;
		}
		printf("Untagged: %s\n", t->ref[i]);
		store_tags_remove(t, i--);
	}
	if (tagged)
		return 0;
	if (store_delete_image(digest, err, sizeof(err)))
		return msg_error("%s", err), -1;
	printf("Deleted: %s\n", digest);
	return 0;
}

int store_rmi_main(int argc, char **argv)
{
	struct store_tags t;
	char err[512];
	int lock, rc = 0;

	if (argc < 1)
		return msg_error("rmi: name an IMAGE"), CLI_EXIT_ERROR;
	if ((lock = store_lock(err, sizeof(err))) < 0 || store_tags_read(&t, err, sizeof(err))) {
		msg_error("%s", err);
		if (lock >= 0)
			close(lock);
		return CLI_EXIT_ERROR;
	}
	for (int i = 0; i < argc; i++)
		if (rmi_one(argv[i], &t))
			rc = CLI_EXIT_ERROR;
	if (store_tags_write(&t, err, sizeof(err)))
		msg_error("%s", err), rc = CLI_EXIT_ERROR;
	store_tags_free(&t);
	close(lock);
	return rc;
}

int store_tag_main(int argc, char **argv)
{
	struct store_tags t = { 0 };
	char digest[STORE_DIGEST_LEN], full[STORE_REF_MAX], err[512] = "";
	int lock, rc;

	if (argc != 2)
		return msg_error("tag: use 'monos tag IMAGE NAME[:TAG]'"), CLI_EXIT_ERROR;
	if (store_ref(argv[1], full, sizeof(full)))
		return msg_error("tag: '%s' is not NAME[:TAG]", argv[1]), CLI_EXIT_ERROR;
	if ((lock = store_lock(err, sizeof(err))) < 0)
		return msg_error("%s", err), CLI_EXIT_ERROR;
	rc = store_resolve(argv[0], digest, err, sizeof(err));
	if (rc == 0)
		snprintf(err, sizeof(err), "tag: no such image: %s", argv[0]);
	rc = rc <= 0 || store_tags_read(&t, err, sizeof(err)) || store_tags_add(&t, full, digest) ||
	     store_tags_write(&t, err, sizeof(err));
	if (rc)
		msg_error("%s", err[0] ? err : "out of memory");
	store_tags_free(&t);
	close(lock);
	return rc ? CLI_EXIT_ERROR : 0;
}
