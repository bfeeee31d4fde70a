/*
 * Guest test, area processes and /proc: a process's state letter through
 * job control.  A child asleep in pause() reads S in /proc/PID/stat and
 * "S (sleeping)" in /proc/PID/status; stopped by SIGSTOP (seen by
 * waitpid's WUNTRACED) it reads T and "T (stopped)", in its task's files
 * too; continued by SIGCONT (WCONTINUED) it reads S again; and a zombie
 * reads Z.  ps and top show these letters.  The child is forked by this
 * program only (no re-exec).
 */
#include "guest.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

/* The state letter of /proc/PID/stat (the field after the ")"). */
static char stat_state(const char *path)
{
	char buf[512], *paren;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* The State: line of /proc/PID/status, without its newline. */
static void status_state(const char *path, char *out, size_t len)
{
	char line[256];
	FILE *f = fopen(path, "r");

	snprintf(out, len, "(none)");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:\t", 7)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, len, "%.60s", line + 7);
			break;
		}
	if (f)
		fclose(f);
}

static void show(const char *when, pid_t pid)
{
	char stat[64], task[64], status[64], state[64];

	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
	snprintf(task, sizeof(task), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
	snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
	status_state(status, state, sizeof(state));
	printf("%s: stat %c, task stat %c, status %s\n", when, stat_state(stat), stat_state(task),
	       state);
}

/* Wait (5 s at most) until the child's stat reads `want`. */
static void settle(pid_t pid, char want)
{
	char stat[64];

	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500 && stat_state(stat) != want; i++)
		usleep(10000);
}

int main(int argc, char **argv)
{
	int st;
	pid_t pid;

	if (argc > 1) {
		fprintf(stderr, "usage: %s (no arguments)\n", argv[0]);
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	guest_check("fork", pid > 0);
	settle(pid, 'S');
	show("asleep in pause", pid);
	kill(pid, SIGSTOP);
	guest_check("waitpid WUNTRACED sees the stop",
		    waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	show("stopped by SIGSTOP", pid);
	kill(pid, SIGCONT);
	guest_check("waitpid WCONTINUED sees it continue",
		    waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
	settle(pid, 'S');
	show("continued", pid);
	kill(pid, SIGKILL);
	settle(pid, 'Z');
	show("killed, not yet reaped", pid);
	guest_check("reaped", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
	return guest_bad != 0;
}
