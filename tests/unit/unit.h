/*
 * A tiny unit-test harness for monos' pure code, run on the host.
 *
 * A test file defines functions with TEST(name) and lists them in main():
 *
 *     TEST(cpio_rejects_bad_magic) { CHECK(cpio_next(...) == -EINVAL); }
 *     int main(void) { RUN(cpio_rejects_bad_magic); return unit_summary(); }
 *
 * Each test prints "PASS name" or "FAIL name" (with the failed checks above
 * it); tests/run.sh counts those lines.  A failed CHECK does not stop the test.
 */
#ifndef MONOS_UNIT_H
#define MONOS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks, unit_passed, unit_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			printf("  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__,  \
			       #a, a_, #b, b_);                                                    \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (strcmp(a_, b_) != 0) {                                                         \
			printf("  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
			       a_, b_);                                                            \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define RUN(name)                                                                                  \
	do {                                                                                       \
		int before_ = unit_failed_checks;                                                  \
		test_##name();                                                                     \
		if (unit_failed_checks == before_) {                                               \
			printf("PASS %s\n", #name);                                                \
			unit_passed++;                                                             \
		} else {                                                                           \
			printf("FAIL %s\n", #name);                                                \
			unit_failed++;                                                             \
		}                                                                                  \
	} while (0)

static inline int unit_summary(void)
{
	return unit_failed ? 1 : 0;
}

#endif
