/*
 * Guest test, area crash: a fault kills the program as Linux would, and the
 * host sees the shell's status 128 + signal.  argv[1] picks the fault:
 *   segv  store through a NULL pointer    SIGSEGV, 139
 *   ill   execute ud2                     SIGILL,  132
 *   fpe   integer division by zero        SIGFPE,  136
 * Each first writes a line with write(2), which must reach the host before
 * the crash.  monos adds "killed by SIG..." on stderr, so the runner compares
 * stdout and the status only.
 */
#include "guest.h"

int main(int argc, char **argv)
{
	/*
	 * The faults are written in assembly: in C they are undefined behaviour
	 * and the compiler may drop them (it does, at -O2).
	 */
	int *null = NULL;
	unsigned zero = 0;
	static const char msg[] = "about to crash\n";

	if (argc < 2) {
		fprintf(stderr, "usage: crash segv|ill|fpe\n");
		return 2;
	}
	write(1, msg, sizeof(msg) - 1);
	if (strcmp(argv[1], "segv") == 0)
		__asm__ volatile("movl $1, (%0)" : : "r"(null) : "memory");
	else if (strcmp(argv[1], "ill") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(argv[1], "fpe") == 0)
		__asm__ volatile("divl %2" : "+a"(zero) : "d"(0u), "r"(zero));
	printf("still alive: no crash for %s\n", argv[1]);
	return 1;
}
