/*
 * An fallocate bigger than memory on a /tmp file (found by
 * tests/fuzz/sysfuzz, seed 4, call 7039: fallocate(fd, 0, 0x40, 2 GiB)).
 * monos' tmpfs allocated page after page until no frame was left, returned
 * ENOSPC and kept them all: the program then died at its next page fault or
 * signal.  Linux refuses what does not fit without keeping any of it.
 *
 * Natively the call may succeed (a disk /tmp, or a large tmpfs); either way
 * the file is removed and the program must go on using memory afterwards.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest.h"

#define FILE_PATH "/tmp/tmpfs_fallocate"
#define HUGE	  (1ull << 30) /* 1 GiB: more than a default instance has */
#define AFTER	  (32u << 20)  /* memory used afterwards */

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int main(void)
{
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	long r;
	char *m;

	guest_check("open", fd >= 0);
	r = syscall(SYS_fallocate, fd, 0, 0x40, HUGE);
	guest_check("fallocate 1 GiB: done or ENOSPC", r == 0 || errno == ENOSPC);
	guest_check("unlink", unlink(FILE_PATH) == 0);
	close(fd);
	m = mmap(NULL, AFTER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guest_check("mmap 32 MiB afterwards", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		memset(m, 1, AFTER);
		guest_check("every page of it touched", m[AFTER - 1] == 1);
	}
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	guest_check("a signal delivered afterwards", got == SIGUSR1);
	return guest_bad != 0;
}
