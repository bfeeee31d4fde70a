/*
 * Guest test, area terminals and job control: a background process group
 * and its session's controlling terminal (a pty here), as a shell's `cmd &`
 * meets it.  A read from the background stops the group with SIGTTIN (or
 * fails with EIO when SIGTTIN is ignored); a write goes through unless
 * TOSTOP is set, then stops it with SIGTTOU (or goes through when SIGTTOU
 * is ignored or blocked); tcsetattr from the background stops it with
 * SIGTTOU; the foreground group reads and writes freely.  A child leads a
 * session of its own with the pty as its controlling terminal, so the run
 * does not depend on how the test was started.  Each process is forked by
 * this program only (no re-exec).
 */
#include "guest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>

enum { TRY_READ, TRY_WRITE, TRY_TCSETATTR };

static const char *const try_name[] = { "read", "write", "tcsetattr" };

/* In a background group of its own, `what` on the terminal `slave`, with
 * `ignore` (0 or a signal) set to SIG_IGN first; reports how it ended. */
static void background(int slave, int what, int ignore)
{
	struct termios tio;
	int st;
	pid_t pid;

	fflush(stdout); /* or the child's exit writes it again */
	pid = fork();

	if (pid == 0) {
		char c;
		long r = 0;

		setpgid(0, 0);
		if (ignore)
			signal(ignore, SIG_IGN);
		if (what == TRY_READ)
			r = read(slave, &c, 1);
		else if (what == TRY_WRITE)
			r = write(slave, "x", 1);
		else if (tcgetattr(slave, &tio) == 0)
			r = tcsetattr(slave, TCSANOW, &tio);
		printf("  %s went on: %s\n", try_name[what], r < 0 ? strerror(errno) : "ok");
		fflush(stdout);
		_exit(0);
	}
	setpgid(pid, pid);
	if (waitpid(pid, &st, WUNTRACED) != pid) {
		printf("  waitpid failed\n");
		return;
	}
	if (WIFSTOPPED(st)) {
		printf("  %s stopped the group by %s\n", try_name[what],
		       WSTOPSIG(st) == SIGTTIN	 ? "SIGTTIN"
		       : WSTOPSIG(st) == SIGTTOU ? "SIGTTOU"
						 : "another signal");
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}

/* The session leader: the pty's slave is its controlling terminal. */
static int leader(const char *name)
{
	struct termios tio;
	int slave;

	setsid();
	slave = open(name, O_RDWR);
	guest_check("the slave opens as the controlling terminal", slave >= 0);
	guest_check("the leader's group is the foreground", tcgetpgrp(slave) == getpgrp());
	printf("background read:\n");
	background(slave, TRY_READ, 0);
	printf("background read, SIGTTIN ignored:\n");
	background(slave, TRY_READ, SIGTTIN);
	printf("background write, TOSTOP clear:\n");
	background(slave, TRY_WRITE, 0);
	tcgetattr(slave, &tio);
	tio.c_lflag |= TOSTOP;
	guest_check("the foreground sets TOSTOP", tcsetattr(slave, TCSANOW, &tio) == 0);
	printf("background write, TOSTOP set:\n");
	background(slave, TRY_WRITE, 0);
	printf("background write, TOSTOP set, SIGTTOU ignored:\n");
	background(slave, TRY_WRITE, SIGTTOU);
	printf("background tcsetattr:\n");
	background(slave, TRY_TCSETATTR, 0);
	guest_check("the foreground writes with TOSTOP set", write(slave, "y", 1) == 1);
	return guest_bad != 0;
}

int main(int argc, char **argv)
{
	int master, st;
	pid_t pid;

	if (argc > 1) {
		fprintf(stderr, "usage: %s (no arguments)\n", argv[0]);
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	guest_check("posix_openpt", master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int r = leader(ptsname(master));

		fflush(stdout);
		_exit(r);
	}
	guest_check("the leader ends well",
		    waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return guest_bad != 0;
}
