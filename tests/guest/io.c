/*
 * Guest test, area io: read, write, readv, writev on fds 0, 1 and 2.
 *
 * Covers several iovecs per call (musl's printf itself uses writev), empty
 * iovecs, every byte value on stdout (the host channel must not mistake data
 * for its frame magic), a single 1 MiB write, and reading all of stdin with
 * small read()s and readv()s, where a short read must be retried (partial
 * reads).  stdin is whatever the runner feeds; only its size and fingerprint
 * are printed.
 */
#include "guest.h"

#include <stdlib.h>
#include <sys/uio.h>

#define BIG_WRITE (1024 * 1024)
#define LINE_LEN  64

/* Several iovecs, one of them empty, to stdout and to stderr. */
static void io_writev(void)
{
	char a[] = "writev: one ", b[] = "two ", c[] = "three\n";
	struct iovec iov[] = {
	    {a, strlen(a)},
	    {NULL, 0},
	    {b, strlen(b)},
	    {c, strlen(c)},
	};
	long want = (long)(strlen(a) + strlen(b) + strlen(c)), n;

	fflush(stdout); /* keep stdio's buffer and raw writes in order */
	n = syscall(SYS_writev, 1, iov, 4);
	guest_check("writev stdout returns total", n == want);
	n = syscall(SYS_writev, 2, iov, 4);
	guest_check("writev stderr returns total", n == want);
	guest_check("writev of zero iovecs", syscall(SYS_writev, 1, iov, 0) == 0);
	guest_check_err("writev iovcnt -1", syscall(SYS_writev, 1, iov, -1), EINVAL);
	guest_check_err("write to fd 99", syscall(SYS_write, 99, a, 1), EBADF);
	guest_check_err("read from fd 99", syscall(SYS_read, 99, a, 1), EBADF);
	guest_check("write of 0 bytes", syscall(SYS_write, 1, a, 0) == 0);
	/* printf with several conversions: musl emits it through writev. */
	printf("printf: %d %s %c %5.2f %x\n", 42, "str", 'c', 3.25, 0xbeefu);
	fflush(stdout);
}

/* Every byte value 0..255, the channel magic 0xA5 among them. */
static void io_all_bytes(void)
{
	unsigned char bytes[257];

	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)i;
	bytes[256] = '\n';
	fflush(stdout);
	guest_check("write 256 byte values", write(1, bytes, sizeof(bytes)) == sizeof(bytes));
}

/* One write() of 1 MiB of numbered lines; the count goes to stderr. */
static void io_big_write(void)
{
	char *buf = malloc(BIG_WRITE);
	long n;

	if (!buf) {
		guest_check("malloc 1 MiB", 0);
		return;
	}
	for (int line = 0; line < BIG_WRITE / LINE_LEN; line++) {
		char *p = buf + (size_t)line * LINE_LEN;

		memset(p, 'a' + line % 26, LINE_LEN);
		snprintf(p, 16, "%08d ", line);
		p[9] = '.';
		p[LINE_LEN - 1] = '\n';
	}
	fflush(stdout);
	n = write(1, buf, BIG_WRITE);
	fprintf(stderr, "big write returned %ld\n", n);
	free(buf);
}

/*
 * Read all of stdin: first with tiny read()s, then readv() into iovecs of
 * uneven sizes.  A call may return fewer bytes than asked (a pipe, the
 * channel), so only the total and the fingerprint are deterministic.
 */
static void io_read_stdin(void)
{
	static char big[4000];
	char small[5], a[3], b[1], c[10];
	struct iovec iov[] = {{a, 3}, {NULL, 0}, {b, 1}, {c, 10}, {big, sizeof(big)}};
	uint64_t h = GUEST_FNV_INIT;
	long total = 0, n;

	for (int i = 0; i < 8; i++) {
		n = read(0, small, 1 + i % 5);
		if (n <= 0)
			break;
		h = guest_fnv(h, small, n);
		total += n;
	}
	while ((n = readv(0, iov, 5)) > 0) {
		total += n;
		/* Walk the iovecs in order, consuming the n bytes read. */
		for (int i = 0; i < 5 && n > 0; i++) {
			long part = n < (long)iov[i].iov_len ? n : (long)iov[i].iov_len;

			h = guest_fnv(h, iov[i].iov_base, part);
			n -= part;
		}
	}
	guest_check("readv ended at EOF, not an error", n == 0);
	guest_check("read at EOF returns 0", read(0, small, sizeof(small)) == 0);
	printf("stdin: %ld bytes, fnv %016llx\n", total, (unsigned long long)h);
}

int main(void)
{
	static const char out[] = "write: to stdout\n", err[] = "write: to stderr\n";

	guest_check("write stdout", write(1, out, sizeof(out) - 1) == sizeof(out) - 1);
	guest_check("write stderr", write(2, err, sizeof(err) - 1) == sizeof(err) - 1);
	io_writev();
	io_all_bytes();
	io_big_write();
	io_read_stdin();
	return guest_finish();
}
