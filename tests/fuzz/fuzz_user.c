/*
 * libFuzzer target: `monos run -u`'s reading of the image's /etc/passwd and
 * /etc/group (cli/user.c), files a user packs.  Input: USER[:GROUP], a NUL,
 * the passwd text, a NUL, the group text.  Resolves the spec against both
 * as user_resolve does, then checks what the kernel will get: the ids text
 * (user_ids_text) parses back with the kernel's parser of the per-run user
 * entry (parse_user_ids) to the same uid, gid and groups.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../cli/user.c"
#include "../../kernel/lib/cmdline.c"

/* etc_text's fallback, for a file the image does not pack: never reached
 * here (the texts come from the input). */
const char *rundata_etc_text(const char *path)
{
	(void)path;
	abort();
}

/* The next NUL-terminated piece of [*p, end), copied; *p moves past it. */
static char *piece(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, 0, end - *p);
	size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = 0;
	*p += nul ? n + 1 : n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *spec = piece(&p, end), *passwd = piece(&p, end), *group = piece(&p, end);
	char *grp = strchr(spec, ':'), *text;
	struct run_user u = { 0 };
	uint32_t ids[2], groups[USER_MAX_GROUPS];
	unsigned n;

	if (grp)
		*grp++ = 0;
	snprintf(u.home, sizeof(u.home), "/");
	if (!find_passwd(passwd, spec, &u))
		u.uid = parse_id(spec, strlen(spec));
	if (scan_groups(group, grp, &u) && grp)
		u.gid = parse_id(grp, strlen(grp));
	if (u.ngroups > USER_MAX_GROUPS || !memchr(u.home, 0, sizeof(u.home)) ||
	    !memchr(u.name, 0, sizeof(u.name)))
		abort();
	/* run.c refuses an id that is not a number before it gets here:
	 * parse_id's -1 is (uid_t)-1, which the kernel refuses too. */
	if (u.uid != UINT32_MAX && u.gid != UINT32_MAX) {
		if (!(text = user_ids_text(&u)))
			abort();
		if (parse_user_ids(text, strlen(text), ids, groups, USER_MAX_GROUPS, &n) != 0 ||
		    ids[0] != u.uid || ids[1] != u.gid || n != u.ngroups ||
		    memcmp(groups, u.groups, n * sizeof(*groups)))
			abort();
		free(text);
	}
	free(spec);
	free(passwd);
	free(group);
	return 0;
}
