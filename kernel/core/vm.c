/*
 * VMAs and demand paging.  Areas never overlap and stay sorted by address.
 * Pages carry their origin in software PTE bits (paging.h): PTE_IMAGE marks
 * an image page mapped in place (never freed), PTE_COW a page that must be
 * copied before the first write, PTE_SHARED a page of a tmpfs file mapped
 * MAP_SHARED (the file owns it: never freed here).  An area holds a
 * reference on its file (vfs_iget), so an unlinked, closed file stays alive
 * while mapped.
 */
#include "core/vm.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "fs/vfs.h"

static struct list_head areas = LIST_HEAD_INIT(areas);
uint64_t vm_brk_start, vm_brk_end;
static uint64_t resident;

struct vma *vm_find(uint64_t addr)
{
	struct vma *v;
	list_for_each_entry(v, &areas, node) {
		if (addr < v->start)
			return NULL;
		if (addr < v->end)
			return v;
	}
	return NULL;
}

bool vm_overlaps(uint64_t start, uint64_t len)
{
	struct vma *v;
	list_for_each_entry(v, &areas, node)
		if (v->start < start + len && start < v->end)
			return true;
	return false;
}

uint64_t vm_resident_pages(void)
{
	return resident;
}

/* Drop the page at `va`, freeing its frame unless it belongs to the image. */
static void drop_page(uint64_t va)
{
	uint64_t old = paging_unmap(va);

	if (!(old & PTE_P))
		return;
	resident--;
	if (!(old & (PTE_IMAGE | PTE_SHARED)))
		mem_free_frame(old & PTE_ADDR_MASK);
}

static void drop_pages(uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		if (paging_pte(va))
			drop_page(va);
		else
			va = ALIGN_UP(va + 1, 2ul << 20) - PAGE_SIZE; /* no table: skip it */
}

/* Split `v` at `addr` (inside it); the new upper part follows it. */
static int split(struct vma *v, uint64_t addr)
{
	struct vma *hi = kmalloc(sizeof(*hi));

	if (!hi)
		return -ENOMEM;
	*hi = *v;
	hi->start = addr;
	if (hi->file) {
		hi->file_off += addr - v->start;
		vfs_iget(hi->file);
	}
	v->end = addr;
	list_add(&hi->node, &v->node);
	return 0;
}

/* Make area boundaries fall at `start` and `end`. */
static int split_at(uint64_t start, uint64_t end)
{
	struct vma *v = vm_find(start);
	if (v && v->start < start && split(v, start))
		return -ENOMEM;
	v = vm_find(end - 1);
	if (v && v->end > end && split(v, end))
		return -ENOMEM;
	return 0;
}

int vm_unmap(uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	struct vma *v, *tmp;

	if (split_at(start, end))
		return -ENOMEM;
	/* Pages first: the last reference to a file may free its pages. */
	drop_pages(start, end);
	list_for_each_entry_safe(v, tmp, &areas, node) {
		if (v->start >= start && v->end <= end) {
			list_del(&v->node);
			if (v->file)
				vfs_iput(v->file);
			kfree(v);
		}
	}
	return 0;
}

/* Map a copy of `tmpl` (its start, end and attributes) over whatever was
 * there, taking a reference on its file. */
static int insert_area(const struct vma *tmpl)
{
	struct vma *n = kzalloc(sizeof(*n)), *v;

	if (!n || vm_unmap(tmpl->start, tmpl->end - tmpl->start)) {
		kfree(n);
		return -ENOMEM;
	}
	*n = *tmpl;
	if (n->file)
		vfs_iget(n->file);
	list_for_each_entry(v, &areas, node)
		if (v->start > n->start)
			break;
	list_add_tail(&n->node, &v->node); /* before v, or at the end */
	return 0;
}

int vm_map(uint64_t start, uint64_t len, unsigned prot, struct inode *file, uint64_t file_off,
	   uint64_t file_len, const char *name)
{
	struct vma t = { .start = start,
			 .end = start + len,
			 .prot = prot,
			 .file = file,
			 .file_off = file_off,
			 .file_end = file_off + file_len,
			 .name = name };

	return insert_area(&t);
}

int vm_map_shared(uint64_t start, uint64_t len, unsigned prot, struct inode *file,
		  uint64_t file_off, unsigned flags)
{
	struct vma t = { .start = start,
			 .end = start + len,
			 .prot = prot,
			 .flags = flags,
			 .file = file,
			 .file_off = file_off,
			 .file_end = UINT64_MAX };

	if (file->fops != &tmpfs_file_ops)
		t.flags &= ~VMA_SHARED; /* the image never changes: private is the same */
	return insert_area(&t);
}

/* Whether every page of [start, end) lies in some area. */
static bool fully_mapped(uint64_t start, uint64_t end)
{
	struct vma *v;
	uint64_t at = start;
	list_for_each_entry(v, &areas, node) {
		if (v->end <= at)
			continue;
		if (v->start > at)
			return false;
		at = v->end;
		if (at >= end)
			return true;
	}
	return at >= end;
}

static uint64_t pte_flags(unsigned prot)
{
	uint64_t f = PTE_U;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

int vm_protect(uint64_t start, uint64_t len, unsigned prot)
{
	uint64_t end = start + len;
	struct vma *v;

	if (!fully_mapped(start, end))
		return -ENOMEM;
	list_for_each_entry(v, &areas, node)
		if (v->start < end && start < v->end && (v->flags & VMA_NOWRITE) &&
		    (prot & PROT_WRITE))
			return -EACCES;
	if (split_at(start, end))
		return -ENOMEM;
	list_for_each_entry(v, &areas, node)
		if (v->start >= start && v->end <= end)
			v->prot = prot;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t *pte = paging_pte(va);
		if (!pte || !(*pte & PTE_P))
			continue;
		if (prot == PROT_NONE) {
			drop_page(va); /* refilled from the area if made accessible */
			continue;
		}
		uint64_t keep =
			*pte & (PTE_ADDR_MASK | PTE_IMAGE | PTE_COW | PTE_SHARED | PTE_A | PTE_D);
		uint64_t f = pte_flags(prot);
		if (*pte & (PTE_IMAGE | PTE_COW)) {
			f &= ~(uint64_t)PTE_W; /* still shared with the image */
			if (prot & PROT_WRITE)
				keep |= PTE_COW;
		}
		*pte = keep | f | PTE_P;
		paging_flush(va);
	}
	return 0;
}

bool vm_range_mapped(uint64_t start, uint64_t len)
{
	return fully_mapped(start, start + len);
}

int vm_discard(uint64_t start, uint64_t len)
{
	if (!fully_mapped(start, start + len))
		return -ENOMEM;
	drop_pages(start, start + len);
	return 0;
}

struct vma *vm_next(struct vma *v)
{
	struct list_head *n = v ? v->node.next : areas.next;

	return n == &areas ? NULL : list_entry(n, struct vma, node);
}

uint64_t vm_find_free(uint64_t len)
{
	uint64_t top = VM_MMAP_TOP;
	struct vma *v;

	/* Walk the areas from the top down, looking for a gap below `top`. */
	for (struct list_head *p = areas.prev; p != &areas; p = p->prev) {
		v = list_entry(p, struct vma, node);
		if (v->start >= top)
			continue;
		if (v->end <= top && top - v->end >= len)
			return top - len;
		top = MIN(top, v->start);
	}
	return top - VM_MMAP_BOTTOM >= len ? top - len : 0;
}

/* Fill the page at `va` of area `v` with the file's bytes (zero past EOF). */
static void fill_from_file(struct vma *v, uint64_t va, void *page)
{
	uint64_t off = v->file_off + (va - v->start);
	uint64_t avail = off < v->file_end ? MIN(PAGE_SIZE, v->file_end - off) : 0;

	if (off >= v->file->size)
		avail = 0;
	else
		avail = MIN(avail, v->file->size - off);
	if (avail && vfs_inode_read(v->file, page, avail, off) < 0)
		avail = 0;
	memset((char *)page + avail, 0, PAGE_SIZE - avail);
}

/* The physical page of the image backing `va` if it can be mapped in place:
 * a whole page of file data, page aligned in memory.  0 otherwise. */
static uint64_t image_page(struct vma *v, uint64_t va)
{
	uint64_t off = v->file_off + (va - v->start);
	const uint8_t *p = v->file->data + off;

	if (!v->file->data) /* tmpfs: no bytes in place, copy through vfs_inode_read */
		return 0;
	if (off + PAGE_SIZE > v->file_end || off + PAGE_SIZE > v->file->size)
		return 0;
	if (!IS_ALIGNED((uint64_t)p, PAGE_SIZE))
		return 0;
	return virt_to_phys(p);
}

/* Copy the image page mapped at `pte` into a private frame. */
static int break_cow(uint64_t va, uint64_t *pte, struct vma *v)
{
	uint64_t pa = mem_alloc_frame(0);

	if (!pa)
		return -ENOMEM;
	memcpy(phys_to_virt(pa), phys_to_virt(*pte & PTE_ADDR_MASK), PAGE_SIZE);
	*pte = pa | pte_flags(v->prot) | PTE_P;
	paging_flush(va);
	return 0;
}

/* The file offset that area `v` maps at `va`. */
static uint64_t file_offset(const struct vma *v, uint64_t va)
{
	return v->file_off + (va - v->start);
}

/*
 * Map the tmpfs file's own page for `va` of shared area `v`, making it
 * (zeroed) if it is a hole, so that writes through the mapping land in the
 * file.  Past the file's last page there is nothing to map: Linux raises
 * SIGBUS there, monos a fault.
 */
static int fault_shared(struct vma *v, uint64_t va)
{
	uint64_t off = file_offset(v, va), idx = off / PAGE_SIZE;

	if (off >= ALIGN_UP(v->file->size, PAGE_SIZE))
		return -EFAULT;
	if (tmpfs_allocate(v->file, idx * PAGE_SIZE, PAGE_SIZE, true))
		return -ENOMEM;
	if (paging_map(va, v->file->pages[idx], pte_flags(v->prot) | PTE_SHARED))
		return -ENOMEM;
	resident++;
	return 0;
}

int vm_fault(uint64_t addr, unsigned error)
{
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE), *pte, pa;
	struct vma *v = vm_find(addr);
	bool write = error & PF_WRITE;

	if (!v || (write && !(v->prot & PROT_WRITE)) ||
	    ((error & PF_INSTR) && !(v->prot & PROT_EXEC)) ||
	    !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EFAULT;
	pte = paging_pte(va);
	if (pte && (*pte & PTE_P)) {
		if (write && (*pte & PTE_COW))
			return break_cow(va, pte, v);
		return 0; /* already there (another path mapped it): retry */
	}
	if (v->flags & VMA_SHARED)
		return fault_shared(v, va);
	if (v->file && !(write) && (pa = image_page(v, va))) {
		uint64_t f = pte_flags(v->prot) | PTE_IMAGE;
		if (v->prot & PROT_WRITE)
			f = (f & ~(uint64_t)PTE_W) | PTE_COW;
		if (paging_map(va, pa, f))
			return -ENOMEM;
		resident++;
		return 0;
	}
	pa = mem_alloc_frame(!v->file);
	if (!pa)
		return -ENOMEM;
	if (v->file)
		fill_from_file(v, va, phys_to_virt(pa));
	if (paging_map(va, pa, pte_flags(v->prot))) {
		mem_free_frame(pa);
		return -ENOMEM;
	}
	resident++;
	return 0;
}

int vm_grow(uint64_t start, uint64_t old_len, uint64_t new_len)
{
	struct vma *v = vm_find(start);
	uint64_t end = start + new_len;

	if (!v || start + old_len != v->end || end > USER_TOP || end < start)
		return -ENOMEM;
	if (vm_overlaps(v->end, end - v->end))
		return -ENOMEM;
	v->end = end; /* a file area's new part reads on in the file */
	return 0;
}

/* Move the present page-table entry at `from` to `to` (whose page table may
 * need allocating: -ENOMEM, leaving `from` as it was). */
static int move_pte(uint64_t from, uint64_t to)
{
	uint64_t *pte = paging_pte(from), e;

	if (!pte || !(*pte & PTE_P))
		return 0;
	e = *pte;
	if (paging_map(to, e & PTE_ADDR_MASK, e & ~(PTE_ADDR_MASK | PTE_P)))
		return -ENOMEM;
	paging_unmap(from);
	return 0;
}

int vm_move(uint64_t start, uint64_t old_len, uint64_t dst, uint64_t new_len)
{
	struct vma *v = vm_find(start), t;
	uint64_t keep = MIN(old_len, new_len), done;

	if (!v || start + old_len > v->end)
		return -EFAULT;
	t = *v;
	t.start = dst;
	t.end = dst + new_len;
	t.file_off = v->file ? file_offset(v, start) : 0;
	if (insert_area(&t))
		return -ENOMEM;
	for (done = 0; done < keep; done += PAGE_SIZE)
		if (move_pte(start + done, dst + done))
			break;
	if (done < keep) {
		/* Put back what moved: the old tables exist, so this cannot fail. */
		for (uint64_t off = 0; off < done; off += PAGE_SIZE)
			move_pte(dst + off, start + off);
		vm_unmap(dst, new_len);
		return -ENOMEM;
	}
	return vm_unmap(start, old_len) ? -ENOMEM : 0;
}

/* Whether the page at `va` of area `v` is resident (see vm_mincore). */
static uint8_t page_resident(const struct vma *v, uint64_t va)
{
	uint64_t *pte = paging_pte(va), off, idx;

	if (pte && (*pte & PTE_P))
		return 1;
	if (!v->file)
		return 0;
	off = file_offset(v, va);
	if (off >= v->file->size || off >= v->file_end)
		return 0;
	if (v->file->fops != &tmpfs_file_ops)
		return 1; /* image files are in memory whole */
	idx = off / PAGE_SIZE;
	return idx < v->file->npages && v->file->pages[idx];
}

int vm_mincore(uint64_t start, size_t npages, uint8_t *vec)
{
	uint64_t end = start + npages * PAGE_SIZE;
	struct vma *v = NULL;

	if (!fully_mapped(start, end))
		return -ENOMEM;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		if (!v || va >= v->end)
			v = vm_find(va);
		vec[(va - start) / PAGE_SIZE] = page_resident(v, va);
	}
	return 0;
}

void vm_file_truncate(struct inode *ino, uint64_t size)
{
	uint64_t first = ALIGN_UP(size, PAGE_SIZE); /* the first whole page cut */
	struct vma *v;

	list_for_each_entry(v, &areas, node) {
		if (v->file != ino || !(v->flags & VMA_SHARED))
			continue;
		for (uint64_t va = v->start; va < v->end; va += PAGE_SIZE)
			if (file_offset(v, va) >= first && paging_pte(va))
				drop_page(va);
	}
}
