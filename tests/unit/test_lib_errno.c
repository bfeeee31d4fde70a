/*
 * Unit tests of <lib/errno.h> and kernel/lib/errno.c: every number and name
 * against the host's glibc (whose values are Linux's), and the error-pointer
 * helpers.
 */
#include <stdint.h>
#include "unit.h"
#include "../../kernel/lib/errno.c"
/* Included after ours: any macro spelled differently would warn here. */
#include <errno.h>

/* Each name maps to the number glibc's strerrorname_np() names. */
TEST(errno_names_match_glibc)
{
	int bad = 0;

	for (int e = 1; e <= EHWPOISON; e++) {
		/* 41 and 58 are unused in Linux: glibc has no name, we say "E?". */
		const char *theirs = strerrorname_np(e) ? strerrorname_np(e) : "E?";

		if (strcmp(errno_name(e), theirs) && bad++ < 5)
			printf("  %d: ours %s, glibc %s\n", e, errno_name(e), theirs);
	}
	CHECK_EQ(bad, 0);
	CHECK_STR(errno_name(-ENOENT), "ENOENT");
	CHECK_STR(errno_name(0), "E?");
	CHECK_STR(errno_name(134), "E?");
	CHECK_STR(errno_name(-2147483647 - 1), "E?");
	CHECK_EQ(EWOULDBLOCK, EAGAIN);
	CHECK_EQ(EDEADLOCK, EDEADLK);
	CHECK_EQ(ENOTSUP, EOPNOTSUPP);
}

TEST(errno_err_ptr)
{
	int x;
	void *p = ERR_PTR(-ENOMEM);

	CHECK(IS_ERR(p));
	CHECK(IS_ERR_OR_NULL(p));
	CHECK_EQ(PTR_ERR(p), -ENOMEM);
	CHECK(IS_ERR(ERR_PTR(-MAX_ERRNO)));
	CHECK(!IS_ERR(ERR_PTR(-MAX_ERRNO - 1)));
	CHECK(!IS_ERR(&x));
	CHECK(!IS_ERR(NULL));
	CHECK(IS_ERR_OR_NULL(NULL));
	CHECK(!IS_ERR_OR_NULL(&x));
}

int main(void)
{
	RUN(errno_names_match_glibc);
	RUN(errno_err_ptr);
	return unit_summary();
}
