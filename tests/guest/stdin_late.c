/*
 * Guest program for tests/cli/vcon.sh: a reader that comes late.  It sleeps
 * argv[1] milliseconds without touching stdin, so the host's input backs up
 * through every buffer on the way (the CLI's queue, the socket, QEMU, the
 * virtio console's receive buffers, the kernel's stdin buffer); then, unless
 * argv[2] is "skip", it reads stdin to EOF and prints its size and FNV-1a
 * hash, which must match the input's: nothing may be lost or reordered.
 * With "skip" it exits without reading: `monos run` must still end.
 */
#include "guest.h"

#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	long ms = argc > 1 ? atol(argv[1]) : 0, bytes = 0, n;
	struct timespec req = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
	uint64_t h = GUEST_FNV_INIT;

	while (nanosleep(&req, &req) != 0 && errno == EINTR)
		;
	if (argc > 2 && strcmp(argv[2], "skip") == 0)
		return 0;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		h = guest_fnv(h, buf, n);
		bytes += n;
	}
	if (n < 0) {
		printf("read failed: %s\n", guest_errname(errno));
		return 1;
	}
	printf("bytes %ld fnv %016llx\n", bytes, (unsigned long long)h);
	return 0;
}
