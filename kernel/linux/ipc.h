/*
 * System V IPC, the part the three kinds share (linux/ipc.c): keys and ids,
 * permissions, the ipc64_perm of the *_STAT calls, and the one lock.  The
 * kinds themselves: sys_shm.c (shared memory), sys_sem.c (semaphores),
 * sys_msg.c (message queues).  Semantics: Linux's ipc/util.c, man 7
 * sysvipc.
 */
#ifndef LINUX_IPC_H
#define LINUX_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/spinlock.h"

/* include/uapi/linux/ipc.h */
#define IPC_PRIVATE 0
#define IPC_CREAT   00001000
#define IPC_EXCL    00002000
#define IPC_NOWAIT  00004000
#define IPC_RMID    0
#define IPC_SET	    1
#define IPC_STAT    2
#define IPC_INFO    3
#define IPC_MODE    0777 /* the permission bits of a mode */

/*
 * Guards every IPC object and the id tables.  Taken for the whole of each
 * System V call and dropped only to sleep: one lock for the three kinds,
 * since no call holds it long (the copies from the program are made
 * before, the copies back after, where they can be).
 */
extern struct spinlock ipc_lock;

/* struct ipc64_perm (include/uapi/asm-generic/ipcbuf.h, x86-64). */
struct ipc64_perm_k {
	int32_t key;
	uint32_t uid, gid, cuid, cgid, mode;
	uint16_t seq, pad;
	uint64_t unused[2];
};

/* What every object has: embedded first in shm_seg, sem_set, msg_queue. */
struct ipc_obj {
	int id;	     /* idx + seq * IPC_SEQ_MULTIPLIER */
	int32_t key; /* IPC_PRIVATE once removed (Linux: shm only) */
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode; /* IPC_MODE bits plus kind-specific flags (SHM_DEST) */
	int64_t ctime; /* last change, seconds (CLOCK_REALTIME) */
};

/* One table of objects of one kind; guarded by ipc_lock. */
struct ipc_ids {
	struct ipc_obj **slot; /* by index; NULL: free */
	unsigned nslots;       /* allocated */
	unsigned max;	       /* MSGMNI, SEMMNI, SHMMNI */
	unsigned used;	       /* objects in the table */
	unsigned next;	       /* where the search for a free index starts */
	unsigned seq;	       /* bumped when the search wraps */
};

/* What ipc_get needs of a kind: make an object (the caller owns it until
 * ipc_add; an ERR_PTR on failure) and check an existing one against the
 * call (Linux's more_checks: a larger size or nsems, -EINVAL). */
struct ipc_kind {
	struct ipc_ids *ids;
	struct ipc_obj *(*create)(int32_t key, int flags, long arg);
	int (*check)(struct ipc_obj *o, long arg);
	void (*destroy)(struct ipc_obj *o); /* free an object never added */
};

/*
 * msgget, semget, shmget: the object with `key` (`arg` is the size or
 * number of semaphores), made when IPC_PRIVATE or IPC_CREAT asks.  Returns
 * its id, or -ENOENT, -EEXIST, -EACCES, -ENOSPC or the kind's error.
 * Caller holds ipc_lock.
 */
long ipc_get(const struct ipc_kind *k, int32_t key, int flags, long arg);

/* The object with `id`, or NULL (the callers answer EINVAL).  Caller holds
 * ipc_lock. */
struct ipc_obj *ipc_find(struct ipc_ids *ids, int id);

/* The object at table index `idx` (the *_STAT commands), or NULL. */
struct ipc_obj *ipc_at(struct ipc_ids *ids, int idx);

/* The highest index in use, or 0 (what IPC_INFO and *_INFO return). */
int ipc_max_index(struct ipc_ids *ids);

/* Take `o` out of its table (IPC_RMID); the caller frees it.  Caller holds
 * ipc_lock. */
void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o);

/* Whether the caller may access `o` as `flags`' permission bits ask (read
 * 0444, write 0222; CAP_IPC_OWNER passes all): 0 or -EACCES. */
int ipc_perms(const struct ipc_obj *o, int flags);

/* IPC_SET and IPC_RMID are for the owner, creator or CAP_SYS_ADMIN: 0 or
 * -EPERM. */
int ipc_owner(const struct ipc_obj *o);

/* IPC_STAT's perm part, and IPC_SET's: uid, gid and the IPC_MODE bits. */
void ipc_perm_out(const struct ipc_obj *o, struct ipc64_perm_k *p);
void ipc_perm_set(struct ipc_obj *o, const struct ipc64_perm_k *p);

/*
 * The frame the three *ctl calls share for their ds and info commands:
 * Linux's checks of id and cmd, IPC_SET's input copied in, the lookup (by
 * index for the kind's *_STAT and *_STAT_ANY), the owner check of IPC_SET
 * and IPC_RMID, the read permission of IPC_STAT and *_STAT, and the output
 * copied back.  The kind supplies the rest.
 */
struct ipc_ctl {
	struct ipc_ids *ids;
	long stat, stat_any, info; /* the kind's *_STAT, *_STAT_ANY, *_INFO */
	size_t ds_size;		   /* its *id64_ds */
	size_t info_size[2];	   /* IPC_INFO's and *_INFO's output */
	void (*sweep)(void);	   /* run first under the lock, or NULL */
	/* Fill the info (IPC_INFO or *_INFO); the highest index in use. */
	long (*get_info)(long cmd, void *out);
	/* `cmd` on `o`, permissions checked: fill the ds for the *STAT
	 * commands, take IPC_SET's from it.  0, or -errno (-EINVAL for a
	 * command the kind does not know). */
	long (*obj_ctl)(struct ipc_obj *o, long cmd, void *ds);
};
#define IPC_CTL_BUF 128 /* the largest ds or info (msqid64_ds, 120 bytes) */
long ipc_ctl(const struct ipc_ctl *k, long id, long cmd, uint64_t ubuf);

/* Initialise the common part of a new object (creator: the caller). */
void ipc_obj_init(struct ipc_obj *o, int32_t key, int flags);

/* Seconds of CLOCK_REALTIME, for the *_time fields. */
int64_t ipc_now(void);

/* sys_sem.c: apply the process's SEM_UNDO adjustments; it is ending (one
 * process per instance, so never at a thread's exit). */
void sem_exit(void);

#endif
