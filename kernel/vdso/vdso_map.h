/*
 * Giving the program its vDSO: the vvar page and the vDSO text mapped below
 * the stack, named [vvar] and [vdso] in /proc/self/maps.
 */
#ifndef VDSO_VDSO_MAP_H
#define VDSO_VDSO_MAP_H

#include <stdint.h>

/*
 * Map the vvar page (read-only) and right above it the vDSO (read+execute)
 * at a random page-aligned address in the gap between the mmap area and the
 * stack; return the vDSO's address for AT_SYSINFO_EHDR, or -ENOMEM.  Exec
 * calls it once per program image, after the stack is mapped.
 */
long vdso_map_install(void);

#endif
