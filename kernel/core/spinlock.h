/*
 * IRQ-saving spinlocks, the kernel's only lock (design.md: SMP-ready from the
 * first commit; never "interrupts off" standing in for a lock).  With one CPU
 * the spinning never happens, but the discipline is the one SMP needs.
 *
 * The system-call rule (design.md 14's implicit lock, named here once): one
 * CPU, a kernel that is not preemptible, and system calls and faults that run
 * with interrupts off and give the CPU up only in sched_wait().  So one
 * thread at a time runs kernel code, and a structure no interrupt handler and
 * no kernel-timer callback touches is guarded by this rule alone: the
 * descriptor table (fs/file.c, vfs.h), the VMA list (core/vm.h), the inode
 * tree (fs/vfs.h), each saying so beside its fields.  Code that sleeps
 * mid-change re-checks what it found.  It is a rule, not a lock: before a
 * second CPU runs system calls it becomes an explicit lock that sched_wait
 * drops (design.md 14).  What interrupt handlers or timer callbacks share has
 * a named spinlock (sched_lock, signal_lock, timer_lock, a timerfd's lock, a
 * pipe's lock, ...).
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
/* Take and release `l` with interrupts already off (the caller saved them):
 * for a lock given up and taken again inside a section that keeps them off,
 * or released by another thread (the scheduler's, across a switch). */
static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

#endif
