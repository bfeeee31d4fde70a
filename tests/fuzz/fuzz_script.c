/*
 * libFuzzer target: the `#!` line parser of `monos run` (cli/script.c),
 * which reads the first bytes of any file a user packs.  Checks what its
 * callers rely on: interp and arg point inside the parsed line, are
 * NUL-terminated there, the interpreter name holds no blank, and env's
 * command, when found, is non-empty and fits.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../cli/script.c"

static void check_inside(const struct script_line *l, const char *p)
{
	if (p < l->buf || p >= l->buf + sizeof(l->buf) ||
	    !memchr(p, '\0', l->buf + sizeof(l->buf) - p))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script_line l;
	char cmd[64];
	int r = script_parse(data, size, &l);

	if (r != 0 && r != 1 && r != -ENOEXEC)
		abort();
	if (r != 0)
		return 0;
	check_inside(&l, l.interp);
	/* The name may be empty ("#!" then a NUL: Linux then fails to open
	 * "", program.c says so), never holds a blank or a newline. */
	if (strpbrk(l.interp, " \t\n"))
		abort();
	if (l.arg) {
		check_inside(&l, l.arg);
		if (l.arg <= l.interp)
			abort();
	}
	/* Without -S env's command is the whole argument, blanks and all. */
	if (script_env_command(&l, cmd, sizeof(cmd)) &&
	    (!*cmd || strnlen(cmd, sizeof(cmd)) == sizeof(cmd)))
		abort();
	return 0;
}
