/*
 * Guest program for tests/cli/signals.sh: a long sleeper that host signals
 * must reach.  It prints "ready" (flushed, so the test knows the program
 * runs), then sleeps 60 s in one nanosleep(2).  With argv[1] "ignore" it
 * first sets SIGINT to SIG_IGN, so a SIGINT from the host must neither end it
 * nor cut its sleep short.  With "ignore-term" it sets SIGTERM to SIG_IGN
 * (tests/cli/detach.sh: `monos stop -t` must then SIGKILL it).
 *
 * An interrupted or short sleep is reported on stdout and in the exit status
 * (1), never retried: a test that expects the program to keep sleeping must
 * be able to see that it did not.
 */
#include "guest.h"

#include <signal.h>
#include <time.h>

#define SLEEPER_SECONDS 60

int main(int argc, char **argv)
{
	struct timespec req = { .tv_sec = SLEEPER_SECONDS }, rem = { 0 };

	if (argc > 1 && strcmp(argv[1], "ignore") == 0 && signal(SIGINT, SIG_IGN) == SIG_ERR) {
		perror("signal");
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "ignore-term") == 0 &&
	    signal(SIGTERM, SIG_IGN) == SIG_ERR) {
		perror("signal");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (nanosleep(&req, &rem) != 0) {
		printf("nanosleep: %s, %lld s left\n", guest_errname(errno), (long long)rem.tv_sec);
		return 1;
	}
	printf("slept %d s\n", SLEEPER_SECONDS);
	return 0;
}
