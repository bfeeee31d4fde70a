/*
 * The program's address space: a sorted list of areas (VMAs), filled on
 * demand by the page-fault handler (design.md, memory).  Anonymous memory
 * gets zeroed frames.  A file area reaches its file only through the
 * operations the file layer registered with it (struct vm_file_ops): files
 * whose bytes lie in memory (the image) are mapped in place while only read
 * and a page is copied on its first write; shared mappings of files that own
 * their pages (tmpfs, memfd) map the file's own pages, so every mapping and
 * read()/write() see the same bytes.  This layer knows no filesystem.
 */
#ifndef CORE_VM_H
#define CORE_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <lib/list.h>
#include "arch/x86_64/paging.h"

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

struct inode; /* opaque here: only the file's own operations look inside */
struct mm;

/*
 * How a file area is filled (design.md contract 20: the VMA's fault
 * operation).  The file layer (fs/) supplies these when it maps a file;
 * `off` is always a page-aligned file offset.  Called with the area list
 * stable, in syscall or fault context.
 */
struct vm_file_ops {
	/* Take and drop a reference on the file: each area holds one. */
	void (*get)(struct inode *file);
	void (*put)(struct inode *file);
	/*
	 * The frame holding the file's own page at `off`, to be mapped in place.
	 * `shared` false (a private read fault): the frame if the file keeps a
	 * whole page of bytes there that never changes, else 0 (then `fill`
	 * copies).  `shared` true (only with `shared_pages`): the page, made
	 * (zeroed) if it is a hole, so that writes land in the file; -EFAULT
	 * past the file's last page, -ENOMEM.  The file owns the frame.
	 */
	long (*frame)(struct inode *file, uint64_t off, bool shared);
	/* Copy at most `n` (<= a page) bytes at `off` into `page`; returns the
	 * bytes copied (fewer at the file's end) or -errno. */
	long (*fill)(struct inode *file, uint64_t off, void *page, size_t n);
	/* Whether the file's page at `off` is in memory (mincore). */
	bool (*resident)(struct inode *file, uint64_t off);
	/* Optional: write the file's shared pages back and make them durable
	 * (msync MS_SYNC); 0 or -errno.  May sleep: the caller holds a
	 * vfs_iget reference, not the area. */
	int (*sync)(struct inode *file);
	/* MAP_SHARED maps the file's own pages; false: the file never changes,
	 * so a shared mapping is the same as a private one. */
	bool shared_pages;
};

/* struct vma.flags */
#define VMA_SHARED  1 /* MAP_SHARED of a file with shared_pages: maps its pages */
#define VMA_NOWRITE 2 /* MAP_SHARED of a file opened without write access */

/* An area.  The list and every field are guarded by the system-call rule
 * (core/spinlock.h: interrupts off in system calls and faults, design.md
 * contract 14's implicit lock); the page-table walks rely on it too. */
struct vma {
	uint64_t start, end;	       /* [start, end), page aligned */
	unsigned prot;		       /* PROT_* */
	unsigned flags;		       /* VMA_* */
	struct inode *file;	       /* backing file (one ops->get reference), or NULL */
	const struct vm_file_ops *ops; /* the file's operations (NULL: anonymous) */
	uint64_t file_off;	       /* file offset of `start` */
	uint64_t file_end;	       /* file bytes end here (offset); beyond reads zero */
	const char *name;	       /* "[heap]", "[stack]" or NULL, for /proc/self/maps */
	struct list_head node;	       /* in the address space's sorted list */
};

/* Memory layout of the program (no randomisation yet). */
#define VM_STACK_TOP   0x00007ffffffff000ul
#define VM_STACK_SIZE  (8ul << 20) /* RLIMIT_STACK */
#define VM_MMAP_TOP    (VM_STACK_TOP - VM_STACK_SIZE - (1ul << 30))
#define VM_MMAP_BOTTOM 0x0000000010000ul
#define VM_PIE_BASE    0x0000555555554000ul

/*
 * Add an area [start, start + len) replacing whatever was mapped there; the
 * range must pass uaccess_range_ok (-EINVAL otherwise).  `file` may be NULL
 * (anonymous, `ops` NULL too); else `ops` are its operations and the area
 * maps `file_len` bytes from `file_off`.  Returns 0, -EINVAL or -ENOMEM.
 */
int vm_map(uint64_t start, uint64_t len, unsigned prot, struct inode *file,
	   const struct vm_file_ops *ops, uint64_t file_off, uint64_t file_len, const char *name);

/*
 * vm_map with VMA_* `flags`: for a MAP_SHARED mapping of `file` (whose end is
 * the file's current end).  VMA_SHARED is dropped unless ops->shared_pages.
 * 0, -EINVAL or -ENOMEM.
 */
int vm_map_shared(uint64_t start, uint64_t len, unsigned prot, struct inode *file,
		  const struct vm_file_ops *ops, uint64_t file_off, unsigned flags);

/* Remove every mapping in [start, start + len), freeing frames (and page
 * tables left empty); 0, -EINVAL (a range uaccess_range_ok refuses) or
 * -ENOMEM (splitting an area needs memory).  Cost follows the pages mapped. */
int vm_unmap(uint64_t start, uint64_t len);

/* Change protection of [start, start + len); -ENOMEM if any part is not
 * mapped (Linux's answer), -EACCES to make writable a shared mapping of a
 * file opened without write access.  PROT_NONE keeps the pages' data, as
 * Linux does.  Cost follows the pages mapped, not the range. */
int vm_protect(uint64_t start, uint64_t len, unsigned prot);

/* Drop the pages of [start, start + len) so the next touch refills them
 * (zero for anonymous memory): MADV_DONTNEED, and MADV_FREE with
 * `anon_only` (-EINVAL at the first file area, the pages before it
 * dropped).  -ENOMEM if any part is unmapped (the mapped parts are dropped
 * all the same), as Linux. */
int vm_discard(uint64_t start, uint64_t len, bool anon_only);

/*
 * Fault in every page of [start, start + len) that an area makes accessible,
 * for writing where the area is private and writable (mlock: Linux's
 * populate), in address order.  0, -ENOMEM (out of frames) or -EFAULT (a
 * PROT_NONE area, or a shared file area past its file's end, as Linux's
 * populate refuses them).  Cost follows the range: it makes the pages.
 */
int vm_populate(uint64_t start, uint64_t len);

/* Whether every page of [start, start + len) lies in some area (false for
 * a range uaccess_range_ok refuses). */
bool vm_range_mapped(uint64_t start, uint64_t len);

/*
 * mremap's two ways to make an area bigger.  vm_grow extends the area that
 * ends at `start + old_len` (and contains `start`) to `start + new_len` when
 * nothing is mapped there: 0 or -ENOMEM.  vm_move gives [dst, dst + new_len)
 * the attributes of the area at `start`, moves the page-table entries of the
 * first MIN(old_len, new_len) bytes there (no data is copied) and unmaps
 * [start, start + old_len); [dst, dst + new_len) must be free and
 * [start, start + old_len) inside one area.  0, -EFAULT or -ENOMEM (nothing
 * changed).  Syscall context.
 */
int vm_grow(uint64_t start, uint64_t old_len, uint64_t new_len);
int vm_move(uint64_t start, uint64_t old_len, uint64_t dst, uint64_t new_len);

/*
 * mincore: one byte per page of [start, start + npages pages) into `vec`, 1
 * when the page is resident: mapped here, or (file mappings) in memory as a
 * page of the file, as Linux reports its page cache.  -ENOMEM if any part is
 * unmapped.
 */
int vm_mincore(uint64_t start, size_t npages, uint8_t *vec);

/*
 * File `ino` is being cut to `size` bytes: drop the shared mappings'
 * entries for its pages at and past the new end (and flush them) before the
 * file frees them.  For the file layer's truncate; any context that holds
 * the VFS.
 */
void vm_file_truncate(struct inode *ino, uint64_t size);

/* A free range of `len` bytes, highest first below VM_MMAP_TOP, or 0. */
uint64_t vm_find_free(uint64_t len);

/* Whether any part of [start, start + len) is mapped; the range must pass
 * uaccess_range_ok. */
bool vm_overlaps(uint64_t start, uint64_t len);

/* The area after `v` (NULL: the first area), or NULL after the last; for
 * /proc/self/maps.  The list must not change during the walk. */
struct vma *vm_next(struct vma *v);

/* The same over address space `mm`, active or not (/proc/PID/maps). */
struct vma *vm_next_in(struct mm *mm, struct vma *v);

/*
 * Copy up to `n` bytes at user address `addr` of address space `mm` (any,
 * not only the active one) into `buf`, for /proc/PID/cmdline and environ:
 * stops at the first page that is not in memory (never faults one in).
 * Returns the bytes copied.  System-call rule held.
 */
size_t vm_read_in(struct mm *mm, uint64_t addr, void *buf, size_t n);

/* The area containing `addr`, or NULL. */
struct vma *vm_find(uint64_t addr);

/*
 * Serve a page fault at `addr` with x86 error code bits (arch/x86_64/trap.h
 * PF_*).  Returns 0 (mapped: retry the access), -EFAULT (no area or no
 * right: SIGSEGV, or -EFAULT in a copy helper) or -ENOMEM (out of frames).
 */
int vm_fault(uint64_t addr, unsigned error);
/* The page faults vm_fault served or refused since boot (the agent's
 * metrics).  Any context. */
uint64_t vm_fault_count(void);

#define MM_AUXV_WORDS 48

/*
 * An address space (design.md contract 16: thread -> process -> mm): its
 * areas, its page tables and its break.  Every vm_* call works on the
 * active one, mm_current().  Guarded, with the areas, by the system-call
 * rule (core/spinlock.h; see struct vma).
 */
struct mm {
	struct list_head areas;	     /* struct vma, sorted, never overlapping */
	struct pgtable pt;	     /* its page tables (arch/x86_64/paging.h) */
	uint64_t brk_start, brk_end; /* the program break: set at exec, moved by sys_brk */
	uint64_t resident;	     /* entries in use in its lower half */
	unsigned refs;		     /* the processes using it (vfork's child too) */
	/* The auxiliary vector exec built (Linux's saved_auxv), for
	 * /proc/PID/auxv: pairs of (type, value) ending with AT_NULL. */
	uint64_t auxv[MM_AUXV_WORDS];
	size_t auxv_len;
	/* Where exec put the arguments and environment on the stack
	 * (/proc/PID/cmdline and environ). */
	uint64_t arg_start, arg_end, env_start, env_end;
};

/* The address space the CPU runs in. */
struct mm *mm_current(void);

/* Run in `mm` from now on (its page tables loaded): the scheduler's, when
 * the next thread's mm differs. */
void mm_switch(struct mm *mm);

/* Make the first address space (empty) and switch to it; boot only. */
void vm_init(void);

/* A new empty address space (the kernel half only), with one reference;
 * NULL when out of memory. */
struct mm *mm_create(void);

/*
 * fork: a copy of `src` (the active one) sharing every page: private pages
 * become copy-on-write in both (read-only, PTE_COW), shared ones stay
 * shared; no data is copied.  One reference; NULL when out of memory
 * (`src` is unchanged but for pages now copied on their next write).
 */
struct mm *mm_dup(struct mm *src);

/* Take and drop a reference; the last drop frees every page, area and page
 * table.  `mm` must not be the active one then (mm_switch away first). */
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/* An address space with only the kernel half, for a thread whose own is
 * going away (exit, exec): never freed. */
struct mm *mm_kernel(void);

/* The number of resident pages the program has (for sysinfo/getrusage). */
uint64_t vm_resident_pages(void);

#endif
