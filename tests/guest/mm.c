/*
 * Guest test, area mm: brk, mmap, munmap, mprotect, madvise and malloc.
 *
 * Anonymous mappings large and small, MAP_FIXED over part of a mapping,
 * PROT_NONE made accessible by mprotect (data kept through PROT_NONE), a
 * private mapping of a file from the image (writes land in the private copy
 * only), MADV_DONTNEED and MADV_FREE, malloc of many sizes, a 64 MiB
 * allocation touched sparsely, and the EINVAL / ENOMEM / EFAULT answers
 * Linux gives to bad requests.  Only results of checks are printed, never
 * an address.
 *
 * argv[1] is the test data directory (see file.c); numbers.txt is mapped.
 */
#include "guest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE	     4096ul
#define MIB	     (1024ul * 1024)
#define NUMBERS_SIZE 10000

static void mm_brk(void)
{
	long start = syscall(SYS_brk, 0), end;
	char *p = (char *)start;

	guest_check("brk(0) returns the break", start > 0);
	end = syscall(SYS_brk, start + 64 * 1024);
	guest_check("brk grows by 64 KiB", end == start + 64 * 1024);
	memset(p, 0x5a, 64 * 1024);
	guest_check("grown break is writable", p[0] == 0x5a && p[64 * 1024 - 1] == 0x5a);
	guest_check("brk shrinks back", syscall(SYS_brk, start) == start);
	end = syscall(SYS_brk, start + PAGE);
	guest_check("regrown break is zeroed", end == start + (long)PAGE && p[0] == 0);
	syscall(SYS_brk, start);
}

/* Map `len` anonymous private read-write bytes; MAP_FAILED on error. */
static char *mm_anon(size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void mm_anon_maps(void)
{
	char *small = mm_anon(PAGE, PROT_READ | PROT_WRITE);
	char *large = mm_anon(32 * MIB, PROT_READ | PROT_WRITE), *fixed;
	int zero = 1;

	guest_check("mmap one page", small != MAP_FAILED && ((uintptr_t)small & (PAGE - 1)) == 0);
	guest_check("fresh page is zero", small[0] == 0 && small[PAGE - 1] == 0);
	small[100] = 1;
	guest_check("munmap one page", munmap(small, PAGE) == 0);
	guest_check("mmap 32 MiB", large != MAP_FAILED);
	for (size_t off = 0; off < 32 * MIB; off += 1 * MIB)
		zero &= large[off] == 0;
	for (size_t off = 0; off < 32 * MIB; off += 1 * MIB)
		large[off + 7] = (char)(off / MIB + 1);
	guest_check("32 MiB mapping reads zero, then keeps writes",
		    zero && large[31 * MIB + 7] == 32);

	/* Replace pages 2..3 with a fresh mapping: they read zero, neighbours keep data. */
	large[2 * PAGE] = 9;
	large[PAGE] = 8;
	large[4 * PAGE] = 10;
	fixed = mmap(large + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	guest_check("MAP_FIXED returns the address asked", fixed == large + 2 * PAGE);
	guest_check("MAP_FIXED pages are fresh", large[2 * PAGE] == 0);
	guest_check("MAP_FIXED neighbours are kept", large[PAGE] == 8 && large[4 * PAGE] == 10);
	guest_check("munmap a hole in the middle", munmap(large + 8 * MIB, MIB) == 0);
	guest_check("munmap the rest, across the hole", munmap(large, 32 * MIB) == 0);
	guest_check("munmap again is fine", munmap(large, 32 * MIB) == 0);
}

static void mm_protect(void)
{
	char *p = mm_anon(2 * PAGE, PROT_NONE);

	guest_check("mmap PROT_NONE", p != MAP_FAILED);
	/* The kernel must refuse to read a PROT_NONE page on our behalf. */
	guest_check_err("write() from a PROT_NONE page", syscall(SYS_write, 1, p, 8), EFAULT);
	guest_check("mprotect to read-write", mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE) == 0);
	p[0] = 1;
	p[PAGE + 5] = 2;
	guest_check("now writable", p[0] == 1 && p[PAGE + 5] == 2);
	guest_check("mprotect one page read-only", mprotect(p, PAGE, PROT_READ) == 0);
	guest_check("read-only page still readable", p[0] == 1);
	/* Linux keeps the data of a page made PROT_NONE and back. */
	guest_check("mprotect PROT_NONE and back",
		    mprotect(p, 2 * PAGE, PROT_NONE) == 0 && mprotect(p, 2 * PAGE, PROT_READ) == 0);
	guest_check("data survives PROT_NONE", p[0] == 1 && p[PAGE + 5] == 2);
	/* musl's mprotect() rounds the start down: ask the kernel directly. */
	guest_check_err("mprotect unaligned", syscall(SYS_mprotect, p + 1, PAGE, PROT_READ),
			EINVAL);
	munmap(p, 2 * PAGE);
	guest_check_err("mprotect unmapped", mprotect(p, PAGE, PROT_READ), ENOMEM);
}

static void mm_file_map(const char *dir)
{
	char path[4096], buf[16] = "";
	char *map;
	int fd;

	snprintf(path, sizeof(path), "%s/numbers.txt", dir);
	fd = open(path, O_RDONLY);
	guest_check("open numbers.txt", fd >= 0);
	map = mmap(NULL, NUMBERS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	guest_check("mmap the file privately", map != MAP_FAILED);
	printf("mapped line 500: %.10s", map + 5000);
	guest_check("bytes past EOF in the last page are zero",
		    map[NUMBERS_SIZE] == 0 && map[3 * PAGE - 1] == 0);
	memcpy(map + 5000, "CHANGED!!\n", 10);
	guest_check("private copy changed", memcmp(map + 5000, "CHANGED!!\n", 10) == 0);
	guest_check("file unchanged", pread(fd, buf, 10, 5000) == 10);
	printf("file line 500: %s", buf);
	/* MADV_FREE is for anonymous memory only; DONTNEED drops the copy. */
	guest_check_err("MADV_FREE on a file mapping", madvise(map + PAGE, PAGE, MADV_FREE),
			EINVAL);
	guest_check("private copy survives MADV_FREE's refusal",
		    memcmp(map + 5000, "CHANGED!!\n", 10) == 0);
	guest_check("MADV_DONTNEED drops the private copy",
		    madvise(map + PAGE, PAGE, MADV_DONTNEED) == 0 && map[5000] == 'l');
	munmap(map, NUMBERS_SIZE);
	map = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	guest_check("mmap at file offset 4096",
		    map != MAP_FAILED && memcmp(map, "409\nline 0410", 13) == 0);
	/* The kernel must refuse to write into a read-only page for us. */
	guest_check_err("read() into a read-only page", syscall(SYS_read, fd, map, 1), EFAULT);
	munmap(map, PAGE);
	guest_check_err("mmap unaligned offset",
			(long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	guest_check_err("mmap a bad fd", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0),
			EBADF);
	close(fd);
}

/*
 * MADV_DONTNEED must give zero pages at once.  MADV_FREE lets Linux keep the
 * old data until memory is short, so either old data or zeros is right, and
 * a write after it must stick.  (monos frees at once, as DONTNEED.)
 */
static void mm_madvise(void)
{
	char *p = mm_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	int ok = 1;

	memset(p, 0x77, 4 * PAGE);
	guest_check("MADV_DONTNEED", madvise(p, 2 * PAGE, MADV_DONTNEED) == 0);
	guest_check("DONTNEED pages read zero", p[0] == 0 && p[2 * PAGE - 1] == 0);
	guest_check("pages after the range keep data", p[2 * PAGE] == 0x77);
	guest_check("MADV_FREE", madvise(p + 2 * PAGE, 2 * PAGE, MADV_FREE) == 0);
	for (size_t i = 2 * PAGE; i < 4 * PAGE; i += 512)
		ok &= p[i] == 0 || p[i] == 0x77;
	guest_check("FREE pages read old data or zero", ok);
	p[3 * PAGE] = 5;
	guest_check("a write after MADV_FREE sticks", p[3 * PAGE] == 5);
	guest_check_err("madvise unaligned", madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
	guest_check_err("madvise bad advice", madvise(p, PAGE, 12345), EINVAL);
	munmap(p, 4 * PAGE);
}

/* malloc of sizes 1 byte .. 1 MiB, each filled and checked, then freed. */
static void mm_malloc(void)
{
	static char *ptrs[400];
	size_t sizes[400];
	int ok = 1, n = 0;

	for (size_t size = 1; size <= MIB && n < 400; size = size * 5 / 4 + 1) {
		for (int k = 0; k < 3 && n < 400; k++, n++) {
			sizes[n] = size + k;
			ptrs[n] = malloc(sizes[n]);
			ok &= ptrs[n] && ((uintptr_t)ptrs[n] & 15) == 0;
			if (ptrs[n])
				memset(ptrs[n], n & 0xff, sizes[n]);
		}
	}
	for (int i = 0; i < n; i++) {
		ok &= ptrs[i] && ptrs[i][0] == (char)(i & 0xff) &&
		      ptrs[i][sizes[i] - 1] == (char)(i & 0xff);
		free(ptrs[i]);
	}
	guest_check("malloc of many sizes: aligned, distinct contents kept", ok);
	printf("malloc sizes tried: %d\n", n);
}

static void mm_big_and_errors(void)
{
	char *big = malloc(64 * MIB);
	int ok = big != NULL;

	for (size_t off = 0; ok && off < 64 * MIB; off += 4 * MIB)
		big[off] = (char)(off >> 22);
	for (size_t off = 0; ok && off < 64 * MIB; off += 4 * MIB)
		ok &= big[off] == (char)(off >> 22);
	guest_check("64 MiB malloc touched sparsely", ok);
	free(big);

	guest_check_err("munmap unaligned", munmap((void *)(16 * MIB + 1), PAGE), EINVAL);
	guest_check_err("munmap length 0", munmap((void *)(16 * MIB), 0), EINVAL);
	guest_check_err("mmap length 0", (long)mm_anon(0, PROT_READ), EINVAL);
	/* More than the whole 47-bit user address space. */
	guest_check_err("mmap 256 TiB", (long)mm_anon(1ul << 48, PROT_READ), ENOMEM);
	/* mmap ignores rights it does not know; mprotect refuses them, except
	 * PROT_SEM (0x8), which means nothing on x86. */
	big = mm_anon(PAGE, PROT_READ | 0x100);
	guest_check("mmap ignores unknown PROT bits", big != MAP_FAILED);
	guest_check_err("mprotect PROT_SEM", mprotect(big, PAGE, PROT_READ | 0x8), 0);
	guest_check_err("mprotect an unknown PROT bit", mprotect(big, PAGE, PROT_READ | 0x100),
			EINVAL);
	munmap(big, PAGE);
	guest_check_err("mmap neither private nor shared",
			(long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	guest_check_err("write() from an unmapped address", syscall(SYS_write, 1, (void *)PAGE, 8),
			EFAULT);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mm DATA-DIR\n");
		return 2;
	}
	mm_brk();
	mm_anon_maps();
	mm_protect();
	mm_file_map(argv[1]);
	mm_madvise();
	mm_malloc();
	mm_big_and_errors();
	return guest_finish();
}
