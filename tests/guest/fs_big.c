/*
 * Guest test, area fs: a database-style workload on /tmp.  Writes a 10 MiB
 * file in 4 KiB blocks in a pseudo-random order (each block's content a
 * function of its index), reads it back in another order and sequentially,
 * and checks a hash; then rewrites some blocks in place, extends the file with
 * a hole and shrinks it, as sqlite's journal and WAL do.
 */
#include "guest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define BLOCK  4096
#define BLOCKS 2560 /* 10 MiB */
#define PRIME  1543 /* coprime with BLOCKS: i * PRIME % BLOCKS visits all */

static void fill(unsigned char *b, unsigned idx, unsigned gen)
{
	uint64_t x = idx * 0x9e3779b97f4a7c15ull + gen;

	for (unsigned i = 0; i < BLOCK; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = x;
	}
}

/* Hash of the whole file read sequentially in odd-sized chunks. */
static uint64_t hash_file(int fd, off_t *len)
{
	static unsigned char buf[10007];
	uint64_t h = GUEST_FNV_INIT;
	ssize_t n;

	*len = 0;
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = guest_fnv(h, buf, n), *len += n;
	return h;
}

int main(void)
{
	static unsigned char b[BLOCK], want[BLOCK];
	char path[] = "/tmp/fs_big.XXXXXX";
	uint64_t expect = GUEST_FNV_INIT, got;
	int fd = mkstemp(path), bad = 0;
	off_t len;
	struct stat st;

	guest_check("mkstemp", fd >= 0);
	for (unsigned i = 0; i < BLOCKS; i++) {
		unsigned idx = i * PRIME % BLOCKS;
		fill(b, idx, 0);
		if (pwrite(fd, b, BLOCK, (off_t)idx * BLOCK) != BLOCK)
			bad++;
	}
	guest_check("random-order writes", bad == 0);
	guest_check("size 10 MiB", fstat(fd, &st) == 0 && st.st_size == (off_t)BLOCKS * BLOCK);
	for (unsigned i = 0; i < BLOCKS; i++) {
		unsigned idx = (i * 7 + 3) % BLOCKS;
		fill(want, idx, 0);
		if (pread(fd, b, BLOCK, (off_t)idx * BLOCK) != BLOCK || memcmp(b, want, BLOCK))
			bad++;
	}
	guest_check("random-order reads", bad == 0);
	for (unsigned i = 0; i < BLOCKS; i++)
		fill(b, i, 0), expect = guest_fnv(expect, b, BLOCK);
	got = hash_file(fd, &len);
	guest_check("sequential hash", got == expect && len == (off_t)BLOCKS * BLOCK);
	printf("hash %016llx\n", (unsigned long long)got);
	for (unsigned i = 0; i < BLOCKS; i += 17)
		fill(b, i, 1), bad += pwrite(fd, b, BLOCK, (off_t)i * BLOCK) != BLOCK;
	fsync(fd);
	guest_check("in-place rewrites", bad == 0);
	guest_check("extend with a hole",
		    ftruncate(fd, (off_t)BLOCKS * BLOCK * 2) == 0 &&
			    pread(fd, b, BLOCK, (off_t)BLOCKS * BLOCK + 5) == BLOCK);
	memset(want, 0, BLOCK);
	guest_check("hole is zeros", !memcmp(b, want, BLOCK));
	guest_check("shrink",
		    ftruncate(fd, 12345) == 0 && fstat(fd, &st) == 0 && st.st_size == 12345);
	printf("hash after %016llx\n", (unsigned long long)hash_file(fd, &len));
	close(fd);
	guest_check("unlink", unlink(path) == 0);
	return guest_finish();
}
