/*
 * IRQ-saving spinlocks, the kernel's only lock (design.md: SMP-ready from the
 * first commit; never "interrupts off" standing in for a lock).  With one CPU
 * the spinning never happens, but the discipline is the one SMP needs.
 */
#ifndef CORE_SPINLOCK_H
#define CORE_SPINLOCK_H

#include <stdint.h>
#include "arch/x86_64/cpu.h"

struct spinlock {
	volatile uint32_t locked;
};

#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}

/* Disable interrupts on this CPU, take the lock; returns the flags to give
 * back to spin_unlock_irqrestore().  Not recursive. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_pause();
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

#endif
