/*
 * System V IPC, the shared part: ids, keys and permissions for shared
 * memory, semaphores and message queues (ipc.h).  As Linux's ipc/util.c, an
 * id is an index into its kind's table plus a sequence number times
 * IPC_SEQ_MULTIPLIER, and indexes are handed out cyclically, so a removed
 * object's id is not soon given to another.
 */
#include "linux/ipc.h"
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/uapi.h"

#define IPC_SEQ_MULTIPLIER 32768 /* Linux's IPCMNI without ipcmni_extend */
#define IPC_SEQ_MAX	   (INT32_MAX / IPC_SEQ_MULTIPLIER)
#define IPC_FIRST_SLOTS	   16
/* include/uapi/linux/capability.h */

struct spinlock ipc_lock = SPINLOCK_INIT;

int64_t ipc_now(void)
{
	return (int64_t)(time_realtime_ns() / NSEC_PER_SEC);
}

struct ipc_obj *ipc_at(struct ipc_ids *ids, int idx)
{
	return idx >= 0 && (unsigned)idx < ids->nslots ? ids->slot[idx] : NULL;
}

struct ipc_obj *ipc_find(struct ipc_ids *ids, int id)
{
	struct ipc_obj *o = id < 0 ? NULL : ipc_at(ids, id % IPC_SEQ_MULTIPLIER);

	return o && o->id == id ? o : NULL;
}

int ipc_max_index(struct ipc_ids *ids)
{
	for (int i = (int)ids->nslots - 1; i >= 0; i--)
		if (ids->slot[i])
			return i;
	return 0;
}

/* The object of `key` (not IPC_PRIVATE), or NULL. */
static struct ipc_obj *find_key(struct ipc_ids *ids, int32_t key)
{
	for (unsigned i = 0; i < ids->nslots; i++)
		if (ids->slot[i] && ids->slot[i]->key == key)
			return ids->slot[i];
	return NULL;
}

/* Make room for index `idx`: 0 or -ENOSPC (no memory counts as no room). */
static int grow(struct ipc_ids *ids, unsigned idx)
{
	unsigned n = ids->nslots ? ids->nslots : IPC_FIRST_SLOTS;
	struct ipc_obj **s;

	if (idx < ids->nslots)
		return 0;
	while (n <= idx)
		n *= 2;
	n = MIN(n, ids->max);
	if (!(s = kzalloc(n * sizeof(*s))))
		return -ENOSPC;
	if (ids->nslots)
		memcpy(s, ids->slot, ids->nslots * sizeof(*s));
	kfree(ids->slot);
	ids->slot = s;
	ids->nslots = n;
	return 0;
}

/* Put `o` in the table and give it its id: the id, or -ENOSPC. */
static long add(struct ipc_ids *ids, struct ipc_obj *o)
{
	unsigned idx = ids->next;

	if (ids->used >= ids->max)
		return -ENOSPC;
	while (idx < ids->nslots && ids->slot[idx])
		idx = (idx + 1) % ids->max;
	if (idx < ids->next && ++ids->seq > IPC_SEQ_MAX) /* wrapped */
		ids->seq = 0;
	if (grow(ids, idx))
		return -ENOSPC;
	ids->slot[idx] = o;
	ids->used++;
	ids->next = (idx + 1) % ids->max;
	o->id = (int)(ids->seq * IPC_SEQ_MULTIPLIER + idx);
	return o->id;
}

void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o)
{
	ids->slot[o->id % IPC_SEQ_MULTIPLIER] = NULL;
	ids->used--;
}

long ipc_get(const struct ipc_kind *k, int32_t key, int flags, long arg)
{
	struct ipc_obj *o = key == IPC_PRIVATE ? NULL : find_key(k->ids, key);
	long r;

	if (o) {
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			return -EEXIST;
		/* Linux checks the kind's limits before the permissions. */
		if ((r = k->check(o, arg)) || (r = ipc_perms(o, flags)))
			return r;
		return o->id;
	}
	if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
		return -ENOENT;
	if (k->ids->used >= k->ids->max)
		return -ENOSPC;
	o = k->create(key, flags, arg);
	if (IS_ERR(o))
		return PTR_ERR(o);
	r = add(k->ids, o);
	if (r < 0)
		k->destroy(o);
	return r;
}

void ipc_obj_init(struct ipc_obj *o, int32_t key, int flags)
{
	o->key = key;
	o->uid = o->cuid = cred_current()->euid;
	o->gid = o->cgid = cred_current()->egid;
	o->mode = flags & IPC_MODE;
	o->ctime = ipc_now();
}

int ipc_perms(const struct ipc_obj *o, int flags)
{
	int want = (flags >> 6 | flags >> 3 | flags) & 7, granted;
	uint32_t euid = cred_current()->euid;

	if (euid == o->uid || euid == o->cuid)
		granted = o->mode >> 6;
	else if (cred_in_group(o->gid) || cred_in_group(o->cgid))
		granted = o->mode >> 3;
	else
		granted = o->mode;
	if ((want & ~granted & 7) && !cred_capable(CAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

int ipc_owner(const struct ipc_obj *o)
{
	uint32_t euid = cred_current()->euid;

	if (euid == o->uid || euid == o->cuid || cred_capable(CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

void ipc_perm_out(const struct ipc_obj *o, struct ipc64_perm_k *p)
{
	*p = (struct ipc64_perm_k){ .key = o->key,
				    .uid = o->uid,
				    .gid = o->gid,
				    .cuid = o->cuid,
				    .cgid = o->cgid,
				    .mode = o->mode,
				    .seq = (uint16_t)(o->id / IPC_SEQ_MULTIPLIER) };
}

void ipc_perm_set(struct ipc_obj *o, const struct ipc64_perm_k *p)
{
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~IPC_MODE) | (p->mode & IPC_MODE);
	o->ctime = ipc_now();
}

/* The permission `cmd` needs on `o` before the kind's obj_ctl runs. */
static long ctl_check(const struct ipc_ctl *k, struct ipc_obj *o, long cmd)
{
	if (cmd == IPC_SET || cmd == IPC_RMID)
		return ipc_owner(o);
	if (cmd == IPC_STAT || cmd == k->stat)
		return ipc_perms(o, 0444);
	return 0;
}

/* Look up and run `cmd` with `buf` as its ds or info.  Caller holds
 * ipc_lock. */
static long ctl_locked(const struct ipc_ctl *k, long id, long cmd, void *buf)
{
	bool by_index = cmd == k->stat || cmd == k->stat_any;
	struct ipc_obj *o;
	long r;

	if (k->sweep)
		k->sweep();
	if (cmd == IPC_INFO || cmd == k->info)
		return k->get_info(cmd, buf);
	o = by_index ? ipc_at(k->ids, (int)id) : ipc_find(k->ids, (int)id);
	if (!o)
		return -EINVAL;
	if ((r = ctl_check(k, o, cmd)))
		return r;
	/* o may be freed by IPC_RMID: take the id first. */
	id = o->id;
	r = k->obj_ctl(o, cmd, buf);
	return r < 0 || !by_index ? r : id;
}

long ipc_ctl(const struct ipc_ctl *k, long id, long cmd, uint64_t ubuf)
{
	union {
		char bytes[IPC_CTL_BUF];
		uint64_t align;
	} u = { { 0 } };
	bool info = cmd == IPC_INFO || cmd == k->info;
	size_t n = info ? k->info_size[cmd != IPC_INFO] : k->ds_size;
	uint64_t irq;
	long r;

	if (id < 0 || cmd < 0)
		return -EINVAL;
	if (cmd == IPC_SET && copy_from_user(&u, ubuf, n))
		return -EFAULT;
	irq = spin_lock_irqsave(&ipc_lock);
	r = ctl_locked(k, id, cmd, &u);
	spin_unlock_irqrestore(&ipc_lock, irq);
	if (r < 0 || !(info || cmd == IPC_STAT || cmd == k->stat || cmd == k->stat_any))
		return r;
	return copy_to_user(ubuf, &u, n) ? -EFAULT : r;
}
