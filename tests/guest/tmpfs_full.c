/*
 * Filling /tmp (found by tests/fuzz/sysfuzz, seed 18, call 14249:
 * sendfile from /dev/zero with a count of 2^63 - 1).  monos' tmpfs had no
 * size limit, so one call took every frame of the instance; the program then
 * died at its next signal (its frame could not be built).  Linux's tmpfs
 * holds at most half of RAM by default and says ENOSPC beyond.
 *
 * Natively the copy may complete (a disk /tmp, or a big machine); either
 * way, with the file still there, the program must go on: take a signal,
 * map and touch memory.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

#include "guest.h"

#define FILE_PATH "/tmp/tmpfs_full"
#define COUNT	  (320u << 20) /* more than a default instance's memory */
#define AFTER	  (16u << 20)

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int main(void)
{
	int zero = open("/dev/zero", O_RDONLY);
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ssize_t n, total = 0;
	char *m;

	guest_check("open", zero >= 0 && fd >= 0);
	while (total < COUNT && (n = sendfile(fd, zero, NULL, COUNT - total)) > 0)
		total += n;
	guest_check("sendfile from /dev/zero: all of it, or stopped by ENOSPC",
		    total == COUNT || (total > 0 && errno == ENOSPC));
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	guest_check("a signal delivered afterwards", got == SIGUSR1);
	m = mmap(NULL, AFTER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guest_check("mmap afterwards", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		memset(m, 1, AFTER);
		guest_check("every page of it touched", m[AFTER - 1] == 1);
	}
	guest_check("unlink", unlink(FILE_PATH) == 0);
	close(fd);
	return guest_bad != 0;
}
