/*
 * A file's page cache (design.md contract 20): frames by page index, shared
 * by read(), write() and MAP_SHARED mappings so that the three stay
 * coherent.  A page is either mapped (handed to a shared mapping: it may
 * be dirty, the filesystem writes it back, it stays until truncation or
 * the inode's end) or clean (filled by read(); writes go through to the
 * disk and into the page, so it always equals the disk and can be dropped
 * at any time).  Clean pages of every file are bounded together: the
 * oldest-filled file's go first (pcache_reserve).
 *
 * Locking: the owner's lock (its filesystem's) guards a cache's pages;
 * the list of caches with clean pages and its counts are guarded by the
 * system-call rule, which is also what lets pcache_reserve drop another
 * file's clean pages without that file's lock: no caller sleeps between
 * looking a page up and copying it.
 */
#ifndef FS_PCACHE_H
#define FS_PCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/list.h>

struct pcache {
	uint64_t *slot;	      /* frame | PCACHE_MAPPED by page index; 0: not cached */
	uint64_t n;	      /* slots */
	uint64_t clean;	      /* cached pages not mapped */
	uint64_t mapped;      /* mapped pages (the writeback's work) */
	uint64_t hand;	      /* where pcache_reserve resumes dropping */
	uint64_t ra_next;     /* the page a sequential read() asks next */
	uint32_t ra_pages;    /* the readahead window (pages) */
	struct list_head lru; /* in the list of caches with clean pages */
};

/* The page at `idx`: its frame's physical address, or 0. */
uint64_t pcache_page(const struct pcache *pc, uint64_t idx);
bool pcache_is_mapped(const struct pcache *pc, uint64_t idx);

/* Keep frame `pa` (the caller's reference passes to the cache) at `idx`,
 * which holds none: 0, or -ENOMEM (the frame stays the caller's). */
int pcache_insert(struct pcache *pc, uint64_t idx, uint64_t pa, bool mapped);

/* The page at `idx` (cached) goes to a shared mapping: it is never dropped
 * by pcache_reserve again. */
void pcache_set_mapped(struct pcache *pc, uint64_t idx);

/* Drop the pages from `first` on (truncation); pcache_free drops all and
 * the table (the inode's end). */
void pcache_drop_from(struct pcache *pc, uint64_t first);
void pcache_free(struct pcache *pc);

/* The page of file size `size`: its bytes past the end become zeros, which
 * is what a file that grows again must read there. */
void pcache_zero_tail(struct pcache *pc, uint64_t size);

/* Copy file bytes [off, off + n) between the cached pages and `buf`: into
 * every cached page (a write went to the disk), or out of the mapped ones
 * over `buf` (what the disk gave, which a mapped page may have overtaken;
 * a clean page holds what the disk holds). */
void pcache_overlay(struct pcache *pc, uint64_t off, char *buf, size_t n, bool to_cache);

/* Make room for `pages` more clean pages under the bound (a quarter of
 * RAM), dropping the clean pages of the oldest-filled caches first. */
void pcache_reserve(uint64_t pages);

/* The readahead window for a read() of pages [idx, idx + n) that missed:
 * the pages to fill from idx (n or more), growing while reads are
 * sequential; pcache_read_done records where the read() ended. */
uint64_t pcache_ra_window(struct pcache *pc, uint64_t idx, uint64_t n);
void pcache_read_done(struct pcache *pc, uint64_t next_idx);

#endif
