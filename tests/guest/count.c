/*
 * Guest test, area io (stdin): count the bytes and lines of stdin until EOF,
 * as `wc -c -l` would, and print a fingerprint of the data.  The runner feeds
 * it empty input, a few bytes and 1 MiB of every byte value; the CLI tests
 * pipe into it (`printf abc | monos run count`).
 */
#include "guest.h"

int main(void)
{
	static char buf[65536];
	uint64_t h = GUEST_FNV_INIT;
	long bytes = 0, lines = 0, n;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			lines += buf[i] == '\n';
		h = guest_fnv(h, buf, n);
		bytes += n;
	}
	if (n < 0) {
		printf("read failed: %s\n", guest_errname(errno));
		return 1;
	}
	printf("bytes %ld lines %ld fnv %016llx\n", bytes, lines, (unsigned long long)h);
	return 0;
}
