/*
 * System V semaphores: semget, semop, semtimedop, semctl (man 2 semop,
 * Linux's ipc/sem.c).  A semop is all or nothing: its operations are tried
 * in order on the live values and undone on the first that cannot go on.
 * One that must wait queues on its set; every change to the set retries
 * the queue in order (Linux's update_queue), completing waiters in place, so
 * a woken waiter has its operations done before anyone else can take them.
 *
 * SEM_UNDO adjustments belong to the process (there is one per instance, so
 * they are applied when it ends, never at a thread's exit).
 */
#include "linux/ipc.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"

/* include/uapi/linux/sem.h */
#define SEM_UNDO     0x1000
#define GETPID	     11
#define GETVAL	     12
#define GETALL	     13
#define GETNCNT	     14
#define GETZCNT	     15
#define SETVAL	     16
#define SETALL	     17
#define SEM_STAT     18
#define SEM_INFO     19
#define SEM_STAT_ANY 20
#define SEMMNI	     32000
#define SEMMSL	     32000
#define SEMMNS	     (SEMMNI * SEMMSL)
#define SEMOPM	     500
#define SEMVMX	     32767
#define SEMAEM	     SEMVMX
#define SEMUSZ	     20
#define SEM_WAITING  1 /* sem_waiter.status while queued */

struct sembuf_k {
	uint16_t num;
	int16_t op, flg;
};

/* A set.  Every field: ipc_lock. */
struct sem_set {
	struct ipc_obj o; /* first: the tables hold &o */
	int nsems;
	int64_t otime;
	struct list_head pending; /* struct sem_waiter, in arrival order */
	struct {
		int val, pid;
	} sem[];
};

/* A semop waiting for its set; on its kernel stack while it sleeps.  Every
 * field: ipc_lock. */
struct sem_waiter {
	struct list_head node; /* on sem_set.pending */
	const struct sembuf_k *sops;
	unsigned nsops;
	int blocking;	       /* the operation it waits on, for GETNCNT and GETZCNT */
	long status;	       /* SEM_WAITING, then its result: 0 or -errno (EIDRM) */
	struct sem_undo *undo; /* its process's adjustments for the set, or NULL */
	int pid;	       /* its process, recorded as the last to operate */
};

/* A process's SEM_UNDO adjustments for one set.  Guarded by ipc_lock. */
struct sem_undo {
	struct list_head node; /* on undo_list */
	int semid;
	int pid; /* whose (a forked child starts with none, as on Linux) */
	int16_t adj[];
};

static struct ipc_ids sem_ids = { .max = SEMMNI };	       /* ipc_lock */
static struct list_head undo_list = LIST_HEAD_INIT(undo_list); /* ipc_lock */
static long sem_total;					       /* ipc_lock */

/* struct semid64_ds (arch/x86/include/uapi/asm/sembuf.h, x86-64) */
struct semid64_ds_k {
	struct ipc64_perm_k perm;
	int64_t otime;
	uint64_t unused1;
	int64_t ctime;
	uint64_t unused2, nsems, unused3, unused4;
};

struct seminfo_k {
	int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

static struct sem_set *set_of(struct ipc_obj *o)
{
	return (struct sem_set *)o;
}

static struct ipc_obj *set_create(int32_t key, int flags, long nsems)
{
	struct sem_set *s;

	if (!nsems)
		return ERR_PTR(-EINVAL);
	if (sem_total + nsems > SEMMNS)
		return ERR_PTR(-ENOSPC);
	if (!(s = kzalloc(sizeof(*s) + (size_t)nsems * sizeof(s->sem[0]))))
		return ERR_PTR(-ENOMEM);
	ipc_obj_init(&s->o, key, flags);
	s->nsems = (int)nsems;
	list_init(&s->pending);
	sem_total += nsems;
	return &s->o;
}

static void set_free(struct ipc_obj *o)
{
	sem_total -= set_of(o)->nsems;
	kfree(o);
}

static int set_check(struct ipc_obj *o, long nsems)
{
	return nsems > set_of(o)->nsems ? -EINVAL : 0;
}

static const struct ipc_kind sem_kind = {
	.ids = &sem_ids, .create = set_create, .check = set_check, .destroy = set_free
};

long sys_semget(long key, long nsems, long flags)
{
	uint64_t irq;
	long r;

	if (nsems < 0 || nsems > SEMMSL)
		return -EINVAL;
	irq = spin_lock_irqsave(&ipc_lock);
	r = ipc_get(&sem_kind, (int32_t)key, (int)flags, nsems);
	spin_unlock_irqrestore(&ipc_lock, irq);
	return r;
}

/* The process's undo entry for set `s`, made if `make`; NULL if none (or
 * no memory).  Caller holds ipc_lock. */
static struct sem_undo *undo_of(struct sem_set *s, bool make)
{
	struct sem_undo *u;

	int pid = (int)sys_getpid();

	list_for_each_entry(u, &undo_list, node)
		if (u->semid == s->o.id && u->pid == pid)
			return u;
	if (!make || !(u = kzalloc(sizeof(*u) + (size_t)s->nsems * sizeof(u->adj[0]))))
		return NULL;
	u->semid = s->o.id;
	u->pid = pid;
	list_add_tail(&u->node, &undo_list);
	return u;
}

/* Undo the first `n` operations of `sops` (already applied). */
static void revert(struct sem_set *s, const struct sembuf_k *sops, int n, struct sem_undo *u)
{
	while (n-- > 0) {
		s->sem[sops[n].num].val -= sops[n].op;
		if (sops[n].flg & SEM_UNDO)
			u->adj[sops[n].num] += sops[n].op;
	}
}

/*
 * Try the operations on the live values, in order (Linux's
 * perform_atomic_semop_slow): 0 when all were done, else none is, and 1
 * means wait (*blocking: on which), -EAGAIN (it had IPC_NOWAIT) or -ERANGE
 * (a value or adjustment out of range).  Caller holds ipc_lock.
 */
static long perform(struct sem_set *s, const struct sembuf_k *sops, unsigned n, int *blocking,
		    struct sem_undo *u, int pid)
{
	int i;

	for (i = 0; i < (int)n; i++) {
		const struct sembuf_k *op = &sops[i];
		int result = s->sem[op->num].val + op->op;
		if ((!op->op && s->sem[op->num].val) || result < 0) {
			*blocking = i;
			revert(s, sops, i, u);
			return op->flg & IPC_NOWAIT ? -EAGAIN : 1;
		}
		if (result > SEMVMX ||
		    ((op->flg & SEM_UNDO) && (u->adj[op->num] - op->op < -SEMAEM - 1 ||
					      u->adj[op->num] - op->op > SEMAEM))) {
			revert(s, sops, i, u);
			return -ERANGE;
		}
		if (op->flg & SEM_UNDO)
			u->adj[op->num] -= op->op;
		s->sem[op->num].val = result;
	}
	while (i-- > 0)
		s->sem[sops[i].num].pid = pid;
	return 0;
}

/* The values changed: complete the waiters that can go on now, in order,
 * starting over after each that changed values (Linux's update_queue).
 * Caller holds ipc_lock. */
static void update_queue(struct sem_set *s)
{
	struct sem_waiter *w, *tmp;
	bool woke = false;

again:
	list_for_each_entry_safe(w, tmp, &s->pending, node) {
		long r = perform(s, w->sops, w->nsops, &w->blocking, w->undo, w->pid);
		if (r == 1)
			continue;
		list_del(&w->node);
		w->status = r;
		woke = true;
		if (!r) {
			s->otime = ipc_now();
			goto again;
		}
	}
	if (woke)
		sched_wake_all();
}

static bool sem_done(void *arg)
{
	return ((struct sem_waiter *)arg)->status != SEM_WAITING;
}

/* Queue `w` on `s` and sleep until done, `deadline` or a signal.  Called
 * and returns with ipc_lock held (`*irq` its flags). */
static long sem_wait(struct sem_set *s, struct sem_waiter *w, uint64_t deadline, uint64_t *irq)
{
	long r;

	w->status = SEM_WAITING;
	list_add_tail(&w->node, &s->pending);
	spin_unlock_irqrestore(&ipc_lock, *irq);
	r = sched_wait(sem_done, w, deadline);
	*irq = spin_lock_irqsave(&ipc_lock);
	if (w->status != SEM_WAITING)
		return w->status; /* done by update_queue, or -EIDRM */
	list_del(&w->node);
	/* A timeout is EAGAIN; a signal handler makes it EINTR, never restarted. */
	return r == -ETIMEDOUT ? -EAGAIN : -ERESTARTNOHAND;
}

/* The checks of a semop on its set, then the operations (waiting when they
 * must).  Caller holds ipc_lock. */
static long do_semop(struct sem_set *s, const struct sembuf_k *sops, unsigned n, uint64_t deadline,
		     uint64_t *irq)
{
	struct sem_waiter w = { .sops = sops, .nsops = n, .pid = (int)sys_getpid() };
	bool alter = false, undo = false;
	long r;

	for (unsigned i = 0; i < n; i++) {
		if (sops[i].num >= s->nsems)
			return -EFBIG;
		alter |= sops[i].op != 0;
		undo |= (sops[i].flg & SEM_UNDO) != 0;
	}
	if ((r = ipc_perms(&s->o, alter ? 0222 : 0444)))
		return r;
	w.undo = undo_of(s, undo);
	if (undo && !w.undo)
		return -ENOMEM;
	r = perform(s, sops, n, &w.blocking, w.undo, w.pid);
	if (r == 1) /* update_queue did the rest; the set may be gone since */
		return sem_wait(s, &w, deadline, irq);
	if (!r) {
		s->otime = ipc_now();
		if (alter)
			update_queue(s);
	}
	return r;
}

/* semtimedop's relative timeout as a monotonic deadline (0: none). */
static long sem_deadline(uint64_t uts, uint64_t *deadline)
{
	uint64_t ns;
	long r;

	*deadline = 0;
	if (!uts)
		return 0;
	if ((r = time_ts_in(uts, &ns)))
		return r;
	*deadline = time_monotonic_ns() + ns;
	return 0;
}

long sys_semtimedop(long id, uint64_t usops, uint64_t nsops, uint64_t uts)
{
	struct sembuf_k *sops;
	struct ipc_obj *o;
	uint64_t deadline, irq;
	long r;

	if (nsops < 1 || id < 0)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	if (!(sops = kmalloc(nsops * sizeof(*sops))))
		return -ENOMEM;
	r = copy_from_user(sops, usops, nsops * sizeof(*sops)) ? -EFAULT
							       : sem_deadline(uts, &deadline);
	if (!r) {
		irq = spin_lock_irqsave(&ipc_lock);
		o = ipc_find(&sem_ids, (int)id);
		r = o ? do_semop(set_of(o), sops, (unsigned)nsops, deadline, &irq) : -EINVAL;
		spin_unlock_irqrestore(&ipc_lock, irq);
	}
	kfree(sops);
	return r;
}

long sys_semop(long id, uint64_t usops, uint64_t nsops)
{
	return sys_semtimedop(id, usops, nsops, 0);
}

/* GETNCNT (`zero` false) or GETZCNT: the waiters blocked on semaphore
 * `num` by an operation that decrements it (or waits for zero). */
static long count_waiting(struct sem_set *s, int num, bool zero)
{
	struct sem_waiter *w;
	long n = 0;

	list_for_each_entry(w, &s->pending, node) {
		const struct sembuf_k *op = &w->sops[w->blocking];
		if (op->num == num && (zero ? op->op == 0 : op->op < 0))
			n++;
	}
	return n;
}

/* SETVAL and SETALL forget every process's adjustments of what they set. */
static void clear_undo(struct sem_set *s, int num)
{
	struct sem_undo *u;

	list_for_each_entry(u, &undo_list, node)
		for (int i = 0; u->semid == s->o.id && i < s->nsems; i++)
			if (num < 0 || i == num)
				u->adj[i] = 0;
}

/* IPC_RMID: waiters fail with EIDRM; every undo entry for it goes. */
static void set_remove(struct sem_set *s)
{
	struct sem_undo *u, *utmp;
	struct sem_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, &s->pending, node) {
		list_del(&w->node);
		w->status = -EIDRM;
	}
	list_for_each_entry_safe(u, utmp, &undo_list, node) {
		if (u->semid == s->o.id) {
			list_del(&u->node);
			kfree(u);
		}
	}
	ipc_remove(&sem_ids, &s->o);
	set_free(&s->o);
	sched_wake_all();
}

/* Set semaphore `num` (-1: all, from `vals`) and retry the waiters. */
static void set_values(struct sem_set *s, int num, int val, const uint16_t *vals)
{
	for (int i = 0; i < s->nsems; i++) {
		if (num >= 0 && i != num)
			continue;
		s->sem[i].val = num >= 0 ? val : vals[i];
		s->sem[i].pid = (int)sys_getpid();
	}
	clear_undo(s, num);
	s->o.ctime = ipc_now();
	update_queue(s);
}

/* GETVAL, GETPID, GETNCNT, GETZCNT, SETVAL on semaphore `num`. */
static long one_sem(struct sem_set *s, int num, long cmd, int val)
{
	long r = ipc_perms(&s->o, cmd == SETVAL ? 0222 : 0444);
	bool bad = num < 0 || num >= s->nsems;

	/* Linux checks the number first for SETVAL, the permission first else. */
	if (bad && (cmd == SETVAL || !r))
		return -EINVAL;
	if (r)
		return r;
	switch (cmd) {
	case GETVAL:
		return s->sem[num].val;
	case GETPID:
		return s->sem[num].pid;
	case GETNCNT:
	case GETZCNT:
		return count_waiting(s, num, cmd == GETZCNT);
	}
	set_values(s, num, val, NULL);
	return 0;
}

/* IPC_INFO and SEM_INFO (which counts what is in use). */
static long sem_info(long cmd, void *out)
{
	struct seminfo_k *i = out;

	*i = (struct seminfo_k){ .semmap = SEMMNS,
				 .semmni = SEMMNI,
				 .semmns = SEMMNS,
				 .semmnu = SEMMNS,
				 .semmsl = SEMMSL,
				 .semopm = SEMOPM,
				 .semume = SEMOPM,
				 .semusz = SEMUSZ,
				 .semvmx = SEMVMX,
				 .semaem = SEMAEM };
	if (cmd == SEM_INFO) {
		i->semusz = (int32_t)sem_ids.used;
		i->semaem = (int32_t)sem_total;
	}
	return ipc_max_index(&sem_ids);
}

/* The commands on a set's ds, and IPC_RMID (ipc_ctl checked the
 * permissions). */
static long set_ctl(struct ipc_obj *o, long cmd, void *ds)
{
	struct semid64_ds_k *d = ds;
	struct sem_set *s = set_of(o);

	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		*d = (struct semid64_ds_k){ .otime = s->otime,
					    .ctime = s->o.ctime,
					    .nsems = (uint64_t)s->nsems };
		ipc_perm_out(o, &d->perm);
		return 0;
	case IPC_SET:
		ipc_perm_set(o, &d->perm);
		return 0;
	case IPC_RMID:
		set_remove(s);
		return 0;
	}
	return -EINVAL;
}

_Static_assert(sizeof(struct semid64_ds_k) <= IPC_CTL_BUF, "semctl's buffer");

static const struct ipc_ctl sem_ctl = {
	.ids = &sem_ids,
	.stat = SEM_STAT,
	.stat_any = SEM_STAT_ANY,
	.info = SEM_INFO,
	.ds_size = sizeof(struct semid64_ds_k),
	.info_size = { sizeof(struct seminfo_k), sizeof(struct seminfo_k) },
	.get_info = sem_info,
	.obj_ctl = set_ctl,
};

/* GETALL (`set` false) and SETALL: the values as an array of unsigned
 * short, copied outside the lock; a set removed meanwhile is EIDRM. */
static long all_values(long id, uint64_t uvals, bool set)
{
	struct ipc_obj *o;
	uint16_t *vals = NULL;
	long r, n = 0;
	uint64_t irq = spin_lock_irqsave(&ipc_lock);

	o = ipc_find(&sem_ids, (int)id);
	r = o ? ipc_perms(o, set ? 0222 : 0444) : -EINVAL;
	if (!r) {
		n = set_of(o)->nsems;
		if (!(vals = kmalloc((size_t)n * sizeof(*vals))))
			r = -ENOMEM;
		else
			for (long i = 0; !set && i < n; i++)
				vals[i] = (uint16_t)set_of(o)->sem[i].val;
	}
	spin_unlock_irqrestore(&ipc_lock, irq);
	if (r || !set) {
		if (!r && copy_to_user(uvals, vals, (size_t)n * sizeof(*vals)))
			r = -EFAULT;
		kfree(vals);
		return r;
	}
	if (copy_from_user(vals, uvals, (size_t)n * sizeof(*vals)))
		r = -EFAULT;
	for (long i = 0; !r && i < n; i++)
		if (vals[i] > SEMVMX)
			r = -ERANGE;
	irq = spin_lock_irqsave(&ipc_lock);
	o = ipc_find(&sem_ids, (int)id);
	if (!r && !o)
		r = -EIDRM;
	if (!r)
		set_values(set_of(o), -1, 0, vals);
	spin_unlock_irqrestore(&ipc_lock, irq);
	kfree(vals);
	return r;
}

long sys_semctl(long id, long num, long cmd, uint64_t arg)
{
	struct ipc_obj *o;
	uint64_t irq;
	long r;

	if (id < 0)
		return -EINVAL;
	switch (cmd) {
	case GETALL:
	case SETALL:
		return all_values(id, arg, cmd == SETALL);
	case SETVAL: /* the union semun's int, by value */
		if ((int)arg < 0 || (int)arg > SEMVMX)
			return -ERANGE;
		/* fall through */
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		irq = spin_lock_irqsave(&ipc_lock);
		o = ipc_find(&sem_ids, (int)id);
		r = o ? one_sem(set_of(o), (int)num, cmd, (int)arg) : -EINVAL;
		spin_unlock_irqrestore(&ipc_lock, irq);
		return r;
	}
	/* IPC_STAT, SEM_STAT, SEM_STAT_ANY, IPC_SET, IPC_RMID, IPC_INFO, SEM_INFO */
	return ipc_ctl(&sem_ctl, id, cmd, arg);
}

void sem_exit(void)
{
	uint64_t irq = spin_lock_irqsave(&ipc_lock);
	struct sem_undo *u, *tmp;
	int pid = (int)sys_getpid();

	list_for_each_entry_safe(u, tmp, &undo_list, node) {
		if (u->pid != pid)
			continue;
		struct ipc_obj *o = ipc_find(&sem_ids, u->semid);
		struct sem_set *s = o ? set_of(o) : NULL;
		for (int i = 0; s && i < s->nsems; i++) {
			if (!u->adj[i])
				continue;
			/* Linux's exit_sem clamps into the valid range. */
			s->sem[i].val = MAX(0, MIN(SEMVMX, s->sem[i].val + u->adj[i]));
			s->sem[i].pid = (int)sys_getpid();
		}
		list_del(&u->node);
		kfree(u);
		if (s)
			update_queue(s); /* another process may wait for these values */
	}
	spin_unlock_irqrestore(&ipc_lock, irq);
}
