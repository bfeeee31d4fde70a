/*
 * Guest test, area io (stdin): read stdin with every read() size from 1 to
 * 4096 in turn (then again from 1) until EOF.  A read may return less than
 * asked; it must never return more, and the bytes must arrive in order,
 * which the printed fingerprint proves.
 */
#include "guest.h"

#define MAX_SIZE 4096

int main(void)
{
	static char buf[MAX_SIZE + 16];
	uint64_t h = GUEST_FNV_INIT;
	long total = 0, calls = 0, n;
	int size = 1, overrun = 0;

	for (;;) {
		/* A guard byte past the requested size must stay untouched. */
		buf[size] = 0x5a;
		n = read(0, buf, size);
		if (n <= 0)
			break;
		overrun |= n > size || buf[size] != 0x5a;
		h = guest_fnv(h, buf, n);
		total += n;
		calls++;
		size = size == MAX_SIZE ? 1 : size + 1;
	}
	guest_check("read ended at EOF, not an error", n == 0);
	guest_check("no read returned more than asked", !overrun);
	guest_check("at least one read per 4096 bytes", calls >= total / MAX_SIZE);
	printf("stdin: %ld bytes, fnv %016llx\n", total, (unsigned long long)h);
	return guest_finish();
}
