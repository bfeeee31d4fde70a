/*
 * Guest program for tests/cli/clock_drift.sh and bench/clock_drift.sh: the
 * guest's wall clock on request.  For every line read on stdin it writes one
 * line "SEC.NSEC" of CLOCK_REALTIME, read as late as possible before the
 * write, so the host (tests/cli/lib/clock_offset.py) can bracket the reading
 * between its own clock before sending the line and after the answer.  Ends
 * at end of input.  Not a compared guest test: its output is a time.
 */
#include "guest.h"

#include <time.h>

int main(void)
{
	char line[64], out[64];
	struct timespec ts;

	while (fgets(line, sizeof(line), stdin)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		int n = snprintf(out, sizeof(out), "%lld.%09ld\n", (long long)ts.tv_sec,
				 ts.tv_nsec);
		if (write(1, out, (size_t)n) != n)
			return 1;
	}
	return 0;
}
