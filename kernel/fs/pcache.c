/*
 * Files' page caches (fs layer; fs/pcache.h): the table of a file's pages,
 * the coherence copies of read() and write(), and the bound on clean pages
 * of all files together.
 */
#include "fs/pcache.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"

#define PCACHE_MAPPED	1ull /* slot flag: the page belongs to a shared mapping */
#define PCACHE_RA_FIRST 16   /* pages: the first sequential window (64 KiB) */
#define PCACHE_RA_MAX	256  /* pages: the largest window (1 MiB, 4 requests of 256 KiB) */
#define PCACHE_RAM_PART 4    /* clean pages may take 1/PCACHE_RAM_PART of RAM */

/* Caches with clean pages, oldest fill first; their clean pages. */
static struct list_head pcache_lru = LIST_HEAD_INIT(pcache_lru);
static uint64_t pcache_clean_total;

uint64_t pcache_page(const struct pcache *pc, uint64_t idx)
{
	return idx < pc->n ? pc->slot[idx] & ~PCACHE_MAPPED : 0;
}

bool pcache_is_mapped(const struct pcache *pc, uint64_t idx)
{
	return idx < pc->n && (pc->slot[idx] & PCACHE_MAPPED);
}

static int pcache_grow(struct pcache *pc, uint64_t idx)
{
	uint64_t n = pc->n ? pc->n : 8, *s;

	if (idx < pc->n)
		return 0;
	while (n <= idx)
		n *= 2;
	if (!(s = kzalloc(n * sizeof(*s))))
		return -ENOMEM;
	if (pc->n)
		memcpy(s, pc->slot, pc->n * sizeof(*s));
	kfree(pc->slot);
	pc->slot = s;
	pc->n = n;
	return 0;
}

/* Count clean pages in or out, keeping `pc` in the list while it has any
 * (a new clean page moves it to the young end). */
static void pcache_count_clean(struct pcache *pc, int64_t delta)
{
	bool listed = pc->clean != 0;

	pc->clean += delta;
	pcache_clean_total += delta;
	if (listed && (delta > 0 || !pc->clean))
		list_del(&pc->lru);
	if (pc->clean && (delta > 0 || !listed))
		list_add_tail(&pc->lru, &pcache_lru);
}

int pcache_insert(struct pcache *pc, uint64_t idx, uint64_t pa, bool mapped)
{
	if (pcache_grow(pc, idx))
		return -ENOMEM;
	pc->slot[idx] = pa | (mapped ? PCACHE_MAPPED : 0);
	if (mapped)
		pc->mapped++;
	else
		pcache_count_clean(pc, 1);
	return 0;
}

void pcache_set_mapped(struct pcache *pc, uint64_t idx)
{
	if (pcache_is_mapped(pc, idx) || !pcache_page(pc, idx))
		return;
	pc->slot[idx] |= PCACHE_MAPPED;
	pc->mapped++;
	pcache_count_clean(pc, -1);
}

static void pcache_drop(struct pcache *pc, uint64_t idx)
{
	uint64_t s = pc->slot[idx];

	if (!s)
		return;
	mem_free_frame(s & ~PCACHE_MAPPED);
	pc->slot[idx] = 0;
	if (s & PCACHE_MAPPED)
		pc->mapped--;
	else
		pcache_count_clean(pc, -1);
}

void pcache_drop_from(struct pcache *pc, uint64_t first)
{
	for (uint64_t n = first; n < pc->n; n++)
		pcache_drop(pc, n);
}

void pcache_free(struct pcache *pc)
{
	pcache_drop_from(pc, 0);
	kfree(pc->slot);
	pc->slot = NULL;
	pc->n = 0;
}

void pcache_zero_tail(struct pcache *pc, uint64_t size)
{
	uint64_t pa = pcache_page(pc, size / PAGE_SIZE);

	if (pa && size % PAGE_SIZE)
		memset((char *)phys_to_virt(pa) + size % PAGE_SIZE, 0,
		       PAGE_SIZE - size % PAGE_SIZE);
}

void pcache_overlay(struct pcache *pc, uint64_t off, char *buf, size_t n, bool to_cache)
{
	for (size_t done = 0; done < n && pc->n;) {
		uint64_t pos = off + done, pa = pcache_page(pc, pos / PAGE_SIZE);
		size_t in = pos % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - in);

		if (pa && (to_cache || pcache_is_mapped(pc, pos / PAGE_SIZE))) {
			char *mem = (char *)phys_to_virt(pa) + in;

			memcpy(to_cache ? mem : buf + done, to_cache ? buf + done : mem, chunk);
		}
		done += chunk;
	}
}

/* Drop up to `want` clean pages of `pc` from its hand on (wrapping once). */
static void pcache_shrink(struct pcache *pc, uint64_t want)
{
	for (uint64_t seen = 0; seen < pc->n && want && pc->clean; seen++) {
		uint64_t idx = pc->hand++ % pc->n;

		if (pc->slot[idx] && !(pc->slot[idx] & PCACHE_MAPPED)) {
			pcache_drop(pc, idx);
			want--;
		}
	}
}

void pcache_reserve(uint64_t pages)
{
	uint64_t bound = mem_total_frames() / PCACHE_RAM_PART;

	while (pcache_clean_total + pages > bound && !list_empty(&pcache_lru))
		pcache_shrink(list_first_entry(&pcache_lru, struct pcache, lru),
			      pcache_clean_total + pages - bound);
}

uint64_t pcache_ra_window(struct pcache *pc, uint64_t idx, uint64_t n)
{
	if (idx != pc->ra_next || !idx)
		pc->ra_pages = idx ? 0 : PCACHE_RA_FIRST; /* a file read from its start reads on */
	else
		pc->ra_pages = pc->ra_pages ? MIN(2 * pc->ra_pages, (uint32_t)PCACHE_RA_MAX)
					    : PCACHE_RA_FIRST;
	return MAX(n, (uint64_t)pc->ra_pages);
}

void pcache_read_done(struct pcache *pc, uint64_t next_idx)
{
	pc->ra_next = next_idx;
}
