/*
 * Guest test, area pseudo-terminals: /dev/ptmx and /dev/pts (posix_openpt,
 * grantpt, unlockpt, ptsname, openpty, TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER),
 * stat of both ends, isatty, ttyname and /proc/self/fd, termios shared by
 * both ends, the canonical line discipline (ERASE, KILL, WERASE, EOF, EOL,
 * echo with ECHOE/ECHOCTL, ICRNL, ONLCR), raw mode with VMIN/VTIME,
 * O_NONBLOCK, FIONREAD, TCFLSH, poll, a controlling terminal (O_NOCTTY,
 * TIOCSCTTY, tcgetpgrp) with ISIG's SIGINT/SIGQUIT/SIGTSTP and SIGWINCH,
 * and hang-up on either side (EIO on the master, EOF and EIO on the slave,
 * SIGHUP to the session leader).  /dev/pts takes no files or directories
 * (EACCES, EPERM: devpts has no create or mkdir).
 *
 * The line discipline runs asynchronously on Linux (a worker moves what the
 * master writes into the slave's buffer), so after every write to the
 * master the test first reads the echo back: once the echo is there, the
 * input has been processed.  Device numbers of /dev/pts/N and the mode of the
 * slave depend on the machine's devpts, so only their kind is printed.
 *
 * To own a controlling terminal the program must lead a session: natively
 * setsid() makes it one (tests/run.sh starts it under timeout(1), so it is no
 * process-group leader); in monos the program is pid 1 and leads its
 * session already (setsid fails there), so its result is not printed.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#define DEVPTS_SUPER_MAGIC 0x1cd1 /* linux/magic.h */
#define WAIT_MS		   5000	  /* how long output may take to come through */
#define BIG_BYTES	   100000 /* more than a pty buffers: the writer must wait */

static volatile sig_atomic_t caught[65];

static void on_signal(int sig)
{
	caught[sig]++;
}

/* Print `n` bytes of `p` with control bytes escaped, after `label`. */
static void show(const char *label, const char *p, long n)
{
	printf("%s: %ld \"", label, n);
	for (long i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '\r')
			printf("\\r");
		else if (c == '\n')
			printf("\\n");
		else if (c == '\b')
			printf("\\b");
		else if (c < 32 || c >= 127)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

/* Read from `fd` until `want` bytes came or nothing more came in time;
 * shows what was read, and fails if it was less than `want`. */
static long drain(const char *label, int fd, long want)
{
	char buf[512] = "";
	long got = 0, r;

	while (got < want && got < (long)sizeof(buf)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, WAIT_MS) != 1)
			break;
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r <= 0)
			break;
		got += r;
	}
	show(label, buf, got);
	if (got < want) {
		printf("BAD %s: %ld bytes short\n", label, want - got);
		guest_bad++;
	}
	return got;
}

/* Type `s` on the master and read back the `echo` bytes it should give. */
static void type(int m, const char *s, long echo)
{
	char label[64];

	if (write(m, s, strlen(s)) != (long)strlen(s))
		printf("BAD write to the master: %s\n", guest_errname(errno));
	snprintf(label, sizeof(label), "echo %zu", strlen(s));
	drain(label, m, echo);
}

static void slave_read(const char *label, int s, size_t n)
{
	char buf[256];
	long r = read(s, buf, n);

	if (r < 0)
		printf("%s: %s\n", label, guest_errname(errno));
	else
		show(label, buf, r);
}

/* Type a line on the master, read its echo, then read it from the slave. */
static void typed_line(int m, int s, const char *typed, long echo, const char *label)
{
	type(m, typed, echo);
	slave_read(label, s, 100);
}

static int unread(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) == 0 ? n : -errno;
}

static short poll_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void set_lflag(int fd, tcflag_t on, tcflag_t off)
{
	struct termios t;

	tcgetattr(fd, &t);
	t.c_lflag = (t.c_lflag | on) & ~off;
	tcsetattr(fd, TCSANOW, &t);
}

static void set_iflag(int fd, tcflag_t on, tcflag_t off)
{
	struct termios t;

	tcgetattr(fd, &t);
	t.c_iflag = (t.c_iflag | on) & ~off;
	tcsetattr(fd, TCSANOW, &t);
}

static void set_cc(int fd, int idx, cc_t v)
{
	struct termios t;

	tcgetattr(fd, &t);
	t.c_cc[idx] = v;
	tcsetattr(fd, TCSANOW, &t);
}

/* A new pair through posix_openpt, grantpt, unlockpt and ptsname. */
static int new_pair(int *slave, int slave_flags)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) || unlockpt(m)) {
		printf("BAD posix_openpt/grantpt/unlockpt: %s\n", guest_errname(errno));
		exit(1);
	}
	*slave = open(ptsname(m), O_RDWR | slave_flags);
	if (*slave < 0)
		printf("BAD open %s: %s\n", "the slave", guest_errname(errno));
	return m;
}

static void test_names(void)
{
	struct stat st, st2;
	char link[64], path[64];
	unsigned n = ~0u;
	int lock = -1, m = posix_openpt(O_RDWR | O_NOCTTY), s;

	guest_check("stat /dev/ptmx: char device 5,2",
		    !stat("/dev/ptmx", &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 &&
			    minor(st.st_rdev) == 2);
	guest_check("posix_openpt", m >= 0);
	guest_check("fstat of the master: 5,2",
		    !fstat(m, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 2));
	guest_check("grantpt", grantpt(m) == 0);
	guest_check_err("TIOCGPTN", ioctl(m, TIOCGPTN, &n), 0);
	snprintf(path, sizeof(path), "/dev/pts/%u", n);
	guest_check("ptsname is /dev/pts/<TIOCGPTN>", ptsname(m) && !strcmp(ptsname(m), path));
	guest_check("locked at first", !ioctl(m, TIOCGPTLCK, &lock) && lock == 1);
	guest_check_err("open the slave while locked", open(path, O_RDWR | O_NOCTTY), EIO);
	guest_check("unlockpt", unlockpt(m) == 0);
	guest_check("unlocked", !ioctl(m, TIOCGPTLCK, &lock) && lock == 0);
	s = open(path, O_RDWR | O_NOCTTY);
	guest_check("open the slave", s >= 0);
	guest_check("isatty on both ends", isatty(m) && isatty(s));
	guest_check("ttyname of the slave", ttyname(s) && !strcmp(ttyname(s), path));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
	memset(path + 32, 0, 32);
	guest_check("/proc/self/fd link of the slave",
		    readlink(link, path + 32, 31) > 0 && !strcmp(path + 32, path));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m);
	memset(path + 32, 0, 32);
	/* Containers make /dev/ptmx a link to pts/ptmx. */
	guest_check("/proc/self/fd link of the master: /dev/ptmx or /dev/pts/ptmx",
		    readlink(link, path + 32, 31) > 0 && (!strcmp(path + 32, "/dev/ptmx") ||
							  !strcmp(path + 32, "/dev/pts/ptmx")));
	guest_check("fstat of the slave: char device 136,<TIOCGPTN>",
		    !fstat(s, &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) == 136 &&
			    minor(st.st_rdev) == n);
	guest_check("stat of /dev/pts/N is the slave",
		    !stat(path, &st2) && st2.st_ino == st.st_ino && st2.st_dev == st.st_dev);
	guest_check("/dev/pts is a directory", !stat("/dev/pts", &st) && S_ISDIR(st.st_mode));
	guest_check("/dev/pts is devpts", ({
			    struct statfs sf;
			    !statfs("/dev/pts", &sf) && sf.f_type == DEVPTS_SUPER_MAGIC;
		    }));
	guest_check("/dev/pts/ptmx: char device 5,2", !stat("/dev/pts/ptmx", &st) &&
							      S_ISCHR(st.st_mode) &&
							      st.st_rdev == makedev(5, 2));
	guest_check_err("the master reads nothing before the slave writes", ({
				int fl = fcntl(m, F_GETFL);
				fcntl(m, F_SETFL, fl | O_NONBLOCK);
				long r = read(m, link, 1);
				fcntl(m, F_SETFL, fl);
				r;
			}),
			EAGAIN);
	guest_check_err("TIOCGPTN on the slave", ioctl(s, TIOCGPTN, &n), ENOTTY);
	guest_check("O_PATH open, fstat and close of /dev/pts/N", ({
			    int o = open(path, O_PATH);
			    o >= 0 && !fstat(o, &st2) && S_ISCHR(st2.st_mode) && !close(o);
		    }));
	int held = open(path, O_PATH);
	guest_check("O_PATH open and close of /dev/ptmx", ({
			    int o = open("/dev/ptmx", O_PATH);
			    o >= 0 && !close(o);
		    }));
	guest_check_err("TIOCGPTN on a pipe", ioctl(1, TIOCGPTN, &n), ENOTTY);
	/* Terminal ioctls are the files' own now: FIONREAD on an eventfd once
	 * answered with the console's stdin count. */
	int efd = eventfd(0, 0);
	guest_check_err("FIONREAD on an eventfd", ioctl(efd, FIONREAD, &n), ENOTTY);
	close(efd);
	close(s);
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	guest_check("TIOCGPTPEER opens the slave",
		    s >= 0 && !fstat(s, &st) && major(st.st_rdev) == 136 && minor(st.st_rdev) == n);
	close(s);
	close(m);
	guest_check("an O_PATH file of /dev/pts/N outlives its pair",
		    !fstat(held, &st) && S_ISCHR(st.st_mode) && !close(held));
}

static void test_termios(int m, int s)
{
	struct termios ts, tm;
	struct winsize w = { 0 };

	/* The kernel fills 19 of glibc's 32 c_cc: clear the rest to compare. */
	memset(&ts, 0, sizeof(ts));
	memset(&tm, 0, sizeof(tm));
	guest_check("tcgetattr on both ends", !tcgetattr(s, &ts) && !tcgetattr(m, &tm));
	guest_check("both ends share one termios", !memcmp(&ts, &tm, sizeof(ts)));
	guest_check("iflag ICRNL IXON", (ts.c_iflag & (ICRNL | IXON)) == (ICRNL | IXON));
	guest_check("oflag OPOST ONLCR", (ts.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR));
	guest_check(
		"lflag ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN",
		(ts.c_lflag & (ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN)) ==
			(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN));
	printf("flags: iflag %o oflag %o cflag %o lflag %o\n", ts.c_iflag, ts.c_oflag, ts.c_cflag,
	       ts.c_lflag);
	printf("cc: intr %d quit %d erase %d kill %d eof %d min %d time %d werase %d\n",
	       ts.c_cc[VINTR], ts.c_cc[VQUIT], ts.c_cc[VERASE], ts.c_cc[VKILL], ts.c_cc[VEOF],
	       ts.c_cc[VMIN], ts.c_cc[VTIME], ts.c_cc[VWERASE]);
	ts.c_lflag &= ~ECHOCTL;
	guest_check("tcsetattr on the slave", !tcsetattr(s, TCSANOW, &ts));
	guest_check("seen from the master", !tcgetattr(m, &tm) && !(tm.c_lflag & ECHOCTL));
	tm.c_lflag |= ECHOCTL;
	guest_check("TCSADRAIN on the master", !tcsetattr(m, TCSADRAIN, &tm));
	guest_check("seen from the slave", !tcgetattr(s, &ts) && (ts.c_lflag & ECHOCTL));
	guest_check("TCSAFLUSH", !tcsetattr(s, TCSAFLUSH, &ts));
	guest_check("window size starts at 0", !ioctl(s, TIOCGWINSZ, &w) && !w.ws_row && !w.ws_col);
	guest_check_err("tcgetattr on a pipe", tcgetattr(1, &ts), ENOTTY);
}

static void test_canonical(int m, int s)
{
	typed_line(m, s,
		   "abc\x7f"
		   "d\n",
		   9, "ERASE");
	typed_line(m, s, "xyz\x15ok\n", 13, "KILL");
	typed_line(m, s, "one two\x17three\n", 18, "WERASE");
	typed_line(m, s, "\x7f\x15q\r", 3, "erase at the start, ICRNL");
	typed_line(m, s, "\x01\x7fz\n", 8, "ECHOCTL and erasing a control");
	typed_line(m, s, "a\tb\x7f\x7f\n", 15, "erasing a tab");
	typed_line(m, s, "x\xc3\xa9\x7f\n", 8, "erasing a byte of UTF-8 without IUTF8");
	set_iflag(s, IUTF8, 0);
	typed_line(m, s, "x\xc3\xa9\x7f\n", 8, "erasing a UTF-8 character with IUTF8");
	set_iflag(s, 0, IUTF8);
	typed_line(m, s, "w  \x17\x17v\n", 15, "WERASE over spaces");
	typed_line(m, s,
		   "a\x16\x03\x16\x7f"
		   "b\n",
		   12, "LNEXT");
	typed_line(m, s,
		   "ab\x12"
		   "c\n",
		   11, "REPRINT");
	typed_line(m, s, "ab\x04", 2, "EOF after text");
	typed_line(m, s, "\x04", 0, "EOF at the start");
	set_cc(s, VEOL, '!');
	typed_line(m, s, "hi!", 3, "EOL");
	set_cc(s, VEOL, 0);
	type(m, "par", 3);
	printf("FIONREAD with a partial line: %d\n", unread(s));
	guest_check("no POLLIN with a partial line", !(poll_now(s, POLLIN) & POLLIN));
	type(m, "tial\nnext\n", 12);
	printf("FIONREAD with two lines: %d\n", unread(s));
	guest_check("POLLIN with a line", poll_now(s, POLLIN) & POLLIN);
	slave_read("a short read", s, 3);
	slave_read("the rest of the line", s, 100);
	slave_read("the next line", s, 100);
	set_lflag(s, 0, ECHO);
	typed_line(m, s, "secret\n", 0, "ECHO off");
	set_lflag(s, ECHONL, 0);
	typed_line(m, s, "nl\n", 2, "ECHONL");
	set_lflag(s, ECHO, ECHONL | ECHOE);
	typed_line(m, s, "ab\x7f\n", 5, "ERASE without ECHOE");
	set_lflag(s, ECHOE, 0);
}

static void test_output(int m, int s)
{
	struct termios t;

	guest_check("write to the slave", write(s, "x\ny\n", 4) == 4);
	drain("ONLCR", m, 6);
	tcgetattr(s, &t);
	t.c_oflag &= ~OPOST;
	tcsetattr(s, TCSANOW, &t);
	guest_check("write with OPOST off", write(s, "x\ny", 3) == 3);
	drain("OPOST off", m, 3);
	t.c_oflag |= OPOST | OCRNL;
	tcsetattr(s, TCSANOW, &t);
	guest_check("write with OCRNL", write(s, "a\rb", 3) == 3);
	drain("OCRNL", m, 3);
	t.c_oflag &= ~OCRNL;
	tcsetattr(s, TCSANOW, &t);
	guest_check("POLLOUT on the slave", poll_now(s, POLLOUT) & POLLOUT);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	guest_check("epoll: the master added", !epoll_ctl(ep, EPOLL_CTL_ADD, m, &ev));
	guest_check("epoll: nothing to read yet", epoll_wait(ep, &ev, 1, 0) == 0);
	guest_check("write to the slave", write(s, "xyz", 3) == 3);
	guest_check("epoll: the master readable", epoll_wait(ep, &ev, 1, WAIT_MS) == 1);
	close(ep);
	guest_check("POLLIN on the master",
		    poll_now(m, POLLIN) & POLLIN ||
			    (poll(&(struct pollfd){ m, POLLIN, 0 }, 1, WAIT_MS) == 1));
	printf("FIONREAD on the master: %d\n", unread(m));
	guest_check("TCFLSH of the master's input", !tcflush(m, TCIFLUSH));
	printf("FIONREAD on the master after it: %d\n", unread(m));
}

struct delayed {
	int fd;
	const char *s;
};

/* Write a string to the master after a moment, while the main thread
 * waits in read. */
static void *write_later(void *arg)
{
	struct delayed *d = arg;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (write(d->fd, d->s, strlen(d->s)) < 0)
		printf("BAD delayed write: %s\n", guest_errname(errno));
	return NULL;
}

static void read_while_typed(int m, int s, const char *typed, const char *label)
{
	struct delayed d = { m, typed };
	pthread_t th;

	pthread_create(&th, NULL, write_later, &d);
	slave_read(label, s, 100);
	pthread_join(th, NULL);
}

static void test_raw(int m, int s)
{
	struct termios t, saved;
	struct timespec a, b;
	int fl;

	tcgetattr(s, &saved);
	t = saved;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	read_while_typed(m, s, "r\x7f\r", "raw: no editing, ICRNL");
	t.c_iflag &= ~ICRNL;
	tcsetattr(s, TCSANOW, &t);
	read_while_typed(m, s, "\r", "raw without ICRNL");
	t.c_cc[VMIN] = 0;
	tcsetattr(s, TCSANOW, &t);
	slave_read("VMIN 0 VTIME 0, nothing there", s, 100);
	t.c_cc[VTIME] = 1;
	tcsetattr(s, TCSANOW, &t);
	clock_gettime(CLOCK_MONOTONIC, &a);
	slave_read("VMIN 0 VTIME 1, nothing there", s, 100);
	clock_gettime(CLOCK_MONOTONIC, &b);
	guest_check("VTIME 1 waited about 0.1 s",
		    (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 90);
	/* Long enough that a loaded machine still types within it; the read
	 * returns with the byte, not at the end. */
	t.c_cc[VTIME] = 100;
	tcsetattr(s, TCSANOW, &t);
	read_while_typed(m, s, "t", "VMIN 0 VTIME 100, a byte comes");
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	if (write(m, "a", 1) != 1)
		printf("BAD write\n");
	read_while_typed(m, s, "bc", "VMIN 3 waits for three bytes");
	t.c_cc[VMIN] = 1;
	tcsetattr(s, TCSANOW, &t);
	fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	guest_check_err("O_NONBLOCK read with nothing there", read(s, &fl, 1), EAGAIN);
	fcntl(s, F_SETFL, fl);
	t.c_lflag |= ECHO;
	tcsetattr(s, TCSANOW, &t);
	type(m, "abc", 3);
	printf("FIONREAD in raw mode: %d\n", unread(s));
	guest_check("TCFLSH of the slave's input", !tcflush(s, TCIFLUSH));
	printf("FIONREAD after TCIFLUSH: %d\n", unread(s));
	type(m, "pend", 4);
	tcsetattr(s, TCSANOW, &saved);
	printf("raw input, then ICANON on: FIONREAD %d\n", unread(s));
	slave_read("read as one line", s, 100);
}

/* A session leader without a terminal opens a slave without O_NOCTTY: it
 * becomes the controlling terminal, and its ISIG characters signal us. */
static int test_ctty(int *mp)
{
	int other_s, other_m = new_pair(&other_s, O_NOCTTY), s, m;
	struct winsize w = { 24, 80, 0, 0 };
	struct sigaction sa = { .sa_handler = on_signal };

	(void)setsid(); /* natively; in monos the program leads its session */
	guest_check_err("tcgetpgrp of a terminal opened with O_NOCTTY", tcgetpgrp(other_s), ENOTTY);
	m = new_pair(&s, 0);
	guest_check("opened without O_NOCTTY: our controlling terminal", tcgetpgrp(s) == getpgrp());
	guest_check("tcgetpgrp on the master too", tcgetpgrp(m) == getpgrp());
	guest_check("TIOCGSID", ({
			    pid_t sid = -1;
			    !ioctl(s, TIOCGSID, &sid) && sid == getsid(0);
		    }));
	guest_check_err("TIOCSCTTY on a second terminal", ioctl(other_s, TIOCSCTTY, 0), EPERM);
	guest_check_err("TIOCSCTTY on our own", ioctl(s, TIOCSCTTY, 0), 0);
	guest_check_err("tcsetpgrp to our group", tcsetpgrp(s, getpgrp()), 0);
	close(other_s);
	close(other_m);
	int t = open("/dev/tty", O_RDWR);
	guest_check("/dev/tty is the controlling terminal", t >= 0 && write(t, "T", 1) == 1);
	drain("written through /dev/tty", m, 1);
	close(t);
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	type(m, "ab", 2);
	type(m, "\x03", 2);
	printf("SIGINT: %d\n", caught[SIGINT]);
	printf("FIONREAD after it (input flushed): %d\n", unread(s));
	type(m, "\x1c", 2);
	printf("SIGQUIT: %d\n", caught[SIGQUIT]);
	type(m, "\x1a", 2);
	printf("SIGTSTP: %d\n", caught[SIGTSTP]);
	typed_line(m, s, "z\n", 3, "read after the signals");
	set_lflag(s, NOFLSH, 0);
	type(m, "keep", 4);
	type(m, "\x03", 2);
	printf("SIGINT with NOFLSH: %d, FIONREAD %d\n", caught[SIGINT], unread(s));
	typed_line(m, s, "\n", 2, "kept");
	set_lflag(s, 0, ISIG);
	typed_line(m, s, "\x03\n", 4, "ISIG off");
	set_lflag(s, ISIG | NOFLSH, 0);
	printf("SIGINT with ISIG off: %d\n", caught[SIGINT]);
	guest_check("TIOCSWINSZ on the master", !ioctl(m, TIOCSWINSZ, &w));
	printf("SIGWINCH: %d\n", caught[SIGWINCH]);
	guest_check("TIOCSWINSZ again, the same size", !ioctl(m, TIOCSWINSZ, &w));
	printf("SIGWINCH after the same size: %d\n", caught[SIGWINCH]);
	memset(&w, 0, sizeof(w));
	guest_check("TIOCGWINSZ on the slave",
		    !ioctl(s, TIOCGWINSZ, &w) && w.ws_row == 24 && w.ws_col == 80);
	*mp = m;
	return s;
}

static char big_read[BIG_BYTES];
static long big_got;

/* Reads what the slave writes; main prints it after the join, so the two
 * threads' lines come in one order natively and in monos. */
static void *read_big(void *arg)
{
	int m = *(int *)arg;
	long r;

	while (big_got < BIG_BYTES && (r = read(m, big_read + big_got, BIG_BYTES - big_got)) > 0)
		big_got += r;
	return NULL;
}

/* The slave writes more than the pair buffers while a thread reads. */
static void test_big(void)
{
	static char data[BIG_BYTES];
	int s, m = new_pair(&s, O_NOCTTY);
	struct termios t;
	pthread_t th;
	long done = 0, r;

	for (long i = 0; i < BIG_BYTES; i++)
		data[i] = 'a' + i % 26;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	pthread_create(&th, NULL, read_big, &m);
	while (done < BIG_BYTES && (r = write(s, data + done, BIG_BYTES - done)) > 0)
		done += r;
	printf("the slave wrote %ld bytes\n", done);
	pthread_join(th, NULL);
	printf("the master read %ld bytes, fnv %016llx\n", big_got,
	       (unsigned long long)guest_fnv(GUEST_FNV_INIT, big_read, big_got));
	close(s);
	close(m);
}

/* The slave's last close: the master reads what is left, then EIO. */
static void test_hangup(void)
{
	int s, m = new_pair(&s, O_NOCTTY), s2;
	char c;

	guest_check("write before the close", write(s, "bye\n", 4) == 4);
	close(s);
	drain("the master after the slave's close", m, 5);
	guest_check("POLLHUP on the master", poll_now(m, POLLIN) & POLLHUP);
	guest_check_err("then reading the master", read(m, &c, 1), EIO);
	s2 = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	guest_check("the slave reopened", s2 >= 0);
	guest_check("no POLLHUP once it is open again", !(poll_now(m, POLLIN) & POLLHUP));
	close(m);
	guest_check_err("read from the slave after the master's close", read(s2, &c, 1), 0);
	guest_check_err("write to it", write(s2, "x", 1), EIO);
	guest_check("POLLHUP on the slave", poll_now(s2, POLLIN) & POLLHUP);
	close(s2);
}

/* IXON: STOP typed on the master stops the slave's output (echoes wait),
 * START lets it go; tcflow does the same from the slave's side. */
static void test_flow(void)
{
	int s, m = new_pair(&s, O_NOCTTY), fl = fcntl(s, F_GETFL), i;

	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	guest_check("typing STOP", write(m, "\x13", 1) == 1);
	for (i = 0; i < WAIT_MS / 10 && (poll_now(s, POLLOUT) & POLLOUT); i++)
		usleep(10000);
	guest_check("output stopped: no POLLOUT on the slave", !(poll_now(s, POLLOUT) & POLLOUT));
	guest_check_err("a write while stopped", write(s, "out", 3), EAGAIN);
	guest_check("typing while stopped", write(m, "a", 1) == 1);
	guest_check("typing START", write(m, "\x11", 1) == 1);
	drain("the echo held while stopped", m, 1);
	guest_check("a write after START", write(s, "X", 1) == 1);
	drain("then", m, 1);
	guest_check("tcflow TCOOFF", !tcflow(s, TCOOFF));
	guest_check_err("a write after it", write(s, "Y", 1), EAGAIN);
	guest_check("tcflow TCOON", !tcflow(s, TCOON));
	guest_check("tcflow TCIOFF", !tcflow(s, TCIOFF));
	drain("TCIOFF sends", m, 1);
	guest_check("tcflow TCION", !tcflow(s, TCION));
	drain("TCION sends", m, 1);
	fcntl(s, F_SETFL, fl);
	typed_line(m, s, "\n", 2, "the line typed while stopped");
	guest_check_err("tcflow with a bad action", tcflow(s, 9), EINVAL);
	close(s);
	close(m);
}

/* openpty with termios and window size, as terminal emulators call it. */
static void test_openpty(void)
{
	struct termios t;
	struct winsize w = { 30, 100, 0, 0 }, got = { 0 };
	int m, s;

	memset(&t, 0, sizeof(t));
	tcgetattr(1, &t); /* fails on a pipe: t stays zero, raw */
	t.c_cflag = CS8 | CREAD;
	cfsetspeed(&t, B38400);
	guest_check("openpty", !openpty(&m, &s, NULL, &t, &w));
	guest_check("its window size", !ioctl(s, TIOCGWINSZ, &got) && got.ws_col == 100);
	guest_check("its termios", !tcgetattr(m, &t) && !(t.c_lflag & ICANON));
	close(s);
	close(m);
}

/* devpts makes its own nodes only (once monos made a tmpfs file there). */
static void test_no_files(void)
{
	guest_check_err("create in /dev/pts", open("/dev/pts/monos-x", O_CREAT | O_RDWR, 0600),
			EACCES);
	guest_check_err("mkdir in /dev/pts", mkdir("/dev/pts/monos-d", 0700), EPERM);
}

int main(void)
{
	int m, s;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (access("/dev/ptmx", F_OK)) {
		printf("skip: no /dev/ptmx\n");
		return 0;
	}
	test_names();
	test_no_files();
	m = new_pair(&s, O_NOCTTY);
	test_termios(m, s);
	test_canonical(m, s);
	test_output(m, s);
	test_raw(m, s);
	close(s);
	close(m);
	test_big();
	test_hangup();
	test_flow();
	test_openpty();
	s = test_ctty(&m);
	close(m);
	printf("SIGHUP when the master of our terminal closed: %d\n", caught[SIGHUP]);
	char c;
	guest_check_err("our terminal, hung up: read", read(s, &c, 1), 0);
	close(s);
	return guest_finish();
}
