/*
 * pvclock arithmetic (lib/pvclock.h), as Linux's arch/x86/kernel/pvclock.c
 * and arch/x86/include/asm/pvclock.h do it.
 */
#include <lib/pvclock.h>

#define NSEC_PER_SEC 1000000000ull
#define KHZ_PER_GHZ  1000000ull

/* Order the seqcount loads around the data, as Linux's virt_rmb(): a
 * compiler barrier suffices on x86, whose loads are not reordered with
 * other loads. */
#define PV_RMB() __asm__ volatile("" ::: "memory")

uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul_frac) >> 32);
}

uint64_t pvclock_read(const volatile struct pvclock_vcpu_time_info *ti, uint64_t (*rdtsc)(void),
		      uint64_t *tsc)
{
	uint32_t version;
	uint64_t ns, t;

	do {
		version = ti->version;
		PV_RMB();
		t = rdtsc();
		ns = ti->system_time + pvclock_scale_delta(t - ti->tsc_timestamp,
							   ti->tsc_to_system_mul, ti->tsc_shift);
		PV_RMB();
	} while ((version & 1) || version != ti->version);
	*tsc = t;
	return ns;
}

uint64_t pvclock_tsc_khz(const volatile struct pvclock_vcpu_time_info *ti)
{
	/* 10^6 kHz per ns-per-tick: khz = 10^6 * 2^32 / mul, undone shift. */
	uint64_t khz, mul = ti->tsc_to_system_mul;
	int8_t shift = ti->tsc_shift;

	if (!mul)
		return 0;
	khz = (KHZ_PER_GHZ << 32) / mul;
	return shift < 0 ? khz << -shift : khz >> shift;
}

uint64_t pvclock_mult(const volatile struct pvclock_vcpu_time_info *ti, unsigned shift)
{
	uint64_t mul = ti->tsc_to_system_mul;
	int s = ti->tsc_shift + (int)shift - 32; /* d << tsc_shift * mul >> 32 */

	return s < 0 ? mul >> -s : mul << s;
}

uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc)
{
	uint32_t version, sec, nsec;

	do {
		version = wc->version;
		PV_RMB();
		sec = wc->sec;
		nsec = wc->nsec;
		PV_RMB();
	} while ((version & 1) || version != wc->version);
	return sec * NSEC_PER_SEC + nsec;
}
