/*
 * Guest test, area processes: job control, as shells use it (`kill -STOP`,
 * Ctrl-Z's SIGTSTP, `bg`/`fg`'s SIGCONT).  A child stopped by SIGSTOP, or by
 * its own SIGTSTP, is reported to wait4's WUNTRACED and waitid's WSTOPPED
 * (CLD_STOPPED and the signal) and to the parent's SIGCHLD handler;
 * SIGCONT continues it (WCONTINUED, CLD_CONTINUED) and a blocked read it was
 * in goes on; SIGKILL ends a stopped child; SA_NOCLDSTOP silences the stop's
 * SIGCHLD; a child spinning in ring 3 stops too; an ignored SIGTSTP stops
 * nothing; SIGCONT discards a pending stop signal.  Each child is forked by this program only (no re-exec).
 */
#include "guest.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static volatile sig_atomic_t last_code, chld_count;

/* Each child leads a group of its own, whose parent (this program) is in
 * another group of the session, so the group is not orphaned and SIGTSTP
 * stops it, natively under a shell and in monos alike (a program with no
 * parent, as PID 1, makes its own group orphaned, where Linux discards
 * SIGTSTP). */
static pid_t fork_own_group(void)
{
	pid_t pid = fork();

	if (pid == 0)
		setpgid(0, 0);
	else if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	last_code = si->si_code;
	chld_count++;
}

static void set_chld(int flags)
{
	struct sigaction sa = { .sa_sigaction = on_chld,
				.sa_flags = SA_SIGINFO | SA_RESTART | flags };

	sigaction(SIGCHLD, &sa, NULL);
}

/* A child that reads one byte from `fd` (blocked there while stopped and
 * continued), then exits with it. */
static pid_t reader_child(int fd)
{
	pid_t pid = fork_own_group();
	char c = 0;

	if (pid == 0) {
		if (read(fd, &c, 1) != 1)
			_exit(99);
		_exit(c);
	}
	return pid;
}

static void stop_and_continue(void)
{
	int p[2], st = 0;
	pid_t pid;

	if (pipe(p))
		exit(2);
	set_chld(0);
	pid = reader_child(p[0]);
	kill(pid, SIGSTOP);
	guest_check("wait4 WUNTRACED returns the stopped child",
		    waitpid(pid, &st, WUNTRACED) == pid);
	guest_check("WIFSTOPPED, WSTOPSIG SIGSTOP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	guest_check("SIGCHLD with CLD_STOPPED", chld_count == 1 && last_code == CLD_STOPPED);
	guest_check("the stop is reported once", waitpid(pid, &st, WUNTRACED | WNOHANG) == 0);
	kill(pid, SIGCONT);
	guest_check("wait4 WCONTINUED", waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
	guest_check("write to the continued child", write(p[1], "\7", 1) == 1);
	guest_check("its read went on: exit 7",
		    waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	close(p[0]);
	close(p[1]);
}

static void self_stop_waitid(void)
{
	siginfo_t si = { 0 };
	int st = 0, go[2];
	pid_t pid;
	char c;

	/* The child waits for a byte after it is continued: one that exited
	 * at once could end before the parent's WCONTINUED wait, which then
	 * has no continue to report (a race natively under load). */
	if (pipe(go))
		exit(2);
	pid = fork_own_group();
	if (pid == 0) {
		raise(SIGTSTP);
		_exit(read(go[0], &c, 1) == 1 ? 5 : 6);
	}
	guest_check("waitid WSTOPPED", waitid(P_PID, pid, &si, WSTOPPED) == 0);
	guest_check("CLD_STOPPED by SIGTSTP", si.si_code == CLD_STOPPED && si.si_status == SIGTSTP);
	kill(pid, SIGCONT);
	guest_check("waitid WCONTINUED", waitid(P_PID, pid, &si, WCONTINUED) == 0 &&
						 si.si_code == CLD_CONTINUED &&
						 si.si_status == SIGCONT);
	write(go[1], "x", 1);
	close(go[0]);
	close(go[1]);
	guest_check("then it exits 5",
		    waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5);
}

static void kill_stopped(void)
{
	int p[2], st = 0;
	pid_t pid;

	if (pipe(p))
		exit(2);
	set_chld(SA_NOCLDSTOP);
	chld_count = 0;
	pid = reader_child(p[0]);
	kill(pid, SIGSTOP);
	guest_check("stopped (SA_NOCLDSTOP)",
		    waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	guest_check("no SIGCHLD for the stop", chld_count == 0);
	kill(pid, SIGKILL);
	guest_check("SIGKILL ends a stopped child",
		    waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(p[0]);
	close(p[1]);
}

/* A child busy in ring 3 stops on its way back from an interrupt. */
static void spinning_child(void)
{
	int st = 0;
	pid_t pid = fork_own_group();

	if (pid == 0)
		for (volatile unsigned long i = 0;; i++)
			;
	usleep(20000);
	kill(pid, SIGSTOP);
	guest_check("a spinning child stops",
		    waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	kill(pid, SIGCONT);
	kill(pid, SIGTERM);
	guest_check("continued, then SIGTERM ends it",
		    waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

/* SIGTSTP ignored, then a pending SIGTSTP discarded by SIGCONT. */
static void not_stopped(void)
{
	int ready[2], go[2], st = 0;
	char c;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		exit(2);
	pid = fork_own_group();
	if (pid == 0) {
		sigset_t set, pending;
		signal(SIGTSTP, SIG_IGN);
		raise(SIGTSTP);
		signal(SIGTSTP, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, SIGTSTP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(99);
		sigpending(&pending);
		if (sigismember(&pending, SIGTSTP))
			_exit(98);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		_exit(4);
	}
	guest_check("child ready", read(ready[0], &c, 1) == 1);
	kill(pid, SIGTSTP);
	kill(pid, SIGCONT);
	guest_check("go", write(go[1], "g", 1) == 1);
	guest_check("an ignored SIGTSTP and one SIGCONT discarded: exit 4",
		    waitpid(pid, &st, WUNTRACED) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) /* no re-exec here: refuse anything unexpected */
		return 2;
	stop_and_continue();
	self_stop_waitid();
	kill_stopped();
	spinning_child();
	not_stopped();
	return guest_bad != 0;
}
