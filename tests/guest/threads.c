/*
 * Guest test, area threads: pthreads over clone and futex.  Mutex-protected
 * counting across threads, condition variables, a barrier, thread-local
 * storage, joins and exit values, detached threads, sleeping threads that
 * overlap in time, and futex timeouts.  Output is deterministic.
 */
#include "guest.h"
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#define FUTEX_WAIT_PRIVATE 128 /* linux/futex.h: musl-gcc has no kernel headers */
#define FUTEX_WAKE_PRIVATE 129

#define NTHREADS 8
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static long counter, ready;
static __thread long tls_value = 7;

static void *count(void *arg)
{
	long id = (long)arg;

	tls_value = id * 100;
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		if (i % 1000 == 0)
			sched_yield();
	}
	return (void *)(tls_value + id); /* id * 101: TLS kept its own value */
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return arg;
}

static void *sleeper(void *arg)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	nanosleep(&ts, NULL);
	return arg;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	pthread_t th[NTHREADS];
	void *ret;
	int ok = 1;

	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		guest_check("pthread_create", pthread_create(&th[i], NULL, count, (void *)i) == 0);
	for (long i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], &ret);
		ok &= (long)ret == i * 101;
	}
	guest_check("join returns each thread's value (TLS per thread)", ok);
	printf("counter %ld (expected %d)\n", counter, NTHREADS * ITERS);
	guest_check("main thread's TLS untouched", tls_value == 7);

	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, waiter, (void *)i);
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	ok = 1;
	for (long i = 0; i < 4; i++) {
		pthread_join(th[i], &ret);
		ok &= (long)ret == i;
	}
	guest_check("condition variable broadcast wakes all", ok);

	double t0 = now();
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, sleeper, NULL);
	for (long i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	double took = now() - t0;
	guest_check("4 threads sleep 0.2 s at once in under 0.7 s", took >= 0.2 && took < 0.7);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	guest_check("detached thread", pthread_create(&th[0], &attr, sleeper, NULL) == 0);

	int word = 0;
	struct timespec to = {0, 50 * 1000 * 1000};
	t0 = now();
	long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0);
	guest_check_err("futex wait times out", r, ETIMEDOUT);
	guest_check("futex timeout took >= 50 ms", now() - t0 >= 0.05);
	guest_check_err("futex wait on a changed word", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0), EAGAIN);
	guest_check("futex wake with no waiter", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
	return guest_bad != 0;
}
