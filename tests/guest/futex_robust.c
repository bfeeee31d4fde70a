/*
 * Guest test, area futexes: robust lists.  set_robust_list/get_robust_list,
 * and pthread robust mutexes (plain and priority-inheritance) whose owner
 * thread exits holding them: the next locker gets EOWNERDEAD, makes the
 * mutex consistent, and it works again; one not made consistent becomes
 * ENOTRECOVERABLE.  Also the raw word: a thread that dies holding a futex
 * listed on its robust list leaves FUTEX_OWNER_DIED and wakes a waiter.
 * Whether a waiter is already asleep when the owner dies does not change
 * the output (the dead owner's word is taken either way).
 */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#define FUTEX_WAIT	 0
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_WAITERS	 0x80000000u

/* struct robust_list_head (include/uapi/linux/futex.h) */
struct robust_list {
	struct robust_list *next;
};
struct robust_list_head {
	struct robust_list list;
	long futex_offset;
	struct robust_list *list_op_pending;
};

static void nap(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

static pthread_mutex_t m;
static atomic_int holding;

static void *die_holding(void *arg)
{
	pthread_mutex_lock(&m);
	atomic_store(&holding, 1);
	if (arg)
		nap(); /* the main thread may start waiting meanwhile */
	return NULL;
}

static const char *err_name(int e)
{
	switch (e) {
	case 0:
		return "0";
	case EOWNERDEAD:
		return "EOWNERDEAD";
	case ENOTRECOVERABLE:
		return "ENOTRECOVERABLE";
	case EBUSY:
		return "EBUSY";
	case EPERM:
		return "EPERM";
	}
	return guest_errname(e);
}

static void test_robust_mutex(int protocol, const char *what)
{
	pthread_mutexattr_t a;
	pthread_t t;
	int e;

	printf("-- robust mutex, %s\n", what);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setprotocol(&a, protocol);
	pthread_mutex_init(&m, &a);

	pthread_create(&t, NULL, die_holding, NULL);
	pthread_join(t, NULL);
	e = pthread_mutex_lock(&m);
	printf("lock after the owner exited: %s\n", err_name(e));
	printf("consistent: %s\n", err_name(pthread_mutex_consistent(&m)));
	printf("unlock: %s\n", err_name(pthread_mutex_unlock(&m)));
	printf("lock again: %s\n", err_name(pthread_mutex_lock(&m)));
	printf("unlock: %s\n", err_name(pthread_mutex_unlock(&m)));

	atomic_store(&holding, 0);
	pthread_create(&t, NULL, die_holding, (void *)1);
	while (!atomic_load(&holding))
		sched_yield();
	e = pthread_mutex_lock(&m); /* sleeps until the owner dies, or finds it dead */
	printf("lock waiting for an owner that exits: %s\n", err_name(e));
	pthread_join(t, NULL);
	printf("unlock without consistent: %s\n", err_name(pthread_mutex_unlock(&m)));
	printf("lock: %s\n", err_name(pthread_mutex_lock(&m)));
	pthread_mutex_destroy(&m);
}

/* The raw protocol: a robust list with one entry whose word holds our tid. */
struct entry {
	struct robust_list link;
	_Atomic unsigned word;
};
static struct entry ent;
static struct robust_list_head head;

static void *raw_owner(void *arg)
{
	head.list.next = &ent.link;
	ent.link.next = &head.list;
	head.futex_offset = offsetof(struct entry, word);
	head.list_op_pending = NULL;
	ent.word = (unsigned)syscall(SYS_gettid) | (arg ? FUTEX_WAITERS : 0);
	syscall(SYS_set_robust_list, &head, sizeof(head));
	if (arg)
		nap();
	return NULL;
}

static void test_raw(void)
{
	struct robust_list_head *got = NULL;
	size_t len = 0;
	pthread_t t;

	guest_check("get_robust_list of this thread",
		    syscall(SYS_get_robust_list, 0, &got, &len) == 0 && len == sizeof(head));
	guest_check_err("get_robust_list of no thread",
			syscall(SYS_get_robust_list, 0x3ffffff0, &got, &len), ESRCH);
	pthread_create(&t, NULL, raw_owner, NULL);
	pthread_join(t, NULL);
	guest_check("a dead owner's word becomes FUTEX_OWNER_DIED", ent.word == FUTEX_OWNER_DIED);
	/* With FUTEX_WAITERS the death wakes one waiter (or finds none). */
	pthread_create(&t, NULL, raw_owner, (void *)1);
	while (!(ent.word & FUTEX_WAITERS))
		sched_yield();
	unsigned w = ent.word;
	if (!(w & FUTEX_OWNER_DIED))
		syscall(SYS_futex, &ent.word, FUTEX_WAIT, w, NULL, NULL, 0);
	pthread_join(t, NULL);
	guest_check("  with waiters it keeps FUTEX_WAITERS",
		    ent.word == (FUTEX_OWNER_DIED | FUTEX_WAITERS));
}

int main(void)
{
	test_raw();
	test_robust_mutex(PTHREAD_PRIO_NONE, "plain");
	test_robust_mutex(PTHREAD_PRIO_INHERIT, "priority inheritance");
	return guest_finish();
}
