/*
 * Guest test, area terminals: the program's own terminal, when fds 0-2 are
 * one (tests/cli/pty_console.sh runs it under script(1), natively and in
 * monos, and compares).  In monos that terminal is the console, served by
 * the same tty layer as the pseudo-terminals: termios set through one fd
 * is seen through the others, the window size set is read back and raises
 * SIGWINCH, the terminal is the controlling one (tcgetpgrp, TIOCGSID,
 * /dev/tty), the other terminal ioctls answer as Linux's, and a resize of the
 * terminal from outside raises SIGWINCH (in monos: the host's terminal,
 * relayed by the CLI).
 */
#include "guest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t winches;

static void on_winch(int sig)
{
	(void)sig;
	winches++;
}

static void test_termios(void)
{
	struct termios t, off, seen;

	guest_check("tcgetattr", !tcgetattr(0, &t));
	off = t;
	off.c_lflag &= ~(ECHO | ICANON);
	guest_check("tcsetattr on fd 0: ECHO and ICANON off", !tcsetattr(0, TCSANOW, &off));
	guest_check("seen through fd 1", !tcgetattr(1, &seen) && !(seen.c_lflag & (ECHO | ICANON)));
	guest_check("TCSAFLUSH on fd 2 restores them", !tcsetattr(2, TCSAFLUSH, &t));
	guest_check("seen through fd 0",
		    !tcgetattr(0, &seen) &&
			    (seen.c_lflag & (ECHO | ICANON)) == (t.c_lflag & (ECHO | ICANON)));
}

static void test_winsize(void)
{
	struct winsize w, big, seen;

	guest_check("TIOCGWINSZ", !ioctl(0, TIOCGWINSZ, &w));
	printf("window size: %d rows, %d columns\n", w.ws_row, w.ws_col);
	big = w;
	big.ws_row += 3;
	big.ws_col += 7;
	guest_check("TIOCSWINSZ", !ioctl(1, TIOCSWINSZ, &big));
	printf("SIGWINCH after a new size: %d\n", winches);
	guest_check("the new size read back", !ioctl(2, TIOCGWINSZ, &seen) &&
						      seen.ws_row == big.ws_row &&
						      seen.ws_col == big.ws_col);
	guest_check("TIOCSWINSZ the same size", !ioctl(1, TIOCSWINSZ, &big));
	printf("SIGWINCH after the same size: %d\n", winches);
	ioctl(1, TIOCSWINSZ, &w);
}

/* ttyname finds the terminal (musl compares stat with fstat, glibc the
 * device numbers), fds 0-2 are one terminal, a devpts node. */
static void test_names(void)
{
	char link[64] = "", name[64] = "";
	struct stat st0, st1, st;

	guest_check("ttyname(0)", !ttyname_r(0, name, sizeof(name)));
	guest_check("it is the link in /proc/self/fd",
		    readlink("/proc/self/fd/0", link, sizeof(link) - 1) > 0 && !strcmp(link, name));
	guest_check("under /dev/pts", !strncmp(name, "/dev/pts/", 9));
	guest_check("fds 0 and 1: one terminal", !fstat(0, &st0) && !fstat(1, &st1) &&
							 st0.st_ino == st1.st_ino &&
							 st0.st_rdev == st1.st_rdev);
	guest_check("stat of its name is the same", !stat(name, &st) && st.st_ino == st0.st_ino &&
							    st.st_dev == st0.st_dev &&
							    st.st_rdev == st0.st_rdev);
}

/* With the argument "resize": wait (up to a minute) for the terminal to be
 * resized from outside (tests/cli/pty_console.sh runs stty on it), then
 * show the new size and the SIGWINCH that came. */
static void wait_for_resize(void)
{
	int before = winches;
	struct winsize w;

	printf("waiting for a resize\n");
	for (int i = 0; i < 600 && winches == before; i++)
		usleep(100000);
	guest_check("TIOCGWINSZ after it", !ioctl(0, TIOCGWINSZ, &w));
	printf("after a resize: %d rows, %d columns, SIGWINCH %d\n", w.ws_row, w.ws_col,
	       winches - before);
}

int main(int argc, char **argv)
{
	struct stat st;
	unsigned n;
	pid_t sid = -1;
	int fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!isatty(0)) {
		printf("stdin is no terminal\n");
		return 0;
	}
	signal(SIGWINCH, on_winch);
	guest_check("isatty on fds 0, 1 and 2", isatty(0) && isatty(1) && isatty(2));
	guest_check("a character device", !fstat(0, &st) && S_ISCHR(st.st_mode));
	test_names();
	test_termios();
	test_winsize();
	guest_check("our controlling terminal: tcgetpgrp", tcgetpgrp(0) == getpgrp());
	guest_check("TIOCGSID", !ioctl(1, TIOCGSID, &sid) && sid == getsid(0));
	guest_check_err("TIOCSCTTY, ours already", ioctl(0, TIOCSCTTY, 0), 0);
	guest_check_err("TIOCGPTN: no pty master", ioctl(0, TIOCGPTN, &n), ENOTTY);
	guest_check("tcflush", !tcflush(0, TCIFLUSH));
	guest_check("tcdrain", !tcdrain(1));
	fd = open("/dev/tty", O_RDWR);
	guest_check("/dev/tty opens", fd >= 0);
	if (fd >= 0 && write(fd, "written to /dev/tty\n", 20) != 20)
		printf("BAD write to /dev/tty\n");
	close(fd);
	if (argc > 1 && !strcmp(argv[1], "resize"))
		wait_for_resize();
	return guest_finish();
}
