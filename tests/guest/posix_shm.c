/*
 * Guest test, area POSIX IPC: shared memory and named semaphores, which
 * glibc and musl build on files in /dev/shm (a tmpfs) mapped MAP_SHARED.
 * shm_open (O_CREAT, O_EXCL, read-only), ftruncate, two mappings sharing
 * pages, shm_unlink; sem_open, sem_wait/trywait/post/getvalue, a thread
 * woken by sem_post, sem_timedwait timing out, sem_unlink.  The names are
 * removed at the end (and at the start, if a dead run left them).
 */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#define TMPFS_MAGIC 0x01021994
#define SIZE	    8192

/* Names per process: the variants' native runs may overlap. */
static char shm_name[64], sem_name[64];

static void test_dev_shm(void)
{
	struct statfs fs;
	struct stat st;

	guest_check("/dev/shm is a directory", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode));
	printf("/dev/shm mode %o\n", (unsigned)(st.st_mode & 07777));
	guest_check("/dev/shm is a tmpfs",
		    statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC);
}

static void test_shm(void)
{
	struct stat st;
	char *a, *b;
	int fd, ro;

	shm_unlink(shm_name);
	fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
	guest_check("shm_open O_CREAT|O_EXCL", fd >= 0);
	guest_check_err("  again", shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
	guest_check("ftruncate", ftruncate(fd, SIZE) == 0);
	guest_check("fstat sees the size", fstat(fd, &st) == 0 && st.st_size == SIZE);
	printf("mode %o\n", (unsigned)(st.st_mode & 07777));
	a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ro = shm_open(shm_name, O_RDONLY, 0);
	guest_check("shm_open read-only", ro >= 0);
	b = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, ro, 0);
	guest_check("two mappings", a != MAP_FAILED && b != MAP_FAILED && a != b);
	strcpy(a + 5000, "shared through /dev/shm");
	guest_check("  share their pages", strcmp(b + 5000, "shared through /dev/shm") == 0);
	guest_check_err(
		"a writable mapping of the read-only fd",
		mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED ? -1 : 0,
		EACCES);
	guest_check("shm_unlink", shm_unlink(shm_name) == 0);
	guest_check_err("  the name is gone", shm_open(shm_name, O_RDWR, 0), ENOENT);
	guest_check_err("  shm_unlink again", shm_unlink(shm_name), ENOENT);
	guest_check("  the mappings live on", strcmp(b + 5000, "shared through /dev/shm") == 0);
	munmap(a, SIZE);
	munmap(b, SIZE);
	close(fd);
	close(ro);
}

static sem_t *sem;

static void *waiter(void *arg)
{
	(void)arg;
	return (void *)(long)sem_wait(sem);
}

static void test_sem(void)
{
	char path[96];
	int ok;
	struct timespec ts;
	pthread_t t;
	void *r;
	int v = -1;

	sem_unlink(sem_name);
	sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 2);
	guest_check("sem_open O_CREAT|O_EXCL", sem != SEM_FAILED);
	/* glibc names the file sem.NAME, musl NAME. */
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", sem_name + 1);
	ok = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "/dev/shm/%s", sem_name + 1);
	guest_check("  it is in /dev/shm", ok || access(path, F_OK) == 0);
	guest_check_err("  again",
			sem_open(sem_name, O_CREAT | O_EXCL, 0600, 2) == SEM_FAILED ? -1 : 0,
			EEXIST);
	guest_check("sem_wait", sem_wait(sem) == 0);
	guest_check("sem_trywait", sem_trywait(sem) == 0);
	guest_check_err("sem_trywait at 0", sem_trywait(sem), EAGAIN);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	guest_check_err("sem_timedwait times out", sem_timedwait(sem, &ts), ETIMEDOUT);
	pthread_create(&t, NULL, waiter, NULL);
	guest_check("sem_post", sem_post(sem) == 0);
	pthread_join(t, &r);
	guest_check("  the waiter got it", r == NULL);
	guest_check("sem_getvalue", sem_getvalue(sem, &v) == 0 && v == 0);
	guest_check("sem_close", sem_close(sem) == 0);
	guest_check("sem_unlink", sem_unlink(sem_name) == 0);
	guest_check_err("  the name is gone", sem_open(sem_name, 0) == SEM_FAILED ? -1 : 0, ENOENT);
}

int main(void)
{
	snprintf(shm_name, sizeof(shm_name), "/monos-test-shm-%d", (int)getpid());
	snprintf(sem_name, sizeof(sem_name), "/monos-test-sem-%d", (int)getpid());
	test_dev_shm();
	test_shm();
	test_sem();
	return guest_finish();
}
