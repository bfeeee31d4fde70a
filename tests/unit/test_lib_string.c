/*
 * Unit tests of kernel/lib/string.c, compared with glibc on every length,
 * alignment and overlap that matters.  The host's libc already defines these
 * names, so the file under test is compiled with each function renamed to
 * lib_<name>.
 */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"

#define memcpy	lib_memcpy
#define memmove lib_memmove
#define memset	lib_memset
#define memcmp	lib_memcmp
#define memchr	lib_memchr
#define strlen	lib_strlen
#define strnlen lib_strnlen
#define strcmp	lib_strcmp
#define strncmp lib_strncmp
#define strchr	lib_strchr
#define strrchr lib_strrchr
#define strcpy	lib_strcpy
#define strncpy lib_strncpy
#define strcat	lib_strcat
#define strstr	lib_strstr
#define strspn	lib_strspn
#define strcspn lib_strcspn
#include "../../kernel/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strcpy
#undef strncpy
#undef strcat
#undef strstr
#undef strspn
#undef strcspn

#define BUF 160

/* strncpy with n < strlen(src) is tested on purpose. */
#pragma GCC diagnostic ignored "-Wstringop-truncation"

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rand();
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* memcpy and memset: every offset 0..8 and length 0..70; guard bytes intact. */
TEST(string_memcpy_memset)
{
	uint8_t src[BUF], a[BUF], b[BUF];
	int bad = 0;

	for (size_t off = 0; off < 9; off++)
		for (size_t soff = 0; soff < 9; soff++)
			for (size_t n = 0; n <= 70; n++) {
				fill_random(src, BUF);
				fill_random(a, BUF);
				memcpy(b, a, BUF);
				if (lib_memcpy(a + off, src + soff, n) != a + off)
					bad++;
				memcpy(b + off, src + soff, n);
				bad += memcmp(a, b, BUF) != 0;
				if (lib_memset(a + off, (int)(n + 0x180), n) != a + off)
					bad++;
				memset(b + off, (int)(n + 0x180), n);
				bad += memcmp(a, b, BUF) != 0;
			}
	CHECK_EQ(bad, 0);
}

/* memmove with overlap in both directions. */
TEST(string_memmove_overlap)
{
	uint8_t a[BUF], b[BUF];
	int bad = 0;

	for (size_t dst = 0; dst < 40; dst++)
		for (size_t src = 0; src < 40; src++)
			for (size_t n = 0; n <= 80; n += (n < 20 ? 1 : 7)) {
				fill_random(a, BUF);
				memcpy(b, a, BUF);
				if (lib_memmove(a + dst, a + src, n) != a + dst)
					bad++;
				memmove(b + dst, b + src, n);
				bad += memcmp(a, b, BUF) != 0;
			}
	CHECK_EQ(bad, 0);
}

/* memcmp: sign of the result at each position of the first difference,
 * including bytes >= 0x80 (compared as unsigned). */
TEST(string_memcmp_memchr)
{
	uint8_t a[BUF], b[BUF];
	int bad = 0;

	for (size_t n = 0; n <= 40; n++)
		for (size_t diff = 0; diff <= n; diff++) {
			fill_random(a, BUF);
			memcpy(b, a, BUF);
			if (diff < n)
				b[diff] = (uint8_t)(a[diff] ^ (diff & 1 ? 0x80 : 0x01));
			bad += sign(lib_memcmp(a, b, n)) != sign(memcmp(a, b, n));
			bad += sign(lib_memcmp(b, a, n)) != sign(memcmp(b, a, n));
			bad += lib_memchr(a, a[n / 2], n) != memchr(a, a[n / 2], n);
			bad += lib_memchr(a, 0x1ff, n) != memchr(a, 0x1ff, n);
		}
	CHECK_EQ(bad, 0);
}

static const char *const strs[] = {"",	       "a",    "abc",  "abd",	"ab", "hello world",
				   "\x80\xff", "\x7f", "aaaa", "a/b/c", "/",  "x\xe9y"};
#define NSTRS (sizeof(strs) / sizeof(strs[0]))

TEST(string_str_compare_and_length)
{
	int bad = 0;

	for (size_t i = 0; i < NSTRS; i++) {
		bad += lib_strlen(strs[i]) != strlen(strs[i]);
		for (size_t m = 0; m < 14; m++)
			bad += lib_strnlen(strs[i], m) != strnlen(strs[i], m);
		for (size_t j = 0; j < NSTRS; j++) {
			bad += sign(lib_strcmp(strs[i], strs[j])) != sign(strcmp(strs[i], strs[j]));
			for (size_t m = 0; m < 5; m++)
				bad += sign(lib_strncmp(strs[i], strs[j], m)) !=
				       sign(strncmp(strs[i], strs[j], m));
			bad += lib_strstr(strs[i], strs[j]) != strstr(strs[i], strs[j]);
			bad += lib_strspn(strs[i], strs[j]) != strspn(strs[i], strs[j]);
			bad += lib_strcspn(strs[i], strs[j]) != strcspn(strs[i], strs[j]);
		}
	}
	CHECK_EQ(bad, 0);
}

TEST(string_strchr_strrchr)
{
	static const int chars[] = {'a', 'b', '/', 0, 0xff, 0x80, 'z', 0x100 + 'a'};
	int bad = 0;

	for (size_t i = 0; i < NSTRS; i++)
		for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
			bad += lib_strchr(strs[i], chars[c]) != strchr(strs[i], chars[c]);
			bad += lib_strrchr(strs[i], chars[c]) != strrchr(strs[i], chars[c]);
		}
	CHECK_EQ(bad, 0);
}

TEST(string_copies)
{
	char a[32], b[32];

	memset(a, 'X', sizeof(a));
	memset(b, 'X', sizeof(b));
	CHECK(lib_strcpy(a, "hello") == a);
	strcpy(b, "hello");
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK(lib_strcat(a, ", world") == a);
	strcat(b, ", world");
	CHECK(!memcmp(a, b, sizeof(a)));
	for (size_t n = 0; n < 12; n++) {
		memset(a, 'X', sizeof(a));
		memset(b, 'X', sizeof(b));
		CHECK(lib_strncpy(a, "abcde", n) == a);
		strncpy(b, "abcde", n);
		CHECK(!memcmp(a, b, sizeof(a)));
	}
}

int main(void)
{
	srand(42);
	RUN(string_memcpy_memset);
	RUN(string_memmove_overlap);
	RUN(string_memcmp_memchr);
	RUN(string_str_compare_and_length);
	RUN(string_strchr_strrchr);
	RUN(string_copies);
	return unit_summary();
}
