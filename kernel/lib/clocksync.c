/*
 * Clock discipline (lib/clocksync.h): the arithmetic that keeps the TSC clock
 * on the reference's rate and phase.  Pure code: the kernel's core/time.c
 * feeds it samples; the host unit test feeds it simulated clocks.
 */
#include <lib/clocksync.h>

#define WRAP16 65536u
#define PPM    1000000u

uint64_t clocksync_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p, q, r;

	if (hi >= c)
		return UINT64_MAX; /* the quotient needs more than 64 bits */
	/* One DIV of hi:lo by c, which cannot fault now (Intel SDM vol. 2A,
	 * DIV): a freestanding kernel has no 128-bit division helper
	 * (libgcc's __udivti3), and the kernel and its host tests are both
	 * x86-64. */
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c));
	return q;
}

uint64_t clocksync_ns(const struct clocksync_line *l, uint64_t tsc)
{
	uint64_t ticks = tsc > l->tsc_base ? tsc - l->tsc_base : 0;

	return l->ns_base + (uint64_t)(((unsigned __int128)ticks * l->mult) >> CLOCKSYNC_SHIFT);
}

void clocksync_init(struct clocksync *s, const struct clocksync_line *l, uint64_t tsc,
		    uint64_t ref_ns)
{
	uint64_t now = clocksync_ns(l, tsc);

	/* The reference may count from elsewhere (kvmclock from the host's
	 * start of the guest): shift it to read the clock's time now. */
	*s = (struct clocksync){
		.last_tsc = tsc,
		.last_ref = now,
		.ref_shift = now - ref_ns,
		.rate = l->mult,
		.max_slew_ppm = CLOCKSYNC_MAX_SLEW_PPM,
	};
}

/* |a - b| > b * ppm / 10^6 */
static bool differs(uint64_t a, uint64_t b, uint64_t ppm)
{
	uint64_t d = a > b ? a - b : b - a;
	return d > clocksync_muldiv(b, ppm, PPM);
}

bool clocksync_sample(struct clocksync *s, struct clocksync_line *l, uint64_t tsc, uint64_t ref_ns,
		      uint64_t next_ns)
{
	uint64_t now = clocksync_ns(l, tsc), ref = ref_ns + s->ref_shift, rate, max;
	int64_t offset;

	if (tsc <= s->last_tsc || ref <= s->last_ref)
		return false;
	rate = clocksync_muldiv(ref - s->last_ref, 1ull << CLOCKSYNC_SHIFT, tsc - s->last_tsc);
	s->last_tsc = tsc;
	s->samples++;
	if (differs(rate, s->rate, CLOCKSYNC_MAX_STEP_PPM)) {
		/* Take the clock's word for this moment instead: later
		 * samples are measured from here, with no phase to chase. */
		s->ref_shift += now - ref;
		s->last_ref = now;
		s->rejected++;
		return false;
	}
	s->last_ref = ref;
	s->rate = rate;
	/* Remove the offset over the next span, no faster than the slew limit:
	 * a larger offset takes several spans (ntpd's slew mode). */
	offset = (int64_t)(ref - now);
	s->offset = offset;
	max = clocksync_muldiv(next_ns, s->max_slew_ppm, PPM);
	if (offset > (int64_t)max)
		offset = (int64_t)max;
	if (offset < -(int64_t)max)
		offset = -(int64_t)max;
	*l = (struct clocksync_line){
		.tsc_base = tsc,
		.ns_base = now,
		.mult = clocksync_muldiv(rate, next_ns + (uint64_t)offset, next_ns),
	};
	return true;
}

uint64_t clocksync_unwrap16(uint16_t prev, uint16_t now, uint64_t predicted)
{
	uint64_t d = (uint16_t)(prev - now); /* it counts down */

	if (predicted <= d)
		return d;
	return d + (predicted - d + WRAP16 / 2) / WRAP16 * WRAP16;
}
