/*
 * sysfuzz's values: a splitmix64 generator seeded from the command line and
 * one generator per kind of argument, each mixing valid values with the edge
 * cases kernels get wrong (unmapped, kernel, non-canonical and misaligned
 * pointers, lengths that wrap, negative descriptors, huge counts).
 *
 * A "valid" pointer always points into the scratch area, which is guarded by
 * inaccessible pages, so a kernel that writes as much as it was told stops
 * at a guard instead of overwriting the fuzzer.  Structures (iovecs, socket
 * addresses, timespecs, argv arrays) are written into scratch right before
 * the call; their own pointers come from the same generators.  Nothing here
 * ever yields an address inside the fuzzer's own memory (gen_protected).
 */
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "sysfuzz.h"

#define GEN_FILL_MAX 512 /* bytes of random contents behind a valid pointer */

/* Pick one of the N values of an array, uniformly. */
#define GEN_PICK(arr) ((arr)[gen_below(sizeof(arr) / sizeof((arr)[0]))])

uint64_t gen_next(void)
{
	uint64_t z = (sf.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t gen_below(uint64_t n)
{
	return n ? gen_next() % n : 0;
}

/* A percentage test: true @pct times in 100. */
static bool gen_chance(unsigned pct)
{
	return gen_below(100) < pct;
}

bool gen_protected(uint64_t lo, uint64_t len)
{
	uint64_t hi = len > UINT64_MAX - lo ? UINT64_MAX : lo + len;

	for (unsigned i = 0; i < sf.nprotect; i++)
		if (lo < sf.protect[i].hi && hi > sf.protect[i].lo)
			return true;
	return false;
}

bool gen_in_scratch(uint64_t p)
{
	uint64_t s = (uint64_t)(uintptr_t)sf.scratch;

	return p >= s && p < s + SYSFUZZ_SCRATCH;
}

uint64_t gen_int(void)
{
	static const uint64_t edge[] = {
		0,
		1,
		2,
		3,
		4,
		7,
		8,
		16,
		31,
		32,
		63,
		64,
		127,
		128,
		255,
		256,
		511,
		4095,
		4096,
		4097,
		65535,
		65536,
		INT_MAX,
		(uint64_t)INT_MIN,
		UINT_MAX,
		0x80000000ull,
		LONG_MAX,
		(uint64_t)LONG_MIN,
		UINT64_MAX,
		UINT64_MAX - 1,
		(uint64_t)-4095,
		(uint64_t)-100,
	};

	switch (gen_below(5)) {
	case 0:
		return GEN_PICK(edge);
	case 1:
		return gen_below(1024);
	case 2:
		return 1ull << gen_below(64);
	case 3:
		return (uint32_t)gen_next();
	default:
		return gen_chance(50) ? GEN_PICK(edge) : gen_next();
	}
}

uint64_t gen_flags(void)
{
	uint64_t v = 0;

	switch (gen_below(4)) {
	case 0:
		return 0;
	case 1:
		return gen_int();
	default:
		for (unsigned n = 1 + gen_below(4); n; n--)
			v |= 1ull << gen_below(gen_chance(80) ? 24 : 64);
		return v;
	}
}

uint64_t gen_fd(void)
{
	static const uint64_t edge[] = { (uint64_t)-1,		(uint64_t)-100, INT_MAX,
					 (uint64_t)INT_MIN,	1023,		1024,
					 0xffffffff00000003ull, 0x100000000ull, 65536,
					 (uint64_t)-9 };
	uint64_t fd;

	if (gen_chance(65))
		fd = (uint64_t)(int64_t)sf.pool[gen_below(SYSFUZZ_POOL)];
	else if (gen_chance(50))
		fd = gen_below(40);
	else
		fd = gen_chance(80) ? GEN_PICK(edge) : gen_next();
	return (int)fd == SYSFUZZ_REPORT ? (uint64_t)-1 : fd;
}

/* Fill @len scratch bytes at @p: random bytes, small numbers and pointers. */
static void gen_fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v;

		switch (gen_below(6)) {
		case 0:
			v = 0;
			break;
		case 1:
			v = gen_below(64);
			break;
		case 2:
			v = gen_int();
			break;
		case 3:
			v = (uint64_t)(uintptr_t)sf.scratch + (gen_below(SYSFUZZ_SCRATCH) & ~7ul);
			break;
		default:
			v = gen_next();
		}
		memcpy(p + i, &v, sizeof(v));
	}
}

/* A place in scratch for @len bytes (aligned to 8), filled with noise. */
static uint8_t *gen_scratch(size_t len)
{
	size_t off = gen_below(SYSFUZZ_SCRATCH - len + 1) & ~7ul;
	size_t fill = GEN_FILL_MAX < SYSFUZZ_SCRATCH - off ? GEN_FILL_MAX : SYSFUZZ_SCRATCH - off;

	gen_fill(sf.scratch + off, gen_below(fill + 1));
	return sf.scratch + off;
}

/* A pointer that is not valid: unmapped, kernel, non-canonical, guard, read-only. */
static uint64_t gen_bad_ptr(void)
{
	static const uint64_t edge[] = {
		0,
		1,
		0x1000,
		0x10000,
		0x100000000ull,
		0x7ffffffff000ull,
		0x7fffffffffffull,
		0x7ffffffffff8ull,
		0x800000000000ull,
		0xffff800000000000ull,
		0xffffffff80000000ull,
		0xffffffffff600000ull,
		UINT64_MAX,
		(uint64_t)-4095,
		0x8000000000000000ull,
	};
	uint64_t p;

	switch (gen_below(4)) {
	case 0:
		return (uint64_t)(uintptr_t)sf.guard + gen_below(SYSFUZZ_PAGE);
	case 1:
		return (uint64_t)(uintptr_t)sf.ro + gen_below(SYSFUZZ_PAGE);
	case 2:
		return GEN_PICK(edge);
	default:
		p = gen_next();
		return gen_protected(p, 1) ? 0 : p;
	}
}

/* A pointer into a mapping some earlier call made, if any. */
static uint64_t gen_arena_ptr(void)
{
	const struct sysfuzz_range *r;

	if (!sf.narena)
		return gen_bad_ptr();
	r = &sf.arena[gen_below(sf.narena)];
	return r->lo + gen_below(r->hi - r->lo);
}

uint64_t gen_ptr(void)
{
	uint64_t end = (uint64_t)(uintptr_t)sf.scratch + SYSFUZZ_SCRATCH;

	switch (gen_below(10)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return gen_bad_ptr();
	case 3:
		return gen_arena_ptr();
	case 4: /* runs into the guard page */
		return end - 1 - gen_below(256);
	case 5: /* misaligned */
		return (uint64_t)(uintptr_t)gen_scratch(64) + 1 + gen_below(7);
	default:
		return (uint64_t)(uintptr_t)gen_scratch(gen_below(SYSFUZZ_PAGE));
	}
}

uint64_t gen_len(void)
{
	static const uint64_t edge[] = {
		0,
		1,
		2,
		7,
		8,
		16,
		64,
		4095,
		4096,
		4097,
		8192,
		65536,
		SYSFUZZ_SCRATCH,
		1ull << 30,
		1ull << 31,
		1ull << 32,
		LONG_MAX,
		UINT64_MAX,
		INT_MAX,
		UINT_MAX,
		(uint64_t)-4096,
	};

	if (gen_chance(50))
		return gen_below(gen_chance(70) ? 256 : SYSFUZZ_SCRATCH + 1);
	return gen_chance(85) ? GEN_PICK(edge) : gen_next();
}

/* Copy string @s into scratch; sometimes without its NUL, against a guard. */
static uint64_t gen_string(const char *s)
{
	size_t len = strlen(s);
	uint8_t *end = sf.scratch + SYSFUZZ_SCRATCH, *p;

	if (len >= SYSFUZZ_SCRATCH)
		return 0;
	if (gen_chance(3)) { /* unterminated: the kernel must stop at the guard */
		memcpy(end - len, s, len);
		return (uint64_t)(uintptr_t)(end - len);
	}
	p = sf.scratch + (gen_below(SYSFUZZ_SCRATCH - len) & ~7ul);
	memcpy(p, s, len + 1);
	return (uint64_t)(uintptr_t)p;
}

/* A long path: @n bytes of "a/" or of "a", ending in a NUL. */
static uint64_t gen_long_path(size_t n, bool slashes)
{
	uint8_t *p = sf.scratch;

	for (size_t i = 0; i < n; i++)
		p[i] = slashes && (i & 1) ? '/' : 'a';
	p[n] = '\0';
	return (uint64_t)(uintptr_t)p;
}

/* The names calls are given.  Never /proc/self/mem: writing it would
 * overwrite the fuzzer. */
const char *const gen_paths[] = {
	"/",
	".",
	"..",
	"",
	"/tmp",
	SYSFUZZ_DIR,
	SYSFUZZ_DIR "/a",
	SYSFUZZ_DIR "/b",
	SYSFUZZ_DIR "/d",
	SYSFUZZ_DIR "/d/e",
	SYSFUZZ_DIR "/l",
	"a",
	"b",
	"d",
	"l",
	"/dev/null",
	"/dev/zero",
	"/dev/urandom",
	"/dev/tty",
	"/dev/console",
	"/proc/self/status",
	"/proc/self/maps",
	"/proc/self/fd/0",
	"/proc/self/fd",
	"/proc/self/cmdline",
	"/proc/self/stat",
	"/proc/meminfo",
	"/proc/1/stat",
	"/proc/self/root",
	"/proc/self/cwd",
	"/proc/self/exe",
	"/proc",
	"/sys",
	"/sys/devices/system/cpu/online",
	"/etc/passwd",
	"/etc/hosts",
	"/nonexistent",
	SYSFUZZ_DIR "/a/",
	"//tmp///fz/./a",
	SYSFUZZ_DIR "/../fz/a",
	"/tmp/fz/\xff\xfe",
	"/dev",
	"/etc",
};
const size_t gen_npaths = sizeof(gen_paths) / sizeof(gen_paths[0]);

uint64_t gen_path(bool exec)
{
	/* For execve: names that cannot start a program (the fuzzer would end). */
	static const char *const noexec[] = {
		"/nonexistent", "", SYSFUZZ_DIR, "/dev/null", "/", "/proc/self/fd/0", "/tmp/fz/a/",
	};

	if (exec)
		return gen_chance(80) ? gen_string(GEN_PICK(noexec)) : gen_bad_ptr();
	switch (gen_below(20)) {
	case 0:
		return gen_bad_ptr();
	case 1:
		return gen_long_path(gen_chance(50) ? 4095 + gen_below(3) : 254 + gen_below(3),
				     gen_chance(50));
	default:
		return gen_string(gen_paths[gen_below(gen_npaths)]);
	}
}

uint64_t gen_addr(void)
{
	static const uint64_t edge[] = {
		0,
		0x1000,
		0x10000,
		0x400000,
		0x100000000ull,
		0x7ffffffff000ull,
		0x7fffffffe000ull,
		0x800000000000ull,
		0xffff800000000000ull,
		0xffffffff80000000ull,
		(uint64_t)-4096,
		0x200000,
		0x40000000,
	};
	uint64_t a;

	switch (gen_below(6)) {
	case 0:
	case 1:
	case 2:
		a = gen_arena_ptr();
		return gen_chance(80) ? a & ~(SYSFUZZ_PAGE - 1) : a;
	case 3:
		return GEN_PICK(edge);
	default:
		a = gen_below(SYSFUZZ_TOP) & ~(SYSFUZZ_PAGE - 1);
		return gen_protected(a, SYSFUZZ_PAGE) ? 0x100000000ull : a;
	}
}

uint64_t gen_mlen(void)
{
	static const uint64_t edge[] = {
		0,
		1,
		4095,
		4096,
		8192,
		2ul << 20,
		1ul << 30,
		0x7ffffffff000ull,
		1ull << 47,
		UINT64_MAX,
		(uint64_t)-4096,
		1ull << 32,
		0x1000000000ull,
	};

	if (gen_chance(60))
		return (1 + gen_below(gen_chance(80) ? 16 : 512)) * SYSFUZZ_PAGE;
	return gen_chance(85) ? GEN_PICK(edge) : gen_next();
}

uint64_t gen_sig(void)
{
	static const uint64_t edge[] = { 0, (uint64_t)-1, 65, 128, INT_MAX, 0x100000000ull + 10 };

	return gen_chance(85) ? gen_below(65) : GEN_PICK(edge);
}

uint64_t gen_sigset(void)
{
	uint64_t set = gen_next();
	uint8_t *p;

	if (gen_chance(20))
		return gen_chance(50) ? 0 : gen_bad_ptr();
	p = gen_scratch(16);
	memcpy(p, &set, sizeof(set));
	return (uint64_t)(uintptr_t)p;
}

uint64_t gen_pid(void)
{
	static const uint64_t edge[] = {
		0,	     1, 2, (uint64_t)-1, 1000, (uint64_t)INT_MIN, INT_MAX, 0x100000001ull,
		(uint64_t)-2
	};

	if (gen_chance(40))
		return (uint64_t)sf.self_pid;
	return gen_chance(85) ? GEN_PICK(edge) : gen_next();
}

uint64_t gen_clock(void)
{
	static const uint64_t edge[] = { (uint64_t)-1, (uint64_t)-2, (uint64_t)-6, (uint64_t)-14,
					 INT_MAX,      16,	     100,	   0x100000000ull };

	return gen_chance(75) ? gen_below(12) : GEN_PICK(edge);
}

uint64_t gen_timespec(void)
{
	static const int64_t sec[] = { 0, 0, 0, 1, -1, 2, 100, INT_MAX, LONG_MAX, LONG_MIN };
	static const int64_t nsec[] = { 0, 1, 1000, 999999999, 1000000000, -1, 500000 };
	int64_t t[4];
	uint8_t *p;

	if (gen_chance(20))
		return gen_chance(50) ? 0 : gen_bad_ptr();
	for (int i = 0; i < 4; i += 2) {
		t[i] = GEN_PICK(sec);
		t[i + 1] = gen_chance(90) ? GEN_PICK(nsec) : (int64_t)gen_next();
	}
	p = gen_scratch(sizeof(t));
	memcpy(p, t, sizeof(t));
	return (uint64_t)(uintptr_t)p;
}

uint64_t gen_iov(void)
{
	unsigned n = 1 + gen_below(8);
	struct iovec *v;

	if (gen_chance(15))
		return gen_bad_ptr();
	v = (struct iovec *)gen_scratch(n * sizeof(*v));
	for (unsigned i = 0; i < n; i++) {
		v[i].iov_base = (void *)(uintptr_t)gen_ptr();
		v[i].iov_len = gen_len();
	}
	return (uint64_t)(uintptr_t)v;
}

uint64_t gen_sockaddr(void)
{
	static const uint16_t family[] = { AF_UNIX,   AF_INET,	 AF_INET6, AF_NETLINK,
					   AF_UNSPEC, AF_PACKET, 255 };
	static const uint32_t ip4[] = { 0x7f000001, 0, 0x0a000202, 0xffffffff, 0x0a00020f };
	uint8_t *p;
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
	} u;

	if (gen_chance(15))
		return gen_bad_ptr();
	p = gen_scratch(sizeof(u));
	memcpy(&u, p, sizeof(u));
	u.in.sin_family = GEN_PICK(family);
	u.in.sin_port = htons(gen_chance(50) ? 5000 + gen_below(4) : gen_below(65536));
	if (u.in.sin_family == AF_INET)
		u.in.sin_addr.s_addr = htonl(GEN_PICK(ip4));
	else if (u.in.sin_family == AF_INET6 && gen_chance(50))
		u.in6.sin6_addr = in6addr_loopback;
	else if (u.in.sin_family == AF_UNIX && gen_chance(70))
		strcpy(u.un.sun_path, gen_chance(50) ? SYSFUZZ_DIR "/s" : "\0abstract");
	memcpy(p, &u, sizeof(u));
	return (uint64_t)(uintptr_t)p;
}

/* A cmsghdr carrying SCM_RIGHTS with descriptors of the pool, or noise. */
static void gen_cmsg(struct msghdr *m)
{
	struct cmsghdr *c;
	int fds[3];

	m->msg_control = gen_scratch(CMSG_SPACE(sizeof(fds)));
	m->msg_controllen = gen_chance(80) ? CMSG_SPACE(sizeof(fds)) : gen_len();
	c = (struct cmsghdr *)m->msg_control;
	c->cmsg_level = gen_chance(80) ? SOL_SOCKET : (int)gen_int();
	c->cmsg_type = gen_chance(70) ? SCM_RIGHTS : (int)gen_below(5);
	c->cmsg_len = gen_chance(80) ? CMSG_LEN(sizeof(fds)) : gen_len();
	for (int i = 0; i < 3; i++)
		fds[i] = (int)gen_fd();
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
}

uint64_t gen_msghdr(void)
{
	struct msghdr *m;

	if (gen_chance(10))
		return gen_bad_ptr();
	m = (struct msghdr *)gen_scratch(sizeof(*m));
	m->msg_name = gen_chance(50) ? NULL : (void *)(uintptr_t)gen_sockaddr();
	m->msg_namelen = gen_chance(80) ? sizeof(struct sockaddr_in6) : (socklen_t)gen_len();
	m->msg_iov = (struct iovec *)(uintptr_t)gen_iov();
	m->msg_iovlen = gen_chance(80) ? gen_below(9) : gen_len();
	m->msg_control = NULL;
	m->msg_controllen = 0;
	if (gen_chance(40))
		gen_cmsg(m);
	m->msg_flags = (int)gen_flags();
	return (uint64_t)(uintptr_t)m;
}

uint64_t gen_argv(void)
{
	unsigned n = gen_below(6);
	uint64_t *v;

	if (gen_chance(15))
		return gen_chance(50) ? 0 : gen_bad_ptr();
	v = (uint64_t *)gen_scratch((n + 1) * sizeof(*v));
	for (unsigned i = 0; i < n; i++)
		v[i] = gen_chance(70) ? gen_path(false) : gen_ptr();
	if (gen_chance(90))
		v[n] = 0;
	return (uint64_t)(uintptr_t)v;
}

uint64_t gen_any(void)
{
	switch (gen_below(6)) {
	case 0:
		return gen_fd();
	case 1:
	case 2:
		return gen_ptr();
	case 3:
		return gen_len();
	default:
		return gen_int();
	}
}
