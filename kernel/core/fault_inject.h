/*
 * Allocation failure injection, for testing only (Linux's fail-nth idea).
 * With the kernel option monos.failnth=N the Nth allocation since boot,
 * counting kmalloc and mem_alloc_frame calls together, fails as if memory
 * were exhausted; every other allocation behaves as usual.  A run over every N
 * (tests/cli/failinject.sh, `make failinject`) proves that no allocation
 * failure ends in a panic: the program gets ENOMEM or the instance ends as
 * out-of-memory (137).  Off by default: then only the call count is kept,
 * and the -v exit log reports it (so a script knows how far N must go).
 */
#ifndef CORE_FAULT_INJECT_H
#define CORE_FAULT_INJECT_H

#include <stdbool.h>
#include <stdint.h>

/* Arm the injection from the command line (monos.failnth=N; 0 or absent:
 * off).  Called once by init, before the first allocation worth testing. */
void fault_inject_init(const char *cmdline);

/*
 * fault_inject_alloc - count one allocation; true if it is the one that must
 * fail.  Called first thing by kmalloc and mem_alloc_frame.  Any context:
 * the count is an atomic add, so no lock is taken.
 */
bool fault_inject_alloc(void);

/* Allocations counted since boot, and whether the armed one has failed. */
uint64_t fault_inject_count(void);
bool fault_inject_fired(void);

#endif
