/*
 * RLIMIT_NPROC: a user's fork bomb ends with EAGAIN at the limit, not in a
 * panic or a hang.  The bomb runs as an unprivileged uid (root ignores the
 * limit), in its own process group, so it is cleaned up with one kill; it
 * never forks more than the limit allows, natively either.
 */
#include "guest.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define BOMB_UID 54321 /* a uid no other process on the host uses */
#define LIMIT	 16

int main(void)
{
	int p[2], st;
	pid_t leader;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (getuid() != 0) {
		printf("skipped: needs root to change uid\n");
		return 0;
	}
	if (pipe(p))
		return 1;
	leader = fork();
	if (leader == 0) {
		struct rlimit rl = { LIMIT, LIMIT };
		int forked = 0, err = 0;

		setpgid(0, 0);
		if (setrlimit(RLIMIT_NPROC, &rl) || setgid(BOMB_UID) || setuid(BOMB_UID))
			_exit(2);
		/* Each child forks on, until the limit stops one of them. */
		for (;;) {
			pid_t c = fork();
			if (c < 0) {
				err = errno;
				break;
			}
			if (c > 0) {
				forked++;
				pause(); /* the parent waits to be killed */
				_exit(0);
			}
			if (forked++ > 10 * LIMIT) /* never a real bomb */
				break;
		}
		write(p[1], &err, sizeof(err));
		write(p[1], &forked, sizeof(forked));
		pause();
		_exit(0);
	}
	close(p[1]);
	int err = 0, forked = 0;
	read(p[0], &err, sizeof(err));
	read(p[0], &forked, sizeof(forked));
	guest_check("the bomb ended with EAGAIN", err == EAGAIN);
	guest_check("no more processes than the limit", forked <= LIMIT);
	kill(-leader, SIGKILL);
	/* Reap the leader; the rest go to init (or our reaper) and die. */
	waitpid(leader, &st, 0);
	guest_check("the leader died of SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	leader = fork();
	if (leader == 0)
		_exit(0);
	guest_check("fork works again", leader > 0 && waitpid(leader, &st, 0) == leader);
	return guest_bad;
}
