/*
 * Unit tests of cli/state.c: instance directories, names, records written
 * atomically, liveness by the lock alone, and docker's id prefixes.  Each
 * test works in a private $XDG_RUNTIME_DIR under /tmp.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "../../cli/msg.c"
#include "../../cli/state.c"

static char rt[] = "/tmp/monos-statetest.XXXXXX";

/* A fresh instance named `name` (NULL: none): its directory and id. */
static int make(const char *name, char *dir, char *id)
{
	char err[512];

	return state_create(name, dir, STATE_PATH_MAX, id, err, sizeof(err));
}

TEST(state_names_unique_and_checked)
{
	char dir[STATE_PATH_MAX], copy[STATE_PATH_MAX], id[STATE_ID_LEN + 1], err[512];

	CHECK(state_name_ok("web") && state_name_ok("a.b_c-1") && state_name_ok("9"));
	CHECK(!state_name_ok("") && !state_name_ok("-a") && !state_name_ok("a/b") &&
	      !state_name_ok(".a"));
	CHECK_EQ(make("web", dir, id), 0);
	CHECK_EQ(strlen(id), STATE_ID_LEN);
	CHECK_EQ(strspn(id, "0123456789abcdef"), STATE_ID_LEN);
	strcpy(copy, dir);
	CHECK_EQ(state_create("web", dir, sizeof(dir), id, err, sizeof(err)), -1);
	CHECK(strstr(err, "in use") != NULL);
	CHECK_STR(dir, copy); /* a failure leaves the caller's alone */
	CHECK_EQ(state_remove(dir), 0);
}

TEST(state_record_roundtrip_and_liveness)
{
	char dir[STATE_PATH_MAX], id[STATE_ID_LEN + 1], tmp[STATE_PATH_MAX];
	struct state_record *r = malloc(sizeof(*r));
	struct stat st;
	int lock;

	CHECK_EQ(make("rec", dir, id), 0);
	CHECK_EQ(state_write(dir, "state=running\nstatus=-1\nname=rec\nargs=[\"a=b\"]\n"), 0);
	CHECK_EQ(state_read(dir, r), 0);
	CHECK_STR(state_get(r, "state"), "running");
	CHECK_STR(state_get(r, "args"), "[\"a=b\"]"); /* split at the first '=' */
	CHECK_EQ(state_get_num(r, "status", 7), -1);
	CHECK_EQ(state_get_num(r, "missing", 7), 7);
	CHECK_STR(state_get(r, "missing"), "");
	state_path(tmp, sizeof(tmp), dir, "record.tmp");
	CHECK(stat(tmp, &st) < 0); /* renamed over the record, none left */
	/* Not live without the lock, whatever the record says. */
	CHECK(!r->live);
	CHECK_STR(state_shown(r), "exited");
	lock = state_lock(dir);
	CHECK(lock >= 0);
	CHECK(state_live(dir));
	CHECK_EQ(state_lock(dir), -EBUSY);
	CHECK_EQ(state_read(dir, r), 0);
	CHECK_STR(state_shown(r), "running");
	close(lock);
	CHECK(!state_live(dir));
	CHECK_EQ(state_remove(dir), 0);
	CHECK(stat(dir, &st) < 0);
	free(r);
}

TEST(state_find_by_name_id_and_prefix)
{
	char d1[STATE_PATH_MAX], d2[STATE_PATH_MAX], id1[STATE_ID_LEN + 1], id2[STATE_ID_LEN + 1];
	char err[512], prefix[STATE_ID_LEN + 1];
	struct state_record *r = malloc(sizeof(*r));
	size_t common = 0;

	CHECK_EQ(make("one", d1, id1), 0);
	CHECK_EQ(make(NULL, d2, id2), 0); /* named by its id */
	CHECK_EQ(state_find("one", r, err, sizeof(err)), 0);
	CHECK_STR(state_get(r, "id"), id1);
	CHECK_EQ(state_find(id2, r, err, sizeof(err)), 0);
	CHECK_STR(state_get(r, "name"), id2);
	while (common < STATE_ID_LEN && id1[common] == id2[common])
		common++;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)common + 1, id1);
	CHECK_EQ(state_find(prefix, r, err, sizeof(err)), 0); /* unique prefix */
	CHECK_STR(state_get(r, "id"), id1);
	if (common) { /* a prefix both share: ambiguous */
		snprintf(prefix, sizeof(prefix), "%.*s", (int)common, id1);
		CHECK_EQ(state_find(prefix, r, err, sizeof(err)), -1);
		CHECK(strstr(err, "ambiguous") != NULL);
	}
	CHECK_EQ(state_find("", r, err, sizeof(err)), -1);
	CHECK_EQ(state_find("nosuch", r, err, sizeof(err)), -1);
	CHECK(strstr(err, "no such instance") != NULL);
	state_remove(d1);
	state_remove(d2);
	free(r);
}

TEST(state_json_quoting)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	state_json_quote(f, "a\"b\\c\nd\x01");
	fclose(f);
	CHECK_STR(buf, "\"a\\\"b\\\\c\\u000ad\\u0001\"");
	free(buf);
}

/* Remove the runtime directory: every test removed its instances. */
static void cleanup(void)
{
	static const char *const left[] = { "monos/instances/.lock", "monos/instances", "monos" };
	char path[STATE_PATH_MAX];

	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rt, left[i]);
		if (unlink(path) < 0)
			rmdir(path);
	}
	rmdir(rt);
}

int main(void)
{
	if (!mkdtemp(rt))
		return 1;
	setenv("XDG_RUNTIME_DIR", rt, 1);
	RUN(state_names_unique_and_checked);
	RUN(state_record_roundtrip_and_liveness);
	RUN(state_find_by_name_id_and_prefix);
	RUN(state_json_quoting);
	cleanup();
	return unit_summary();
}
