/*
 * Guest test, area threads: a thread that spins in ring 3 (no system call,
 * no fault) after pthread_create must still let the new thread run: the
 * scheduler arms the end of its time slice when a thread is created.  Also
 * the spin ended through futex wakes that find nobody (the loop monos'
 * sysv_shm test makes).
 */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>

#define FUTEX_WAKE 1

static atomic_int flag, word;

static void *set_flag(void *arg)
{
	(void)arg;
	atomic_store(&flag, 1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, set_flag, NULL);
	while (!atomic_load(&flag)) /* pure spin in ring 3 */
		;
	pthread_join(t, NULL);
	guest_check("a spinning thread let the new thread run", 1);

	atomic_store(&flag, 0);
	pthread_create(&t, NULL, set_flag, NULL);
	while (!atomic_load(&flag)) /* system calls that wake nobody */
		syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0);
	pthread_join(t, NULL);
	guest_check("so did one looping on futex wakes that find nobody", 1);
	return guest_finish();
}
