/*
 * GRUB's environment block (lib/grubenv.h): read and rewritten as whole
 * blocks, so that what lands on the disk is always a block GRUB accepts.
 */
#include <lib/errno.h>
#include <lib/grubenv.h>
#include <lib/string.h>

#define HEADER_LEN (sizeof(GRUBENV_HEADER) - 1)

/* Whether `s` (n bytes) is a name or value GRUB stores unescaped. */
static int plain(const char *s, size_t n, int is_name)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\\' || s[i] == '=' || !s[i])
			return 0;
	return !is_name || (n > 0 && s[0] != '#');
}

/* Where the '#' padding starts: after the last byte that is not '#'. */
static size_t content_end(const char *block)
{
	size_t end = GRUBENV_SIZE;

	while (end > HEADER_LEN && block[end - 1] == '#')
		end--;
	return end;
}

int grubenv_check(const char *block)
{
	size_t off = HEADER_LEN, end;

	if (memcmp(block, GRUBENV_HEADER, HEADER_LEN))
		return -EINVAL;
	end = content_end(block);
	if (end > HEADER_LEN && block[end - 1] != '\n')
		return -EINVAL;
	/* Lines: comments ('#', Debian's grub-editenv writes a warning) or
	 * name=value, each ending in a newline. */
	while (off < end) {
		const char *line = block + off, *nl = memchr(line, '\n', end - off);

		if (*line != '#' &&
		    (nl == line || !memchr(line, '=', (size_t)(nl - line)) || *line == '='))
			return -EINVAL;
		off = (size_t)(nl - block) + 1;
	}
	return 0;
}

/* The line at *off (before `end`), advancing past it: 0 at the end.  A
 * comment has *nlen 0 and the whole line in *value, *vlen. */
static int next_line(const char *block, size_t end, size_t *off, const char **name, size_t *nlen,
		     const char **value, size_t *vlen)
{
	const char *line = block + *off, *nl, *eq;

	if (*off >= end)
		return 0;
	nl = memchr(line, '\n', end - *off);
	*off += (size_t)(nl - line) + 1;
	if (*line == '#') {
		*name = line;
		*nlen = 0;
		*value = line;
		*vlen = (size_t)(nl - line);
		return 1;
	}
	eq = memchr(line, '=', (size_t)(nl - line));
	*name = line;
	*nlen = (size_t)(eq - line);
	*value = eq + 1;
	*vlen = (size_t)(nl - eq - 1);
	return 1;
}

const char *grubenv_get(const char *block, const char *name, size_t *len)
{
	size_t off = HEADER_LEN, end = content_end(block), nlen, vlen, want = strlen(name);
	const char *n, *v;

	while (next_line(block, end, &off, &n, &nlen, &v, &vlen))
		if (nlen && nlen == want && !memcmp(n, name, want)) {
			*len = vlen;
			return v;
		}
	return NULL;
}

/* Append `n` bytes to out[*at], if they fit. */
static int put(char *out, size_t *at, const char *s, size_t n)
{
	if (n > GRUBENV_SIZE - *at)
		return -ENOSPC;
	memcpy(out + *at, s, n);
	*at += n;
	return 0;
}

/* "name=value\n" into out[*at]. */
static int put_var(char *out, size_t *at, const char *name, const char *value)
{
	int err = put(out, at, name, strlen(name));

	err = err ? err : put(out, at, "=", 1);
	err = err ? err : put(out, at, value, strlen(value));
	return err ? err : put(out, at, "\n", 1);
}

/* As grub-editenv: a variable set again keeps its place, a new one comes
 * last, comments stay. */
int grubenv_set(char *block, const char *name, const char *value)
{
	char out[GRUBENV_SIZE];
	size_t off = HEADER_LEN, end, at = 0, nlen, vlen, want = strlen(name);
	const char *n, *v;
	int err, done = 0;

	if (grubenv_check(block) || !plain(name, want, 1) ||
	    (value && !plain(value, strlen(value), 0)))
		return -EINVAL;
	end = content_end(block);
	err = put(out, &at, GRUBENV_HEADER, HEADER_LEN);
	while (!err && next_line(block, end, &off, &n, &nlen, &v, &vlen)) {
		if (!nlen || nlen != want || memcmp(n, name, want))
			err = put(out, &at, n, (size_t)(v + vlen - n) + 1);
		else if (value && !done++)
			err = put_var(out, &at, name, value);
	}
	if (!err && value && !done)
		err = put_var(out, &at, name, value);
	if (err)
		return err;
	memset(out + at, '#', GRUBENV_SIZE - at);
	memcpy(block, out, GRUBENV_SIZE);
	return 0;
}
