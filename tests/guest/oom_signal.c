/*
 * `oom_signal fill` (monos only: natively it would take the host's memory):
 * take every frame of the instance with mlock, then take a signal that has a
 * handler.  Found by tests/fuzz/sysfuzz, seed 1029: the kernel could not
 * allocate the signal frame's XSAVE image and killed the program with
 * SIGSEGV; out of memory must end as Linux's OOM killer would (status 137,
 * tests/cli/oom_signal.sh).  Without `fill` it only says so.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest.h"

#define TAKE	  (1ul << 30) /* more than the instance has */
#define STACK_KIB 64	      /* stack made resident before memory runs out */

static void on_signal(int sig)
{
	(void)sig;
	printf("the handler ran\n");
}

/* Touch STACK_KIB below here, so the signal frame needs no new stack page. */
static void touch_stack(void)
{
	volatile char pad[STACK_KIB << 10];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 1;
}

int main(int argc, char **argv)
{
	void *p;

	if (argc != 2 || strcmp(argv[1], "fill")) {
		printf("usage: oom_signal fill (in monos only)\n");
		return 0;
	}
	signal(SIGUSR1, on_signal);
	touch_stack();
	p = mmap(NULL, TAKE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return 2;
	printf("mlock: %s\n", guest_errname(mlock(p, TAKE) ? errno : 0));
	fflush(stdout);
	raise(SIGUSR1);
	return 0;
}
