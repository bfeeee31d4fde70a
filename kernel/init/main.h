/*
 * The boot sequence's entry (init/main.c), called by the PVH entry code
 * (arch/x86_64/entry.S) in long mode on the boot stack.
 */
#ifndef INIT_MAIN_H
#define INIT_MAIN_H

#include <stdint.h>

/* Bring the kernel up and start the program; never returns.
 * `start_info_phys` is the physical address of the PVH hvm_start_info. */
void init_main(uint32_t start_info_phys);

#endif
