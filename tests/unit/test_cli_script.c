/*
 * Unit tests of the `#!` line parser (cli/script.c) against Linux's
 * binfmt_script: each expectation below was checked by exec'ing the same
 * bytes on Linux 6.x with an interpreter that prints its argv (blanks,
 * arguments with inner blanks, NULs, CR, lines longer than the 256 bytes
 * execve reads, names that end at or past that boundary).  Also the command
 * `#!/usr/bin/env ...` makes env look up.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "../../cli/script.c"

#define INTERP "/tmp/pk/av" /* any name: the parser opens nothing */

/* Parse the `len` bytes `s`: the result, and interp and arg ("(none)"). */
static int parse(const char *s, size_t len, const char **interp, const char **arg)
{
	static struct script_line l;
	int rc = script_parse(s, len, &l);

	*interp = rc == 0 ? l.interp : "(none)";
	*arg = rc == 0 && l.arg ? l.arg : "(none)";
	return rc;
}

/* Expect `s` (a C string) to give interp `wi` and argument `wa`. */
#define EXPECT(s, wi, wa)                                                                          \
	do {                                                                                       \
		const char *pi_, *pa_;                                                             \
		CHECK_EQ(parse(s, sizeof(s) - 1, &pi_, &pa_), 0);                                  \
		CHECK_STR(pi_, wi);                                                                \
		CHECK_STR(pa_, wa);                                                                \
	} while (0)

TEST(script_not_a_script)
{
	const char *i, *a;

	CHECK_EQ(parse("\177ELF", 4, &i, &a), 1);
	CHECK_EQ(parse("#", 1, &i, &a), 1);
	CHECK_EQ(parse("", 0, &i, &a), 1);
	CHECK_EQ(parse(" #!/bin/sh\n", 11, &i, &a), 1);
}

TEST(script_blanks_and_argument)
{
	EXPECT("#!" INTERP "\n", INTERP, "(none)");
	EXPECT("#!  " INTERP "  \n", INTERP, "(none)");
	/* One argument: inner blanks kept, trailing ones dropped. */
	EXPECT("#!" INTERP " -a -b  \n", INTERP, "-a -b");
	EXPECT("#!" INTERP "\t\t-a\t-b\t\n", INTERP, "-a\t-b");
	EXPECT("#!\t" INTERP " -e\nrest\n", INTERP, "-e");
	/* No newline: the file ends the line. */
	EXPECT("#!" INTERP, INTERP, "(none)");
	EXPECT("#!" INTERP " -a", INTERP, "-a");
	/* CR is part of the name (the exec then fails: ENOENT). */
	EXPECT("#!" INTERP "\r\n", INTERP "\r", "(none)");
}

TEST(script_nul_bytes)
{
	/* A NUL ends names early; after a blank it makes an empty argument. */
	EXPECT("#!" INTERP " \0\n", INTERP, "");
	EXPECT("#!" INTERP "\0zz\n", INTERP, "(none)");
	EXPECT("#!" INTERP " -x\0y\n", INTERP, "-x");
}

TEST(script_no_interpreter)
{
	const char *i, *a;

	CHECK_EQ(parse("#!\n", 3, &i, &a), -ENOEXEC);
	CHECK_EQ(parse("#!   \n", 6, &i, &a), -ENOEXEC);
	/* Without a newline the NULs after the file end the (empty) name:
	 * Linux then fails to open "" (EACCES), not ENOEXEC. */
	CHECK_EQ(parse("#!", 2, &i, &a), 0);
	CHECK_STR(i, "");
	CHECK_EQ(parse("#! \t ", 5, &i, &a), 0);
	CHECK_STR(i, "");
	CHECK_STR(a, "(none)");
}

/* A line of `size` bytes: "#!", blanks, INTERP ending at byte `name_end`
 * (exclusive), then `tail`. */
static size_t long_line(char *buf, size_t name_end, const char *tail)
{
	size_t pad = name_end - 2 - strlen(INTERP);

	memcpy(buf, "#!", 2);
	memset(buf + 2, ' ', pad);
	memcpy(buf + 2 + pad, INTERP, strlen(INTERP));
	strcpy(buf + name_end, tail);
	return name_end + strlen(tail);
}

TEST(script_long_lines)
{
	char buf[600], want[300];
	const char *i, *a;
	size_t n;

	/* An argument past the 256 bytes is cut at byte 255. */
	n = sprintf(buf, "#!%s ", INTERP);
	memset(buf + n, 'y', 300);
	strcpy(buf + n + 300, "\n");
	memset(want, 'y', SCRIPT_BUF_SIZE - 1 - n);
	want[SCRIPT_BUF_SIZE - 1 - n] = '\0';
	CHECK_EQ(parse(buf, n + 301, &i, &a), 0);
	CHECK_STR(a, want);
	CHECK_EQ(parse(buf, n + 300, &i, &a), 0); /* no newline at all */
	CHECK_STR(a, want);
	/* The name must end inside the buffer; an argument may be lost. */
	CHECK_EQ(parse(buf, long_line(buf, 253, " z"), &i, &a), 0);
	CHECK_STR(a, "z");
	CHECK_EQ(parse(buf, long_line(buf, 254, " z"), &i, &a), 0);
	CHECK_STR(a, "(none)");
	CHECK_EQ(parse(buf, long_line(buf, 255, ""), &i, &a), 0);
	CHECK_STR(i, INTERP);
	CHECK_EQ(parse(buf, long_line(buf, 255, "\n"), &i, &a), 0);
	CHECK_EQ(parse(buf, long_line(buf, 255, " \n"), &i, &a), 0);
	CHECK_EQ(parse(buf, long_line(buf, 256, ""), &i, &a), -ENOEXEC);
	CHECK_EQ(parse(buf, long_line(buf, 256, "\n"), &i, &a), -ENOEXEC);
	CHECK_EQ(parse(buf, long_line(buf, 256, " "), &i, &a), -ENOEXEC);
	CHECK_EQ(parse(buf, long_line(buf, 300, " x\n"), &i, &a), -ENOEXEC);
}

/* The command env runs for the line `s`, or "(none)". */
static const char *env_cmd(const char *s)
{
	static struct script_line l;
	static char out[SCRIPT_BUF_SIZE];

	if (script_parse(s, strlen(s), &l) != 0 || !script_env_command(&l, out, sizeof(out)))
		return "(none)";
	return out;
}

TEST(script_env_command)
{
	CHECK_STR(env_cmd("#!/usr/bin/env python3\n"), "python3");
	CHECK_STR(env_cmd("#!/bin/env  bash \n"), "bash");
	/* Without -S the whole argument is one name, as env sees it. */
	CHECK_STR(env_cmd("#!/usr/bin/env python3 -u\n"), "python3 -u");
	CHECK_STR(env_cmd("#!/usr/bin/env -S python3 -u\n"), "python3");
	CHECK_STR(env_cmd("#!/usr/bin/env -Spython3 -u\n"), "python3");
	CHECK_STR(env_cmd("#!/usr/bin/env -S -i A=1 -u B -C /tmp perl -w\n"), "perl");
	CHECK_STR(env_cmd("#!/usr/bin/env -S --unset B --chdir /tmp ruby\n"), "ruby");
	CHECK_STR(env_cmd("#!/usr/bin/env ./tool\n"), "./tool");
	CHECK_STR(env_cmd("#!/usr/bin/env\n"), "(none)");
	CHECK_STR(env_cmd("#!/usr/bin/env A=1\n"), "(none)");
	CHECK_STR(env_cmd("#!/usr/bin/env -i\n"), "(none)");
	CHECK_STR(env_cmd("#!/usr/bin/env -S -u\n"), "(none)");
	CHECK_STR(env_cmd("#!/bin/sh python3\n"), "(none)");
	CHECK_STR(env_cmd("#!/usr/bin/envy python3\n"), "(none)");
}

int main(void)
{
	RUN(script_not_a_script);
	RUN(script_blanks_and_argument);
	RUN(script_nul_bytes);
	RUN(script_no_interpreter);
	RUN(script_long_lines);
	RUN(script_env_command);
	return unit_summary();
}
