/*
 * Trap dispatch as the layers above see it: one registered handler for every
 * CPU exception (page faults included), so the memory layer can page in and
 * the signal layer can kill or deliver, without arch knowing either.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

struct regs;

/* Called for exception vector r->nr, with `addr` = CR2 for page faults.
 * Returns true if it dealt with it (the faulting context resumes). */
typedef bool (*trap_fault_fn)(struct regs *r, uint64_t addr);

/* Register the one fault handler.  Called once by init. */
void trap_set_fault_handler(trap_fault_fn fn);

/* Register the function called at the end of every trap taken from ring 3,
 * before returning there (the scheduler preempts from it).  Called once. */
void trap_set_user_return_hook(void (*fn)(struct regs *r));

/* The human name of exception vector `vec`. */
const char *trap_name(unsigned vec);

/* Page-fault error code bits (Intel SDM vol. 3A, 4.7). */
#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER	   (1u << 2)
#define PF_INSTR   (1u << 4)

/* The entry from trap.S. */
void trap_dispatch(struct regs *r);

#endif
