/*
 * Helpers shared by the guest test programs (tests/guest/<name>.c).
 *
 * A guest program runs twice, natively on the host and inside monos, and
 * tests/run.sh compares the two runs' stdout, stderr and exit status byte for
 * byte.  So a program prints only what both runs must agree on: results of
 * checks ("ok"/"BAD"), errno *names* (strerror's text differs between libcs
 * and is not what we test), sizes, and never a pid, an address or a time.
 *
 * The helpers are static inline so each program stays one self-contained
 * file plus this header, built with musl and with glibc alike.
 */
#ifndef MONOS_GUEST_H
#define MONOS_GUEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

/* Number of checks that failed; main() returns non-zero when any did. */
static int guest_bad;

/* The errno names the programs may meet; anything else prints as a number. */
static inline const char *guest_errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
	    {0, "0"},
	    {EPERM, "EPERM"},
	    {ENOENT, "ENOENT"},
	    {EBADF, "EBADF"},
	    {EFAULT, "EFAULT"},
	    {EINVAL, "EINVAL"},
	    {ENOMEM, "ENOMEM"},
	    {EACCES, "EACCES"},
	    {EEXIST, "EEXIST"},
	    {ENOTDIR, "ENOTDIR"},
	    {EISDIR, "EISDIR"},
	    {ENOTTY, "ENOTTY"},
	    {ESPIPE, "ESPIPE"},
	    {EROFS, "EROFS"},
	    {EIO, "EIO"},
	    {ENOSYS, "ENOSYS"},
	    {ERANGE, "ERANGE"},
	    {EAGAIN, "EAGAIN"},
	    {EINTR, "EINTR"},
	    {ENOTEMPTY, "ENOTEMPTY"},
	    {ELOOP, "ELOOP"},
	    {ENAMETOOLONG, "ENAMETOOLONG"},
	    {ENOSPC, "ENOSPC"},
	    {ETIMEDOUT, "ETIMEDOUT"},
	    {ECONNREFUSED, "ECONNREFUSED"},
	    {ECONNRESET, "ECONNRESET"},
	    {EPIPE, "EPIPE"},
	    {EADDRINUSE, "EADDRINUSE"},
	    {EINPROGRESS, "EINPROGRESS"},
	    {ENOTCONN, "ENOTCONN"},
	    {EISCONN, "EISCONN"},
	    {EOPNOTSUPP, "EOPNOTSUPP"},
	    {ENOPROTOOPT, "ENOPROTOOPT"},
	    {ENOTSOCK, "ENOTSOCK"},
	    {EPROTOTYPE, "EPROTOTYPE"},
	    {EMSGSIZE, "EMSGSIZE"},
	    {EAFNOSUPPORT, "EAFNOSUPPORT"},
	    {EDESTADDRREQ, "EDESTADDRREQ"},
	    {ENXIO, "ENXIO"},
	    {ENODEV, "ENODEV"},
	    {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
	    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
	    {ESRCH, "ESRCH"},
	    {ECHILD, "ECHILD"},
	    {EBUSY, "EBUSY"},
	    {EXDEV, "EXDEV"},
	    {EMFILE, "EMFILE"},
	    {ENFILE, "ENFILE"},
	    {EFBIG, "EFBIG"},
	    {EMLINK, "EMLINK"},
	    {ETXTBSY, "ETXTBSY"},
	    {EOVERFLOW, "EOVERFLOW"},
	    {ENOLCK, "ENOLCK"},
	    {ENODATA, "ENODATA"},
	    {EBADFD, "EBADFD"},
	    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
	    {ENETUNREACH, "ENETUNREACH"},
	    {EHOSTUNREACH, "EHOSTUNREACH"},
	    {EALREADY, "EALREADY"},
	    {ENOBUFS, "ENOBUFS"},
	    {ECANCELED, "ECANCELED"},
	    {ENOEXEC, "ENOEXEC"},
	    {E2BIG, "E2BIG"},
	};
	static char other[24];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

/*
 * Record one named check: prints "ok NAME" or "BAD NAME".  Both runs print
 * the same lines when they agree, and a BAD line also makes the exit status
 * non-zero, so a check that fails in both runs is still noticed.
 */
static inline void guest_check(const char *name, int cond)
{
	printf("%s %s\n", cond ? "ok " : "BAD", name);
	if (!cond)
		guest_bad++;
}

/*
 * Check a raw syscall result that must fail with `want` (an errno value):
 * `ret` is what syscall(2) returned, with errno still as it left it.
 * Prints the errno name seen, so a mismatch shows what happened instead.
 */
static inline void guest_check_err(const char *name, long ret, int want)
{
	int got = ret == -1 ? errno : 0;

	printf("%s %s -> %s\n", got == want ? "ok " : "BAD", name, guest_errname(got));
	if (got != want)
		guest_bad++;
}

/* 64-bit FNV-1a, to print a fingerprint of data instead of the data. */
static inline uint64_t guest_fnv(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define GUEST_FNV_INIT 0xcbf29ce484222325ull

/* The last path component of `path`: argv[0] and paths differ between runs. */
static inline const char *guest_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Flush stdio and return the status main() should return. */
static inline int guest_finish(void)
{
	fflush(stdout);
	return guest_bad ? 1 : 0;
}

#endif
