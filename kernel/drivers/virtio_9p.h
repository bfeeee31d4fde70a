/*
 * The virtio-9p driver's interface (drivers/virtio_9p.c): a 9P2000.L
 * transport to QEMU's built-in 9p server, one device per host directory
 * share, found by its mount tag.  The messages themselves are built and
 * read by <lib/p9.h>; the filesystem over them is fs/v9fs*.c.
 */
#ifndef DRIVERS_VIRTIO_9P_H
#define DRIVERS_VIRTIO_9P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_9p;

/*
 * One request and its reply.  `req` (`reqlen` bytes) is a message built by
 * p9_build with any tag: the driver writes the tag it picks into it and
 * into `tag`.  `wdata` (`wlen`, may be 0) follows it on the wire (Twrite's
 * data, counted in the size field by p9_add_size).  The reply goes into
 * `reply` (`replycap` bytes), then into `rdata` (`rlen`, may be 0: Rread's
 * data after a P9_RREAD_HDR-byte `reply`).  `got` is what the device says
 * it wrote (its word: p9_parse checks it).  Every buffer is kernel memory
 * (kmalloc, frames, static data), not the program's.
 */
struct virtio_9p_call {
	void *req;
	size_t reqlen;
	const void *wdata;
	size_t wlen;
	void *reply;
	size_t replycap;
	void *rdata;
	size_t rlen;
	/* Optional, besides rdata: more of Rread's data, straight into these
	 * whole frames (physical addresses, `nrpages` of them), so a page
	 * cache needs no copy. */
	const uint64_t *rpages;
	unsigned nrpages;
	uint32_t got;
	uint16_t tag;
};

/* virtio_9p_init - register the driver.  Boot, before the transports
 * scan. */
void virtio_9p_init(void);

/*
 * virtio_9p_find - the share whose mount tag is `tag`, its session opened
 * (Tversion) on first use: the device, or ERR_PTR(-ENODEV: no such tag;
 * -EPROTO, -EIO: the server refused 9P2000.L).  Process context; sleeps.
 */
struct virtio_9p *virtio_9p_find(const char *tag);

/* virtio_9p_msize - the message size agreed with the server: no request
 * or reply may be longer (Tread/Twrite carry msize - P9_TWRITE_HDR). */
uint32_t virtio_9p_msize(const struct virtio_9p *d);

/* virtio_9p_fid - a fid number not in use on `d`'s session (fids are the
 * client's to pick; the caller clunks it when done). */
uint32_t virtio_9p_fid(struct virtio_9p *d);

/* virtio_9p_root / virtio_9p_set_root - the fid of the session's root
 * (the Tattach every mount makes as the same user), kept for the device's
 * life so that each further mount of it (a --rootfs's top-level
 * directories) only walks from it; 0: none yet.  set_root keeps the first. */
uint32_t virtio_9p_root(const struct virtio_9p *d);
bool virtio_9p_set_root(struct virtio_9p *d, uint32_t fid);

/*
 * virtio_9p_rpc - send `c`'s request and wait (uninterruptibly: the
 * server always answers) for its reply.  Up to the device's slots are in
 * flight at once, from any threads; the rest wait for a slot.  0, or -EIO
 * (the device broke its queue: every call fails from then on), -EINVAL (a
 * buffer the ring cannot carry).  Process context; sleeps.
 */
int virtio_9p_rpc(struct virtio_9p *d, struct virtio_9p_call *c);

#endif
