/*
 * Guest program for tests/cli/oom.sh: a memory hog.  It allocates memory in
 * 1 MiB steps up to the limit given in argv[1] (MiB, default 64) and writes
 * every page of each step, so every page really needs a frame (demand paging
 * hands out frames only when touched).  Progress goes to stdout every 16 MiB,
 * flushed, so a program killed for lack of memory still shows how far it got.
 * Each step checks a sample of the earlier steps' contents, so memory that is
 * silently shared or lost is also noticed (exit 1).
 */
#include "guest.h"

#include <stdlib.h>

#define HOG_STEP	(1024 * 1024)
#define HOG_PAGE	4096
#define HOG_REPORT_MIB	16
#define HOG_DEFAULT_MIB 64

/* Fill one step with a pattern derived from its index: one word per page. */
static void hog_touch(unsigned char *p, long step)
{
	for (long off = 0; off < HOG_STEP; off += HOG_PAGE)
		*(long *)(p + off) = step * HOG_STEP + off;
}

/* Does step `step` at `p` still hold its pattern? */
static int hog_intact(const unsigned char *p, long step)
{
	for (long off = 0; off < HOG_STEP; off += HOG_PAGE)
		if (*(const long *)(p + off) != step * HOG_STEP + off)
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	long limit = argc > 1 ? atol(argv[1]) : HOG_DEFAULT_MIB;
	unsigned char **steps = calloc(limit > 0 ? limit : 1, sizeof(*steps));

	if (limit <= 0 || !steps) {
		fprintf(stderr, "usage: hog MIB (a positive number)\n");
		return 2;
	}
	for (long i = 0; i < limit; i++) {
		steps[i] = malloc(HOG_STEP);
		if (!steps[i]) {
			printf("malloc failed after %ld MiB\n", i);
			return 3;
		}
		hog_touch(steps[i], i);
		if (!hog_intact(steps[i / 2], i / 2)) {
			printf("BAD step %ld lost its contents\n", i / 2);
			return 1;
		}
		if ((i + 1) % HOG_REPORT_MIB == 0) {
			printf("%ld MiB\n", i + 1);
			fflush(stdout);
		}
	}
	printf("done: %ld MiB\n", limit);
	return 0;
}
