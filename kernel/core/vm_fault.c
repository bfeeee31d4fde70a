/*
 * Demand paging: the page-fault handler and what fills a page (zeros, a
 * file's own page mapped in place, a copy of the file's bytes, a private
 * copy on the first write), mlock's filling, and mincore's residency.  The
 * areas themselves, and every operation on a range, are core/vm.c's.
 */
#include "core/vm.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm_internal.h"

/* Map `pa` at `va` with `flags` and count it; the entry takes over the
 * caller's reference on `pa`.  -ENOMEM (the caller still holds it) when a
 * page table cannot be had. */
static int map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	if (paging_map(&mm_current()->pt, va, pa, flags))
		return -ENOMEM;
	mm_current()->resident++;
	return 0;
}

/* Map the file's frame `pa` (the file holds it) at `va`: the entry takes a
 * reference of its own. */
static int map_file_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	int err;

	mem_frame_get(pa);
	if ((err = map_page(va, pa, flags)))
		mem_frame_put(pa);
	return err;
}

/* Map a new frame of ours at `va` of `v`: zeroed, or a copy of the file's
 * bytes there (zeros past the area's or the file's end). */
static int map_own(uint64_t va, struct vma *v)
{
	uint64_t pa = mem_alloc_frame(!v->file), off = v->file ? vm_file_offset(v, va) : 0;
	size_t avail = off < v->file_end ? MIN(PAGE_SIZE, v->file_end - off) : 0;
	long n = 0;

	if (!pa)
		return -ENOMEM;
	if (v->file) {
		n = avail ? v->ops->fill(v->file, off, phys_to_virt(pa), avail) : 0;
		/* Past the file's end, or a read error: zeros. */
		memset((char *)phys_to_virt(pa) + MAX(n, 0), 0, PAGE_SIZE - MAX(n, 0));
	}
	if (map_page(va, pa, vm_pte_flags(v->prot))) {
		mem_free_frame(pa);
		return -ENOMEM;
	}
	return 0;
}

/* Pages mapped around a private read fault of a file: Linux's
 * fault_around_bytes default (64 KiB, mm/filemap.c), which is also a
 * read-only share's read window (fs/v9fs_file.c V9FS_READAHEAD). */
#define FAULT_AROUND_PAGES 16

/*
 * Linux's fault-around (filemap_map_pages): after a private read fault at
 * `va` mapped the file's page in place with `flags`, map the file's other
 * pages of the aligned FAULT_AROUND_PAGES window inside `v` that are
 * already in memory, whole and unchanging, and not yet mapped, so a
 * program's text costs one fault per window, not per page.  Nothing is
 * read: a page not resident waits for its own fault.  Best effort: out of
 * page tables it stops.
 */
static void fault_around(struct vma *v, uint64_t va, uint64_t flags)
{
	uint64_t span = FAULT_AROUND_PAGES * PAGE_SIZE;
	uint64_t from = MAX(ALIGN_DOWN(va, span), v->start), to = MIN(from + span, v->end);

	for (uint64_t at = from; at < to; at += PAGE_SIZE) {
		uint64_t off = vm_file_offset(v, at);
		const uint64_t *pte;
		long pa;

		if (at == va || off >= v->file_end || v->file_end - off < PAGE_SIZE)
			continue;
		/* Read only: a table fork still shares is copied by paging_map. */
		pte = paging_pte_peek(&mm_current()->pt, at);
		if ((pte && *pte) || !v->ops->resident(v->file, off))
			continue;
		if ((pa = v->ops->frame(v->file, off, false)) <= 0)
			continue;
		if (map_file_page(at, (uint64_t)pa, flags))
			return;
	}
}

/*
 * A fault at `va` of file area `v` with no page there.  A shared area maps
 * the file's own page (Linux raises SIGBUS past the file's last page, monos a
 * fault).  A private read maps the file's page in place when the file has a
 * whole unchanging page there, read-only, to be copied on the first write.
 * Otherwise the page is a copy.
 */
static int fault_file(struct vma *v, uint64_t va, bool write)
{
	uint64_t off = vm_file_offset(v, va), f;
	long pa;

	if (v->flags & VMA_SHARED) {
		pa = v->ops->frame(v->file, off, true);
		if (pa <= 0)
			return pa ? (int)pa : -EFAULT;
		return map_file_page(va, pa, vm_pte_flags(v->prot) | PTE_SHARED_PAGE);
	}
	if (!write && off < v->file_end && v->file_end - off >= PAGE_SIZE &&
	    (pa = v->ops->frame(v->file, off, false)) > 0) {
		f = vm_pte_flags(v->prot) | PTE_IMAGE;
		if (v->prot & PROT_WRITE)
			f = (f & ~(uint64_t)PTE_W) | PTE_COW;
		if (map_file_page(va, pa, f))
			return -ENOMEM;
		fault_around(v, va, f);
		return 0;
	}
	return map_own(va, v);
}

/* Copy the page mapped at `pte` into a private frame, and drop the entry's
 * reference on the old one once no translation reaches it; or, when no one
 * else holds the frame, make it writable. */
static int break_cow(uint64_t va, uint64_t *pte, struct vma *v)
{
	uint64_t pa, old = *pte & PTE_ADDR_MASK;

	/* The last holder of a page of its own (a fork's other side has
	 * copied it or gone) writes to it in place. */
	if (!(*pte & PTE_IMAGE) && mem_frame_refs(old) == 1) {
		*pte = old | vm_pte_flags(v->prot) | PTE_P;
		paging_flush(va);
		return 0;
	}
	pa = mem_alloc_frame(0);
	if (!pa)
		return -ENOMEM;
	memcpy(phys_to_virt(pa), phys_to_virt(old), PAGE_SIZE);
	*pte = pa | vm_pte_flags(v->prot) | PTE_P;
	paging_flush(va);
	mem_frame_put(old);
	return 0;
}

static uint64_t faults; /* page faults taken by programs (vm_fault_count) */

uint64_t vm_fault_count(void)
{
	return faults;
}

int vm_fault(uint64_t addr, unsigned error)
{
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE), *pte;
	struct vma *v = vm_find(addr);
	bool write = error & PF_WRITE;

	faults++;
	if (!v || (write && !(v->prot & PROT_WRITE)) ||
	    ((error & PF_INSTR) && !(v->prot & PROT_EXEC)) ||
	    !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EFAULT;
	pte = paging_pte(&mm_current()->pt, va);
	if (pte && *pte) {
		if (!(*pte & PTE_P)) { /* a frame kept through PROT_NONE */
			*pte = vm_entry_with_prot(*pte, v->prot);
			paging_flush(va);
		}
		if (write && (*pte & PTE_COW))
			return break_cow(va, pte, v);
		return 0; /* already there (another path mapped it): retry */
	}
	if (v->file)
		return fault_file(v, va, write);
	return map_own(va, v);
}

int vm_populate(uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	struct vma *v;
	int err;

	if (!uaccess_range_ok(start, len))
		return -EFAULT;
	for (v = vm_next(NULL); v; v = vm_next(v)) {
		uint64_t from = MAX(v->start, start), to = MIN(v->end, end);
		unsigned how = (v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED) ? PF_WRITE : 0;

		if (from >= to)
			continue;
		if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
			return -EFAULT; /* Linux's populate refuses PROT_NONE too */
		for (uint64_t va = from; va < to; va += PAGE_SIZE)
			if ((err = vm_fault(va, how)))
				return err;
	}
	return 0;
}

/* Whether the page at `va` of area `v` is resident (see vm_mincore). */
static uint8_t page_resident(const struct vma *v, uint64_t va)
{
	const uint64_t *pte = paging_pte_peek(&mm_current()->pt, va);
	uint64_t off;

	if (pte && *pte)
		return 1;
	if (!v->file)
		return 0;
	off = vm_file_offset(v, va);
	return off < v->file_end && v->ops->resident(v->file, off);
}

int vm_mincore(uint64_t start, size_t npages, uint8_t *vec)
{
	uint64_t end = start + npages * PAGE_SIZE;
	struct vma *v = NULL;

	if (npages > USER_END / PAGE_SIZE || !vm_range_mapped(start, npages * PAGE_SIZE))
		return -ENOMEM;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		if (!v || va >= v->end)
			v = vm_find(va);
		vec[(va - start) / PAGE_SIZE] = page_resident(v, va);
	}
	return 0;
}
