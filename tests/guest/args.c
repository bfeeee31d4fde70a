/*
 * Guest test, area exec: a fingerprint of the arguments and environment the
 * program was started with, for tests/cli/exec_args.sh, which starts it with
 * thousands of arguments and variables (and with up to about 2 MiB of them)
 * natively and in monos and compares the outputs.  It also checks the layout
 * Linux gives the strings (fs/exec.c copy_strings): argv's strings, then
 * envp's, ascending and contiguous, each NUL-terminated, which programs that
 * rewrite their title in place (nginx, postgres) rely on.
 *
 * argv[0] is left out of the fingerprint: its path differs between runs.
 */
#include "guest.h"

/* Count the strings of a NULL-terminated vector, their bytes (with NULs)
 * and their fingerprint; says whether each string starts right after the
 * previous one's NUL (`next` is where the first one should start). */
static size_t vec_scan(char **v, size_t *bytes, uint64_t *hash, char **next, int *contiguous)
{
	size_t n = 0;

	for (; v[n]; n++) {
		size_t len = strlen(v[n]) + 1;

		if (*next && v[n] != *next)
			*contiguous = 0;
		*next = v[n] + len;
		*bytes += len;
		*hash = guest_fnv(*hash, v[n], len);
	}
	return n;
}

int main(int argc, char **argv, char **envp)
{
	size_t abytes = 0, ebytes = 0, envc;
	uint64_t ahash = GUEST_FNV_INIT, ehash = GUEST_FNV_INIT;
	char *next = argv[0] + strlen(argv[0]) + 1;
	int contiguous = 1;

	vec_scan(argv + 1, &abytes, &ahash, &next, &contiguous);
	envc = vec_scan(envp, &ebytes, &ehash, &next, &contiguous);
	printf("argc %d, %zu bytes after argv[0], fingerprint %016llx\n", argc, abytes,
	       (unsigned long long)ahash);
	printf("envc %zu, %zu bytes, fingerprint %016llx\n", envc, ebytes,
	       (unsigned long long)ehash);
	if (argc > 1)
		printf("argv[1] \"%.40s\", argv[%d] \"%.40s\"\n", argv[1], argc - 1,
		       argv[argc - 1]);
	if (envc)
		printf("envp[0] \"%.40s\", envp[%zu] \"%.40s\"\n", envp[0], envc - 1,
		       envp[envc - 1]);
	guest_check("envp follows argv", envp == argv + argc + 1);
	guest_check("argv and envp strings ascending and contiguous", contiguous);
	return guest_finish();
}
