/*
 * The physical frame allocator.  Free memory is a few ranges taken from the
 * boot memory map; frames are carved from them in address order (a bump
 * pointer, which touches nothing) and freed frames go on a list threaded
 * through the frames themselves (through the direct map).  Reusing freed
 * frames first keeps the working set small.
 *
 * Every frame handed out carries a reference count (design.md contract 17):
 * 1 when allocated, one more for each further holder (a page-table entry,
 * a file's page cache), freed when the last is dropped.  The counts live in
 * one array indexed by frame number, carved from the lowest free range that
 * holds it (0.1% of RAM); an entry is written when its frame is handed out,
 * never before, so boot still costs the same whatever the RAM size.
 */
#include "core/mem.h"
#include "core/kernel.h"
#include "core/fault_inject.h"
#include "core/spinlock.h"

#define MAX_RANGES 64
/* entry.S maps the first GiB until paging_init builds the direct map: the
 * count array, written from the first allocation on, must lie below. */
#define BOOT_MAP_END (1ul << 30)

static struct mem_range free_ranges[MAX_RANGES]; /* guarded by mem_lock */
static unsigned nfree_ranges, cur_range;	 /* guarded by mem_lock */
static uint64_t free_list;			 /* phys of first freed frame, or 0 */
static uint64_t total_frames, used_frames, top;
static struct mem_range reserved_ranges[16]; /* set once by mem_init */
static unsigned nreserved_ranges;
static uint32_t *frame_refs; /* [pa / PAGE_SIZE]: guarded by mem_lock */
/* mem_lock guards the ranges, the free list, the counts of frames and each
 * frame's reference count.  Taken with interrupts saved: drivers allocate
 * in interrupt context. */
static struct spinlock mem_lock;

/* Add [start, end) minus every reserved range. */
static void add_range(uint64_t start, uint64_t end, const struct mem_range *res, unsigned nres)
{
	for (unsigned i = 0; i < nres; i++) {
		if (res[i].end <= start || res[i].start >= end)
			continue;
		if (res[i].start > start)
			add_range(start, res[i].start, res, nres);
		start = res[i].end;
		if (start >= end)
			return;
	}
	if (start >= end)
		return;
	if (nfree_ranges == MAX_RANGES) {
		klog("mem: too many memory ranges, ignoring %#lx-%#lx\n", start, end);
		return;
	}
	/* Keep the ranges sorted: insertion into a short array. */
	unsigned i = nfree_ranges++;
	while (i > 0 && free_ranges[i - 1].start > start) {
		free_ranges[i] = free_ranges[i - 1];
		i--;
	}
	free_ranges[i] = (struct mem_range){ start, end };
	total_frames += (end - start) / PAGE_SIZE;
}

/* Take the reference-count array from the lowest free range that holds it
 * below BOOT_MAP_END.  Its frames leave the total, as Linux's struct page
 * array leaves MemTotal. */
static void carve_refs(void)
{
	uint64_t size = ALIGN_UP((top / PAGE_SIZE) * sizeof(*frame_refs), PAGE_SIZE);

	for (unsigned i = 0; i < nfree_ranges; i++) {
		struct mem_range *r = &free_ranges[i];

		if (r->end - r->start < size || r->start + size > BOOT_MAP_END)
			continue;
		frame_refs = phys_to_virt(r->start);
		r->start += size;
		total_frames -= size / PAGE_SIZE;
		return;
	}
	panic("mem: no room below 1 GiB for the frames' reference counts (%lu bytes)", size);
}

void mem_init(const struct mem_range *ram, unsigned nram, const struct mem_range *reserved,
	      unsigned nreserved)
{
	BUG_ON(nreserved > ARRAY_SIZE(reserved_ranges));
	memcpy(reserved_ranges, reserved, nreserved * sizeof(*reserved));
	nreserved_ranges = nreserved;
	for (unsigned i = 0; i < nram; i++) {
		uint64_t s = ALIGN_UP(ram[i].start, PAGE_SIZE),
			 e = ALIGN_DOWN(ram[i].end, PAGE_SIZE);
		if (e > top)
			top = e;
		if (s < e)
			add_range(s, e, reserved, nreserved);
	}
	if (!total_frames)
		panic("mem: no usable RAM in the boot memory map");
	carve_refs();
}

uint64_t mem_alloc_frame(int zero)
{
	uint64_t pa = 0, flags;

	if (fault_inject_alloc())
		return 0;
	flags = spin_lock_irqsave(&mem_lock);
	if (free_list) {
		pa = free_list;
		free_list = *(uint64_t *)phys_to_virt(pa);
	} else {
		while (cur_range < nfree_ranges &&
		       free_ranges[cur_range].start >= free_ranges[cur_range].end)
			cur_range++;
		if (cur_range < nfree_ranges) {
			pa = free_ranges[cur_range].start;
			free_ranges[cur_range].start += PAGE_SIZE;
		}
	}
	if (pa) {
		used_frames++;
		frame_refs[pa / PAGE_SIZE] = 1;
	}
	spin_unlock_irqrestore(&mem_lock, flags);
	if (pa && zero)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/* Drop one reference on managed frame `pa` (mem_lock held); the last
 * puts it on the free list.  A frame with no reference is a broken
 * invariant (a double free): stop there. */
static void put_locked(uint64_t pa)
{
	uint32_t *r = &frame_refs[pa / PAGE_SIZE];

	if (!*r)
		panic("mem: dropping a reference on free frame %#lx", pa);
	if (--*r)
		return;
	*(uint64_t *)phys_to_virt(pa) = free_list;
	free_list = pa;
	used_frames--;
}

void mem_free_frame(uint64_t pa)
{
	uint64_t flags;

	/* A bad address here would be written through the direct map (the
	 * free list lives in the frames): stop at the broken invariant. */
	if (!IS_ALIGNED(pa, PAGE_SIZE) || !pa || !mem_is_managed(pa))
		panic("mem: freeing %#lx, which is not a frame of the allocator", pa);
	flags = spin_lock_irqsave(&mem_lock);
	put_locked(pa);
	spin_unlock_irqrestore(&mem_lock, flags);
}

/* Take one reference on managed frame `pa` (mem_lock held). */
static void get_locked(uint64_t pa)
{
	if (!frame_refs[pa / PAGE_SIZE])
		panic("mem: taking a reference on free frame %#lx", pa);
	frame_refs[pa / PAGE_SIZE]++;
}

void mem_frame_get(uint64_t pa)
{
	uint64_t flags;

	if (!mem_is_managed(pa))
		return;
	flags = spin_lock_irqsave(&mem_lock);
	get_locked(pa);
	spin_unlock_irqrestore(&mem_lock, flags);
}

/* `op` on the frame of each non-zero entry, under the lock once (inlined:
 * each caller gets its own loop with `op` called directly). */
static inline __attribute__((always_inline)) void
frames_op(const uint64_t *entries, unsigned n, uint64_t addr_mask, void (*op)(uint64_t pa))
{
	uint64_t flags = spin_lock_irqsave(&mem_lock);

	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = entries[i] & addr_mask;

		if (entries[i] && mem_is_managed(pa))
			op(pa);
	}
	spin_unlock_irqrestore(&mem_lock, flags);
}

void mem_frames_get(const uint64_t *entries, unsigned n, uint64_t addr_mask)
{
	frames_op(entries, n, addr_mask, get_locked);
}

void mem_frames_put(const uint64_t *entries, unsigned n, uint64_t addr_mask)
{
	frames_op(entries, n, addr_mask, put_locked);
}

void mem_frame_put(uint64_t pa)
{
	uint64_t flags;

	if (!mem_is_managed(pa))
		return;
	flags = spin_lock_irqsave(&mem_lock);
	put_locked(pa);
	spin_unlock_irqrestore(&mem_lock, flags);
}

unsigned mem_frame_refs(uint64_t pa)
{
	return mem_is_managed(pa) ? frame_refs[pa / PAGE_SIZE] : 0;
}

int mem_is_managed(uint64_t pa)
{
	/* Frames of the allocator lie in RAM that is not reserved; the only
	 * reserved RAM a program maps is the image (the initrd). */
	if (pa >= top)
		return 0;
	for (unsigned i = 0; i < nreserved_ranges; i++)
		if (pa >= reserved_ranges[i].start && pa < reserved_ranges[i].end)
			return 0;
	return 1;
}

uint64_t mem_total_frames(void)
{
	return total_frames;
}

uint64_t mem_used_frames(void)
{
	return used_frames;
}

uint64_t mem_top(void)
{
	return top;
}
