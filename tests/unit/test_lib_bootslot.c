/*
 * Unit tests of kernel/lib/bootslot.c, the A/B variables of an exported
 * disk's grubenv block: a fresh block reads as slot a good; a trial marked
 * good or abandoned leaves nothing to try and keeps the reason; failed boots
 * count up with a doubling, capped delay and clear when settled; both slots
 * are bad only after BOOTSLOT_BAD_BOOTS failures with the other slot
 * abandoned or empty; a new image drops the old one's reason; values are
 * cut to their bounds so that every variable at its longest still fits the
 * block; malformed values read as defaults.
 */
#include "unit.h"
#include "../../kernel/lib/grubenv.c"
#include "../../kernel/lib/bootslot.c"

static void fresh(char *b)
{
	memcpy(b, GRUBENV_HEADER, HEADER_LEN);
	memset(b + HEADER_LEN, '#', GRUBENV_SIZE - HEADER_LEN);
}

TEST(bootslot_defaults)
{
	char b[GRUBENV_SIZE];
	struct bootslot_state s;

	fresh(b);
	bootslot_read(b, &s);
	CHECK(s.good == 'a' && !s.trying && !s.pending && !s.booted && !s.abandoned);
	CHECK(!s.fails && !s.image[0][0] && !s.image[1][0] && !s.why[0]);
	/* Malformed values read as defaults. */
	CHECK_EQ(grubenv_set(b, "monos_slot", "c"), 0);
	CHECK_EQ(grubenv_set(b, "monos_fails", "1x"), 0);
	CHECK_EQ(grubenv_set(b, "monos_backoff", "99999999999"), 0);
	CHECK_EQ(grubenv_set(b, "monos_try", "ab"), 0);
	bootslot_read(b, &s);
	CHECK(s.good == 'a' && !s.fails && !s.backoff_s && !s.trying);
}

TEST(bootslot_trial)
{
	char b[GRUBENV_SIZE];
	struct bootslot_state s;

	fresh(b);
	CHECK_EQ(grubenv_set(b, "monos_try", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_pending", "1"), 0);
	CHECK_EQ(bootslot_set_image(b, 'b', "web:v2@sha256:00"), 0);
	bootslot_read(b, &s);
	CHECK(s.trying == 'b' && s.pending);
	CHECK_STR(s.image[1], "web:v2@sha256:00");
	CHECK_EQ(bootslot_abandon(b, 'b', "unhealthy"), 0);
	bootslot_read(b, &s);
	CHECK(s.good == 'a' && !s.trying && !s.pending && s.abandoned == 'b');
	CHECK_STR(s.why, "unhealthy");
	/* A new image in the abandoned slot drops the old reason. */
	CHECK_EQ(bootslot_set_image(b, 'b', "web:v3@sha256:11"), 0);
	bootslot_read(b, &s);
	CHECK(!s.abandoned && !s.why[0]);
	CHECK_EQ(grubenv_set(b, "monos_try", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_fails", "2"), 0);
	CHECK_EQ(bootslot_mark_good(b, 'b'), 0);
	bootslot_read(b, &s);
	CHECK(s.good == 'b' && !s.trying && !s.fails);
	CHECK_EQ(bootslot_set_image(b, 'c', "x"), -EINVAL);
}

TEST(bootslot_backoff)
{
	char b[GRUBENV_SIZE];
	struct bootslot_state s;
	unsigned fails, delay;

	CHECK_EQ(bootslot_backoff_s(1), 1u);
	CHECK_EQ(bootslot_backoff_s(2), 2u);
	CHECK_EQ(bootslot_backoff_s(5), 16u);
	CHECK_EQ(bootslot_backoff_s(9), 256u);
	CHECK_EQ(bootslot_backoff_s(10), (unsigned)BOOTSLOT_BACKOFF_MAX_S);
	CHECK_EQ(bootslot_backoff_s(BOOTSLOT_FAILS_MAX), (unsigned)BOOTSLOT_BACKOFF_MAX_S);
	fresh(b);
	CHECK_EQ(bootslot_set_image(b, 'a', "app@sha256:aa"), 0);
	for (unsigned i = 1; i <= 3; i++) {
		CHECK_EQ(bootslot_failed(b, "exited-status-7", &fails, &delay), 0);
		CHECK(fails == i && delay == bootslot_backoff_s(i));
	}
	bootslot_read(b, &s);
	CHECK(s.fails == 3 && s.backoff_s == 4);
	CHECK_STR(s.fail_why, "exited-status-7");
	/* Slot b empty: bad after three; b abandoned: the same; b holding an
	 * image nobody gave up on: never. */
	CHECK(!bootslot_both_bad(&s, 'a', 2) && bootslot_both_bad(&s, 'a', 3));
	CHECK_EQ(bootslot_set_image(b, 'b', "app@sha256:bb"), 0);
	bootslot_read(b, &s);
	CHECK(!bootslot_both_bad(&s, 'a', 3));
	CHECK_EQ(grubenv_set(b, "monos_abandoned", "b"), 0);
	bootslot_read(b, &s);
	CHECK(bootslot_both_bad(&s, 'a', 3) && !bootslot_both_bad(&s, 'b', 3));
	CHECK_EQ(bootslot_settled(b), 0);
	bootslot_read(b, &s);
	CHECK(!s.fails && !s.backoff_s && !s.fail_why[0]);
	/* The count stops at its bound. */
	CHECK_EQ(grubenv_set(b, "monos_fails", "99"), 0);
	CHECK_EQ(bootslot_failed(b, "x", &fails, &delay), 0);
	CHECK(fails == BOOTSLOT_FAILS_MAX && delay == BOOTSLOT_BACKOFF_MAX_S);
}

/* Every variable at its longest fits the block, and values are cut. */
TEST(bootslot_bounds)
{
	char b[GRUBENV_SIZE], longv[400];
	struct bootslot_state s;
	unsigned fails, delay;

	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = 0;
	fresh(b);
	CHECK_EQ(grubenv_set(b, "monos_slot", "a"), 0);
	CHECK_EQ(grubenv_set(b, "monos_try", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_pending", "1"), 0);
	CHECK_EQ(grubenv_set(b, "monos_booted", "a"), 0);
	CHECK_EQ(bootslot_set_image(b, 'a', longv), 0);
	CHECK_EQ(bootslot_set_image(b, 'b', longv), 0);
	CHECK_EQ(bootslot_abandon(b, 'b', longv), 0);
	CHECK_EQ(grubenv_set(b, "monos_fails", "98"), 0);
	CHECK_EQ(bootslot_failed(b, longv, &fails, &delay), 0);
	CHECK_EQ(grubenv_set(b, "monos_try", "b"), 0);
	CHECK_EQ(grubenv_set(b, "monos_pending", "1"), 0);
	CHECK_EQ(grubenv_check(b), 0);
	bootslot_read(b, &s);
	CHECK_EQ(strlen(s.image[0]), (size_t)BOOTSLOT_IMAGE_MAX);
	CHECK_EQ(strlen(s.why), (size_t)BOOTSLOT_WHY_MAX);
	CHECK_EQ(strlen(s.fail_why), (size_t)BOOTSLOT_WHY_MAX);
	CHECK(s.fails == 99 && s.backoff_s == BOOTSLOT_BACKOFF_MAX_S);
}

int main(void)
{
	RUN(bootslot_defaults);
	RUN(bootslot_trial);
	RUN(bootslot_backoff);
	RUN(bootslot_bounds);
	return unit_summary();
}
