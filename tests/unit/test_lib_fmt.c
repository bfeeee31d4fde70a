/*
 * Unit tests of kernel/lib/fmt.c: every output is compared with the host's
 * glibc snprintf, which fmt promises to match byte for byte.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include "unit.h"
#include "../../kernel/lib/fmt.c"

/* The edge cases below are deliberate (flags glibc ignores, NULL %s...). */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* Compare fmt_snprintf with snprintf on one format and its arguments. */
#define SAME(...)                                                                                  \
	do {                                                                                       \
		char ours_[512], libc_[512];                                                       \
		int ro_ = fmt_snprintf(ours_, sizeof(ours_), __VA_ARGS__);                         \
		int rl_ = snprintf(libc_, sizeof(libc_), __VA_ARGS__);                             \
		if (ro_ != rl_ || strcmp(ours_, libc_)) {                                          \
			printf("  %s:%d: %s: got \"%s\" (%d), glibc \"%s\" (%d)\n", __FILE__,      \
			       __LINE__, #__VA_ARGS__, ours_, ro_, libc_, rl_);                    \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

TEST(fmt_integers)
{
	SAME("%d %i %u", 0, -1, 42u);
	SAME("%d %d", INT_MIN, INT_MAX);
	SAME("%ld %ld %lu", LONG_MIN, LONG_MAX, ULONG_MAX);
	SAME("%lld %lld %llu", LLONG_MIN, LLONG_MAX, ULLONG_MAX);
	SAME("%jd %ju %zu %zd %td", INTMAX_MIN, UINTMAX_MAX, SIZE_MAX, (ssize_t)-5, (ptrdiff_t)-7);
	SAME("%hhd %hd %hhu %hu %hhx %hx", 300, 70000, -1, -1, -1, -1);
	SAME("%x %X %o %#x %#X %#o", 0xdeadbeefu, 0xdeadbeefu, 0777u, 255u, 255u, 8u);
	SAME("%#x %#o %#.0o %#.0x %.0d %.0u %.0x %.0o", 0u, 0u, 0u, 0u, 0, 0u, 0u, 0u);
	SAME("[%5.0d] [%-5.0d] [%+.0d] [% .0d]", 0, 0, 0, 0);
	SAME("%+d %+d % d % d %+ d", 5, -5, 5, -5, 5);
	SAME("[%08d] [%-08d] [%08.3d] [%+08d] [% 08d] [%08x] [%#08x] [%#08o]", -42, -42, -42, 42,
	     42, 0xabu, 0xabu, 8u);
	SAME("[%*d] [%-*d] [%*d] [%.*d] [%.*d] [%*.*x]", 6, 1, 6, 2, -6, 3, 4, 5, -4, 6, 8, 3,
	     0xfu);
	SAME("[%#5.3o] [%#.3o] [%#10.4x] [%-#10.4X|]", 8u, 0777u, 0x1234u, 0xabu);
	SAME("%lx %lo %llX", ULONG_MAX, ULONG_MAX, 0x0123456789abcdefULL);
	SAME("%50d|%-50lld|%.40u", INT_MIN, LLONG_MIN, 7u);
}

TEST(fmt_strings_chars_pointers)
{
	int x;

	SAME("[%s] [%10s] [%-10s] [%.2s] [%10.2s] [%-10.0s]", "hello", "hello", "hello", "hello",
	     "hello", "hello");
	SAME("[%s] [%.5s] [%.6s] [%10s] [%-8.3s]", (char *)NULL, (char *)NULL, (char *)NULL,
	     (char *)NULL, (char *)NULL);
	SAME("[%c] [%5c] [%-5c] [%c]", 'a', 'b', 'c', 0x141);
	SAME("[%p] [%p] [%20p] [%-20p] [%5p] [%-8p]", (void *)&x, (void *)0x1234, (void *)&x,
	     (void *)0x1, (void *)NULL, (void *)NULL);
	SAME("[%+p] [% p] [%010p] [%.5p] [%#p] [%.0p]", (void *)1, (void *)1, (void *)0x12,
	     (void *)0x12, (void *)16, (void *)NULL);
	SAME("100%% [%5%] %s%%", "x");
	SAME("%s", "");
	SAME("no conversions at all");
}

/* glibc also copies an unknown conversion verbatim; we match the simple cases. */
TEST(fmt_unknown_conversion)
{
	char buf[64];

	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "a%yb"), 4);
	CHECK_STR(buf, "a%yb");
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "end%"), 4);
	CHECK_STR(buf, "end%");
}

/* Every combination of flags, width and precision on the integer conversions. */
TEST(fmt_exhaustive_combinations)
{
	static const char *const flags[] = {"",	  "-",	"0",  "+",  " ",  "#",	"-0",
					    "+0", "-+", " 0", "#0", "#-", "+ ", "-#0+ "};
	static const char *const widths[] = {"", "1", "5", "12", "25"};
	static const char *const precs[] = {"", ".", ".0", ".1", ".3", ".10", ".22"};
	static const char *const lens[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};
	static const char convs[] = "diuxXo";
	static const long long vals[] = {0,	    1,	       -1,	     7,	      8,
					 255,	    -128,      32767,	     INT_MIN, INT_MAX,
					 LLONG_MIN, LLONG_MAX, 0x123456789LL};
	char f[64];
	int bad = 0;

	for (size_t a = 0; a < sizeof(flags) / sizeof(*flags); a++)
		for (size_t b = 0; b < sizeof(widths) / sizeof(*widths); b++)
			for (size_t c = 0; c < sizeof(precs) / sizeof(*precs); c++)
				for (size_t d = 0; d < sizeof(lens) / sizeof(*lens); d++)
					for (size_t e = 0; convs[e]; e++)
						for (size_t v = 0; v < sizeof(vals) / sizeof(*vals);
						     v++) {
							char o[128], l[128];
							int ro, rl;

							snprintf(f, sizeof(f), "[%%%s%s%s%s%c]",
								 flags[a], widths[b], precs[c],
								 lens[d], convs[e]);
							ro = fmt_snprintf(o, sizeof(o), f, vals[v]);
							rl = snprintf(l, sizeof(l), f, vals[v]);
							if ((ro != rl || strcmp(o, l)) &&
							    bad++ < 10)
								printf("  %s with %lld: got "
								       "\"%s\", glibc \"%s\"\n",
								       f, vals[v], o, l);
						}
	CHECK_EQ(bad, 0);
}

/* C99 snprintf semantics: truncation, the NUL, and the would-be length. */
TEST(fmt_snprintf_truncation)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	CHECK_EQ(fmt_snprintf(buf, 0, "%s", "hello"), 5);
	CHECK_EQ(buf[0], 'X');
	CHECK_EQ(fmt_snprintf(NULL, 0, "%d", 123456), 6);
	CHECK_EQ(fmt_snprintf(buf, 1, "%s", "hello"), 5);
	CHECK_STR(buf, "");
	CHECK_EQ(fmt_snprintf(buf, 4, "%s world", "hello"), 11);
	CHECK_STR(buf, "hel");
	CHECK_EQ(buf[4], 'X');
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%07d", 12), 7);
	CHECK_STR(buf, "0000012");
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%08d", 12), 8);
	CHECK_STR(buf, "0000001");
}

/* fmt_vformat hands out pieces; their concatenation is the output. */
struct collect {
	char text[256];
	size_t len;
	int calls;
};

static void collect_put(void *ctx, const char *s, size_t n)
{
	struct collect *c = ctx;

	memcpy(c->text + c->len, s, n);
	c->len += n;
	c->calls++;
}

TEST(fmt_format_callback)
{
	struct collect c = {{0}, 0, 0};
	int n = fmt_format(collect_put, &c, "x=%d, s=%-4s|, p=%p", -3, "ab", (void *)0xff);

	CHECK_EQ(n, (int)c.len);
	CHECK_STR(c.text, "x=-3, s=ab  |, p=0xff");
	CHECK(c.calls > 1);
}

int main(void)
{
	RUN(fmt_integers);
	RUN(fmt_strings_chars_pointers);
	RUN(fmt_unknown_conversion);
	RUN(fmt_exhaustive_combinations);
	RUN(fmt_snprintf_truncation);
	RUN(fmt_format_callback);
	return unit_summary();
}
