/*
 * Guest test, area the Go runtime's Linux: what a static Go program does
 * through raw system calls before and while it runs goroutines, reduced to
 * C so a failure names the kernel piece (tests/apps/go.sh runs real Go).
 *   - the files it reads at start: the huge page size under /sys and the
 *     listen backlog limit under /proc/sys;
 *   - its heap: a PROT_NONE reservation at a hinted address, committed in
 *     place with MAP_FIXED, given back with MADV_DONTNEED (zeroes after);
 *   - asynchronous preemption: SIGURG sent with tgkill to a thread that
 *     spins in user mode without system calls, handled on that thread's
 *     sigaltstack; the handler rewrites the interrupted context (pushes the
 *     old RIP and points RIP at an injected function, as Go's
 *     asyncPreempt does) and sigreturn must resume there;
 *   - the netpoller's wake-up: epoll_pwait blocked on a pipe or an eventfd
 *     that another thread writes (netpollBreak).
 */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define ARENA_HINT  0xc000000000ul /* Go's first heap arena hint on amd64 */
#define ARENA_SIZE  (64ul << 20)
#define COMMIT_SIZE (1ul << 20)
#define PREEMPTS    20
#define WAIT_MS	    5000 /* give up on a signal after this long */

/* Print a small file's first line, or its errno name. */
static void show_file(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n < 0) {
		printf("%s: %s\n", path, guest_errname(errno));
		guest_bad++;
	} else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		/* somaxconn is a setting: print whether it is sane, not its value */
		if (strstr(path, "somaxconn"))
			printf("%s: at least 128: %s\n", path, atol(buf) >= 128 ? "yes" : "no");
		else
			printf("%s: %s\n", path, buf);
	}
	if (fd >= 0)
		close(fd);
}

static void startup_files(void)
{
	cpu_set_t set;

	show_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	show_file("/proc/sys/net/core/somaxconn");
	CPU_ZERO(&set);
	guest_check("sched_getaffinity: at least one CPU",
		    sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1);
}

/* Go reserves address space first and commits pieces of it later. */
static void heap(void)
{
	char *p =
		mmap((void *)ARENA_HINT, ARENA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *c;

	guest_check("mmap PROT_NONE at the arena hint lands on the hint", p == (void *)ARENA_HINT);
	if (p == MAP_FAILED)
		return;
	c = mmap(p + COMMIT_SIZE, COMMIT_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	guest_check("MAP_FIXED commit inside the reservation", c == p + COMMIT_SIZE);
	if (c == MAP_FAILED)
		return;
	memset(c, 0x5a, COMMIT_SIZE);
	guest_check("madvise MADV_DONTNEED", madvise(c, COMMIT_SIZE / 2, MADV_DONTNEED) == 0);
	guest_check("pages given back read as zero, the rest kept",
		    c[0] == 0 && c[COMMIT_SIZE / 2 - 1] == 0 && c[COMMIT_SIZE / 2] == 0x5a);
	guest_check("munmap the reservation", munmap(p, ARENA_SIZE) == 0);
}

/* ------------------------------------------------------------- preemption */
static atomic_int stop, injected, on_altstack, handled;
static atomic_long spins;
static pid_t spinner_tid;
static char altstack[65536];

/*
 * The function the handler makes the spinner "call": it touches memory and
 * flags only, saves the flags (the spin loop may be between a compare and
 * its jump), and returns to the interrupted instruction.
 */
void goruntime_injected(void);
__asm__(".text\n"
	".globl goruntime_injected\n"
	"goruntime_injected:\n"
	"	pushfq\n"
	"	lock incl injected(%rip)\n"
	"	popfq\n"
	"	ret\n");

static void urg_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	stack_t ss;
	char here;

	(void)sig;
	(void)si;
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) && &here >= altstack &&
	    &here < altstack + sizeof(altstack))
		atomic_fetch_add(&on_altstack, 1);
	atomic_fetch_add(&handled, 1);
	/* Push the interrupted RIP as a return address and resume at the
	 * injected function, as Go's preemption does. */
	g[REG_RSP] -= 8;
	*(greg_t *)g[REG_RSP] = g[REG_RIP];
	g[REG_RIP] = (greg_t)goruntime_injected;
}

/* No locals, no calls: a loop a red zone or a syscall cannot hide in. */
static void *spinner(void *arg)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	(void)arg;
	sigaltstack(&ss, NULL);
	spinner_tid = (pid_t)syscall(SYS_gettid);
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		atomic_fetch_add_explicit(&spins, 1, memory_order_relaxed);
	return NULL;
}

/* Wait up to WAIT_MS for *v to reach `want`, sleeping 1 ms at a time. */
static int wait_for(atomic_int *v, int want)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < WAIT_MS && atomic_load(v) < want; i++)
		nanosleep(&ms, NULL);
	return atomic_load(v) >= want;
}

static void preemption(void)
{
	struct sigaction sa = { .sa_sigaction = urg_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART };
	pthread_t t;
	int i;
	long before;

	sigfillset(&sa.sa_mask);
	sigaction(SIGURG, &sa, NULL);
	pthread_create(&t, NULL, spinner, NULL);
	while (!__atomic_load_n(&spinner_tid, __ATOMIC_SEQ_CST) || atomic_load(&spins) == 0)
		sched_yield();
	for (i = 0; i < PREEMPTS; i++) {
		syscall(SYS_tgkill, getpid(), spinner_tid, SIGURG);
		if (!wait_for(&injected, i + 1))
			break;
	}
	printf("preempt: %d signals sent, %d handled, %d on the altstack, %d injected calls\n", i,
	       atomic_load(&handled), atomic_load(&on_altstack), atomic_load(&injected));
	before = atomic_load(&spins);
	for (i = 0; i < WAIT_MS && atomic_load(&spins) == before; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	guest_check("preempt: the spinner kept running after the injected calls",
		    atomic_load(&spins) != before);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
}

/* ---------------------------------------------------------------- netpoll */
static int break_fd;

/* Wake the poller as netpollBreak does: one write, 8 bytes for an eventfd. */
static void *breaker(void *arg)
{
	struct timespec ms20 = { 0, 20000000 };
	uint64_t one = 1;

	(void)arg;
	nanosleep(&ms20, NULL);
	return (void *)(long)write(break_fd, &one, sizeof(one));
}

/* epoll_pwait blocks on `rfd` until another thread writes `wfd`: Go 1.19
 * wakes its netpoller through a pipe, Go 1.21 and later through an eventfd. */
static void netpoll(const char *kind, int rfd, int wfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), n;
	pthread_t t;

	if (rfd < 0 || ep < 0) {
		printf("netpoll %s: %s\n", kind, guest_errname(errno));
		guest_bad++;
		return;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
	n = epoll_pwait(ep, out, 4, 0, NULL);
	printf("netpoll %s: idle poll returns %d\n", kind, n);
	break_fd = wfd;
	pthread_create(&t, NULL, breaker, NULL);
	n = epoll_pwait(ep, out, 4, WAIT_MS, NULL);
	printf("netpoll %s: woken with %d event(s), data %lu, EPOLLIN %s\n", kind, n,
	       n > 0 ? (unsigned long)out[0].data.u64 : 0ul,
	       n > 0 && (out[0].events & EPOLLIN) ? "yes" : "no");
	pthread_join(t, NULL);
	close(ep);
}

static void netpolls(void)
{
	int p[2] = { -1, -1 }, efd;

	pipe2(p, O_NONBLOCK | O_CLOEXEC);
	netpoll("pipe2", p[0], p[1]);
	close(p[0]);
	close(p[1]);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	netpoll("eventfd", efd, efd);
	close(efd);
}

int main(void)
{
	startup_files();
	heap();
	preemption();
	netpolls();
	return guest_finish();
}
