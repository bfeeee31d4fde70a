/*
 * The kernel's random generator: lib/chacha20.c's fast-key-erasure generator
 * under a lock, seeded at boot.
 */
#include "core/random.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"
#include "core/spinlock.h"
#include "core/time.h"
#include <lib/chacha20.h>

#define RDRAND_WORDS   8
#define RDRAND_RETRIES 10

static struct chacha_rng rng; /* guarded by rng_lock */
static struct spinlock rng_lock;

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

void random_init(const uint8_t *seed, size_t len)
{
	uint8_t key[32] = { 0 };
	uint64_t extra[RDRAND_WORDS + 2];
	unsigned n = 0;

	if (seed)
		memcpy(key, seed, MIN(len, sizeof(key)));
	else
		klog("monos: no per-run seed; seeding from RDRAND, TSC and RTC only\n");
	chacha_rng_init(&rng, key);
	if (cpu_features.rdrand)
		while (n < RDRAND_WORDS && rdrand64(&extra[n]))
			n++;
	extra[n++] = rdtsc();
	extra[n++] = time_rtc_seconds();
	chacha_rng_mix(&rng, extra, n * sizeof(extra[0]));
	memset(key, 0, sizeof(key));
}

void random_fill(void *buf, size_t n)
{
	uint64_t flags = spin_lock_irqsave(&rng_lock);
	chacha_rng_fill(&rng, buf, n);
	spin_unlock_irqrestore(&rng_lock, flags);
}
