/*
 * Unit tests of kernel/lib/clocksync.c: the arithmetic, the PIT unwrapping,
 * and the discipline's promises on simulated clocks: a TSC whose rate the
 * boot calibration got wrong by hundreds of ppm ends up on the reference's
 * rate and phase, never jumps, never goes back, and slews within the limit.
 */
#include <stdint.h>
#include "unit.h"
#include "../../kernel/lib/clocksync.c"

#define SEC 1000000000ull

TEST(muldiv_matches_128_bit_arithmetic)
{
	CHECK_EQ(clocksync_muldiv(10, 20, 7), 28);
	CHECK(clocksync_muldiv(UINT64_MAX, UINT64_MAX, UINT64_MAX) == UINT64_MAX);
	CHECK(clocksync_muldiv(1ull << 63, 6, 4) == (3ull << 62)); /* product past 2^64 */
	CHECK(clocksync_muldiv(0xfedcba9876543210ull, 0x123456789ull, 0xffffffffffull) ==
	      (uint64_t)((unsigned __int128)0xfedcba9876543210ull * 0x123456789ull /
			 0xffffffffffull));
	CHECK(clocksync_muldiv(1ull << 40, 1ull << 40, 1) == UINT64_MAX); /* saturates */
}

TEST(line_counts_from_its_base_and_never_before_it)
{
	struct clocksync_line l = { .tsc_base = 1000, .ns_base = 500, .mult = 2ull << 32 };

	CHECK_EQ(clocksync_ns(&l, 1000), 500);
	CHECK_EQ(clocksync_ns(&l, 1010), 520);
	CHECK_EQ(clocksync_ns(&l, 900), 500);
}

TEST(unwrap_counts_whole_wraps_nearest_the_prediction)
{
	CHECK_EQ(clocksync_unwrap16(1000, 400, 600), 600);
	CHECK_EQ(clocksync_unwrap16(100, 65000, 636), 636); /* through zero */
	CHECK_EQ(clocksync_unwrap16(1000, 400, 3 * 65536 + 600), 3 * 65536 + 600);
	CHECK_EQ(clocksync_unwrap16(1000, 400, 3 * 65536 + 600 + 30000), 3 * 65536 + 600);
	CHECK_EQ(clocksync_unwrap16(1000, 400, 3 * 65536 + 600 - 30000), 3 * 65536 + 600);
	CHECK_EQ(clocksync_unwrap16(1000, 400, 0), 600); /* never fewer than the difference */
}

/*
 * A simulated machine: the TSC runs at `tsc_hz`; the reference is true time.
 * The clock starts on a line whose rate is the calibration's, `err_ppm` off.
 * Samples come at 1, 2, 4 ... 64 s then every 64 s, as core/time.c takes
 * them; `jitter` ns of reading error alternate in sign.  Returns the worst
 * offset from true time after `settle` seconds, over `total` seconds,
 * checking on the way that the clock never goes back or jumps.
 */
static int64_t simulate(uint64_t tsc_hz, int64_t err_ppm, int64_t jitter, uint64_t settle,
			uint64_t total, int *monotonic)
{
	double ns_per_tick = 1e9 / (double)tsc_hz * (1.0 + err_ppm / 1e6);
	struct clocksync_line l = { 0, 0, (uint64_t)(ns_per_tick * 4294967296.0) };
	struct clocksync s;
	uint64_t t = 0, next = SEC, prev_clock = 0, worst = 0;
	int sign = 1;

	clocksync_init(&s, &l, 0, 0);
	*monotonic = 1;
	while (t < total * SEC) {
		/* Between samples: the clock must move forward, at a sane rate. */
		for (uint64_t step = 0; step < next; step += next / 8) {
			uint64_t tt = t + step, tsc = (uint64_t)((double)tt * tsc_hz / 1e9);
			uint64_t c = clocksync_ns(&l, tsc);
			int64_t off = (int64_t)(c - tt);

			if (c < prev_clock ||
			    (prev_clock && c - prev_clock > next / 8 + next / 1000))
				*monotonic = 0;
			prev_clock = c;
			if (tt >= settle * SEC && (uint64_t)(off < 0 ? -off : off) > worst)
				worst = (uint64_t)(off < 0 ? -off : off);
		}
		t += next;
		uint64_t tsc = (uint64_t)((double)t * tsc_hz / 1e9);
		next = next * 2 > 64 * SEC ? 64 * SEC : next * 2; /* the span to come */
		clocksync_sample(&s, &l, tsc, t + (uint64_t)(sign * jitter), next);
		sign = -sign;
	}
	return (int64_t)worst;
}

TEST(discipline_brings_a_bad_calibration_onto_the_reference)
{
	int mono;
	/* 500 ppm off (what TCG's 2 ms window gave): within 100 us after a
	 * minute, and stays there for an hour. */
	int64_t worst = simulate(2444898000ull, 500, 0, 64, 3600, &mono);
	CHECK(mono);
	CHECK(worst < 100000);
	worst = simulate(3000000000ull, -800, 0, 64, 3600, &mono);
	CHECK(mono);
	CHECK(worst < 100000);
}

TEST(discipline_tolerates_reading_jitter)
{
	int mono;
	/* 20 us of error in each reading of the reference. */
	int64_t worst = simulate(2444898000ull, 400, 20000, 64, 3600, &mono);
	CHECK(mono);
	CHECK(worst < 200000);
}

TEST(sample_slews_no_faster_than_the_limit)
{
	struct clocksync_line l = { 0, 0, 1ull << 32 }; /* 1 ns per tick */
	struct clocksync s;

	clocksync_init(&s, &l, 0, 0);
	/* The reference says the clock is 10 ms behind after 1 s: at most
	 * 500 ppm of it is taken up over the next 1 s span. */
	CHECK(clocksync_sample(&s, &l, SEC, SEC + 10000000, SEC));
	CHECK_EQ(s.offset, 10000000);
	CHECK_EQ(l.ns_base, SEC); /* the clock goes on from where it was */
	CHECK_EQ(l.tsc_base, SEC);
	/* rate measured: 1.01 ns per tick; plus 500 ppm of slew */
	uint64_t want = (uint64_t)(1.01 * 1.0005 * 4294967296.0);
	CHECK(l.mult > want - 8 && l.mult < want + 8);
}

TEST(settling_slew_takes_a_bad_first_second_away_in_one_span)
{
	struct clocksync_line l = { 0, 0, 1ull << 32 };
	struct clocksync s;

	clocksync_init(&s, &l, 0, 0);
	s.max_slew_ppm = CLOCKSYNC_SETTLE_SLEW_PPM;
	/* 3.9 ms behind after 1 s (a calibration 3,900 ppm off) */
	CHECK(clocksync_sample(&s, &l, SEC, SEC + 3900000, SEC));
	CHECK(clocksync_sample(&s, &l, 2 * SEC, 2 * SEC + 7800000, SEC));
	CHECK(s.offset < 50000 && s.offset > -50000); /* from 3.9 ms */
}

TEST(implausible_sample_is_ignored_and_reanchors)
{
	struct clocksync_line l = { 0, 0, 1ull << 32 }, before;
	struct clocksync s;

	clocksync_init(&s, &l, 0, 0);
	before = l;
	/* A PIT wrap missed: 55 ms more than the TSC says over 1 s. */
	CHECK(!clocksync_sample(&s, &l, SEC, SEC + 54925000, SEC));
	CHECK(l.mult == before.mult && l.ns_base == before.ns_base);
	CHECK_EQ(s.rejected, 1);
	/* The next sample measures from there, with no phase to chase. */
	CHECK(clocksync_sample(&s, &l, 2 * SEC, 2 * SEC + 54925000, SEC));
	CHECK_EQ(s.offset, 0);
	CHECK(l.mult == before.mult);
}

TEST(reference_counting_from_elsewhere_is_shifted)
{
	struct clocksync_line l = { 100, 0, 1ull << 32 };
	struct clocksync s;

	/* kvmclock says 7 s since the host started the guest, the clock 0. */
	clocksync_init(&s, &l, 100, 7 * SEC);
	CHECK(clocksync_sample(&s, &l, 100 + SEC, 8 * SEC, SEC));
	CHECK_EQ(s.offset, 0);
	CHECK(l.mult == 1ull << 32);
}

int main(void)
{
	RUN(muldiv_matches_128_bit_arithmetic);
	RUN(line_counts_from_its_base_and_never_before_it);
	RUN(unwrap_counts_whole_wraps_nearest_the_prediction);
	RUN(discipline_brings_a_bad_calibration_onto_the_reference);
	RUN(discipline_tolerates_reading_jitter);
	RUN(sample_slews_no_faster_than_the_limit);
	RUN(settling_slew_takes_a_bad_first_second_away_in_one_span);
	RUN(implausible_sample_is_ignored_and_reanchors);
	RUN(reference_counting_from_elsewhere_is_shifted);
	return unit_summary();
}
