/*
 * The cost of a huge address-space reservation, as Go, the JVM and glibc's
 * arenas make one: mmap PROT_NONE with MAP_NORESERVE over TIB tebibytes,
 * make four pages readable and writable and touch them, then mprotect the
 * whole reservation read-write, back to PROT_NONE, and munmap it.  Prints
 * the wall time of each step (CLOCK_MONOTONIC, read inside the program).
 * Not a test (it prints times); the figure of docs/architecture.md's
 * memory note comes from it:
 *   musl-gcc -static -O2 -o mm_reserve bench/mm_reserve.c
 *   build/monos run ./mm_reserve 64
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define TIB  (1ul << 40)
#define PAGE 4096ul

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run `what`, print its time; exit 1 when it fails. */
#define STEP(name, what)                                                                           \
	do {                                                                                       \
		double t0 = now_ms();                                                              \
		if (what) {                                                                        \
			perror(name);                                                              \
			return 1;                                                                  \
		}                                                                                  \
		printf("%-28s %10.3f ms\n", name, now_ms() - t0);                                  \
	} while (0)

int main(int argc, char **argv)
{
	unsigned long len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 64) * TIB;
	char *p = NULL;

	STEP("mmap PROT_NONE NORESERVE",
	     (p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) ==
		     MAP_FAILED);
	for (unsigned long i = 0; i < 4; i++) {
		char *q = p + i * (len / 4);
		if (mprotect(q, PAGE, PROT_READ | PROT_WRITE))
			return perror("mprotect a page"), 1;
		*q = 1;
	}
	STEP("mprotect all read-write", mprotect(p, len, PROT_READ | PROT_WRITE));
	STEP("mprotect all PROT_NONE", mprotect(p, len, PROT_NONE));
	STEP("munmap all", munmap(p, len));
	printf("reservation: %lu TiB\n", len / TIB);
	return 0;
}
