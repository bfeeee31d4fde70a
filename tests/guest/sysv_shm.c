/*
 * Guest test, area System V IPC: shared memory.  shmget (sizes, keys,
 * IPC_CREAT|IPC_EXCL), shmat (two attachments share pages, SHM_RDONLY,
 * fixed addresses, SHM_RND, SHM_REMAP), shmdt, shmctl (IPC_STAT with attach
 * counts, IPC_SET, IPC_RMID deferred until the last detach, IPC_INFO,
 * SHM_INFO), EACCES without CAP_IPC_OWNER, and a futex shared through two
 * attachments.  Segments are IPC_PRIVATE but one, and all are removed.
 */
#include "guest.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

/* This test's one named segment: per process, since the variants' native runs
 * may overlap (pids stay below 2^22, PID_MAX_LIMIT). */
#define KEY ((key_t)(0x6d000000 | (1 << 22) | (getpid() & 0x3fffff)))

#define SIZE	      10000
#define PAGE	      4096
#define CAP_IPC_OWNER 15
#define CAP_VERSION_3 0x20080522
#define FUTEX_WAIT    0
#define FUTEX_WAKE    1

static void stat_line(const char *what, int id)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds) < 0) {
		printf("%s: IPC_STAT %s\n", what, guest_errname(errno));
		return;
	}
	printf("%s: size %zu nattch %lu mode %o key %s cpid-is-us %d\n", what, (size_t)ds.shm_segsz,
	       (unsigned long)ds.shm_nattch, (unsigned)ds.shm_perm.mode,
	       ds.shm_perm.__key == KEY ? "ours"
	       : ds.shm_perm.__key	? "other"
					: "IPC_PRIVATE",
	       ds.shm_cpid == getpid());
}

/* capget/capset's header and data (linux/capability.h, version 3). */
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t eff, prm, inh;
};
static struct cap_data saved_caps[2];

/* Drop CAP_IPC_OWNER from the effective set (which a container may not have
 * given us anyway), or (`restore`) put back the sets as they were. */
static int ipc_owner_cap(int restore)
{
	struct cap_header h = { CAP_VERSION_3, 0 };
	struct cap_data d[2];

	if (restore)
		return (int)syscall(SYS_capset, &h, saved_caps);
	if (syscall(SYS_capget, &h, saved_caps) < 0)
		return -1;
	memcpy(d, saved_caps, sizeof(d));
	d[0].eff &= ~(1u << CAP_IPC_OWNER);
	return (int)syscall(SYS_capset, &h, d);
}

/* The perms and path of the /proc/self/maps line of the area at `addr`. */
static void maps_line(const char *what, const void *addr)
{
	char line[512], start[32], perms[8];
	FILE *f = fopen("/proc/self/maps", "r");

	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f)) {
		const char *path = strchr(line, '/');
		if (strncmp(line, start, strlen(start)) || sscanf(line, "%*s %7s", perms) != 1)
			continue;
		printf("%s: maps %s %s", what, perms, path ? path : "(no path)\n");
	}
	if (f)
		fclose(f);
}

static void test_get(void)
{
	int id = shmget(KEY, 0, 0);

	if (id >= 0)
		shmctl(id, IPC_RMID, NULL); /* left by a run that died */
	guest_check_err("shmget of a missing key", shmget(KEY, PAGE, 0), ENOENT);
	guest_check_err("shmget of size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	id = shmget(KEY, PAGE, IPC_CREAT | 0600);
	guest_check("shmget creates a keyed segment", id >= 0);
	guest_check_err("IPC_CREAT|IPC_EXCL of an existing key",
			shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	guest_check_err("asking an existing key for more", shmget(KEY, 2 * PAGE, 0), EINVAL);
	guest_check("asking it for less finds it", shmget(KEY, 100, 0) == id);
	stat_line("keyed", id);
	guest_check("IPC_RMID", shmctl(id, IPC_RMID, NULL) == 0);
	guest_check_err("the key is gone", shmget(KEY, PAGE, 0), ENOENT);
	guest_check_err("IPC_STAT of a removed id", shmctl(id, IPC_STAT, &(struct shmid_ds){ 0 }),
			EINVAL);
}

static void test_attach(void)
{
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	char *a, *b, *c, *at;
	struct shmid_ds ds;

	stat_line("new", id);
	a = shmat(id, NULL, 0);
	b = shmat(id, NULL, 0);
	guest_check("two attachments at two addresses",
		    a != (char *)-1 && b != (char *)-1 && a != b);
	guest_check("  the segment starts zeroed", a[0] == 0 && a[SIZE - 1] == 0);
	strcpy(a + 5000, "written through the first");
	guest_check("  share their pages", strcmp(b + 5000, "written through the first") == 0);
	stat_line("attached twice", id);
	maps_line("read-write", a);
	c = shmat(id, NULL, SHM_RDONLY);
	maps_line("SHM_RDONLY", c);
	guest_check("SHM_RDONLY attachment reads", c != (char *)-1 && c[5000] == 'w');
	guest_check_err("  and cannot be made writable", mprotect(c, PAGE, PROT_READ | PROT_WRITE),
			EACCES);
	stat_line("three", id);
	guest_check_err("shmdt of an unaligned address", shmdt(c + 1), EINVAL);
	guest_check_err("shmdt inside an attachment", shmdt(c + PAGE), EINVAL);
	guest_check("shmdt", shmdt(c) == 0);
	guest_check_err("shmdt again", shmdt(c), EINVAL);

	/* A fixed address: a free range found by mmap. */
	at = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(at, 4 * PAGE);
	guest_check("shmat at a given address", shmat(id, at, 0) == at);
	guest_check("  sees the same bytes", strcmp(at + 5000, "written through the first") == 0);
	guest_check_err("shmat over it", (long)shmat(id, at, 0) == -1 ? -1 : 0, EINVAL);
	guest_check("  unless SHM_REMAP", shmat(id, at, SHM_REMAP) == at);
	guest_check_err("shmat at an unaligned address", (long)shmat(id, at + 1, 0) == -1 ? -1 : 0,
			EINVAL);
	shmdt(at);
	guest_check("SHM_RND rounds it down", shmat(id, at + 1, SHM_RND) == at);
	stat_line("with a fixed one", id);
	shmdt(at);

	/* Removed while attached: it lives until the last detach. */
	guest_check("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL) == 0);
	stat_line("removed, attached", id);
	guest_check("  its memory still works", strcmp(b + 5000, "written through the first") == 0);
	c = shmat(id, NULL, 0);
	guest_check("  it can even be attached again", c != (char *)-1);
	shmdt(c);
	shmdt(a);
	stat_line("one left", id);
	guest_check("the last detach", shmdt(b) == 0);
	guest_check_err("  destroys it", shmctl(id, IPC_STAT, &ds), EINVAL);
	guest_check_err("shmat of a removed id", (long)shmat(id, NULL, 0) == -1 ? -1 : 0, EINVAL);
}

static void test_ctl(void)
{
	int id = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0400);
	struct shm_info si;
	struct shminfo info;
	struct shmid_ds ds;

	guest_check("IPC_INFO", shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0);
	printf("shmmin %lu shmmni %lu\n", (unsigned long)info.shmmin, (unsigned long)info.shmmni);
	guest_check("SHM_INFO counts our segment",
		    shmctl(0, SHM_INFO, (struct shmid_ds *)&si) >= 0 && si.used_ids >= 1);
	guest_check_err("shmctl of an unknown command", shmctl(id, 999, &ds), EINVAL);
	guest_check_err("shmctl of a negative id", shmctl(-1, IPC_STAT, &ds), EINVAL);
	guest_check_err("IPC_STAT to a bad pointer", shmctl(id, IPC_STAT, (void *)8), EFAULT);
	guest_check_err("shmget of 2^63 bytes", shmget(IPC_PRIVATE, 1ul << 63, IPC_CREAT | 0600),
			EINVAL);

	/* Permissions: root passes them only with CAP_IPC_OWNER. */
	guest_check("drop CAP_IPC_OWNER", ipc_owner_cap(0) == 0);
	guest_check_err("shmat for writing of a 0400 segment",
			(long)shmat(id, NULL, 0) == -1 ? -1 : 0, EACCES);
	char *p = shmat(id, NULL, SHM_RDONLY);
	guest_check("  SHM_RDONLY is allowed", p != (char *)-1);
	shmdt(p);
	guest_check("give the capabilities back", ipc_owner_cap(1) == 0);

	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0640;
	guest_check("IPC_SET", shmctl(id, IPC_SET, &ds) == 0);
	stat_line("after IPC_SET", id);
	shmctl(id, IPC_RMID, NULL);
}

/* A futex word seen through two attachments: one wait, one wake. */
static volatile int *wait_word;

static void *futex_waiter(void *arg)
{
	(void)arg;
	return (void *)syscall(SYS_futex, wait_word, FUTEX_WAIT, 0, NULL, NULL, 0);
}

static void test_futex(void)
{
	int id = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	int *a = shmat(id, NULL, 0), *b = shmat(id, NULL, 0);
	pthread_t t;
	void *ret;
	long woken = 0;

	shmctl(id, IPC_RMID, NULL);
	wait_word = a;
	pthread_create(&t, NULL, futex_waiter, NULL);
	while (!woken) /* until the waiter sleeps on a, wake it through b */
		woken = syscall(SYS_futex, b, FUTEX_WAKE, 1, NULL, NULL, 0);
	pthread_join(t, &ret);
	guest_check("a futex waited on through one attachment wakes through the other",
		    woken == 1 && ret == NULL);
	shmdt(a);
	shmdt(b);
}

int main(void)
{
	test_get();
	test_attach();
	test_ctl();
	test_futex();
	return guest_finish();
}
