/*
 * Guest test, area System V IPC: semaphores.  semget (keys, nsems limits),
 * semctl (SETVAL, GETVAL, SETALL, GETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT,
 * IPC_SET, IPC_RMID, IPC_INFO), semop and semtimedop (all or nothing,
 * IPC_NOWAIT, timeouts, blocking woken by another thread, EIDRM, EINTR even
 * with SA_RESTART, SEM_UNDO's range and that a thread's exit does not undo).
 * Threads are ordered by GETNCNT/GETZCNT, so the output does not depend on
 * timing.  Sets are IPC_PRIVATE but one, and all are removed.
 */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

/* This test's one named set: per process, since the variants' native runs
 * may overlap (pids stay below 2^22, PID_MAX_LIMIT). */
#define KEY ((key_t)(0x6d000000 | (2 << 22) | (getpid() & 0x3fffff)))

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

static int sid;

static int op(int id, unsigned short num, short delta, short flags)
{
	struct sembuf b = { num, delta, flags };
	return semop(id, &b, 1);
}

static int val(int num)
{
	return semctl(sid, num, GETVAL);
}

/* Wait until `n` threads sleep on semaphore `num` (GETNCNT, or GETZCNT). */
static void wait_sleepers(int cmd, int num, int n)
{
	struct timespec ms = { 0, 1000 * 1000 };
	while (semctl(sid, num, cmd) != n)
		nanosleep(&ms, NULL);
}

static void test_get(void)
{
	int id = semget(KEY, 0, 0);

	if (id >= 0)
		semctl(id, 0, IPC_RMID); /* left by a run that died */
	guest_check_err("semget of a missing key", semget(KEY, 1, 0), ENOENT);
	guest_check_err("semget of 0 semaphores", semget(IPC_PRIVATE, 0, 0600), EINVAL);
	guest_check_err("semget of -1 semaphores", semget(IPC_PRIVATE, -1, 0600), EINVAL);
	guest_check_err("semget of 32001 semaphores", semget(IPC_PRIVATE, 32001, 0600), EINVAL);
	id = semget(KEY, 2, IPC_CREAT | 0600);
	guest_check("semget creates a keyed set", id >= 0);
	guest_check_err("IPC_CREAT|IPC_EXCL", semget(KEY, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	guest_check_err("asking for more semaphores", semget(KEY, 3, 0), EINVAL);
	guest_check("asking for fewer (or 0) finds it", semget(KEY, 0, 0) == id);
	guest_check("IPC_RMID", semctl(id, 0, IPC_RMID) == 0);
	guest_check_err("GETVAL of a removed set", semctl(id, 0, GETVAL), EINVAL);
}

static void test_values(void)
{
	unsigned short all[3] = { 1, 2, 3 }, got[3] = { 0 };
	struct semid_ds ds;
	struct seminfo si;

	sid = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	guest_check("a new set is zero", val(0) == 0 && val(2) == 0);
	guest_check("SETVAL",
		    semctl(sid, 0, SETVAL, (union semun){ .val = 5 }) == 0 && val(0) == 5);
	guest_check_err("SETVAL -1", semctl(sid, 0, SETVAL, (union semun){ .val = -1 }), ERANGE);
	guest_check_err("SETVAL 32768", semctl(sid, 0, SETVAL, (union semun){ .val = 32768 }),
			ERANGE);
	guest_check_err("GETVAL past the end", semctl(sid, 3, GETVAL), EINVAL);
	guest_check("SETALL", semctl(sid, 0, SETALL, (union semun){ .array = all }) == 0);
	guest_check("GETALL", semctl(sid, 0, GETALL, (union semun){ .array = got }) == 0 &&
				      got[0] == 1 && got[1] == 2 && got[2] == 3);
	all[1] = 40000;
	guest_check_err("SETALL out of range",
			semctl(sid, 0, SETALL, (union semun){ .array = all }), ERANGE);
	guest_check("  changes nothing", val(1) == 2);
	guest_check("IPC_STAT", semctl(sid, 0, IPC_STAT, (union semun){ .buf = &ds }) == 0);
	printf("nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, (unsigned)ds.sem_perm.mode);
	ds.sem_perm.mode = 0640;
	guest_check("IPC_SET", semctl(sid, 0, IPC_SET, (union semun){ .buf = &ds }) == 0);
	semctl(sid, 0, IPC_STAT, (union semun){ .buf = &ds });
	printf("mode after IPC_SET %o\n", (unsigned)ds.sem_perm.mode);
	guest_check("IPC_INFO", semctl(0, 0, IPC_INFO, (union semun){ .info = &si }) >= 0);
	printf("semmsl %d semopm %d semvmx %d\n", si.semmsl, si.semopm, si.semvmx);
	guest_check_err("semctl of an unknown command", semctl(sid, 0, 999), EINVAL);
}

static void test_semop(void)
{
	struct sembuf two[2] = { { 0, 1, 0 }, { 1, -5, IPC_NOWAIT } }, many[501];
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	guest_check("semop -1", op(sid, 0, -1, 0) == 0 && val(0) == 0);
	guest_check("GETPID is ours", semctl(sid, 0, GETPID) == getpid());
	guest_check_err("semop -1 of 0 with IPC_NOWAIT", op(sid, 0, -1, IPC_NOWAIT), EAGAIN);
	guest_check_err("wait for zero of 2 with IPC_NOWAIT", op(sid, 1, 0, IPC_NOWAIT), EAGAIN);
	guest_check("wait for zero of 0", op(sid, 0, 0, 0) == 0);
	guest_check_err("all or nothing", semop(sid, two, 2), EAGAIN);
	guest_check("  the first was not done", val(0) == 0);
	guest_check_err("semaphore past the end", op(sid, 3, 1, 0), EFBIG);
	guest_check_err("no operations", semop(sid, two, 0), EINVAL);
	memset(many, 0, sizeof(many));
	guest_check_err("501 operations", semop(sid, many, 501), E2BIG);
	guest_check_err("semop past SEMVMX", op(sid, 2, 32767, 0), ERANGE);
	guest_check_err("semtimedop times out",
			semtimedop(sid, &(struct sembuf){ 0, -1, 0 }, 1, &ts), EAGAIN);
	ts.tv_nsec = -1;
	guest_check_err("semtimedop with a bad timeout",
			semtimedop(sid, &(struct sembuf){ 0, -1, 0 }, 1, &ts), EINVAL);
	guest_check_err("semop on a bad id", op(-1, 0, 1, 0), EINVAL);
	guest_check_err("semop from a bad pointer", semop(sid, (struct sembuf *)8, 1), EFAULT);
	guest_check_err("GETALL to a bad pointer",
			semctl(sid, 0, GETALL, (union semun){ .array = (unsigned short *)8 }),
			EFAULT);
	guest_check_err("SETALL from a bad pointer",
			semctl(sid, 0, SETALL, (union semun){ .array = (unsigned short *)8 }),
			EFAULT);
}

static void *down(void *arg __attribute__((unused)))
{
	return (void *)(long)(op(sid, 0, -1, 0) == 0 ? 0 : errno);
}

static void *zero(void *arg __attribute__((unused)))
{
	return (void *)(long)(op(sid, 1, 0, 0) == 0 ? 0 : errno);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void test_blocking(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pthread_t t, z;
	void *r;

	semctl(sid, 0, SETVAL, (union semun){ .val = 0 });
	semctl(sid, 1, SETVAL, (union semun){ .val = 1 });
	pthread_create(&t, NULL, down, NULL);
	pthread_create(&z, NULL, zero, NULL);
	wait_sleepers(GETNCNT, 0, 1);
	wait_sleepers(GETZCNT, 1, 1);
	guest_check("GETNCNT and GETZCNT count the sleepers", 1);
	guest_check("semop +1 wakes the sleeper", op(sid, 0, 1, 0) == 0);
	guest_check_err("  which took the unit before we could", op(sid, 0, -1, IPC_NOWAIT),
			EAGAIN);
	pthread_join(t, &r);
	guest_check("  its semop succeeded", r == NULL);
	guest_check("SETVAL 0 wakes who waits for zero",
		    semctl(sid, 1, SETVAL, (union semun){ .val = 0 }) == 0);
	pthread_join(z, &r);
	guest_check("  its semop succeeded", r == NULL);
	guest_check("  GETNCNT and GETZCNT are 0 again",
		    semctl(sid, 0, GETNCNT) == 0 && semctl(sid, 1, GETZCNT) == 0);

	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, down, NULL);
	wait_sleepers(GETNCNT, 0, 1);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, &r);
	printf("a signal ends semop (SA_RESTART or not): %s\n", guest_errname((int)(long)r));

	/* Its semop is done when we post, so removing the set at once does
	 * not undo it. */
	pthread_create(&t, NULL, down, NULL);
	wait_sleepers(GETNCNT, 0, 1);
	op(sid, 0, 1, 0);
	guest_check("IPC_RMID right after waking a sleeper", semctl(sid, 0, IPC_RMID) == 0);
	pthread_join(t, &r);
	guest_check("  its semop succeeded", r == NULL);

	sid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	pthread_create(&t, NULL, down, NULL);
	wait_sleepers(GETNCNT, 0, 1);
	guest_check("IPC_RMID with a sleeper", semctl(sid, 0, IPC_RMID) == 0);
	pthread_join(t, &r);
	printf("the sleeper's semop: %s\n",
	       (long)r == EIDRM ? "EIDRM" : guest_errname((int)(long)r));
}

static void *up_undo(void *arg __attribute__((unused)))
{
	return (void *)(long)op(sid, 0, 1, SEM_UNDO);
}

static void test_undo(void)
{
	pthread_t t;

	sid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	pthread_create(&t, NULL, up_undo, NULL);
	pthread_join(t, NULL);
	guest_check("a thread's exit applies no SEM_UNDO (that is the process's)", val(0) == 1);
	semctl(sid, 0, SETVAL, (union semun){ .val = 0 });
	guest_check("SEM_UNDO +32767", op(sid, 0, 32767, SEM_UNDO) == 0);
	guest_check("-32767 without undo", op(sid, 0, -32767, 0) == 0);
	guest_check("SEM_UNDO +1: adjustment -32768 still fits", op(sid, 0, 1, SEM_UNDO) == 0);
	guest_check_err("SEM_UNDO +1 again: out of range", op(sid, 0, 1, SEM_UNDO), ERANGE);
	guest_check("  and not done", val(0) == 1);
	guest_check("SETVAL clears the adjustment",
		    semctl(sid, 0, SETVAL, (union semun){ .val = 0 }) == 0 &&
			    op(sid, 0, 1, SEM_UNDO) == 0);
	semctl(sid, 0, IPC_RMID);
}

int main(void)
{
	test_get();
	test_values();
	test_semop();
	test_blocking();
	test_undo();
	return guest_finish();
}
