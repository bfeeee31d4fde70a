/*
 * sysfuzz's loop (see sysfuzz.h for what it is and how to run it).
 *
 * Each call: generate it from the seed, skip it if the deny-list says it
 * would merely end the fuzzer, arm the watchdog (SIGALRM every 5 ms, so no
 * call blocks for long), make it from a sigsetjmp point, then repair what it
 * did to the fuzzer.  Every signal has a handler: a fault in a pseudo-call
 * (or any fault signal raised by the kernel while a call is under way)
 * siglongjmps back, any other signal is counted.  Every SYSFUZZ_RESET calls
 * the fuzzer puts its world back: descriptors, mappings, the break, timers,
 * files, limits, the working directory, and forks a new twin that only
 * sleeps, so that the calls run on page tables shared with another process
 * (monos's fork shares them until one side changes an entry).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfuzz.h"

#define SYSFUZZ_WATCHDOG_US 5000 /* longest a call may block before SIGALRM */
#define SYSFUZZ_NSIG	    64
#define SYSFUZZ_NOFILE	    1024	/* RLIMIT_NOFILE put back at each reset */
#define SYSFUZZ_TIMERS	    32		/* POSIX timer ids deleted at each reset */
#define SYSFUZZ_STACK_SLACK (1ul << 20) /* below the stack: room to grow */
#define ARCH_GET_FS	    0x1003
#define ARCH_SET_FS	    0x1002
#define SYSFUZZ_SA_RESTORER 0x04000000 /* asm/signal.h */
#define SYSFUZZ_STR2(x)	    #x
#define SYSFUZZ_STR(x)	    SYSFUZZ_STR2(x)

struct sysfuzz sf;

static sigjmp_buf sysfuzz_jb;
static volatile sig_atomic_t sysfuzz_in_call;
static unsigned long sysfuzz_signals, sysfuzz_faults, sysfuzz_denied;
static unsigned long sysfuzz_fs_base;
static uint64_t sysfuzz_brk; /* the program break at start, put back at a reset */
static unsigned long sysfuzz_seed, sysfuzz_n;

void sysfuzz_say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(SYSFUZZ_REPORT, line, n);
}

static long sysfuzz_raw(long nr, const uint64_t *a)
{
	register long r10 __asm__("r10") = (long)a[3];
	register long r8 __asm__("r8") = (long)a[4];
	register long r9 __asm__("r9") = (long)a[5];
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static bool sysfuzz_is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGTRAP || sig == SIGSYS;
}

static void sysfuzz_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!sysfuzz_is_fault(sig) || si->si_code <= 0) {
		sysfuzz_signals++; /* sent, not a fault: nothing to undo */
		return;
	}
	if (sysfuzz_in_call) {
		sysfuzz_in_call = 0;
		sysfuzz_faults++;
		siglongjmp(sysfuzz_jb, sig);
	}
	sysfuzz_say("sysfuzz: seed %lu: call %lu: FAULT outside a call: signal %d at 0x%lx",
		    sysfuzz_seed, sysfuzz_n, sig, (unsigned long)si->si_addr);
	_exit(3);
}

/* The kernel's struct sigaction (asm/signal.h), for signals libc keeps for itself. */
struct sysfuzz_ksigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/* Returns from a handler, as libc's restorer does (SA_RESTORER). */
void sysfuzz_restorer(void);
__asm__(".text\n"
	"sysfuzz_restorer:\n"
	"	mov $" SYSFUZZ_STR(SYS_rt_sigreturn) ", %eax\n"
						     "	syscall\n");

/*
 * Install the handler with rt_sigaction itself: musl's sigaction() refuses
 * the real-time signals it reserves (32-34), and a fuzzed kill could send
 * those as well as any other.
 */
void sysfuzz_handle(int sig)
{
	struct sysfuzz_ksigaction ka = {
		.handler = sysfuzz_handler,
		/* No SA_RESTART: the watchdog must interrupt; NODEFER: we longjmp out. */
		.flags = SA_SIGINFO | SA_NODEFER | SYSFUZZ_SA_RESTORER,
		.restorer = sysfuzz_restorer,
	};
	uint64_t a[6] = { (uint64_t)sig, (uint64_t)(uintptr_t)&ka, 0, sizeof(ka.mask) };

	if (sig < 1 || sig > SYSFUZZ_NSIG || sig == SIGKILL || sig == SIGSTOP)
		return;
	sysfuzz_raw(SYS_rt_sigaction, a);
}

static void sysfuzz_watchdog(void)
{
	/* Periodic, not one-shot: on a loaded host the first SIGALRM can come
	 * before the call has even started to block. */
	struct itimerval t = { { 0, SYSFUZZ_WATCHDOG_US }, { 0, SYSFUZZ_WATCHDOG_US } };

	setitimer(ITIMER_REAL, &t, NULL);
}

/* Whether nothing executable can be at @p: page 0, above user space, or ours. */
static bool sysfuzz_no_code_at(uint64_t p)
{
	uint64_t ro = (uintptr_t)sf.ro, guard = (uintptr_t)sf.guard;

	return p < SYSFUZZ_PAGE || p >= SYSFUZZ_TOP || (p >= ro && p < ro + SYSFUZZ_PAGE) ||
	       (p >= guard && p < guard + SYSFUZZ_PAGE);
}

/* Pseudo-calls: make the CPU fault, from ring 3. */
static long sysfuzz_op(const struct sysfuzz_call *c)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)c->a[0];
	volatile int zero = 0;

	switch (c->nr) {
	case SYSFUZZ_OP_TOUCH:
		if (c->a[1] & 1)
			*p = (uint8_t)c->a[1];
		return *p;
	case SYSFUZZ_OP_JUMP:
		/* Only where no code can be: else the read-only page (NX). */
		if (!sysfuzz_no_code_at(c->a[0]))
			p = sf.ro;
		((void (*)(void))(uintptr_t)p)();
		return 0;
	default:
		switch (c->a[0] % 3) {
		case 0:
			__asm__ volatile("ud2");
			return 0;
		case 1:
			__asm__ volatile("int3");
			return 0;
		default:
			return 1 / zero;
		}
	}
}

/* Make call @c; returns its result, or -1000 - signo if it faulted. */
static long sysfuzz_issue(const struct sysfuzz_call *c)
{
	int sig;
	long ret;

	sysfuzz_watchdog();
	sig = sigsetjmp(sysfuzz_jb, 0);
	if (sig)
		return -1000 - sig;
	sysfuzz_in_call = 1;
	if (c->nr >= SYSFUZZ_OP_TOUCH) {
		ret = sysfuzz_op(c);
	} else {
		ret = sysfuzz_raw(c->nr, c->a);
		/* An accepted FS base (only bad ones are tried) is put back at
		 * once, before any code needs the thread pointer. */
		if (c->nr == SYS_arch_prctl && (int)c->a[0] == ARCH_SET_FS && ret == 0) {
			uint64_t back[6] = { ARCH_SET_FS, sysfuzz_fs_base };

			sysfuzz_raw(SYS_arch_prctl, back);
			sysfuzz_say("ANOMALY: arch_prctl(ARCH_SET_FS, 0x%lx) succeeded",
				    (unsigned long)c->a[1]);
		}
	}
	sysfuzz_in_call = 0;
	return ret;
}

static void sysfuzz_print(unsigned long n, const struct sysfuzz_call *c)
{
	sysfuzz_say("call %lu: %s %ld (0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx)", n, c->name,
		    c->nr, (unsigned long)c->a[0], (unsigned long)c->a[1], (unsigned long)c->a[2],
		    (unsigned long)c->a[3], (unsigned long)c->a[4], (unsigned long)c->a[5]);
}

/* Scratch: [guard][scratch][guard][read-only page][guard]. */
static void sysfuzz_map_scratch(void)
{
	size_t len = SYSFUZZ_SCRATCH + 4 * SYSFUZZ_PAGE;
	uint8_t *m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		sysfuzz_say("sysfuzz: cannot map its scratch area: %s", strerror(errno));
		_exit(2);
	}
	sf.scratch = m + SYSFUZZ_PAGE;
	sf.guard = sf.scratch + SYSFUZZ_SCRATCH;
	sf.ro = sf.guard + SYSFUZZ_PAGE;
	mprotect(sf.scratch, SYSFUZZ_SCRATCH, PROT_READ | PROT_WRITE);
	mprotect(sf.ro, SYSFUZZ_PAGE, PROT_READ);
}

static void sysfuzz_protect(uint64_t lo, uint64_t hi)
{
	if (sf.nprotect < SYSFUZZ_PROTECT && lo < hi)
		sf.protect[sf.nprotect++] = (struct sysfuzz_range){ lo, hi };
}

/*
 * The fuzzer's own memory: every mapping that exists before the first call
 * (program, stack, vDSO, scratch), read from /proc/self/maps, plus room for
 * the stack to grow; and, in case maps says nothing, the program's image and
 * the stack around the current frame.
 */
static void sysfuzz_find_self(void)
{
	extern char __executable_start[], _end[];
	static char maps[16384];
	uint64_t sp = (uintptr_t)&sp, lo, hi;
	int fd = open("/proc/self/maps", O_RDONLY), n = 0, r;
	char *p = maps;

	while (fd >= 0 && n < (int)sizeof(maps) - 1 &&
	       (r = read(fd, maps + n, sizeof(maps) - 1 - n)) > 0)
		n += r;
	if (fd >= 0)
		close(fd);
	maps[n] = '\0';
	while (p && sscanf(p, "%lx-%lx", (unsigned long *)&lo, (unsigned long *)&hi) == 2) {
		sysfuzz_protect(strstr(p, "[stack]") < strchr(p, '\n') && strstr(p, "[stack]")
					? lo - SYSFUZZ_STACK_SLACK
					: lo,
				hi);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	sysfuzz_protect((uintptr_t)__executable_start, (uintptr_t)_end + SYSFUZZ_PAGE);
	sysfuzz_protect((sp & ~(SYSFUZZ_PAGE - 1)) - SYSFUZZ_STACK_SLACK, sp + SYSFUZZ_STACK_SLACK);
	sysfuzz_protect((uintptr_t)sf.scratch - SYSFUZZ_PAGE, (uintptr_t)sf.ro + 2 * SYSFUZZ_PAGE);
}

/* One descriptor of each kind the kernel has, for the calls to work on. */
static void sysfuzz_open_pool(void)
{
	int *p = sf.pool, i = 0;

	p[i++] = open("/dev/null", O_RDWR);
	p[i++] = open("/dev/zero", O_RDWR);
	p[i++] = open(SYSFUZZ_DIR "/a", O_RDWR | O_CREAT, 0644);
	p[i++] = open(SYSFUZZ_DIR, O_RDONLY | O_DIRECTORY);
	if (pipe(p + i) < 0)
		p[i] = p[i + 1] = -1;
	i += 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p + i) < 0)
		p[i] = p[i + 1] = -1;
	i += 2;
	p[i++] = eventfd(0, 0);
	p[i++] = timerfd_create(CLOCK_MONOTONIC, 0);
	p[i++] = epoll_create1(0);
	p[i++] = socket(AF_INET, SOCK_STREAM, 0);
	p[i++] = socket(AF_INET, SOCK_DGRAM, 0);
	p[i++] = socket(AF_INET6, SOCK_STREAM, 0);
	p[i++] = socket(AF_UNIX, SOCK_DGRAM, 0);
	p[i++] = socket(AF_NETLINK, SOCK_RAW, 0);
	p[i++] = open("/proc/self/status", O_RDONLY);
	p[i++] = open("/dev/urandom", O_RDONLY);
	p[i++] = (int)syscall(SYS_memfd_create, "sysfuzz", 0);
	p[i++] = open("/etc/passwd", O_RDONLY);
	p[i++] = 0;
	p[i++] = 1;
	p[i++] = 2;
	while (i < SYSFUZZ_POOL)
		p[i++] = -1;
}

static void sysfuzz_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sf.pool[SYSFUZZ_POOL - 1] = signalfd(-1, &set, 0);
}

/*
 * Calls may have replaced a name outside SYSFUZZ_DIR (/dev/zero, say) by a
 * file and grown it: empty every regular file the names reach, or the
 * instance runs out of memory over many resets.
 */
static void sysfuzz_empty_files(void)
{
	struct stat st;

	for (size_t i = 0; i < gen_npaths; i++)
		if (lstat(gen_paths[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size)
			truncate(gen_paths[i], 0);
}

static pid_t sysfuzz_twin;

/* End the last twin (if the calls have not already reaped it) and fork a
 * new one: a child that sleeps with every signal blocked until SIGKILL, so
 * it never runs the fuzzer's code, and dies with the fuzzer. */
static void sysfuzz_fork_twin(void)
{
	sigset_t all;

	if (sysfuzz_twin > 0) {
		kill(sysfuzz_twin, SIGKILL);
		waitpid(sysfuzz_twin, NULL, 0);
	}
	sysfuzz_twin = fork();
	if (sysfuzz_twin)
		return;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

/* Undo what the last SYSFUZZ_RESET calls did to the fuzzer's world. */
static void sysfuzz_reset(void)
{
	static const char *const files[] = { "a/", "b", "l", "s", "d/e", "d", "a" };
	struct rlimit nofile = { SYSFUZZ_NOFILE, SYSFUZZ_NOFILE };
	sigset_t none;

	for (int fd = 3; fd < SYSFUZZ_FD_MAX; fd++)
		if (fd != SYSFUZZ_REPORT)
			close(fd);
	for (unsigned i = 0; i < sf.narena; i++)
		munmap((void *)(uintptr_t)sf.arena[i].lo, sf.arena[i].hi - sf.arena[i].lo);
	sf.narena = 0;
	for (long t = 0; t < SYSFUZZ_TIMERS; t++)
		syscall(SYS_timer_delete, t);
	for (int sig = 1; sig <= SYSFUZZ_NSIG; sig++)
		sysfuzz_handle(sig);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setrlimit(RLIMIT_NOFILE, &nofile);
	munlockall();
	syscall(SYS_brk, sysfuzz_brk); /* brk(huge) under mlockall would stay resident */
	umask(022);
	mkdir(SYSFUZZ_DIR, 0755);
	chmod(SYSFUZZ_DIR, 0755);
	chdir(SYSFUZZ_DIR);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		unlink(files[i]);
		rmdir(files[i]);
	}
	sysfuzz_empty_files();
	mkdir("d", 0755);
	symlink("a", "l");
	sysfuzz_open_pool();
	sysfuzz_signalfd();
	sysfuzz_fork_twin();
}

static void sysfuzz_setup(void)
{
	int null;

	if (dup2(1, SYSFUZZ_REPORT) < 0)
		_exit(2);
	/* The calls write noise to fds 1 and 2: let it go nowhere. */
	null = open("/dev/null", O_RDWR);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	sf.self_pid = getpid();
	syscall(SYS_arch_prctl, ARCH_GET_FS, &sysfuzz_fs_base);
	sysfuzz_brk = (uint64_t)syscall(SYS_brk, 0);
	sysfuzz_map_scratch();
	sysfuzz_find_self();
	sysfuzz_reset();
}

/*
 * The fuzzer's data must survive every call: the call counter, kept both in
 * .bss and on the stack, tells when a call (the kernel) changed it.
 */
static void sysfuzz_check(const struct sysfuzz_call *c, unsigned long n, long ret)
{
	if (sysfuzz_n == n)
		return;
	sysfuzz_say("sysfuzz: call %lu: ANOMALY: the fuzzer's own memory changed (counter %lu)", n,
		    sysfuzz_n);
	sysfuzz_print(n, c);
	sysfuzz_say("  = %ld", ret);
	_exit(4);
}

static unsigned long sysfuzz_number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "sysfuzz: %s: not a number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long calls, from;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: sysfuzz SEED CALLS [FROM]\n");
		return 2;
	}
	sysfuzz_seed = sysfuzz_number(argv[1]);
	calls = sysfuzz_number(argv[2]);
	from = argc == 4 ? sysfuzz_number(argv[3]) : 0;
	sf.rng = sysfuzz_seed;
	sysfuzz_setup();
	sysfuzz_say("sysfuzz: seed %lu: %lu calls", sysfuzz_seed, calls);
	for (unsigned long n = sysfuzz_n = 1; n <= calls; n = ++sysfuzz_n) {
		struct sysfuzz_call c;
		long ret;

		if (sysfuzz_n % SYSFUZZ_RESET == 0)
			sysfuzz_reset();
		for (;;) {
			calls_generate(&c);
			if (!calls_denied(&c))
				break;
			sysfuzz_denied++;
		}
		calls_before(&c);
		if (from && sysfuzz_n >= from)
			sysfuzz_print(sysfuzz_n, &c);
		ret = sysfuzz_issue(&c);
		sysfuzz_check(&c, n, ret);
		calls_after(&c, ret);
		if (from && sysfuzz_n >= from)
			sysfuzz_say("  = %ld", ret);
		if (sysfuzz_n % SYSFUZZ_PROGRESS == 0)
			sysfuzz_say("sysfuzz: seed %lu: call %lu", sysfuzz_seed, sysfuzz_n);
	}
	sysfuzz_say("sysfuzz: seed %lu: done: %lu calls, %lu denied, %lu faults, %lu signals",
		    sysfuzz_seed, calls, sysfuzz_denied, sysfuzz_faults, sysfuzz_signals);
	return 0;
}
