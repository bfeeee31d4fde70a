/*
 * The program check of `monos run`: find PROGRAM as a shell would and make
 * sure, before anything boots, that monos can run it: a readable,
 * executable, regular x86-64 ELF file, or a `#!` script whose interpreter
 * chain (script.c) ends in one, followed as Linux's execve follows it.  The
 * kernel is then handed the interpreter and the argv Linux would build
 * (binfmt_script's, as if the kernel had exec'd the script itself).  For
 * `#!/usr/bin/env CMD`, CMD is looked up on the host's PATH as env would.
 * A dynamic program (PT_INTERP) passes here; deps.c then finds its
 * interpreter and libraries.  Each failure gets its own one-line reason and
 * docker's exit status (127 not found, 126 cannot run).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/elf.h>

#include "cli.h"

#define PROGRAM_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin" /* as shells use */

static bool is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * PROGRAM without a '/' on PATH: the first executable regular file wins; if
 * there is none, the first existing candidate (so the check reports why it
 * cannot run, as a shell does); NULL if nothing of that name exists.
 */
static char *lookup_path(const char *prog, const char *path)
{
	char *first = NULL;

	if (!path)
		path = PROGRAM_DEFAULT_PATH;
	while (true) {
		size_t n = strcspn(path, ":");
		char *cand;
		struct stat st;

		/* An empty PATH entry means the current directory. */
		if (asprintf(&cand, "%.*s%s%s", (int)n, n ? path : ".", "/", prog) < 0)
			break;
		if (is_exec_file(cand)) {
			free(first);
			return cand;
		}
		if (!first && stat(cand, &st) == 0)
			first = cand;
		else
			free(cand);
		if (!path[n])
			break;
		path += n + 1;
	}
	return first;
}

/* Check the ELF headers of the open file; 0 or CLI_EXIT_CANNOT_RUN. */
static int check_elf(int fd, size_t size, const char *prog, char *msg, size_t msglen)
{
	static const uint8_t empty[1];
	const void *buf = empty;
	struct elf_info info;
	const char *why = "not an ELF file";
	int rc;

	if (size) {
		buf = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (buf == MAP_FAILED) {
			snprintf(msg, msglen, "%s: cannot read: %s", prog, strerror(errno));
			return CLI_EXIT_CANNOT_RUN;
		}
	}
	rc = elf_parse(buf, size, &info, &why);
	/* elf_parse says "not ..." for a file of another kind, anything else for
	 * a damaged ELF file: say which, so the user knows to look at the file. */
	if (rc < 0 && strncmp(why, "not ", 4) == 0)
		snprintf(msg, msglen, "%s: %s", prog, why);
	else if (rc < 0)
		snprintf(msg, msglen, "%s: malformed ELF file (%s)", prog, why);
	if (size)
		munmap((void *)buf, size);
	return rc < 0 ? CLI_EXIT_CANNOT_RUN : 0;
}

/* Check that the file at `path` (named `what` in messages) is one execve
 * would open: 0, CLI_EXIT_NOT_FOUND or CLI_EXIT_CANNOT_RUN. */
static int check_exec_file(const char *path, const char *what, char *msg, size_t msglen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			snprintf(msg, msglen, "%s: no such file", what);
			return CLI_EXIT_NOT_FOUND;
		}
		snprintf(msg, msglen, "%s: %s", what, strerror(errno));
		return CLI_EXIT_CANNOT_RUN;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "%s: %s", what,
			 S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		return CLI_EXIT_CANNOT_RUN;
	}
	if (access(path, R_OK) < 0) {
		snprintf(msg, msglen, "%s: not readable: %s", what, strerror(errno));
		return CLI_EXIT_CANNOT_RUN;
	}
	if (access(path, X_OK) < 0) {
		snprintf(msg, msglen, "%s: not executable (no execute permission)", what);
		return CLI_EXIT_CANNOT_RUN;
	}
	return 0;
}

/* Check the ELF file at `path`, named `what` in messages. */
static int check_file_elf(const char *path, const char *what, char *msg, size_t msglen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(msg, msglen, "%s: not readable: %s", what, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CLI_EXIT_CANNOT_RUN;
	}
	rc = check_elf(fd, st.st_size, what, msg, msglen);
	close(fd);
	return rc;
}

/* Append a copy of `s` to p->argv; -1 when out of memory. */
static int argv_push(struct program *p, const char *s)
{
	char **nv = realloc(p->argv, (p->argc + 2) * sizeof(char *));

	if (!nv)
		return -1;
	p->argv = nv;
	nv[p->argc] = strdup(s);
	if (!nv[p->argc])
		return -1;
	nv[++p->argc] = NULL;
	return 0;
}

/*
 * binfmt_script's argv: the interpreter, its argument if any, the path the
 * script was exec'd by (`file`), then the old argv after its argv[0].
 */
static int argv_splice(struct program *p, const struct script_line *l, const char *file)
{
	char **old = p->argv;
	int oldc = p->argc, rc = 0;

	if (!old)
		return 0; /* no argv asked for */
	p->argv = NULL;
	p->argc = 0;
	rc |= argv_push(p, l->interp);
	if (l->arg)
		rc |= argv_push(p, l->arg);
	rc |= argv_push(p, file);
	for (int i = 1; i < oldc; i++)
		rc |= argv_push(p, old[i]);
	for (int i = 0; i < oldc; i++)
		free(old[i]);
	free(old);
	return rc;
}

static int oom(char *msg, size_t msglen)
{
	snprintf(msg, msglen, "out of memory");
	return CLI_EXIT_ERROR;
}

static int follow(const char *path, const char *display, struct program *p, int env_depth,
		  char *msg, size_t msglen);

/*
 * `#!/usr/bin/env CMD` as the chain's last line: CMD on the host's PATH,
 * followed in turn.  Not found is env's 127, said before anything boots.
 */
static int follow_env(const struct script_line *l, const char *display, struct program *p,
		      int env_depth, char *msg, size_t msglen)
{
	char cmd[SCRIPT_BUF_SIZE], *found;
	int rc;

	if (!script_env_command(l, cmd, sizeof(cmd)))
		return 0;
	if (env_depth >= PROGRAM_MAX_ENV_DEPTH) {
		snprintf(msg, msglen, "%s: more than %d nested '#!%s' commands", display,
			 PROGRAM_MAX_ENV_DEPTH, l->interp);
		return CLI_EXIT_CANNOT_RUN;
	}
	found = strchr(cmd, '/') ? strdup(cmd) : lookup_path(cmd, getenv("PATH"));
	if (!found) {
		snprintf(msg, msglen, "%s: %s cannot find '%s' on PATH", display, l->interp, cmd);
		return CLI_EXIT_NOT_FOUND;
	}
	p->env = calloc(1, sizeof(*p->env));
	p->env_dir = strchr(cmd, '/') ? NULL : image_absolute(found);
	if (!p->env || (!strchr(cmd, '/') && !p->env_dir)) {
		free(found);
		return oom(msg, msglen);
	}
	if (p->env_dir)
		*strrchr(p->env_dir, '/') = '\0';
	rc = follow(found, cmd, p->env, env_depth + 1, msg, msglen);
	free(found);
	return rc;
}

/*
 * Whether the `#!` line `l` of `what` (script_read's `rc`, at `depth`
 * scripts) can be followed: 0, or CLI_EXIT_CANNOT_RUN with the reason.
 */
static int check_line(int rc, const struct script_line *l, int depth, const char *what, char *msg,
		      size_t msglen)
{
	const char *why = NULL;

	if (rc == -ENOEXEC)
		why = "malformed '#!' line (no interpreter, or too long)";
	else if (rc < 0)
		why = strerror(-rc);
	else if (depth == SCRIPT_MAX_DEPTH) /* Linux: ELOOP */
		why = "too many levels of '#!' interpreters";
	else if (!*l->interp) /* "#!" then NULs: Linux cannot open "" */
		why = "empty interpreter name in its '#!' line";
	if (!why)
		return 0;
	snprintf(msg, msglen, "%s: %s", what, why);
	return CLI_EXIT_CANNOT_RUN;
}

/*
 * One step down the chain: record the script *cur, splice its line `l`
 * into the argv, and move *cur and *what (its name in messages) on to the
 * interpreter.  0, or CLI_EXIT_ERROR when out of memory.
 */
static int step(struct program *p, const struct script_line *l, char **cur, char **what,
		const char *display, char *msg, size_t msglen)
{
	int rc = 0;

	if (!(p->scripts[p->nscripts++] = image_absolute(*cur)) || argv_splice(p, l, *cur) < 0)
		rc = -1;
	free(*cur);
	free(*what);
	*cur = strdup(l->interp);
	if (asprintf(what, "%s: interpreter %s", display, l->interp) < 0)
		*what = NULL;
	return rc || !*cur || !*what ? oom(msg, msglen) : 0;
}

/*
 * Follow `path` (exec'd by that name; `display` in messages) through its
 * `#!` chain to the ELF file execve would map, as Linux: each interpreter
 * opened by its path (relative to the cwd, no PATH search), at most
 * SCRIPT_MAX_DEPTH scripts (ELOOP beyond).
 */
static int follow(const char *path, const char *display, struct program *p, int env_depth,
		  char *msg, size_t msglen)
{
	struct script_line l, last = { .interp = NULL };
	char *what = strdup(display), *cur = strdup(path);
	int rc = (what && cur) ? 0 : oom(msg, msglen);

	for (int depth = 0; !rc; depth++) {
		rc = check_exec_file(cur, what, msg, msglen);
		if (rc)
			break;
		rc = script_read(cur, &l);
		if (rc == 1) { /* not a script: it must be our ELF */
			rc = check_file_elf(cur, what, msg, msglen);
			break;
		}
		rc = check_line(rc, &l, depth, what, msg, msglen);
		if (rc)
			break;
		last = l; /* its pointers rebased: l is read again */
		last.interp = last.buf + (l.interp - l.buf);
		last.arg = l.arg ? last.buf + (l.arg - l.buf) : NULL;
		rc = step(p, &l, &cur, &what, display, msg, msglen);
	}
	if (!rc && !(p->exe = image_absolute(cur)))
		rc = oom(msg, msglen);
	if (!rc && last.interp)
		rc = follow_env(&last, display, p, env_depth, msg, msglen);
	free(cur);
	free(what);
	return rc;
}

/* See cli.h. */
int program_follow(const char *path, struct program *p, char *msg, size_t msglen)
{
	memset(p, 0, sizeof(*p));
	return follow(path, path, p, 0, msg, msglen);
}

/*
 * Find and check PROGRAM, argv[0].  See cli.h.  The path it is exec'd by is
 * what a shell's execvp passes: PROGRAM itself when it has a '/', else the
 * PATH entry joined to it.
 */
int program_check(char *const *argv, int argc, struct program *p, char *msg, size_t msglen)
{
	const char *prog = argv[0];
	char *path;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (!*prog) { /* as docker: an empty name is not found, not the cwd */
		snprintf(msg, msglen, "'': no such file");
		return CLI_EXIT_NOT_FOUND;
	}
	path = strchr(prog, '/') ? strdup(prog) : lookup_path(prog, getenv("PATH"));
	if (!path) {
		snprintf(msg, msglen, "%s: no such file", prog);
		return CLI_EXIT_NOT_FOUND;
	}
	for (int i = 0; !rc && i < argc; i++)
		rc = argv_push(p, argv[i]);
	rc = rc ? oom(msg, msglen) : follow(path, prog, p, 0, msg, msglen);
	free(path);
	return rc;
}

int program_in_rootfs(const char *exe, char *const *argv, int argc, struct program *p)
{
	memset(p, 0, sizeof(*p));
	p->exe = strdup(exe);
	p->argv = calloc((size_t)argc + 1, sizeof(*p->argv));
	if (!p->exe || !p->argv)
		return CLI_EXIT_ERROR;
	for (; p->argc < argc; p->argc++)
		if (!(p->argv[p->argc] = strdup(argv[p->argc])))
			return CLI_EXIT_ERROR;
	return 0;
}

void program_free(struct program *p)
{
	if (p->env) {
		program_free(p->env);
		free(p->env);
	}
	for (int i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	for (int i = 0; i < p->nscripts; i++)
		free(p->scripts[i]);
	free(p->exe);
	free(p->env_dir);
	memset(p, 0, sizeof(*p));
}
