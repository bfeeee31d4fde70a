/*
 * Guest test, area futexes: the priority-inheritance operations on the raw
 * word (FUTEX_LOCK_PI, TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI,
 * CMP_REQUEUE_PI) with Linux's TID protocol and errors, FUTEX_WAKE_OP's
 * shifted operand, and pthread mutexes with PTHREAD_PRIO_INHERIT (with a
 * condition variable).  Robust mutexes are in futex_robust.c.  Threads are
 * ordered by the futex words themselves, so the output does not depend on
 * timing.
 */
#include "guest.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

/* include/uapi/linux/futex.h (musl-gcc has no kernel headers) */
#define FUTEX_WAKE	      1
#define FUTEX_WAKE_OP	      5
#define FUTEX_LOCK_PI	      6
#define FUTEX_UNLOCK_PI	      7
#define FUTEX_TRYLOCK_PI      8
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI  12
#define FUTEX_LOCK_PI2	      13
#define FUTEX_PRIVATE	      128
#define FUTEX_CLOCK_REALTIME  256
#define FUTEX_WAITERS	      0x80000000u
#define FUTEX_OWNER_DIED      0x40000000u
#define FUTEX_TID_MASK	      0x3fffffffu
#define NO_SUCH_TID	      0x3ffffff0u /* above PID_MAX_LIMIT (2^22) */
/* FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, oparg, FUTEX_OP_CMP_EQ, 0) */
#define SET_SHIFTED(oparg) ((8u << 28) | (((oparg)&0xfffu) << 12))

static long futex(_Atomic unsigned *uaddr, int op, unsigned val, const void *timeout,
		  _Atomic unsigned *uaddr2, unsigned val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static unsigned gettid_(void)
{
	return (unsigned)syscall(SYS_gettid);
}

static void wait_for_bits(_Atomic unsigned *w, unsigned bits)
{
	while ((atomic_load(w) & bits) != bits)
		sched_yield();
}

/* FUTEX_CLOCK_REALTIME goes only with the absolute timeouts. */
static void test_clock_flag(void)
{
	_Atomic unsigned w = 0;
	struct timespec ts = { 0, 1000 * 1000 };

	guest_check_err("FUTEX_WAIT with FUTEX_CLOCK_REALTIME",
			futex(&w, 0 | FUTEX_CLOCK_REALTIME, 0, &ts, NULL, 0), ENOSYS);
	guest_check_err("FUTEX_LOCK_PI with FUTEX_CLOCK_REALTIME",
			futex(&w, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0), ENOSYS);
	guest_check("FUTEX_LOCK_PI2 with FUTEX_CLOCK_REALTIME",
		    futex(&w, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0) == 0 &&
			    futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) == 0 && w == 0);
}

static void test_wake_op(void)
{
	_Atomic unsigned a = 0, b = 0;

	long r = futex(&a, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1, (void *)1, &b, SET_SHIFTED(31));
	guest_check("wake_op shift by 31 sets the top bit", r == 0 && b == 0x80000000u);
	r = futex(&a, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1, (void *)1, &b, SET_SHIFTED(33));
	guest_check("wake_op shift by 33 is taken modulo 32", r == 0 && b == 2);
}

/* The single-thread protocol: taking, owning, releasing, errors. */
static void test_pi_word(void)
{
	_Atomic unsigned w = 0;
	unsigned me = gettid_();

	guest_check("trylock_pi of a free word",
		    futex(&w, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0) == 0);
	guest_check("the word holds our tid", w == me);
	guest_check_err("lock_pi of our own lock", futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0),
			EDEADLK);
	guest_check_err("trylock_pi of our own lock", futex(&w, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0),
			EDEADLK);
	guest_check("unlock_pi", futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) == 0 && w == 0);
	guest_check_err("unlock_pi of a free word", futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0),
			EPERM);
	w = NO_SUCH_TID;
	guest_check_err("lock_pi owned by no thread", futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0),
			ESRCH);
	guest_check("  and FUTEX_WAITERS was set first", w == (NO_SUCH_TID | FUTEX_WAITERS));
	guest_check_err("trylock_pi owned by no thread",
			futex(&w, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), ESRCH);
	guest_check_err("unlock_pi of another's lock", futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0),
			EPERM);
	w = FUTEX_OWNER_DIED;
	guest_check("lock_pi of a dead owner's word",
		    futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0) == 0);
	guest_check("  keeps FUTEX_OWNER_DIED", w == (FUTEX_OWNER_DIED | me));
	guest_check("  unlock_pi clears it",
		    futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) == 0 && w == 0);
	guest_check_err(
		"lock_pi of an unaligned word",
		futex((_Atomic unsigned *)((char *)&w + 1), FUTEX_LOCK_PI, 0, NULL, NULL, 0),
		EINVAL);
}

static _Atomic unsigned lock1, lock2, holder_tid, stage;

/* Takes lock1 and holds it until stage 1, then unlocks through the kernel. */
static void *holder(void *arg)
{
	(void)arg;
	holder_tid = gettid_();
	futex(&lock1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	atomic_store(&stage, 1);
	while (atomic_load(&stage) < 2)
		sched_yield();
	futex(&lock1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	return NULL;
}

static void test_pi_contended(void)
{
	struct timespec abs;
	pthread_t t;
	unsigned me = gettid_();

	pthread_create(&t, NULL, holder, NULL);
	while (atomic_load(&stage) < 1)
		sched_yield();
	guest_check_err("trylock_pi of a held lock",
			futex(&lock1, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EAGAIN);
	guest_check("  sets FUTEX_WAITERS", lock1 == (holder_tid | FUTEX_WAITERS));
	clock_gettime(CLOCK_REALTIME, &abs); /* LOCK_PI's timeout: absolute, realtime */
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	guest_check_err("lock_pi times out", futex(&lock1, FUTEX_LOCK_PI, 0, &abs, NULL, 0),
			ETIMEDOUT);
	atomic_store(&stage, 2); /* the holder unlocks while we sleep, or before */
	guest_check("lock_pi gets the lock from unlock_pi",
		    futex(&lock1, FUTEX_LOCK_PI, 0, NULL, NULL, 0) == 0);
	/* Whether FUTEX_WAITERS is still set depends on who ran first: the
	 * holder may unlock before we block (then the word was 0), so only
	 * the owner is checked. */
	guest_check("  and we own it", (lock1 & FUTEX_TID_MASK) == me);
	guest_check("  and unlocks to 0",
		    futex(&lock1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) == 0 && lock1 == 0);
	pthread_join(t, NULL);
}

static _Atomic int crosser_err; /* errno of its lock_pi of lock1, or 0 */

/* Holds lock2, then waits for lock1, which main holds. */
static void *crosser(void *arg)
{
	(void)arg;
	futex(&lock2, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	atomic_store(&stage, 3);
	if (futex(&lock1, FUTEX_LOCK_PI, 0, NULL, NULL, 0) == 0)
		futex(&lock1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	else
		atomic_store(&crosser_err, errno);
	futex(&lock2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	return NULL;
}

/*
 * Main holds lock1 and asks for lock2 while the crosser holds lock2 and
 * asks for lock1.  Whichever of the two blocks second closes the cycle and
 * gets EDEADLK: natively that may be the crosser (the FUTEX_WAITERS bit is
 * set before it is queued on lock1), or both when they queue at once on
 * two CPUs (measured: 188, 11 and 1 in 200 runs under load), so the test
 * asks that a side got it and that nobody hangs.
 */
static void test_pi_deadlock(void)
{
	pthread_t t;
	long r;
	int main_err;

	lock1 = lock2 = 0;
	futex(&lock1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	pthread_create(&t, NULL, crosser, NULL);
	while (atomic_load(&stage) < 3)
		sched_yield();
	wait_for_bits(&lock1, FUTEX_WAITERS); /* it is on its way to sleep on lock1 */
	r = futex(&lock2, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	main_err = r ? errno : 0;
	if (!r)
		futex(&lock2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	futex(&lock1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	pthread_join(t, NULL);
	guest_check("lock_pi closing a cycle: EDEADLK for the side that closes it, no hang",
		    (main_err == EDEADLK || crosser_err == EDEADLK) &&
			    (main_err == 0 || main_err == EDEADLK) &&
			    (crosser_err == 0 || crosser_err == EDEADLK));
	guest_check("both locks free after the cycle", lock1 == 0 && lock2 == 0);
}

static _Atomic unsigned handled;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_store(&handled, 1);
}

/* Sleeps in FUTEX_LOCK_PI on lock1 through a signal handler. */
static void *signalled_locker(void *arg)
{
	long r = futex(&lock1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);

	(void)arg;
	futex(&lock1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	return (void *)r;
}

/* A handler without SA_RESTART does not make FUTEX_LOCK_PI fail with EINTR:
 * Linux restarts it. */
static void test_pi_signal(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t t;
	void *r;

	sigaction(SIGUSR1, &sa, NULL);
	lock1 = 0;
	futex(&lock1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	pthread_create(&t, NULL, signalled_locker, NULL);
	wait_for_bits(&lock1, FUTEX_WAITERS);
	pthread_kill(t, SIGUSR1);
	while (!atomic_load(&handled))
		sched_yield();
	futex(&lock1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	pthread_join(t, &r);
	guest_check("lock_pi goes on after a signal handler (no EINTR)", r == NULL);
}

static _Atomic unsigned cond, mutex, woke, release;
static unsigned woke_word[3]; /* per waiter: the mutex word it woke up to, as tid bits */

/* A condition-variable waiter (number `arg`) that must wake up owning `mutex`. */
static void *requeue_waiter(void *arg)
{
	long id = (long)arg, r = futex(&cond, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &mutex, ~0u);
	unsigned word = atomic_load(&mutex), me = gettid_();

	/* Record whether the word is ours, and its FUTEX_WAITERS bit. */
	woke_word[id] = r == 0 && (word & FUTEX_TID_MASK) == me ? 1 | (word & FUTEX_WAITERS) : 0;
	atomic_fetch_add(&woke, 1);
	while (atomic_load(&release) < id)
		sched_yield();
	futex(&mutex, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	return NULL;
}

/* CMP_REQUEUE_PI until it reports one waiter (woken or moved). */
static long requeue_until_one(void)
{
	long r;
	struct timespec ms = { 0, 1000 * 1000 };

	while ((r = futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)0, &mutex, 0)) == 0)
		nanosleep(&ms, NULL);
	return r;
}

static void test_requeue_pi(void)
{
	pthread_t t1, t2;

	guest_check_err("wait_requeue_pi on the same word",
			futex(&cond, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &cond, ~0u), EINVAL);
	guest_check_err("wait_requeue_pi, word changed",
			futex(&cond, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &mutex, ~0u), EAGAIN);
	guest_check_err("cmp_requeue_pi waking two",
			futex(&cond, FUTEX_CMP_REQUEUE_PI, 2, (void *)0, &mutex, 0), EINVAL);
	guest_check_err("cmp_requeue_pi, word changed",
			futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)0, &mutex, 1), EAGAIN);
	pthread_create(&t1, NULL, requeue_waiter, (void *)1);
	guest_check("cmp_requeue_pi takes the free mutex for the waiter", requeue_until_one() == 1);
	while (atomic_load(&woke) < 1)
		sched_yield();
	pthread_create(&t2, NULL, requeue_waiter, (void *)2);
	guest_check("cmp_requeue_pi moves the next waiter to the held mutex",
		    requeue_until_one() == 1);
	guest_check("  plain wake of the condvar finds nobody",
		    futex(&cond, FUTEX_WAKE, 1, NULL, NULL, 0) == 0);
	atomic_store(&release, 2); /* the first unlocks: the second gets it */
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	/* Requeueing none, the kernel leaves FUTEX_WAITERS off for the first;
	 * the second got the mutex from unlock_pi, which sets it. */
	guest_check("the first woke owning the mutex (no FUTEX_WAITERS)", woke_word[1] == 1);
	guest_check("the second woke owning it (FUTEX_WAITERS)",
		    woke_word[2] == (1 | FUTEX_WAITERS));
	guest_check("the mutex is free at the end", mutex == 0);
}

#define NTHREADS 4
#define ITERS	 2000

static pthread_mutex_t pi_lock;
static pthread_cond_t pi_cond = PTHREAD_COND_INITIALIZER;
static long counter, turn;

static void *count(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&pi_lock);
		counter++;
		if (i % 100 == 0)
			sched_yield(); /* others queue in FUTEX_LOCK_PI */
		pthread_mutex_unlock(&pi_lock);
	}
	return NULL;
}

/* Waits on pi_cond for its turn, then passes the turn on. */
static void *relay(void *arg)
{
	long id = (long)arg;

	pthread_mutex_lock(&pi_lock);
	while (turn != id)
		pthread_cond_wait(&pi_cond, &pi_lock);
	turn++;
	pthread_cond_broadcast(&pi_cond);
	pthread_mutex_unlock(&pi_lock);
	return NULL;
}

static void test_pthread_pi(void)
{
	pthread_mutexattr_t a;
	pthread_t t[NTHREADS];

	pthread_mutexattr_init(&a);
	guest_check("PTHREAD_PRIO_INHERIT",
		    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
	pthread_mutex_init(&pi_lock, &a);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, count, NULL);
	for (long i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	printf("PI mutex counter %ld (expected %d)\n", counter, NTHREADS * ITERS);
	guest_check("PI mutex trylock of a free mutex", pthread_mutex_trylock(&pi_lock) == 0);
	guest_check("PI mutex unlock", pthread_mutex_unlock(&pi_lock) == 0);
	for (long i = NTHREADS - 1; i >= 0; i--)
		pthread_create(&t[i], NULL, relay, (void *)i);
	for (long i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	guest_check("condition variable over a PI mutex passes every turn", turn == NTHREADS);
	pthread_mutex_destroy(&pi_lock);
}

int main(void)
{
	test_clock_flag();
	test_wake_op();
	test_pi_word();
	test_pi_contended();
	test_pi_deadlock();
	test_pi_signal();
	test_requeue_pi();
	test_pthread_pi();
	return guest_finish();
}
