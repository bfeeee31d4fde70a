/* Unit tests of kernel/lib/cmdline.c: option lookup and number parsing. */
#include <stdint.h>
#include "unit.h"
#include "../../kernel/lib/cmdline.c"

/* The value of @key as a NUL-terminated copy ("<absent>" if missing). */
static const char *value(const char *cmdline, const char *key)
{
	static char buf[128];
	size_t n = 99;
	const char *v = cmdline_find(cmdline, key, &n);

	if (!v)
		return "<absent>";
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

TEST(cmdline_find_values)
{
	const char *cl = "console=ttyS0 monos.channel=1  monos.trace\tquiet=0 a=b=c last=";

	CHECK_STR(value(cl, "console"), "ttyS0");
	CHECK_STR(value(cl, "monos.channel"), "1");
	CHECK_STR(value(cl, "monos.trace"), "");
	CHECK_STR(value(cl, "quiet"), "0");
	CHECK_STR(value(cl, "a"), "b=c");
	CHECK_STR(value(cl, "last"), "");
	CHECK_STR(value(cl, "monos"), "<absent>"); /* a prefix is not the key */
	CHECK_STR(value(cl, "channel"), "<absent>");
	CHECK_STR(value(cl, "monos.channel=1"), "<absent>");
	CHECK_STR(value(cl, ""), "<absent>");
	CHECK_STR(value("", "x"), "<absent>");
	CHECK_STR(value("   ", "x"), "<absent>");
	CHECK(cmdline_find(NULL, "x", NULL) == NULL);
	/* The value points into the command line itself. */
	CHECK(cmdline_find(cl, "console", NULL) == cl + 8);
}

TEST(cmdline_last_occurrence_wins)
{
	CHECK_STR(value("x=1 y=2 x=3", "x"), "3");
	CHECK_STR(value("x=1 x", "x"), "");
	CHECK_STR(value(" x x=long-value ", "x"), "long-value");
}

TEST(cmdline_flags)
{
	CHECK(cmdline_flag("a monos.verbose", "monos.verbose"));
	CHECK(cmdline_flag("monos.verbose=1", "monos.verbose"));
	CHECK(cmdline_flag("monos.verbose=on", "monos.verbose"));
	CHECK(cmdline_flag("monos.verbose=yes", "monos.verbose"));
	CHECK(cmdline_flag("monos.verbose=y", "monos.verbose"));
	CHECK(cmdline_flag("monos.verbose=true", "monos.verbose"));
	CHECK(!cmdline_flag("monos.verbose=0", "monos.verbose"));
	CHECK(!cmdline_flag("monos.verbose=off", "monos.verbose"));
	CHECK(!cmdline_flag("monos.verbose=", "monos.verbose"));
	CHECK(!cmdline_flag("monos.verbose=10", "monos.verbose"));
	CHECK(!cmdline_flag("monos.verbosely", "monos.verbose"));
	CHECK(!cmdline_flag("", "monos.verbose"));
	CHECK(!cmdline_flag("monos.verbose=1 monos.verbose=0", "monos.verbose"));
}

static int u64(const char *s, uint64_t *v)
{
	return parse_u64(s, strlen(s), v);
}

TEST(parse_u64_cases)
{
	uint64_t v = 0;

	CHECK_EQ(u64("0", &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(u64("12345", &v), 0);
	CHECK_EQ(v, 12345);
	CHECK_EQ(u64("0x1F", &v), 0);
	CHECK_EQ(v, 31);
	CHECK_EQ(u64("0XfeB00e00", &v), 0);
	CHECK_EQ(v, 0xfeb00e00);
	CHECK_EQ(u64("18446744073709551615", &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(u64("0xffffffffffffffff", &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(u64("18446744073709551616", &v), -ERANGE);
	CHECK_EQ(u64("0x10000000000000000", &v), -ERANGE);
	CHECK_EQ(u64("99999999999999999999", &v), -ERANGE);
	CHECK_EQ(u64("", &v), -EINVAL);
	CHECK_EQ(u64("0x", &v), -EINVAL);
	CHECK_EQ(u64("12a", &v), -EINVAL);
	CHECK_EQ(u64("-1", &v), -EINVAL);
	CHECK_EQ(u64(" 1", &v), -EINVAL);
	CHECK_EQ(u64("0xg", &v), -EINVAL);
	/* Only @len bytes are read: "12" out of "123". */
	CHECK_EQ(parse_u64("123", 2, &v), 0);
	CHECK_EQ(v, 12);
}

static int size(const char *s, uint64_t *v)
{
	return parse_size(s, strlen(s), v);
}

TEST(parse_size_cases)
{
	uint64_t v = 0;

	CHECK_EQ(size("512", &v), 0);
	CHECK_EQ(v, 512);
	CHECK_EQ(size("64K", &v), 0);
	CHECK_EQ(v, 64 << 10);
	CHECK_EQ(size("128m", &v), 0);
	CHECK_EQ(v, 128 << 20);
	CHECK_EQ(size("2G", &v), 0);
	CHECK_EQ(v, 2ull << 30);
	CHECK_EQ(size("0x10M", &v), 0);
	CHECK_EQ(v, 16 << 20);
	CHECK_EQ(size("17179869183G", &v), 0); /* 2^34 - 1 G fits */
	CHECK_EQ(size("17179869184G", &v), -ERANGE);
	CHECK_EQ(size("K", &v), -EINVAL);
	CHECK_EQ(size("", &v), -EINVAL);
	CHECK_EQ(size("1KB", &v), -EINVAL);
	CHECK_EQ(size("1T", &v), -EINVAL);
	CHECK_EQ(size("1 K", &v), -EINVAL);
}

static int mmio(const char *s, uint64_t *sz, uint64_t *addr, unsigned *irq)
{
	return cmdline_parse_mmio(s, strlen(s), sz, addr, irq);
}

TEST(cmdline_mmio)
{
	uint64_t sz = 0, addr = 0;
	unsigned irq = 0;

	/* As QEMU's microvm writes it. */
	CHECK_EQ(mmio("512@0xfeb00e00:12", &sz, &addr, &irq), 0);
	CHECK_EQ(sz, 512);
	CHECK_EQ(addr, 0xfeb00e00);
	CHECK_EQ(irq, 12);
	/* As Firecracker writes it. */
	CHECK_EQ(mmio("4K@0xd0000000:5", &sz, &addr, &irq), 0);
	CHECK_EQ(sz, 4096);
	CHECK_EQ(addr, 0xd0000000);
	CHECK_EQ(irq, 5);
	CHECK_EQ(mmio("1M@3G:0x20", &sz, &addr, &irq), 0);
	CHECK_EQ(addr, 3ull << 30);
	CHECK_EQ(irq, 32);
	CHECK_EQ(mmio("512@0xfeb00e00", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("512:12", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("@0x1000:1", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("512@:1", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("512@0x1000:", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("0@0x1000:1", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("512@0x1000:1:2", &sz, &addr, &irq), -EINVAL);
	CHECK_EQ(mmio("512@0x1000:4294967296", &sz, &addr, &irq), -ERANGE);
	CHECK_EQ(mmio("0x1000@0xfffffffffffff001:1", &sz, &addr, &irq), -ERANGE);
	CHECK_EQ(mmio("0x1000@0xfffffffffffff000:1", &sz, &addr, &irq), 0);
	/* Parsed in place: only @len bytes count. */
	CHECK_EQ(cmdline_parse_mmio("4K@0x1000:7 next=1", 11, &sz, &addr, &irq), 0);
	CHECK_EQ(irq, 7);
}

TEST(parse_user_ids_forms)
{
	uint32_t ids[2], g[4];
	unsigned n;

	CHECK_EQ(parse_user_ids("1000:1000", 9, ids, g, 4, &n), 0);
	CHECK(ids[0] == 1000 && ids[1] == 1000 && n == 0);
	CHECK_EQ(parse_user_ids("0:0:27,4294967294", 17, ids, g, 4, &n), 0);
	CHECK(ids[0] == 0 && n == 2 && g[0] == 27 && g[1] == 4294967294u);
	CHECK_EQ(parse_user_ids("5:6:7", 5, ids, g, 4, &n), 0);
	CHECK(n == 1 && g[0] == 7);
	const char *bad[] = { "",    "1000",   "1000:", ":1",	"1:2:",		"1:2:3,", "1:2:,3",
			      "a:1", "1:0x10", "1::2",	"-1:0", "4294967295:0", "1:2:3:4" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(parse_user_ids(bad[i], strlen(bad[i]), ids, g, 4, &n), -EINVAL);
	CHECK_EQ(parse_user_ids("1:2:3,4,5,6,7", 13, ids, g, 4, &n), -ERANGE);
	/* Only the bytes given count: the entry has no NUL. */
	CHECK_EQ(parse_user_ids("7:8junk", 3, ids, g, 4, &n), 0);
	CHECK(ids[0] == 7 && ids[1] == 8);
}

TEST(parse_rlimit_lines)
{
	const char *bad[] = { "",	"7",	 "7 1",	  "7 1 2 3",	    "7  1 2",
			      "7 1 2 ", "x 1 2", "7 3 2", "2147483648 1 2", "7 -1 2" };
	uint64_t soft, hard;
	unsigned res;

	CHECK_EQ(parse_rlimit("7 500 1000", 10, &res, &soft, &hard), 0);
	CHECK(res == 7 && soft == 500 && hard == 1000);
	CHECK_EQ(parse_rlimit("4 0 18446744073709551615", 24, &res, &soft, &hard), 0);
	CHECK(res == 4 && soft == 0 && hard == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(parse_rlimit(bad[i], strlen(bad[i]), &res, &soft, &hard), -EINVAL);
}

int main(void)
{
	RUN(parse_rlimit_lines);
	RUN(parse_user_ids_forms);
	RUN(cmdline_find_values);
	RUN(cmdline_last_occurrence_wins);
	RUN(cmdline_flags);
	RUN(parse_u64_cases);
	RUN(parse_size_cases);
	RUN(cmdline_mmio);
	return unit_summary();
}
