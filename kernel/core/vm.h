/*
 * The program's address space: a sorted list of areas (VMAs), filled on
 * demand by the page-fault handler (design.md, memory).  Anonymous memory
 * gets zeroed frames; file mappings of the image map its pages in place while
 * only read, and copy a page on its first write.
 */
#ifndef CORE_VM_H
#define CORE_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <lib/list.h>

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

struct inode;

struct vma {
	uint64_t start, end;   /* [start, end), page aligned */
	unsigned prot;	       /* PROT_* */
	struct inode *file;    /* backing file, or NULL: anonymous */
	uint64_t file_off;     /* file offset of `start` */
	uint64_t file_end;     /* file bytes end here (offset); beyond reads zero */
	const char *name;      /* "[heap]", "[stack]" or NULL, for /proc/self/maps */
	struct list_head node; /* in the address space's sorted list */
};

/* Memory layout of the program (no randomisation yet). */
#define VM_STACK_TOP   0x00007ffffffff000ul
#define VM_STACK_SIZE  (8ul << 20) /* RLIMIT_STACK */
#define VM_MMAP_TOP    (VM_STACK_TOP - VM_STACK_SIZE - (1ul << 30))
#define VM_MMAP_BOTTOM 0x0000000010000ul
#define VM_PIE_BASE    0x0000555555554000ul

/*
 * Add an area [start, start + len) replacing whatever was mapped there.
 * `file` may be NULL (anonymous).  Returns 0 or -ENOMEM.
 */
int vm_map(uint64_t start, uint64_t len, unsigned prot, struct inode *file, uint64_t file_off,
	   uint64_t file_len, const char *name);

/* Remove every mapping in [start, start + len), freeing frames; 0 or -ENOMEM
 * (splitting an area needs memory). */
int vm_unmap(uint64_t start, uint64_t len);

/* Change protection of [start, start + len); -ENOMEM if any part is not
 * mapped (Linux's answer). */
int vm_protect(uint64_t start, uint64_t len, unsigned prot);

/* Drop the pages of [start, start + len) so the next touch refills them
 * (zero for anonymous memory): MADV_DONTNEED and MADV_FREE.  -ENOMEM if any
 * part is unmapped. */
int vm_discard(uint64_t start, uint64_t len);

/* A free range of `len` bytes, highest first below VM_MMAP_TOP, or 0. */
uint64_t vm_find_free(uint64_t len);

/* Whether any part of [start, start + len) is mapped. */
bool vm_overlaps(uint64_t start, uint64_t len);

/* The area after `v` (NULL: the first area), or NULL after the last; for
 * /proc/self/maps.  The list must not change during the walk. */
struct vma *vm_next(struct vma *v);

/* The area containing `addr`, or NULL. */
struct vma *vm_find(uint64_t addr);

/*
 * Serve a page fault at `addr` with x86 error code bits (arch/x86_64/trap.h
 * PF_*).  Returns 0 (mapped: retry the access), -EFAULT (no area or no
 * right: SIGSEGV, or -EFAULT in a copy helper) or -ENOMEM (out of frames).
 */
int vm_fault(uint64_t addr, unsigned error);

/* The program break (brk): set at exec, moved by sys_brk. */
extern uint64_t vm_brk_start, vm_brk_end;

/* The number of resident pages the program has (for sysinfo/getrusage). */
uint64_t vm_resident_pages(void);

#endif
