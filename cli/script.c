/*
 * `#!` scripts, read as Linux's execve reads them (fs/binfmt_script.c), so
 * the CLI packs the interpreter the guest's exec will ask for and hands the
 * kernel the argv Linux would build.
 *
 * The first line is untrusted input: only the first SCRIPT_BUF_SIZE bytes
 * are looked at (the rest of a short file reads as NULs, as bprm->buf),
 * "#!" then optional spaces and tabs, the interpreter up to a space, tab or
 * NUL, then at most one argument: everything after the following spaces and
 * tabs up to the end of the line, trailing spaces and tabs dropped, inner
 * ones kept ("#!/bin/sh -e -x" passes "-e -x").  A line with no newline in
 * those bytes is accepted only if the interpreter's name ends inside them
 * (its argument may then be cut short); otherwise, and for a line with no
 * interpreter, the file is not a script Linux can run (ENOEXEC).  A NUL
 * ends a name early, as it ends Linux's C strings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* The first of [first, last] (inclusive, as Linux's helpers) that is not a
 * space or tab, or NULL. */
static const char *next_non_spacetab(const char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

/* The first of [first, last] that ends a name (space, tab, NUL), or NULL. */
static const char *next_terminator(const char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

/* Where the line ends: its newline (a NUL before it hides it, as strnchr),
 * else the buffer's last byte if the interpreter's name ends before it. */
static const char *line_end(const char *buf)
{
	const char *buf_end = buf + SCRIPT_BUF_SIZE - 1, *e;

	for (e = buf; e <= buf_end && *e; e++)
		if (*e == '\n')
			return e;
	e = next_non_spacetab(buf + 2, buf_end);
	if (!e || !next_terminator(e, buf_end))
		return NULL; /* all blanks, or the name may be cut short */
	return buf_end;
}

/*
 * script_parse - the `#!` line of the file whose first `len` bytes are
 * `head` (bytes past SCRIPT_BUF_SIZE are not looked at).  Returns 1 when
 * the file does not start with "#!", 0 with out->interp (and out->arg, or
 * NULL) pointing into out->buf, or -ENOEXEC when the line names no
 * interpreter or the name does not end within SCRIPT_BUF_SIZE bytes.
 * Pure; any caller.
 */
int script_parse(const void *head, size_t len, struct script_line *out)
{
	char *buf = out->buf;
	const char *end, *name, *sep, *arg = NULL;

	memset(out, 0, sizeof(*out));
	memcpy(buf, head, len < SCRIPT_BUF_SIZE ? len : SCRIPT_BUF_SIZE);
	if (buf[0] != '#' || buf[1] != '!')
		return 1;
	end = line_end(buf);
	if (!end)
		return -ENOEXEC;
	while (spacetab(end[-1]))
		end--;
	name = next_non_spacetab(buf + 2, end);
	if (!name || name == end)
		return -ENOEXEC;
	sep = next_terminator(name, end);
	if (sep && *sep)
		arg = next_non_spacetab(sep, end);
	buf[end - buf] = '\0';
	if (arg)
		buf[sep - buf] = '\0';
	out->interp = name;
	out->arg = arg;
	return 0;
}

/*
 * script_read - script_parse() of the first bytes of the file at `path`.
 * Returns 1 (not a script), 0, -ENOEXEC, or -errno when it cannot be
 * opened or read.
 */
int script_read(const char *path, struct script_line *out)
{
	char head[SCRIPT_BUF_SIZE];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -errno;
	return script_parse(head, n, out);
}

/* Whether `interp` is env (any directory): `#!/usr/bin/env NAME`. */
static bool is_env(const char *interp)
{
	const char *base = strrchr(interp, '/');

	return !strcmp(base ? base + 1 : interp, "env");
}

/*
 * script_env_command - for `#!/usr/bin/env CMD` or `#!/usr/bin/env -S
 * [OPTIONS] [NAME=VALUE...] CMD ARGS`, the command env will look up on PATH,
 * copied into `out`.  Without -S, env gets the whole argument as one word
 * (so "python3 -u" is a command name env will not find, as natively).  With
 * -S the rest is split at spaces and tabs, as GNU env does (its quoting is
 * not followed), and env's options that take a value (-u NAME, -C DIR, and
 * their long forms) are skipped with it.  Returns true with `out` set,
 * false when the line does not run env with a command (or it does not fit).
 */
bool script_env_command(const struct script_line *l, char *out, size_t outlen)
{
	const char *p = l->arg;
	bool split = p && !strncmp(p, "-S", 2), value_next = false;
	size_t n;

	if (!l->interp || !is_env(l->interp) || !p)
		return false;
	for (p += split ? 2 : 0; *(p += split ? strspn(p, " \t") : 0); p += n) {
		n = split ? strcspn(p, " \t") : strlen(p);
		if (value_next)
			value_next = false;
		else if ((n == 2 && (!strncmp(p, "-u", 2) || !strncmp(p, "-C", 2))) ||
			 (n == 7 && (!strncmp(p, "--unset", 7) || !strncmp(p, "--chdir", 7))))
			value_next = true;
		else if (*p != '-' && !memchr(p, '=', n))
			break;
	}
	if (!*p || n >= outlen)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}
