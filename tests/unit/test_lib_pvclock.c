/*
 * Unit tests of kernel/lib/pvclock.c: KVM's clock cannot run on the
 * development machines (PVM offers no kvmclock, TCG none), so its arithmetic
 * is proved here on structures filled as KVM fills them (Linux's
 * arch/x86/kvm/x86.c kvm_guest_time_update and kvm_get_time_scale).
 */
#include <stdint.h>
#include "unit.h"
#include "../../kernel/lib/pvclock.c"

/* KVM's kvm_get_time_scale: mul and shift so that scale(delta) converts
 * ticks at `base_hz` to ns (scaled_hz = 10^9). */
static void kvm_time_scale(uint64_t scaled_hz, uint64_t base_hz, int8_t *pshift, uint32_t *pmul)
{
	uint64_t tps64 = base_hz, scaled64 = scaled_hz;
	uint32_t tps32;
	int32_t shift = 0;

	while (tps64 > scaled64 * 2 || tps64 & 0xffffffff00000000ull) {
		tps64 >>= 1;
		shift--;
	}
	tps32 = (uint32_t)tps64;
	while (tps32 <= scaled64 || scaled64 & 0xffffffff00000000ull) {
		if (scaled64 & 0xffffffff00000000ull || tps32 & 0x80000000)
			scaled64 >>= 1;
		else
			tps32 <<= 1;
		shift++;
	}
	*pshift = (int8_t)shift;
	*pmul = (uint32_t)((scaled64 << 32) / tps32);
}

static uint64_t fake_tsc;
static uint64_t read_fake_tsc(void)
{
	return fake_tsc;
}

static volatile struct pvclock_vcpu_time_info ti;

static void fill(uint64_t hz, uint64_t tsc_timestamp, uint64_t system_time)
{
	int8_t shift;
	uint32_t mul;

	kvm_time_scale(1000000000ull, hz, &shift, &mul);
	ti.version = 2;
	ti.tsc_timestamp = tsc_timestamp;
	ti.system_time = system_time;
	ti.tsc_to_system_mul = mul;
	ti.tsc_shift = shift;
	ti.flags = PVCLOCK_TSC_STABLE_BIT;
}

TEST(structures_have_the_abi_layout)
{
	CHECK_EQ(sizeof(struct pvclock_vcpu_time_info), 32);
	CHECK_EQ(__builtin_offsetof(struct pvclock_vcpu_time_info, tsc_to_system_mul), 24);
	CHECK_EQ(__builtin_offsetof(struct pvclock_vcpu_time_info, tsc_shift), 28);
	CHECK_EQ(sizeof(struct pvclock_wall_clock), 12);
}

TEST(read_converts_ticks_since_the_timestamp)
{
	uint64_t tsc, ns;

	fill(2444898000ull, 1000000, 5000000000ull); /* 2.444898 GHz, 5 s */
	fake_tsc = 1000000 + 2444898000ull;	     /* one second later */
	ns = pvclock_read(&ti, read_fake_tsc, &tsc);
	CHECK_EQ(tsc, fake_tsc);
	CHECK(ns >= 6000000000ull - 2 && ns <= 6000000000ull + 2);
	fake_tsc = 1000000 + 3600 * 2444898000ull; /* an hour: within 1 us */
	ns = pvclock_read(&ti, read_fake_tsc, &tsc);
	CHECK(ns >= 3605000000000ull - 1000 && ns <= 3605000000000ull + 1000);
}

TEST(scale_follows_the_shift_both_ways)
{
	CHECK_EQ(pvclock_scale_delta(1000, 1u << 31, 0), 500);
	CHECK_EQ(pvclock_scale_delta(1000, 1u << 31, 1), 1000);
	CHECK_EQ(pvclock_scale_delta(1000, 1u << 31, -1), 250);
}

TEST(tsc_khz_and_mult_match_the_frequency)
{
	static const uint64_t hz[] = { 1000000000ull, 2444898000ull, 3000000000ull, 800000000ull,
				       5200000000ull };

	for (unsigned i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		fill(hz[i], 0, 0);
		uint64_t khz = pvclock_tsc_khz(&ti), want = hz[i] / 1000;
		CHECK(khz >= want - 1 && khz <= want + 1);
		/* mult << 32: ns per tick, agreeing with scale_delta */
		uint64_t mult = pvclock_mult(&ti, 32), d = hz[i]; /* one second of ticks */
		uint64_t a = (uint64_t)(((unsigned __int128)d * mult) >> 32);
		uint64_t b = pvclock_scale_delta(d, ti.tsc_to_system_mul, ti.tsc_shift);
		CHECK(a + 2 >= b && a <= b + 2);
		CHECK(b >= 1000000000ull - 2 && b <= 1000000000ull + 2);
	}
}

TEST(wall_clock_combines_seconds_and_nanoseconds)
{
	static volatile struct pvclock_wall_clock wc = { 4, 1796623247, 745527193 };

	CHECK(pvclock_wall_ns(&wc) == 1796623247745527193ull);
}

int main(void)
{
	RUN(structures_have_the_abi_layout);
	RUN(read_converts_ticks_since_the_timestamp);
	RUN(scale_follows_the_shift_both_ways);
	RUN(tsc_khz_and_mult_match_the_frequency);
	RUN(wall_clock_combines_seconds_and_nanoseconds);
	return unit_summary();
}
