/*
 * System V message queues: msgget, msgsnd, msgrcv, msgctl (man 2 msgop,
 * Linux's ipc/msg.c).  A message goes straight to the first sleeping
 * receiver that wants it (Linux's pipelined send), else to the queue; a
 * receiver takes the first message its msgtyp selects.  Senders that find
 * the queue full sleep and try again when room is made.
 */
#include "linux/ipc.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"

/* include/uapi/linux/msg.h */
#define MSG_NOERROR  010000
#define MSG_EXCEPT   020000
#define MSG_COPY     040000
#define MSG_STAT     11
#define MSG_INFO     12
#define MSG_STAT_ANY 13
#define MSGMNI	     32000
#define MSGMAX	     8192
#define MSGMNB	     16384
#define MSGPOOL	     (MSGMNI * MSGMNB / 1024)
#define MSGSSZ	     16
#define MSGSEG	     0xffff
/* include/uapi/linux/capability.h */

/* How a receiver's msgtyp selects (Linux's SEARCH_*). */
enum search { SEARCH_ANY, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL, SEARCH_NUMBER };

/* A message; on one queue's list.  Guarded by ipc_lock. */
struct msg {
	struct list_head node; /* on msg_queue.msgs */
	long type;
	size_t len;
	char data[];
};

/* A queue.  Every field: ipc_lock. */
struct msg_queue {
	struct ipc_obj o;	    /* first: the tables hold &o */
	struct list_head msgs;	    /* struct msg, oldest first */
	struct list_head receivers; /* struct msg_waiter, sleeping in msgrcv */
	struct list_head senders;   /* struct msg_waiter, sleeping in msgsnd */
	uint64_t cbytes, qnum, qbytes;
	int64_t stime, rtime;
	int lspid, lrpid;
};

/* A sleeping msgsnd or msgrcv; on its kernel stack while it sleeps.  Every
 * field: ipc_lock. */
struct msg_waiter {
	struct list_head node;
	long type; /* receivers: what they select, and how */
	enum search mode;
	size_t maxsize;	 /* the largest message they take */
	struct msg *msg; /* a message handed to the receiver */
	long status;	 /* 1 while asleep; then 0, or -E2BIG, -EIDRM, -EAGAIN (retry) */
};

static struct ipc_ids msg_ids = { .max = MSGMNI }; /* ipc_lock */
static uint64_t msg_count, msg_bytes;		   /* every queue's; ipc_lock */

/* struct msqid64_ds (include/uapi/asm-generic/msgbuf.h, x86-64) */
struct msqid64_ds_k {
	struct ipc64_perm_k perm;
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	uint64_t unused[2];
};

struct msginfo_k {
	int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	uint16_t msgseg;
};

static struct msg_queue *queue_of(struct ipc_obj *o)
{
	return (struct msg_queue *)o;
}

static struct ipc_obj *queue_create(int32_t key, int flags, long unused)
{
	struct msg_queue *q = kzalloc(sizeof(*q));

	if (!q)
		return ERR_PTR(-ENOMEM);
	ipc_obj_init(&q->o, key, flags);
	list_init(&q->msgs);
	list_init(&q->receivers);
	list_init(&q->senders);
	q->qbytes = MSGMNB;
	return &q->o;
}

static void queue_free(struct ipc_obj *o)
{
	kfree(o);
}

static int queue_check(struct ipc_obj *o, long unused)
{
	return 0;
}

static const struct ipc_kind msg_kind = {
	.ids = &msg_ids, .create = queue_create, .check = queue_check, .destroy = queue_free
};

long sys_msgget(long key, long flags)
{
	uint64_t irq = spin_lock_irqsave(&ipc_lock);
	long r = ipc_get(&msg_kind, (int32_t)key, (int)flags, 0);

	spin_unlock_irqrestore(&ipc_lock, irq);
	return r;
}

static bool waiter_done(void *arg)
{
	return ((struct msg_waiter *)arg)->status != 1;
}

/* End the waits on `list` with `status` (0 only for receivers given a
 * message).  Caller holds ipc_lock. */
static void end_waits(struct list_head *list, long status)
{
	struct msg_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, list, node) {
		list_del(&w->node);
		w->status = status;
	}
	sched_wake_all();
}

/* Sleep as `w` on `list` until another call ends the wait or a signal
 * comes.  Called and returns with ipc_lock held (`*irq` its flags).
 * Returns w->status, or -ERESTARTNOHAND (msgsnd and msgrcv are never
 * restarted after a handler). */
static long msg_sleep(struct list_head *list, struct msg_waiter *w, uint64_t *irq)
{
	w->status = 1;
	list_add_tail(&w->node, list);
	spin_unlock_irqrestore(&ipc_lock, *irq);
	sched_wait(waiter_done, w, 0);
	*irq = spin_lock_irqsave(&ipc_lock);
	if (w->status != 1)
		return w->status;
	list_del(&w->node);
	return -ERESTARTNOHAND;
}

static bool selects(const struct msg *m, long type, enum search mode)
{
	switch (mode) {
	case SEARCH_EQUAL:
		return m->type == type;
	case SEARCH_NOTEQUAL:
		return m->type != type;
	case SEARCH_LESSEQUAL:
		return m->type <= type;
	default: /* SEARCH_ANY; SEARCH_NUMBER counts instead */
		return true;
	}
}

/* Give `m` to the first sleeping receiver that selects it (one whose
 * buffer is too small fails with E2BIG on the way): whether one took it. */
static bool pipelined_send(struct msg_queue *q, struct msg *m)
{
	struct msg_waiter *r, *tmp;

	list_for_each_entry_safe(r, tmp, &q->receivers, node) {
		if (!selects(m, r->type, r->mode))
			continue;
		list_del(&r->node);
		sched_wake_all();
		if (r->maxsize < m->len) {
			r->status = -E2BIG;
			continue;
		}
		r->msg = m;
		r->status = 0;
		q->lrpid = (int)sys_getpid();
		q->rtime = ipc_now();
		return true;
	}
	return false;
}

/* msgsnd on queue `q` (from `id`), waiting for room unless IPC_NOWAIT.
 * Caller holds ipc_lock; `m` is the caller's until it is sent. */
static long send(int id, struct msg *m, long flags, uint64_t *irq)
{
	struct msg_waiter w;
	struct msg_queue *q;
	struct ipc_obj *o;
	long r;

	for (;;) {
		if (!(o = ipc_find(&msg_ids, id)))
			return -EINVAL;
		q = queue_of(o);
		if ((r = ipc_perms(o, 0222)))
			return r;
		if (m->len + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes)
			break;
		if (flags & IPC_NOWAIT)
			return -EAGAIN;
		if ((r = msg_sleep(&q->senders, &w, irq)))
			return r; /* -EIDRM, or a signal */
	}
	q->lspid = (int)sys_getpid();
	q->stime = ipc_now();
	if (!pipelined_send(q, m)) {
		list_add_tail(&m->node, &q->msgs);
		q->cbytes += m->len;
		q->qnum++;
		msg_count++;
		msg_bytes += m->len;
	}
	return 0;
}

long sys_msgsnd(long id, uint64_t umsg, uint64_t size, long flags)
{
	struct msg *m;
	uint64_t irq;
	long type, r;

	/* Linux reads mtype before it checks anything. */
	if (copy_from_user(&type, umsg, sizeof(type)))
		return -EFAULT;
	if (size > MSGMAX || id < 0 || type < 1)
		return -EINVAL;
	if (!(m = kmalloc(sizeof(*m) + size)))
		return -ENOMEM;
	m->type = type;
	m->len = size;
	if (copy_from_user(m->data, umsg + sizeof(type), size)) {
		kfree(m);
		return -EFAULT;
	}
	irq = spin_lock_irqsave(&ipc_lock);
	r = send((int)id, m, flags, &irq);
	spin_unlock_irqrestore(&ipc_lock, irq);
	if (r)
		kfree(m);
	return r;
}

/* The message `type` and `mode` select (the first of the lowest type for
 * SEARCH_LESSEQUAL; number `type` from 0 for MSG_COPY), or NULL. */
static struct msg *find_msg(struct msg_queue *q, long type, enum search mode)
{
	struct msg *m, *found = NULL;
	long n = 0;

	list_for_each_entry(m, &q->msgs, node) {
		if (mode == SEARCH_NUMBER) {
			if (n++ == type)
				return m;
		} else if (selects(m, type, mode)) {
			if (mode != SEARCH_LESSEQUAL || m->type == 1)
				return m;
			if (!found || m->type < found->type)
				found = m;
		}
	}
	return found;
}

/* Take `m` off queue `q` (not for MSG_COPY, which copies it); room for
 * senders. */
static void unqueue(struct msg_queue *q, struct msg *m)
{
	list_del(&m->node);
	q->cbytes -= m->len;
	q->qnum--;
	msg_count--;
	msg_bytes -= m->len;
	q->lrpid = (int)sys_getpid();
	q->rtime = ipc_now();
	end_waits(&q->senders, 0);
}

/* A copy of `m` for MSG_COPY, or NULL. */
static struct msg *msg_dup(const struct msg *m)
{
	struct msg *c = kmalloc(sizeof(*m) + m->len);

	if (c)
		memcpy(c, m, sizeof(*m) + m->len);
	return c;
}

/* msgrcv on queue `id`: the message taken (the caller's to free) or an
 * ERR_PTR.  Caller holds ipc_lock. */
static struct msg *receive(int id, size_t size, long type, enum search mode, long flags,
			   uint64_t *irq)
{
	struct msg_waiter w = { .type = type, .mode = mode };
	struct ipc_obj *o;
	struct msg *m;
	long r;

	w.maxsize = flags & MSG_NOERROR ? SIZE_MAX : size;
	for (;;) {
		if (!(o = ipc_find(&msg_ids, id)))
			return ERR_PTR(-EINVAL);
		if ((r = ipc_perms(o, 0444)))
			return ERR_PTR(r);
		if ((m = find_msg(queue_of(o), type, mode))) {
			if (m->len > size && !(flags & MSG_NOERROR))
				return ERR_PTR(-E2BIG);
			if (flags & MSG_COPY)
				return msg_dup(m) ?: ERR_PTR(-ENOMEM);
			unqueue(queue_of(o), m);
			return m;
		}
		if (flags & IPC_NOWAIT)
			return ERR_PTR(-ENOMSG);
		r = msg_sleep(&queue_of(o)->receivers, &w, irq);
		if (!r)
			return w.msg;
		if (r != -EAGAIN) /* EAGAIN: IPC_SET changed the queue, look again */
			return ERR_PTR(r);
	}
}

/* msgrcv's msgtyp and flags as a search (Linux's convert_mode). */
static enum search search_mode(long *type, long flags)
{
	if (flags & MSG_COPY)
		return SEARCH_NUMBER;
	if (!*type)
		return SEARCH_ANY;
	if (*type < 0) {
		*type = *type == INT64_MIN ? INT64_MAX : -*type;
		return SEARCH_LESSEQUAL;
	}
	return flags & MSG_EXCEPT ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
}

long sys_msgrcv(long id, uint64_t umsg, uint64_t size, long type, long flags)
{
	enum search mode;
	struct msg *m;
	uint64_t irq;
	size_t n;

	if (id < 0 || (long)size < 0)
		return -EINVAL;
	if ((flags & MSG_COPY) && ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT)))
		return -EINVAL;
	mode = search_mode(&type, flags);
	irq = spin_lock_irqsave(&ipc_lock);
	m = receive((int)id, size, type, mode, flags, &irq);
	spin_unlock_irqrestore(&ipc_lock, irq);
	if (IS_ERR(m))
		return PTR_ERR(m);
	/* As on Linux, a fault here loses the message. */
	n = MIN(size, m->len);
	if (copy_to_user(umsg, &m->type, sizeof(m->type)) ||
	    copy_to_user(umsg + sizeof(m->type), m->data, n))
		n = (size_t)-EFAULT;
	kfree(m);
	return (long)n;
}

static void stat_out(struct msg_queue *q, struct msqid64_ds_k *d)
{
	*d = (struct msqid64_ds_k){ .stime = q->stime,
				    .rtime = q->rtime,
				    .ctime = q->o.ctime,
				    .cbytes = q->cbytes,
				    .qnum = q->qnum,
				    .qbytes = q->qbytes,
				    .lspid = q->lspid,
				    .lrpid = q->lrpid };
	ipc_perm_out(&q->o, &d->perm);
}

/* IPC_RMID: sleepers fail with EIDRM, the messages go. */
static void queue_remove(struct msg_queue *q)
{
	struct msg *m, *tmp;

	end_waits(&q->receivers, -EIDRM);
	end_waits(&q->senders, -EIDRM);
	list_for_each_entry_safe(m, tmp, &q->msgs, node) {
		msg_count--;
		msg_bytes -= m->len;
		kfree(m);
	}
	ipc_remove(&msg_ids, &q->o);
	queue_free(&q->o);
}

/* The commands on one queue (ipc_ctl checked the permissions).  IPC_SET
 * sets the ids, the mode and (up to MSGMNB without CAP_SYS_RESOURCE) the
 * queue's size, and sleepers look again. */
static long queue_ctl(struct ipc_obj *o, long cmd, void *ds)
{
	struct msqid64_ds_k *d = ds;
	struct msg_queue *q = queue_of(o);

	switch (cmd) {
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		stat_out(q, d);
		return 0;
	case IPC_SET:
		if (d->qbytes > MSGMNB && !cred_capable(CAP_SYS_RESOURCE))
			return -EPERM;
		ipc_perm_set(o, &d->perm);
		q->qbytes = d->qbytes;
		end_waits(&q->receivers, -EAGAIN);
		end_waits(&q->senders, 0);
		return 0;
	case IPC_RMID:
		queue_remove(q);
		return 0;
	}
	return -EINVAL;
}

/* IPC_INFO (the limits) and MSG_INFO (what is in use). */
static long msg_info(long cmd, void *out)
{
	struct msginfo_k *i = out;

	*i = (struct msginfo_k){ .msgpool = MSGPOOL,
				 .msgmap = MSGMNB,
				 .msgmax = MSGMAX,
				 .msgmnb = MSGMNB,
				 .msgmni = MSGMNI,
				 .msgssz = MSGSSZ,
				 .msgtql = MSGMNB,
				 .msgseg = MSGSEG };
	if (cmd == MSG_INFO) {
		i->msgpool = (int32_t)msg_ids.used;
		i->msgmap = (int32_t)msg_count;
		i->msgtql = (int32_t)msg_bytes;
	}
	return ipc_max_index(&msg_ids);
}

_Static_assert(sizeof(struct msqid64_ds_k) <= IPC_CTL_BUF, "msgctl's buffer");

static const struct ipc_ctl msg_ctl = {
	.ids = &msg_ids,
	.stat = MSG_STAT,
	.stat_any = MSG_STAT_ANY,
	.info = MSG_INFO,
	.ds_size = sizeof(struct msqid64_ds_k),
	.info_size = { sizeof(struct msginfo_k), sizeof(struct msginfo_k) },
	.get_info = msg_info,
	.obj_ctl = queue_ctl,
};

long sys_msgctl(long id, long cmd, uint64_t ubuf)
{
	return ipc_ctl(&msg_ctl, id, cmd, ubuf);
}
