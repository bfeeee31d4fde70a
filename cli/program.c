/*
 * The program check of `monos run`: find PROGRAM as a shell would and make
 * sure, before anything boots, that monos can run it: a readable,
 * executable, regular x86-64 ELF file.  A dynamic program (PT_INTERP) passes
 * here; deps.c then finds its interpreter and libraries.  Each failure gets
 * its own one-line reason and docker's exit status (127 not found, 126
 * cannot run).
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

/* Check the file at `path`, named `prog` in messages. */
static int check_file(const char *path, const char *prog, char *msg, size_t msglen)
{
	struct stat st;
	int fd, rc;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			snprintf(msg, msglen, "%s: no such file", prog);
			return CLI_EXIT_NOT_FOUND;
		}
		snprintf(msg, msglen, "%s: %s", prog, strerror(errno));
		return CLI_EXIT_CANNOT_RUN;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "%s: %s", prog,
			 S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		return CLI_EXIT_CANNOT_RUN;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: not readable: %s", prog, strerror(errno));
		return CLI_EXIT_CANNOT_RUN;
	}
	if (access(path, X_OK) < 0) {
		snprintf(msg, msglen, "%s: not executable (no execute permission)", prog);
		close(fd);
		return CLI_EXIT_CANNOT_RUN;
	}
	rc = check_elf(fd, st.st_size, prog, msg, msglen);
	close(fd);
	return rc;
}

/*
 * Find and check PROGRAM.  Returns 0 with *abs_out (malloc'd) its absolute,
 * lexically normalised host path; CLI_EXIT_NOT_FOUND or CLI_EXIT_CANNOT_RUN
 * with the reason in `msg`; CLI_EXIT_ERROR if out of memory.
 */
int program_check(const char *prog, char **abs_out, char *msg, size_t msglen)
{
	char *path;
	int rc;

	*abs_out = NULL;
	if (!*prog) { /* as docker: an empty name is not found, not the cwd */
		snprintf(msg, msglen, "'': no such file");
		return CLI_EXIT_NOT_FOUND;
	}
	path = strchr(prog, '/') ? strdup(prog) : lookup_path(prog, getenv("PATH"));
	if (!path) {
		snprintf(msg, msglen, "%s: no such file", prog);
		return CLI_EXIT_NOT_FOUND;
	}
	rc = check_file(path, prog, msg, msglen);
	if (rc == 0) {
		*abs_out = image_absolute(path);
		if (!*abs_out) {
			snprintf(msg, msglen, "out of memory");
			rc = CLI_EXIT_ERROR;
		}
	}
	free(path);
	return rc;
}
