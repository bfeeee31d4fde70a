/*
 * System V shared memory: shmget, shmat, shmdt, shmctl (man 2 shmget,
 * Linux's ipc/shm.c).  A segment is an unlinked tmpfs inode named
 * "SYSV<key>", as Linux's is a shmem file (design.md contract 17): every
 * attachment is a MAP_SHARED mapping of it (core/vm.c, VMA_SHARED), so two
 * attachments share pages, and futexes in it are keyed by the inode.
 *
 * Attach counts are the areas that map the inode, counted when asked, as
 * Linux counts its shm VMAs (a split area counts twice there too).  So the
 * kernel needs no hook when an attachment goes by munmap rather than shmdt:
 * a segment removed while attached (SHM_DEST) is freed by the first System
 * V shared memory call that finds it unattached (shm_sweep); until then its
 * pages live on as the mappings' file.
 */
#include "linux/ipc.h"
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "fs/vfs.h"
#include <lib/fmt.h>

/* include/uapi/linux/shm.h */
#define SHM_RDONLY   010000
#define SHM_RND	     020000
#define SHM_REMAP    040000
#define SHM_EXEC     0100000
#define SHM_HUGETLB  04000
#define SHM_DEST     01000 /* in the mode: removed, freed at the last detach */
#define SHM_LOCKED   02000 /* in the mode: SHM_LOCK */
#define SHM_LOCK     11
#define SHM_UNLOCK   12
#define SHM_STAT     13
#define SHM_INFO     14
#define SHM_STAT_ANY 15
#define SHMMIN	     1ul
#define SHMMNI	     4096u
#define SHMMAX	     (UINT64_MAX - (1ul << 24)) /* also SHMALL, in pages */
#define SHMLBA	     PAGE_SIZE			/* arch/x86/include/asm/shmparam.h */
#define SHM_NAME_MAX 16

/* A segment.  Every field: ipc_lock. */
struct shm_seg {
	struct ipc_obj o;  /* first: the tables hold &o */
	struct inode *ino; /* the memory: one vfs_iget reference */
	uint64_t size;
	int64_t atime, dtime;
	int cpid, lpid;
};

/* struct shmid64_ds (include/uapi/asm-generic/shmbuf.h, x86-64) */
struct shmid64_ds_k {
	struct ipc64_perm_k perm;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch, unused[2];
};

/* struct shminfo64, for IPC_INFO */
struct shminfo64_k {
	uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};

/* struct shm_info, for SHM_INFO */
struct shm_info_k {
	int32_t used_ids, pad;
	uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

static struct ipc_ids shm_ids = { .max = SHMMNI }; /* ipc_lock */

static struct shm_seg *seg_of(struct ipc_obj *o)
{
	return (struct shm_seg *)o;
}

/* The number of areas that map the segment's inode. */
static uint64_t nattch(const struct shm_seg *s)
{
	uint64_t n = 0;

	for (struct vma *v = vm_next(NULL); v; v = vm_next(v))
		n += v->file == s->ino;
	return n;
}

static void seg_free(struct ipc_obj *o)
{
	vfs_iput(seg_of(o)->ino);
	kfree(o);
}

/* Free the removed segments nobody maps any more.  Caller holds ipc_lock. */
static void shm_sweep(void)
{
	for (unsigned i = 0; i < shm_ids.nslots; i++) {
		struct ipc_obj *o = shm_ids.slot[i];
		if (o && (o->mode & SHM_DEST) && !nattch(seg_of(o))) {
			ipc_remove(&shm_ids, o);
			seg_free(o);
		}
	}
}

static struct ipc_obj *seg_create(int32_t key, int flags, long size)
{
	char name[SHM_NAME_MAX];
	struct shm_seg *s;
	int len;

	/* Past SHMMAX, or past what a file can hold (MAX_LFS_FILESIZE). */
	if ((uint64_t)size < SHMMIN || (uint64_t)size > SHMMAX || (uint64_t)size > INT64_MAX)
		return ERR_PTR(-EINVAL);
	if (flags & SHM_HUGETLB)
		return ERR_PTR(-ENOMEM); /* no huge pages reserved, as a default Linux */
	if (!(s = kzalloc(sizeof(*s))))
		return ERR_PTR(-ENOMEM);
	len = fmt_snprintf(name, sizeof(name), "SYSV%08x", (uint32_t)key);
	s->ino = tmpfs_new_unlinked(name, (size_t)len, S_IFREG | (flags & IPC_MODE));
	if (!s->ino) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	vfs_iget(s->ino);
	tmpfs_truncate(s->ino, (uint64_t)size); /* sets the size: pages come on touch */
	ipc_obj_init(&s->o, key, flags);
	s->size = (uint64_t)size;
	s->cpid = (int)sys_getpid();
	return &s->o;
}

static int seg_check(struct ipc_obj *o, long size)
{
	return seg_of(o)->size < (uint64_t)size ? -EINVAL : 0;
}

static const struct ipc_kind shm_kind = {
	.ids = &shm_ids, .create = seg_create, .check = seg_check, .destroy = seg_free
};

long sys_shmget(long key, uint64_t size, long flags)
{
	uint64_t irq = spin_lock_irqsave(&ipc_lock);
	long r;

	shm_sweep();
	r = ipc_get(&shm_kind, (int32_t)key, (int)flags, (long)size);
	spin_unlock_irqrestore(&ipc_lock, irq);
	return r;
}

/* Where shmat maps `len` bytes: `addr` checked (and rounded for SHM_RND), or
 * a free range; -EINVAL or -ENOMEM. */
static long shmat_place(uint64_t addr, uint64_t len, long flags)
{
	if (!addr) {
		addr = vm_find_free(len);
		return addr ? (long)addr : -ENOMEM;
	}
	if (addr + len < addr || addr + len > USER_TOP)
		return -EINVAL;
	if (!(flags & SHM_REMAP) && vm_overlaps(addr, len))
		return -EINVAL;
	return (long)addr;
}

/* Map segment `s` at `addr` (0: anywhere): the address or -errno.  Caller
 * holds ipc_lock. */
static long attach(struct shm_seg *s, uint64_t addr, long flags)
{
	bool rdonly = flags & SHM_RDONLY;
	unsigned prot = PROT_READ | (rdonly ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
	uint64_t len = ALIGN_UP(s->size, PAGE_SIZE);
	long at, r;

	if ((r = ipc_perms(&s->o, rdonly ? 0444 : 0666)))
		return r;
	if ((at = shmat_place(addr, len, flags)) < 0)
		return at;
	if (vm_map_shared((uint64_t)at, len, prot, s->ino, vfs_vm_ops(s->ino), 0,
			  VMA_SHARED | (rdonly ? VMA_NOWRITE : 0)))
		return -ENOMEM;
	s->atime = ipc_now();
	s->lpid = (int)sys_getpid();
	return at;
}

long sys_shmat(long id, uint64_t addr, long flags)
{
	struct ipc_obj *o;
	uint64_t irq;
	long r;

	/* Linux checks the address before it looks the segment up. */
	if (id < 0)
		return -EINVAL;
	if (addr & (SHMLBA - 1)) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr = ALIGN_DOWN(addr, SHMLBA);
		if (!addr && (flags & SHM_REMAP))
			return -EINVAL;
	} else if (!addr && (flags & SHM_REMAP)) {
		return -EINVAL;
	}
	irq = spin_lock_irqsave(&ipc_lock);
	shm_sweep();
	o = ipc_find(&shm_ids, (int)id);
	r = o ? attach(seg_of(o), addr, flags) : -EINVAL;
	spin_unlock_irqrestore(&ipc_lock, irq);
	return r;
}

/* The segment whose inode is `ino`, or NULL.  Caller holds ipc_lock. */
static struct shm_seg *seg_of_inode(const struct inode *ino)
{
	for (unsigned i = 0; ino && i < shm_ids.nslots; i++)
		if (shm_ids.slot[i] && seg_of(shm_ids.slot[i])->ino == ino)
			return seg_of(shm_ids.slot[i]);
	return NULL;
}

/* The first area at or after `addr` that is an attachment made at `addr`
 * (its offset in the segment is its distance from `addr`), of segment `s`
 * or (`s` NULL) of any segment, ending within `end`; or NULL. */
static struct vma *attachment_at(uint64_t addr, uint64_t end, struct shm_seg *s)
{
	for (struct vma *v = vm_next(NULL); v; v = vm_next(v)) {
		if (v->start < addr || v->end > end || v->start - addr != v->file_off)
			continue;
		if (s ? v->file == s->ino : seg_of_inode(v->file) != NULL)
			return v;
	}
	return NULL;
}

long sys_shmdt(uint64_t addr)
{
	struct shm_seg *s;
	struct vma *v;
	uint64_t irq, end;

	if (addr & (SHMLBA - 1))
		return -EINVAL;
	irq = spin_lock_irqsave(&ipc_lock);
	v = attachment_at(addr, UINT64_MAX, NULL);
	if (!v) {
		spin_unlock_irqrestore(&ipc_lock, irq);
		return -EINVAL;
	}
	/* Every part of that attachment goes (Linux's shmdt). */
	s = seg_of_inode(v->file);
	end = addr + ALIGN_UP(s->size, PAGE_SIZE);
	while ((v = attachment_at(addr, end, s)))
		vm_unmap(v->start, v->end - v->start);
	s->dtime = ipc_now();
	s->lpid = (int)sys_getpid();
	shm_sweep();
	spin_unlock_irqrestore(&ipc_lock, irq);
	return 0;
}

static void stat_out(struct shm_seg *s, struct shmid64_ds_k *d)
{
	*d = (struct shmid64_ds_k){ .segsz = s->size,
				    .atime = s->atime,
				    .dtime = s->dtime,
				    .ctime = s->o.ctime,
				    .cpid = s->cpid,
				    .lpid = s->lpid,
				    .nattch = nattch(s) };
	ipc_perm_out(&s->o, &d->perm);
}

/* IPC_INFO and SHM_INFO: fill `out`, return the highest index in use. */
static long shm_info(long cmd, void *out)
{
	struct shm_info_k *si = out;

	if (cmd == IPC_INFO) {
		*(struct shminfo64_k *)out = (struct shminfo64_k){ .shmmax = SHMMAX,
								   .shmmin = SHMMIN,
								   .shmmni = SHMMNI,
								   .shmseg = SHMMNI,
								   .shmall = SHMMAX };
		return ipc_max_index(&shm_ids);
	}
	*si = (struct shm_info_k){ .used_ids = (int32_t)shm_ids.used };
	for (unsigned i = 0; i < shm_ids.nslots; i++) {
		struct shm_seg *s = shm_ids.slot[i] ? seg_of(shm_ids.slot[i]) : NULL;
		if (!s)
			continue;
		si->shm_tot += ALIGN_UP(s->size, PAGE_SIZE) / PAGE_SIZE;
		for (uint64_t p = 0; p < s->ino->npages; p++)
			si->shm_rss += s->ino->pages[p] != 0;
	}
	return ipc_max_index(&shm_ids);
}

/* The commands on one segment (ipc_ctl checked the permissions).  IPC_RMID
 * frees it now if unattached, else at the last detach; its key is free for
 * a new segment at once. */
static long seg_ctl(struct ipc_obj *o, long cmd, void *ds)
{
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		stat_out(seg_of(o), ds);
		return 0;
	case IPC_SET:
		ipc_perm_set(o, &((struct shmid64_ds_k *)ds)->perm);
		return 0;
	case IPC_RMID:
		o->mode |= SHM_DEST;
		o->key = IPC_PRIVATE;
		shm_sweep();
		return 0;
	case SHM_LOCK:
	case SHM_UNLOCK: /* nothing is ever swapped: only the flag changes */
		o->mode = cmd == SHM_LOCK ? o->mode | SHM_LOCKED : o->mode & ~SHM_LOCKED;
		o->ctime = ipc_now();
		return 0;
	}
	return -EINVAL;
}

_Static_assert(sizeof(struct shmid64_ds_k) <= IPC_CTL_BUF, "shmctl's buffer");

static const struct ipc_ctl shm_ctl = {
	.ids = &shm_ids,
	.stat = SHM_STAT,
	.stat_any = SHM_STAT_ANY,
	.info = SHM_INFO,
	.ds_size = sizeof(struct shmid64_ds_k),
	.info_size = { sizeof(struct shminfo64_k), sizeof(struct shm_info_k) },
	.sweep = shm_sweep,
	.get_info = shm_info,
	.obj_ctl = seg_ctl,
};

long sys_shmctl(long id, long cmd, uint64_t ubuf)
{
	return ipc_ctl(&shm_ctl, id, cmd, ubuf);
}
