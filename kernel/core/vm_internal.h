/*
 * What core/vm.c (the areas and the operations on ranges) and
 * core/vm_fault.c (demand paging) share, and nothing else includes.  Called
 * in syscall or fault context, with the area list stable.
 */
#ifndef CORE_VM_INTERNAL_H
#define CORE_VM_INTERNAL_H

#include "core/vm.h"
#include "arch/x86_64/paging.h"

/* The PTE bits a change of protection keeps. */
#define PTE_KEEP (PTE_ADDR_MASK | PTE_IMAGE | PTE_COW | PTE_SHARED_PAGE | PTE_A | PTE_D)

/* The PTE rights of `prot` (without PTE_P). */
static inline uint64_t vm_pte_flags(unsigned prot)
{
	uint64_t f = PTE_U;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

/* Entry `e` (in use) with the rights of `prot`.  PROT_NONE leaves it not
 * present but keeps the frame; a page still shared with its file stays
 * read-only and copies on a write. */
static inline uint64_t vm_entry_with_prot(uint64_t e, unsigned prot)
{
	uint64_t keep = e & PTE_KEEP, f = vm_pte_flags(prot);

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return keep;
	if (e & (PTE_IMAGE | PTE_COW)) {
		f &= ~(uint64_t)PTE_W;
		if (prot & PROT_WRITE)
			keep |= PTE_COW;
	}
	return keep | f | PTE_P;
}

/* The file offset that area `v` maps at `va`. */
static inline uint64_t vm_file_offset(const struct vma *v, uint64_t va)
{
	return v->file_off + (va - v->start);
}

#endif
