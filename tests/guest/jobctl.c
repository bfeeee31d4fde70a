/*
 * Job control: SIGSTOP and SIGTSTP stop a child (its parent sees it with
 * WUNTRACED and waitid's WSTOPPED, and SIGCHLD with CLD_STOPPED), SIGCONT
 * continues it (WCONTINUED, CLD_CONTINUED), a stopped child still dies of
 * SIGKILL, SA_NOCLDSTOP keeps SIGCHLD quiet, and SIGTSTP to a process in an
 * orphaned group is discarded.
 */
#include "guest.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static volatile sig_atomic_t last_code, chld;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	last_code = si->si_code;
	chld++;
}

/* A child that counts to its pipe once a second... it waits in pause. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART };
	int st;
	siginfo_t si;

	setvbuf(stdout, NULL, _IONBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	/* The children are in our group; our parent is in another group of the
	 * session natively (the shell) and none in monos (PID 1 has no parent):
	 * give them a group of their own under us, never orphaned. */
	pid_t pid = sleeper();
	setpgid(pid, pid);

	kill(pid, SIGSTOP);
	guest_check("WUNTRACED reports the stop", waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) &&
							  WSTOPSIG(st) == SIGSTOP);
	while (!chld)
		pause();
	guest_check("SIGCHLD said CLD_STOPPED", last_code == CLD_STOPPED);
	guest_check("the stop is reported once", waitpid(pid, &st, WUNTRACED | WNOHANG) == 0);
	chld = 0;
	kill(pid, SIGCONT);
	guest_check("WCONTINUED reports the continue",
		    waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
	while (!chld)
		pause();
	guest_check("SIGCHLD said CLD_CONTINUED", last_code == CLD_CONTINUED);

	chld = 0;
	kill(pid, SIGTSTP);
	memset(&si, 0, sizeof(si));
	guest_check("waitid WSTOPPED", waitid(P_PID, pid, &si, WSTOPPED) == 0 &&
					       si.si_code == CLD_STOPPED && si.si_status == SIGTSTP);
	kill(pid, SIGKILL);
	guest_check("a stopped child dies of SIGKILL",
		    waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* SA_NOCLDSTOP: the stop is not signalled, but wait still sees it. */
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	chld = 0;
	pid = sleeper();
	setpgid(pid, pid);
	kill(pid, SIGSTOP);
	guest_check("SA_NOCLDSTOP: wait sees the stop", waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	guest_check("and no SIGCHLD came", chld == 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	/* A process in an orphaned group discards SIGTSTP (Linux): the child
	 * leaves our group for a new session, so no parent of its group is in
	 * its session. */
	pid = fork();
	if (pid == 0) {
		setsid();
		raise(SIGTSTP);
		_exit(7); /* not stopped: goes on */
	}
	guest_check("SIGTSTP in an orphaned group is discarded",
		    waitpid(pid, &st, WUNTRACED) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	return guest_bad;
}
