/*
 * Unit tests of kernel/lib/grubenv.c: blocks rewritten by grubenv_set are
 * byte for byte what Debian's grub-editenv writes for the same variables
 * (when it is installed), values are read back, removal keeps the others'
 * order, an overflow leaves the block alone, and damaged blocks (a wrong
 * header, a line without '=', stray bytes in the padding) are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "../../kernel/lib/grubenv.c"

static void empty_block(char *b)
{
	memcpy(b, GRUBENV_HEADER, HEADER_LEN);
	memset(b + HEADER_LEN, '#', GRUBENV_SIZE - HEADER_LEN);
}

static int value_is(const char *b, const char *name, const char *want)
{
	size_t len;
	const char *v = grubenv_get(b, name, &len);

	return v && len == strlen(want) && !memcmp(v, want, len);
}

TEST(grubenv_set_get_remove)
{
	char b[GRUBENV_SIZE];

	empty_block(b);
	CHECK_EQ(grubenv_check(b), 0);
	CHECK_EQ(grubenv_set(b, "monos_slot", "a"), 0);
	CHECK_EQ(grubenv_set(b, "monos_try", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_pending", "1"), 0);
	CHECK(value_is(b, "monos_slot", "a") && value_is(b, "monos_try", "b"));
	CHECK_EQ(grubenv_set(b, "monos_slot", "b"), 0); /* replaced in its place */
	CHECK_EQ(grubenv_set(b, "monos_try", NULL), 0);
	CHECK(!memcmp(b + HEADER_LEN, "monos_slot=b\nmonos_pending=1\n#", 30));
	CHECK(grubenv_get(b, "monos_try", &(size_t){ 0 }) == NULL);
	CHECK(grubenv_get(b, "monos_slo", &(size_t){ 0 }) == NULL);
	CHECK_EQ(grubenv_check(b), 0);
}

TEST(grubenv_refusals)
{
	char b[GRUBENV_SIZE], big[GRUBENV_SIZE], copy[GRUBENV_SIZE];

	empty_block(b);
	CHECK_EQ(grubenv_set(b, "a=b", "1"), -EINVAL);
	CHECK_EQ(grubenv_set(b, "a", "1\n"), -EINVAL);
	CHECK_EQ(grubenv_set(b, "", "1"), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(copy, b, sizeof(b));
	CHECK_EQ(grubenv_set(b, "a", big), -ENOSPC);
	CHECK(!memcmp(copy, b, sizeof(b)));
	b[0] = '!';
	CHECK_EQ(grubenv_check(b), -EINVAL);
	empty_block(b);
	memcpy(b + HEADER_LEN, "novalue\n", 8);
	CHECK_EQ(grubenv_check(b), -EINVAL);
	empty_block(b);
	b[GRUBENV_SIZE - 1] = 0;
	CHECK_EQ(grubenv_check(b), -EINVAL);
	CHECK_EQ(grubenv_set(b, "a", "1"), -EINVAL);
}

/* The oracle: grub-editenv's own file for the same variables. */
TEST(grubenv_matches_grub_editenv)
{
	char path[] = "/tmp/grubenv.XXXXXX", cmd[256], b[GRUBENV_SIZE], theirs[GRUBENV_SIZE];
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0 || system("command -v grub-editenv >/dev/null 2>&1")) {
		printf("  skip: grub-editenv is not installed (grub2-common)\n");
		if (fd >= 0) {
			unlink(path);
			close(fd);
		}
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "grub-editenv %s create && grub-editenv %s set monos_slot=a monos_try=b && "
		 "grub-editenv %s set monos_slot=b && grub-editenv %s unset monos_try",
		 path, path, path, path);
	CHECK_EQ(system(cmd), 0);
	f = fopen(path, "rb");
	CHECK(f && fread(theirs, 1, sizeof(theirs), f) == sizeof(theirs));
	if (f)
		fclose(f);
	unlink(path);
	empty_block(b); /* with Debian's warning comment, as grub-editenv makes it */
	memcpy(b + HEADER_LEN, theirs + HEADER_LEN,
	       strchr(theirs + HEADER_LEN, '\n') - theirs - HEADER_LEN + 1);
	CHECK_EQ(grubenv_check(b), 0);
	CHECK_EQ(grubenv_set(b, "monos_slot", "a"), 0);
	CHECK_EQ(grubenv_set(b, "monos_try", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_slot", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_try", NULL), 0);
	CHECK(!memcmp(b, theirs, sizeof(b)));
	CHECK_EQ(grubenv_check(theirs), 0);
}

int main(void)
{
	RUN(grubenv_set_get_remove);
	RUN(grubenv_refusals);
	RUN(grubenv_matches_grub_editenv);
	return unit_summary();
}
