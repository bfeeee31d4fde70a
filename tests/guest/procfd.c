/*
 * Guest test, area files: /proc/self/fd/N and /dev/fd/N open the file
 * itself, as Linux's "magic" links do, not the path their text shows.
 * bash's process substitution (`diff <(a) <(b)`) hands commands
 * "/dev/fd/63", a pipe's read end; a program may reopen a file it removed.
 * Checked: /dev/fd's target; reading a pipe through its read end's link and
 * writing it through its write end's (each a new end: the pipe lives while
 * any is open, EOF comes when every writer is gone); a removed tmpfs file
 * read again with its own offset; a closed descriptor's link is ENOENT;
 * stdout and stderr written through their links.
 */
#include "guest.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

static int open_fd_link(const char *dir, int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%d", dir, fd);
	return open(path, flags);
}

static void check_read(const char *name, int fd, const char *want)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = 0;
	guest_check(name, n == (ssize_t)strlen(want) && !strcmp(buf, want));
}

static void pipe_ends(void)
{
	int p[2], r, w;

	if (pipe(p))
		exit(2);
	guest_check("write into the pipe", write(p[1], "first", 5) == 5);
	r = open_fd_link("/dev/fd", p[0], O_RDONLY);
	guest_check("open /dev/fd/READ-END", r >= 0);
	check_read("read through the reopened read end", r, "first");
	w = open_fd_link("/proc/self/fd", p[1], O_WRONLY);
	guest_check("open /proc/self/fd/WRITE-END", w >= 0);
	close(p[1]);
	close(p[0]);
	guest_check("write through the reopened write end", write(w, "second", 6) == 6);
	check_read("the pipe outlives its first ends", r, "second");
	close(w);
	check_read("EOF once every writer is gone", r, "");
	close(r);
}

static void removed_file(void)
{
	char path[] = "/tmp/procfdXXXXXX";
	int fd = mkstemp(path), again;

	guest_check("mkstemp", fd >= 0);
	guest_check("write the file", write(fd, "removed but open", 16) == 16);
	unlink(path);
	again = open_fd_link("/proc/self/fd", fd, O_RDONLY);
	guest_check("reopen a removed file", again >= 0);
	check_read("its own offset, from the start", again, "removed but open");
	close(again);
	close(fd);
	guest_check_err("a closed descriptor's link", open_fd_link("/dev/fd", fd, O_RDONLY),
			ENOENT);
}

/* fds 1 and 2 reopened (appending, since natively they may be files whose
 * offset the reopened file does not share): the program's last output. */
static int std_streams(void)
{
	static const char out[] = "written through /dev/fd/1\n",
			  err[] = "through /proc/self/fd/2\n";
	int o = open_fd_link("/dev/fd", 1, O_WRONLY | O_APPEND);
	int e = open_fd_link("/proc/self/fd", 2, O_WRONLY | O_APPEND);

	return o >= 0 && e >= 0 && write(o, out, sizeof(out) - 1) == sizeof(out) - 1 &&
	       write(e, err, sizeof(err) - 1) == sizeof(err) - 1;
}

int main(void)
{
	char target[PATH_MAX];
	ssize_t n = readlink("/dev/fd", target, sizeof(target) - 1);

	target[n > 0 ? n : 0] = 0;
	guest_check("/dev/fd -> /proc/self/fd", !strcmp(target, "/proc/self/fd"));
	pipe_ends();
	removed_file();
	fflush(stdout);
	return guest_bad != 0 || !std_streams();
}
