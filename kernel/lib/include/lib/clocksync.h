/*
 * Clock discipline: keeping a TSC-driven clock in step with a reference
 * clock that does not drift, as NTP's discipline keeps a host's clock in
 * step with its servers (RFC 5905 section 11.3), without ever stepping.
 *
 * The clock is a line through a base point: ns = ns_base + (tsc - tsc_base)
 * * mult / 2^32 (struct clocksync_line).  At every sample (a TSC reading and
 * the reference's time at that moment) the discipline measures the rate of
 * the TSC against the reference over the span since the previous sample,
 * and the clock's offset from the reference; it then starts a new line at
 * the clock's own value now (so the clock never jumps, never goes back) with
 * the measured rate corrected so the offset is gone by the next sample,
 * slewing at most max_slew_ppm (CLOCKSYNC_MAX_SLEW_PPM unless the owner says
 * otherwise).
 *
 * Pure code, no locks: the owner (core/time.c) serialises calls.  Also built
 * and unit-tested on the host (tests/unit/test_lib_clocksync.c).
 */
#ifndef LIB_CLOCKSYNC_H
#define LIB_CLOCKSYNC_H

#include <stdbool.h>
#include <stdint.h>

/* The fixed point of clocksync_line.mult (vdso/vvar.h uses the same). */
#define CLOCKSYNC_SHIFT 32
/* The fastest slew, as ntpd's and Linux's adjtime (500 ppm). */
#define CLOCKSYNC_MAX_SLEW_PPM 500
/* While the clock settles after boot its rate is only as good as the
 * calibration (up to 1% off, 0.4% seen under load): slewing as fast as that
 * makes the monotonic rate no worse than it already was, and takes the
 * first second's error away within the next span. */
#define CLOCKSYNC_SETTLE_SLEW_PPM 10000
/* A rate measured further than this from the previous one is taken for a
 * bad sample (the reference misread, a PIT wrap missed: 5.5% over the first
 * 1 s span) and ignored; the boot calibration errs by under 1%. */
#define CLOCKSYNC_MAX_STEP_PPM 20000

/* ns = ns_base + (tsc - tsc_base) * mult >> CLOCKSYNC_SHIFT */
struct clocksync_line {
	uint64_t tsc_base;
	uint64_t ns_base;
	uint64_t mult;
};

struct clocksync {
	uint64_t last_tsc; /* the previous sample: TSC and reference ns */
	uint64_t last_ref;
	uint64_t ref_shift;    /* added to the reference: moves after a bad sample */
	uint64_t rate;	       /* the measured rate: ns per tick, << CLOCKSYNC_SHIFT */
	int64_t offset;	       /* the last sample's reference - clock, ns */
	unsigned samples;      /* samples taken */
	unsigned max_slew_ppm; /* the fastest slew allowed; the owner may change it */
	unsigned rejected;     /* samples ignored as implausible */
};

/* a * b / c with a 128-bit product, saturated at UINT64_MAX; c != 0. */
uint64_t clocksync_muldiv(uint64_t a, uint64_t b, uint64_t c);

/* The clock's time at `tsc` on line `l` (a TSC before the base counts as
 * the base: the line never answers less than ns_base). */
uint64_t clocksync_ns(const struct clocksync_line *l, uint64_t tsc);

/*
 * Start disciplining: the reference read `ref_ns` at `tsc`, and `l` is the
 * clock's line now (its rate the boot calibration's).  From then on the
 * reference's readings are taken shifted by the clock's time minus
 * `ref_ns`: only its rate and its later phase matter.
 */
void clocksync_init(struct clocksync *s, const struct clocksync_line *l, uint64_t tsc,
		    uint64_t ref_ns);

/*
 * A sample: the reference read `ref_ns` at `tsc` (both later than the
 * previous sample's).  Replaces `*l` by the line to follow until the next
 * sample, expected `next_ns` from now (> 0).  Returns false, leaving `*l`
 * alone, for a sample whose rate is implausible (CLOCKSYNC_MAX_STEP_PPM):
 * the reference is then taken to read the clock's time at `tsc` from now
 * on (its later readings shifted by the difference), so a misread or a
 * missed wrap costs neither a jump nor a slew.
 */
bool clocksync_sample(struct clocksync *s, struct clocksync_line *l, uint64_t tsc, uint64_t ref_ns,
		      uint64_t next_ns);

/*
 * Extend a 16-bit down-counter (the 8254 PIT in mode 0) read at two moments:
 * `prev` then `now`, `predicted` the ticks the TSC says elapsed.  Returns the
 * ticks that elapsed: the counter's difference plus the number of whole
 * wraps (65,536 ticks) that brings it nearest to the prediction.  Right
 * while the prediction errs by less than half a wrap.
 */
uint64_t clocksync_unwrap16(uint16_t prev, uint16_t now, uint64_t predicted);

#endif
