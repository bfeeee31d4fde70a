/*
 * The program's areas (VMAs) and every operation on a range of them: map,
 * unmap, protect, discard, grow, move, truncate; demand paging itself is
 * core/vm_fault.c's.  Areas never overlap and stay sorted by address.
 * Every entry in use holds one reference on its frame (mem_frame_get; a
 * no-op for the image's frames, which the allocator does not manage), once
 * for all the address spaces that share its page table after a fork
 * (paging.h: fork shares last-level tables, copied when one side changes
 * an entry), so a
 * file's own page in a MAP_SHARED area outlives the file's truncation until
 * it is unmapped, and unmapping drops the reference whatever the page is.
 * Software PTE bits (paging.h) say how a page behaves: PTE_IMAGE marks a
 * file's page mapped in place into a private area, PTE_COW a page that must
 * be copied before the first write.  An entry that is not present but not
 * zero keeps its frame while the area is PROT_NONE, so the data survives,
 * as on Linux.  An area holds a
 * reference on its file (ops->get), so an unlinked, closed file stays alive
 * while mapped.  Every walk over a range goes through paging_walk, so its
 * cost follows the pages that exist, not the size of the range.
 */
#include "core/vm.h"
#include "arch/x86_64/paging.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm_internal.h"

/* From this many pages one full flush beats INVLPG each: Linux's
 * tlb_single_page_flush_ceiling (arch/x86/mm/tlb.c). */
#define FLUSH_ALL_MIN 33
/* Pages gathered per TLB flush: above FLUSH_ALL_MIN, so a big unmap flushes
 * all at once; 1 KiB of kernel stack. */
#define GATHER_MAX 64

static struct mm first_mm = { .areas = LIST_HEAD_INIT(first_mm.areas), .refs = 1 };
static struct mm kernel_mm = { .areas = LIST_HEAD_INIT(kernel_mm.areas), .refs = 1 };
/* The CPU's: mm_current().  first_mm from the start, so the exit log reads
 * a resident count of 0 even when vm_init ran out of memory. */
static struct mm *active = &first_mm;

struct mm *mm_current(void)
{
	return active;
}

void mm_switch(struct mm *mm)
{
	active = mm;
	paging_activate(&mm->pt);
}

void vm_init(void)
{
	if (paging_create(&first_mm.pt) || paging_create(&kernel_mm.pt))
		boot_out_of_memory("the program's page tables");
	paging_activate(&first_mm.pt);
}

struct mm *mm_kernel(void)
{
	return &kernel_mm;
}

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	list_init(&mm->areas);
	mm->refs = 1;
	if (paging_create(&mm->pt)) {
		kfree(mm);
		return NULL;
	}
	return mm;
}

void mm_get(struct mm *mm)
{
	mm->refs++;
}

struct vma *vm_find(uint64_t addr)
{
	struct vma *v;
	list_for_each_entry(v, &active->areas, node) {
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
	list_for_each_entry(v, &active->areas, node)
		if (v->start < start + len && start < v->end)
			return true;
	return false;
}

uint64_t vm_resident_pages(void)
{
	return active->resident;
}

/*
 * Pages unmapped but not yet flushed from the TLB, with the frames to free
 * once they are: unmapping clears entries, flushes, then frees (design.md
 * contract 15), so no frame is reused while a stale translation could reach
 * it.
 */
struct gather {
	unsigned n;
	uint64_t va[GATHER_MAX];
	uint64_t frame[GATHER_MAX]; /* the frame whose reference the entry held */
};

/* Flush the gathered pages, then drop their frames' references. */
static void gather_flush(struct gather *g)
{
	if (g->n >= FLUSH_ALL_MIN)
		paging_flush_all();
	else
		for (unsigned i = 0; i < g->n; i++)
			paging_flush(g->va[i]);
	for (unsigned i = 0; i < g->n; i++)
		mem_frame_put(g->frame[i]);
	g->n = 0;
}

static void gather_add(struct gather *g, uint64_t va, uint64_t frame)
{
	if (g->n == GATHER_MAX)
		gather_flush(g);
	g->va[g->n] = va;
	g->frame[g->n++] = frame;
}

/* paging_walk callback: clear the entry, gathering its frame. */
static int unmap_entry(uint64_t va, uint64_t *pte, void *arg)
{
	uint64_t old = *pte;

	*pte = 0;
	active->resident--;
	gather_add(arg, va, old & PTE_ADDR_MASK);
	return 0;
}

/* Drop every page of [start, end): cost follows the pages mapped.  0, or
 * -ENOMEM with nothing dropped (a page table shared with a fork's other
 * side could not be copied). */
static int drop_pages(uint64_t start, uint64_t end)
{
	struct gather g = { 0 };

	if (paging_own(&active->pt, start, end))
		return -ENOMEM;
	paging_walk(&active->pt, start, end, unmap_entry, &g);
	gather_flush(&g);
	return 0;
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
		hi->ops->get(hi->file);
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

static void free_area(struct vma *v)
{
	list_del(&v->node);
	if (v->file)
		v->ops->put(v->file);
	kfree(v);
}

int vm_unmap(uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	struct vma *v, *tmp;

	if (!uaccess_range_ok(start, len))
		return -EINVAL;
	if (!len)
		return 0;
	/* Pages first: the last reference to a file may free its pages. */
	if (split_at(start, end) || drop_pages(start, end))
		return -ENOMEM;
	paging_prune(&active->pt, start, end);
	list_for_each_entry_safe(v, tmp, &active->areas, node)
		if (v->start >= start && v->end <= end)
			free_area(v);
	return 0;
}

/* Map a copy of `tmpl` (its start, end and attributes) over whatever was
 * there, taking a reference on its file. */
static int insert_area(const struct vma *tmpl)
{
	struct list_head *at = &active->areas;
	struct vma *n, *v;
	int err;

	if (!uaccess_range_ok(tmpl->start, tmpl->end - tmpl->start) || tmpl->end <= tmpl->start ||
	    (tmpl->file && !tmpl->ops))
		return -EINVAL;
	n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	err = vm_unmap(tmpl->start, tmpl->end - tmpl->start);
	if (err) {
		kfree(n);
		return err;
	}
	*n = *tmpl;
	if (n->file)
		n->ops->get(n->file);
	list_for_each_entry(v, &active->areas, node) {
		if (v->start > n->start) {
			at = &v->node;
			break;
		}
	}
	list_add_tail(&n->node, at); /* before the first area above, or last */
	return 0;
}

int vm_map(uint64_t start, uint64_t len, unsigned prot, struct inode *file,
	   const struct vm_file_ops *ops, uint64_t file_off, uint64_t file_len, const char *name)
{
	struct vma t = { .start = start,
			 .end = start + len,
			 .prot = prot,
			 .file = file,
			 .ops = file ? ops : NULL,
			 .file_off = file_off,
			 .file_end = file_off + file_len,
			 .name = name };

	return insert_area(&t);
}

int vm_map_shared(uint64_t start, uint64_t len, unsigned prot, struct inode *file,
		  const struct vm_file_ops *ops, uint64_t file_off, unsigned flags)
{
	struct vma t = { .start = start,
			 .end = start + len,
			 .prot = prot,
			 .flags = flags,
			 .file = file,
			 .ops = ops,
			 .file_off = file_off,
			 .file_end = UINT64_MAX };

	if (!ops->shared_pages)
		t.flags &= ~VMA_SHARED; /* the file never changes: private is the same */
	return insert_area(&t);
}

/* Whether every page of [start, end) lies in some area (an empty range
 * does). */
static bool fully_mapped(uint64_t start, uint64_t end)
{
	struct vma *v;
	uint64_t at = start;

	if (start >= end)
		return true;
	list_for_each_entry(v, &active->areas, node) {
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

/* paging_walk callback of vm_protect: `arg` is a struct protect. */
struct protect {
	unsigned prot;
	struct gather g; /* pages to flush (no frames) */
};

static int protect_entry(uint64_t va, uint64_t *pte, void *arg)
{
	struct protect *p = arg;

	*pte = vm_entry_with_prot(*pte, p->prot);
	gather_add(&p->g, va, 0);
	return 0;
}

int vm_protect(uint64_t start, uint64_t len, unsigned prot)
{
	uint64_t end = start + len;
	struct protect p = { .prot = prot };
	struct vma *v;

	if (!uaccess_range_ok(start, len) || !fully_mapped(start, end))
		return -ENOMEM;
	list_for_each_entry(v, &active->areas, node)
		if (v->start < end && start < v->end && (v->flags & VMA_NOWRITE) &&
		    (prot & PROT_WRITE))
			return -EACCES;
	if (paging_own(&active->pt, start, end) || split_at(start, end))
		return -ENOMEM;
	list_for_each_entry(v, &active->areas, node)
		if (v->start >= start && v->end <= end)
			v->prot = prot;
	paging_walk(&active->pt, start, end, protect_entry, &p);
	gather_flush(&p.g);
	return 0;
}

bool vm_range_mapped(uint64_t start, uint64_t len)
{
	return uaccess_range_ok(start, len) && fully_mapped(start, start + len);
}

int vm_discard(uint64_t start, uint64_t len, bool anon_only)
{
	uint64_t end = start + len;
	struct vma *v;

	if (!uaccess_range_ok(start, len))
		return -ENOMEM;
	/* Linux works through the areas in order and stops at a bad one. */
	list_for_each_entry(v, &active->areas, node) {
		if (anon_only && v->file && v->start < end && start < v->end)
			return drop_pages(start, MAX(start, v->start)) ?: -EINVAL;
	}
	if (drop_pages(start, end))
		return -EAGAIN; /* madvise's "a kernel resource was temporarily unavailable" */
	return fully_mapped(start, end) ? 0 : -ENOMEM;
}

struct vma *vm_next_in(struct mm *mm, struct vma *v)
{
	struct list_head *n = v ? v->node.next : mm->areas.next;

	return n == &mm->areas ? NULL : list_entry(n, struct vma, node);
}

struct vma *vm_next(struct vma *v)
{
	return vm_next_in(active, v);
}

size_t vm_read_in(struct mm *mm, uint64_t addr, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n && addr < USER_TOP) {
		const uint64_t *pte = paging_pte_peek(&mm->pt, addr & ~(PAGE_SIZE - 1));
		size_t off = addr & (PAGE_SIZE - 1), chunk = MIN(n - done, PAGE_SIZE - off);
		if (!pte || !(*pte & PTE_P))
			break; /* never touched, or PROT_NONE: not readable */
		memcpy((char *)buf + done, (char *)phys_to_virt(*pte & PTE_ADDR_MASK) + off, chunk);
		done += chunk;
		addr += chunk;
	}
	return done;
}

uint64_t vm_find_free(uint64_t len)
{
	uint64_t top = VM_MMAP_TOP;
	struct vma *v;

	/* Walk the areas from the top down, looking for a gap below `top`. */
	for (struct list_head *p = active->areas.prev; p != &active->areas; p = p->prev) {
		v = list_entry(p, struct vma, node);
		if (v->start >= top)
			continue;
		if (v->end <= top && top - v->end >= len)
			return top - len;
		top = MIN(top, v->start);
	}
	return top - VM_MMAP_BOTTOM >= len ? top - len : 0;
}

int vm_grow(uint64_t start, uint64_t old_len, uint64_t new_len)
{
	struct vma *v = vm_find(start);

	if (!v || old_len != v->end - start || !uaccess_range_ok(start, new_len))
		return -ENOMEM;
	if (vm_overlaps(v->end, start + new_len - v->end))
		return -ENOMEM;
	v->end = start + new_len; /* a file area's new part reads on in the file */
	return 0;
}

/* paging_walk callback of vm_move: move the entry by `delta` bytes. */
struct move {
	uint64_t delta; /* destination - source (modulo 2^64) */
	uint64_t done;	/* the source address moved up to */
};

static int move_entry(uint64_t va, uint64_t *pte, void *arg)
{
	struct move *m = arg;

	/* The data stays where it is: no flush-then-free order is needed. */
	if (paging_set(&active->pt, va + m->delta, *pte))
		return -ENOMEM;
	*pte = 0;
	paging_flush(va);
	m->done = va + PAGE_SIZE;
	return 0;
}

int vm_move(uint64_t start, uint64_t old_len, uint64_t dst, uint64_t new_len)
{
	struct vma *v = vm_find(start), t;
	uint64_t keep = MIN(old_len, new_len);
	struct move m = { .delta = dst - start, .done = start };

	if (!v || old_len > v->end - start)
		return -EFAULT;
	t = *v;
	t.start = dst;
	t.end = dst + new_len;
	t.file_off = v->file ? vm_file_offset(v, start) : 0;
	if (insert_area(&t))
		return -ENOMEM;
	if (paging_walk(&active->pt, start, start + keep, move_entry, &m)) {
		/* Put back what moved: the old tables exist, so this cannot fail. */
		struct move back = { .delta = start - dst };
		paging_walk(&active->pt, dst, dst + (m.done - start), move_entry, &back);
		vm_unmap(dst, new_len);
		return -ENOMEM;
	}
	return vm_unmap(start, old_len) ? -ENOMEM : 0;
}

/* A page a fork's other side still shares stays mapped when out of memory
 * (its frame referenced, so never reused): Linux would raise SIGBUS. */
void vm_file_truncate(struct inode *ino, uint64_t size)
{
	uint64_t first = ALIGN_UP(size, PAGE_SIZE); /* the first whole page cut */
	struct vma *v;

	list_for_each_entry(v, &active->areas, node) {
		if (v->file != ino || !(v->flags & VMA_SHARED))
			continue;
		if (first <= v->file_off)
			drop_pages(v->start, v->end);
		else if (first - v->file_off < v->end - v->start)
			drop_pages(v->start + (first - v->file_off), v->end);
	}
}

/* Free every page and area of `mm` and its page tables. */
static void mm_destroy(struct mm *mm)
{
	struct vma *v, *tmp;

	/* Pages first: the last reference to a file may free its pages. */
	paging_free_user(&mm->pt);
	list_for_each_entry_safe(v, tmp, &mm->areas, node) {
		list_del(&v->node);
		if (v->file)
			v->ops->put(v->file);
		kfree(v);
	}
	paging_destroy(&mm->pt);
	kfree(mm);
}

void mm_put(struct mm *mm)
{
	if (mm == &kernel_mm || --mm->refs)
		return;
	if (mm == active)
		panic("vm: freeing the active address space");
	mm_destroy(mm);
}

struct mm *mm_dup(struct mm *src)
{
	struct mm *mm = mm_create();
	struct vma *v;
	int err;

	if (!mm)
		return NULL;
	mm->brk_start = src->brk_start;
	mm->brk_end = src->brk_end;
	memcpy(mm->auxv, src->auxv, sizeof(mm->auxv));
	mm->auxv_len = src->auxv_len;
	mm->arg_start = src->arg_start, mm->arg_end = src->arg_end;
	mm->env_start = src->env_start, mm->env_end = src->env_end;
	list_for_each_entry(v, &src->areas, node) {
		struct vma *n = kmalloc(sizeof(*n));

		if (!n)
			goto fail;
		*n = *v;
		if (n->file)
			n->ops->get(n->file);
		list_add_tail(&n->node, &mm->areas);
	}
	/* Every page table shared, not copied: 128 entries for 256 MiB. */
	err = paging_share_user(&mm->pt, &src->pt);
	mm->resident = src->resident;
	if (src == active)
		paging_flush_all(); /* the parent's directory entries lost PTE_W */
	if (!err)
		return mm;
fail:
	mm_destroy(mm);
	return NULL;
}
