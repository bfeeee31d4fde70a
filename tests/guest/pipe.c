/*
 * Guest test, area pipes: pipe and pipe2 (O_CLOEXEC, O_NONBLOCK, O_DIRECT,
 * bad flags), data through the pipe, fstat (S_IFIFO), FIONREAD, FIONBIO,
 * F_GETFL, F_GETPIPE_SZ and F_SETPIPE_SZ, ESPIPE and EBADF on the wrong end,
 * filling a non-blocking pipe to EAGAIN with writes of several sizes (the
 * byte counts show Linux's page-buffer layout), atomic small writes, packet
 * mode, EOF once the write end is closed, EPIPE with SIGPIPE ignored, and a
 * pipe dup2'ed onto fd 1 and back.  One process talks to itself, so nothing
 * ever waits: a blocking call is made only when it can complete.
 *
 * With the argument "sigpipe" it writes to a pipe without readers with
 * SIGPIPE at its default action, and is killed by it (tests/run.sh checks).
 */
#include "guest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define PAGE	     4096
#define PIPE_DEFAULT (16 * PAGE) /* Linux's default capacity */
#define BIG	     (PIPE_DEFAULT + PAGE)

static unsigned char data[BIG], back[BIG];

static void make_pipe(int fds[2], int flags)
{
	if (pipe2(fds, flags) != 0) {
		printf("BAD pipe2(%#o): %s\n", flags, guest_errname(errno));
		fflush(stdout);
		_exit(2);
	}
}

static void close_pipe(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static int unread(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) == 0 ? n : -errno;
}

/* Write `size`-byte pieces to non-blocking `fd` until EAGAIN; the total. */
static long fill(int fd, size_t size)
{
	long total = 0, r;

	while ((r = write(fd, data + total % PAGE, size)) > 0)
		total += r;
	guest_check_err("fill ends with EAGAIN", r, EAGAIN);
	return total;
}

/* Read non-blocking `fd` dry in reads of at most `size`; the bytes read,
 * and their fingerprint in *h. */
static long drain(int fd, size_t size, uint64_t *h)
{
	long total = 0, r;

	*h = GUEST_FNV_INIT;
	while ((r = read(fd, back, size)) > 0) {
		*h = guest_fnv(*h, back, r);
		total += r;
	}
	return total;
}

static void pipe_basics(void)
{
	struct stat st;
	char buf[64];
	int p[2];

	guest_check("pipe", pipe(p) == 0);
	guest_check("fstat read end", fstat(p[0], &st) == 0);
	printf("fifo %d mode %o size %ld nlink %ld\n", S_ISFIFO(st.st_mode),
	       (unsigned)(st.st_mode & 07777), (long)st.st_size, (long)st.st_nlink);
	printf("flags: read end %o, write end %o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
	printf("cloexec: %d\n", fcntl(p[0], F_GETFD));
	printf("F_GETPIPE_SZ: %d\n", fcntl(p[1], F_GETPIPE_SZ));
	printf("write: %zd\n", write(p[1], "hello, pipe", 11));
	printf("FIONREAD read end %d, write end %d\n", unread(p[0]), unread(p[1]));
	memset(buf, 0, sizeof(buf));
	printf("read: %zd '%s'\n", read(p[0], buf, sizeof(buf)), buf);
	guest_check_err("lseek", lseek(p[0], 0, SEEK_SET), ESPIPE);
	guest_check_err("pread", pread(p[0], buf, 1, 0), ESPIPE);
	guest_check_err("read the write end", read(p[1], buf, 1), EBADF);
	guest_check_err("write the read end", write(p[0], "x", 1), EBADF);
	guest_check_err("F_GETPIPE_SZ on stdin-like /dev/null",
			fcntl(open("/dev/null", O_RDONLY), F_GETPIPE_SZ), EBADF);
	guest_check_err("pipe2 bad flags", pipe2(p + 0, O_APPEND), EINVAL);
	guest_check_err("pipe to a bad address", syscall(SYS_pipe, (void *)8), EFAULT);
	close_pipe(p);
}

/* Fill to EAGAIN with writes of one size, then read all back. */
static void pipe_fill(size_t size)
{
	uint64_t want = GUEST_FNV_INIT, got;
	long total, i;
	int p[2];

	make_pipe(p, O_NONBLOCK | O_CLOEXEC);
	total = fill(p[1], size);
	for (i = 0; i < total; i += size) /* what fill() wrote, piece by piece */
		want = guest_fnv(want, data + i % PAGE, size);
	printf("writes of %zu: %ld bytes until EAGAIN, FIONREAD %d\n", size, total, unread(p[0]));
	total = drain(p[0], PAGE, &got);
	printf("  drained %ld\n", total);
	guest_check("  the data came back in order", got == want);
	close_pipe(p);
}

static void pipe_nonblock(void)
{
	char c;
	int p[2];

	make_pipe(p, O_NONBLOCK | O_CLOEXEC);
	printf("pipe2 flags: %o %o, cloexec %d\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL),
	       fcntl(p[1], F_GETFD));
	guest_check_err("read empty non-blocking", read(p[0], &c, 1), EAGAIN);
	close_pipe(p);
	pipe_fill(1);
	pipe_fill(100);
	pipe_fill(1000);
	pipe_fill(PAGE);

	/* 15 whole pages and 4000 bytes in a 16th: full.  96 more bytes
	 * merge into the last page, 97 would need a 17th: EAGAIN. */
	make_pipe(p, O_NONBLOCK);
	for (int i = 0; i < 15; i++)
		write(p[1], data, PAGE);
	printf("4000 into the last buffer: %zd\n", write(p[1], data, 4000));
	printf("96 merge: %zd\n", write(p[1], data, 96));
	guest_check_err("97 are atomic: EAGAIN", write(p[1], data, 97), EAGAIN);
	printf("read one page: %zd\n", read(p[0], back, PAGE));
	printf("a big write takes what fits: %zd\n", write(p[1], data, 2 * PAGE));
	close_pipe(p);

	/* FIONBIO turns non-blocking mode on for a blocking pipe. */
	make_pipe(p, 0);
	int on = 1;
	printf("FIONBIO: %d\n", ioctl(p[0], FIONBIO, &on));
	guest_check_err("read empty after FIONBIO", read(p[0], &c, 1), EAGAIN);
	close_pipe(p);
}

static void pipe_setsize(void)
{
	int p[2];

	make_pipe(p, O_NONBLOCK);
	printf("write 10000: %zd\n", write(p[1], data, 10000));
	guest_check_err("shrink below the data", fcntl(p[1], F_SETPIPE_SZ, PAGE), EBUSY);
	printf("grow to 1 MiB: %d\n", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
	printf("FIONREAD after growing: %d\n", unread(p[0]));
	printf("fill the rest: %ld\n", fill(p[1], PAGE));
	close_pipe(p);

	make_pipe(p, O_NONBLOCK);
	printf("set 5000: %d\n", fcntl(p[0], F_SETPIPE_SZ, 5000));
	printf("set 0: %d\n", fcntl(p[0], F_SETPIPE_SZ, 0));
	printf("F_GETPIPE_SZ: %d\n", fcntl(p[1], F_GETPIPE_SZ));
	printf("one page fits: %zd\n", write(p[1], data, PAGE));
	guest_check_err("then nothing", write(p[1], data, 1), EAGAIN);
	close_pipe(p);
}

static void pipe_packets(void)
{
	char buf[64];
	int p[2];

	make_pipe(p, O_DIRECT | O_NONBLOCK);
	write(p[1], "abc", 3);
	write(p[1], "defgh", 5);
	write(p[1], "0123456789", 10);
	printf("packet 1: %zd\n", read(p[0], buf, sizeof(buf)));
	printf("packet 2: %zd\n", read(p[0], buf, sizeof(buf)));
	printf("4 of packet 3: %zd '%.4s'\n", read(p[0], buf, 4), buf);
	guest_check_err("its rest is dropped", read(p[0], buf, sizeof(buf)), EAGAIN);
	close_pipe(p);
}

static void pipe_eof_epipe(void)
{
	uint64_t h;
	long got;
	char buf[16];
	int p[2];

	/* Blocking mode: a whole 64 KiB write fits an empty pipe. */
	make_pipe(p, 0);
	printf("blocking 64 KiB write: %zd\n", write(p[1], data, PIPE_DEFAULT));
	close(p[1]);
	got = drain(p[0], 1000, &h);
	printf("after closing the write end: %ld bytes, then %zd (EOF)\n", got,
	       read(p[0], buf, sizeof(buf)));
	close(p[0]);

	signal(SIGPIPE, SIG_IGN);
	make_pipe(p, 0);
	close(p[0]);
	guest_check_err("write without readers", write(p[1], "x", 1), EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

/* stdout goes through the pipe for a while. */
static void pipe_stdout(void)
{
	char buf[64] = "";
	int p[2], saved;

	fflush(stdout);
	make_pipe(p, 0);
	saved = dup(1);
	guest_check("dup2 onto fd 1", dup2(p[1], 1) == 1);
	write(1, "through fd 1\n", 13);
	guest_check("dup2 back", dup2(saved, 1) == 1);
	close(saved);
	close(p[1]);
	printf("FIONREAD %d\n", unread(p[0]));
	printf("read %zd: %s", read(p[0], buf, sizeof(buf) - 1), buf);
	printf("then EOF: %zd\n", read(p[0], buf, sizeof(buf)));
	close(p[0]);
}

/* Killed by SIGPIPE: its default action. */
static int pipe_sigpipe(void)
{
	int p[2];

	make_pipe(p, 0);
	close(p[0]);
	printf("writing to a pipe without readers\n");
	fflush(stdout);
	write(p[1], "x", 1);
	printf("BAD still alive: %s\n", guest_errname(errno));
	return 1;
}

int main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	if (argc > 1 && !strcmp(argv[1], "sigpipe"))
		return pipe_sigpipe();
	pipe_basics();
	pipe_nonblock();
	pipe_setsize();
	pipe_packets();
	pipe_eof_epipe();
	pipe_stdout();
	return guest_finish();
}
