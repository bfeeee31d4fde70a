/*
 * Kernel randomness (design.md, time and entropy): a ChaCha20 generator
 * seeded by the per-run seed from the host and RDRAND where the CPU has it,
 * so two runs never see the same bytes.  getrandom and AT_RANDOM draw here.
 */
#ifndef CORE_RANDOM_H
#define CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Seed the generator; `seed` may be NULL (no per-run seed: then RDRAND, the
 * TSC and the RTC are all there is, and the log says so).  Called once. */
void random_init(const uint8_t *seed, size_t len);

/* Fill `buf` with `n` random bytes.  Any context. */
void random_fill(void *buf, size_t n);

#endif
