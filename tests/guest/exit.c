/*
 * Guest test, area exit: the exit status reaches the host intact, however
 * the program ends.  argv[1] chooses how, argv[2] the status:
 *   exit N    exit(N) from libc (atexit handlers and stdio flush run)
 *   return N  return N from main
 *   raw N     exit_group(N) as a raw system call: nothing is flushed, so
 *             the line written before it goes out with write(2)
 *   flush     printf without a newline, then return 0: libc's flush at
 *             exit must deliver the pending bytes
 */
#include "guest.h"

#include <stdlib.h>

static void exit_atexit(void)
{
	printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
	int status = argc > 2 ? atoi(argv[2]) : 0;

	if (argc < 2) {
		fprintf(stderr, "usage: exit exit|return|raw N | exit flush\n");
		return 2;
	}
	if (strcmp(argv[1], "exit") == 0) {
		atexit(exit_atexit);
		printf("exiting with exit(%d)\n", status);
		exit(status);
	}
	if (strcmp(argv[1], "return") == 0) {
		printf("returning %d from main\n", status);
		return status;
	}
	if (strcmp(argv[1], "raw") == 0) {
		static const char msg[] = "calling exit_group directly\n";

		printf("this buffered line is lost\n");
		write(1, msg, sizeof(msg) - 1);
		syscall(SYS_exit_group, status);
		return 99; /* not reached */
	}
	if (strcmp(argv[1], "flush") == 0) {
		printf("no newline at the end, flushed at exit");
		fprintf(stderr, "stderr too, no newline");
		return 0;
	}
	fprintf(stderr, "exit: unknown mode %s\n", argv[1]);
	return 2;
}
