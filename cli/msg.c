/*
 * Diagnostics and output helpers of the CLI: every message is one line on
 * stderr starting "monos: ", and every write to the user's streams is
 * complete (partial writes and EINTR retried).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

/*
 * Print "monos: <message>\n" on stderr.  The line is formatted first and
 * written with one write() so lines from monos and the guest never interleave
 * mid-line.
 */
void msg_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "monos: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	msg_write_full(STDERR_FILENO, line, n);
}

int msg_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int msg_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* A non-blocking stream shared with us: wait. */
				usleep(1000);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* "256M", "1536K", "2G", "4097" (plain bytes when no unit divides it). */
void msg_format_size(char *out, size_t outlen, uint64_t bytes)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (bytes && u < 3 && (bytes & 1023) == 0) {
		bytes >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(out, outlen, "%llu", (unsigned long long)bytes);
	else
		snprintf(out, outlen, "%llu%c", (unsigned long long)bytes, units[u]);
}
