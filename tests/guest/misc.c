/*
 * Guest test, area misc: process identity, uname, getrandom, resource
 * limits, affinity, sysinfo, terminal ioctls on a non-terminal, arch_prctl,
 * set_tid_address, set_robust_list, signal dispositions and masks (no
 * delivery), an unknown syscall, the auxiliary vector, the initial stack
 * layout, and argv/envp exactly as given.
 *
 * Natively the runner starts this with `env -i K=V ...` and in monos with
 * `-e K=V`, so the environment printed must match byte for byte.  Ids, pids
 * and sizes of the machine are not printed, only relations between them.
 */
#include "guest.h"

#include <elf.h>
#include <signal.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <termios.h>

/* arch_prctl codes (Linux arch/x86/include/uapi/asm/prctl.h). */
#define GUEST_ARCH_SET_FS 0x1002
#define GUEST_ARCH_GET_FS 0x1003
#define GUEST_SIGSET_SIZE 8 /* the kernel's sigset_t: 64 signals */
#define UNKNOWN_SYSCALL	  500

/* The ELF header of this program, provided by the linker. */
extern const Elf64_Ehdr __ehdr_start;

static void misc_ids(void)
{
	long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);

	guest_check("getpid > 0", pid > 0);
	guest_check("gettid == getpid", tid == pid);
	guest_check("getppid >= 0", syscall(SYS_getppid) >= 0);
	guest_check("set_tid_address returns the tid",
		    syscall(SYS_set_tid_address, &(int){0}) == tid);
	guest_check("uid == euid", syscall(SYS_getuid) == syscall(SYS_geteuid));
	guest_check("gid == egid", syscall(SYS_getgid) == syscall(SYS_getegid));
	guest_check("AT_UID/AT_EUID match", getauxval(AT_UID) == (unsigned long)getuid() &&
						getauxval(AT_EUID) == (unsigned long)geteuid());
	guest_check("AT_GID/AT_EGID match", getauxval(AT_GID) == (unsigned long)getgid() &&
						getauxval(AT_EGID) == (unsigned long)getegid());
}

static void misc_uname_random(void)
{
	struct utsname u;
	unsigned char buf[64];
	int nonzero = 0;

	guest_check("uname", syscall(SYS_uname, &u) == 0);
	printf("uname: sysname %s, machine %s\n", u.sysname, u.machine);
	guest_check("getrandom 64 bytes", syscall(SYS_getrandom, buf, 64, 0) == 64);
	for (int i = 0; i < 64; i++)
		nonzero |= buf[i];
	guest_check("random bytes are not all zero", nonzero);
	guest_check("getrandom GRND_NONBLOCK",
		    syscall(SYS_getrandom, buf, 64, GRND_NONBLOCK) == 64);
	guest_check_err("getrandom bad flags", syscall(SYS_getrandom, buf, 8, 0x1000), EINVAL);
	guest_check_err("getrandom bad pointer", syscall(SYS_getrandom, (void *)1, 8, 0), EFAULT);
}

static void misc_limits(void)
{
	struct rlimit st, nf, pl;
	cpu_set_t set;
	struct sysinfo si;
	long n;

	guest_check("getrlimit RLIMIT_STACK", getrlimit(RLIMIT_STACK, &st) == 0);
	guest_check("stack soft <= hard", st.rlim_cur <= st.rlim_max);
	guest_check("getrlimit RLIMIT_NOFILE", getrlimit(RLIMIT_NOFILE, &nf) == 0);
	guest_check("nofile soft <= hard", nf.rlim_cur <= nf.rlim_max);
	n = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &pl);
	guest_check("prlimit64 read agrees with getrlimit",
		    n == 0 && pl.rlim_cur == nf.rlim_cur && pl.rlim_max == nf.rlim_max);
	n = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &pl, NULL);
	guest_check("prlimit64 set to the same values", n == 0);
	guest_check_err("prlimit64 bad resource", syscall(SYS_prlimit64, 0, 999, NULL, &pl),
			EINVAL);

	CPU_ZERO(&set);
	n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	guest_check("sched_getaffinity returns a size", n > 0 && n <= (long)sizeof(set));
	guest_check("at least one CPU", CPU_COUNT(&set) >= 1);
	guest_check("sched_yield", syscall(SYS_sched_yield) == 0);
	guest_check("sysinfo", syscall(SYS_sysinfo, &si) == 0);
	guest_check("totalram > 0, uptime >= 0", si.totalram > 0 && (long)si.uptime >= 0);
	guest_check("freeram <= totalram", si.freeram <= si.totalram && si.mem_unit >= 1);
}

/* stdout is a file or a pipe in both runs: terminal ioctls must fail. */
static void misc_tty(void)
{
	struct termios t;
	struct winsize ws;

	guest_check_err("TCGETS on fd 1", syscall(SYS_ioctl, 1, TCGETS, &t), ENOTTY);
	guest_check_err("TIOCGWINSZ on fd 1", syscall(SYS_ioctl, 1, TIOCGWINSZ, &ws), ENOTTY);
	guest_check("isatty(1) is false", !isatty(1));
	guest_check_err("ioctl on a bad fd", syscall(SYS_ioctl, 99, TCGETS, &t), EBADF);
}

/* The thread pointer: %fs:0 holds its own address in both libcs' TLS. */
static unsigned long misc_fs0(void)
{
	unsigned long v;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

/* A raw arch_prctl that touches no TLS (errno lives there). */
static long misc_arch_prctl(long code, unsigned long arg)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_arch_prctl), "D"(code), "S"(arg)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ARCH_GET_FS is the TLS pointer; ARCH_SET_FS moves it and back. */
static void misc_fs(void)
{
	static unsigned long block[8];
	unsigned long old = 0, now = 0, seen, back;
	long r1, r2, r3;

	r1 = misc_arch_prctl(GUEST_ARCH_GET_FS, (unsigned long)&old);
	block[0] = (unsigned long)block;
	r2 = misc_arch_prctl(GUEST_ARCH_SET_FS, (unsigned long)block);
	/* No libc call until FS is restored: errno and stdio use TLS. */
	seen = misc_fs0();
	misc_arch_prctl(GUEST_ARCH_GET_FS, (unsigned long)&now);
	r3 = misc_arch_prctl(GUEST_ARCH_SET_FS, old);
	back = misc_fs0();
	guest_check("ARCH_GET_FS equals the TLS pointer", r1 == 0 && old == back && old != 0);
	guest_check("ARCH_SET_FS to a new block",
		    r2 == 0 && seen == (unsigned long)block && now == (unsigned long)block);
	guest_check("ARCH_SET_FS back", r3 == 0);
	guest_check("arch_prctl bad code", misc_arch_prctl(0x9999, 0) == -EINVAL);
}

static void misc_handler(int sig)
{
	(void)sig;
}

static void misc_signals(void)
{
	struct sigaction sa = {0}, got;
	sigset_t set, old, now;
	unsigned long raw[2] = {0};

	sa.sa_handler = misc_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	guest_check("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, NULL) == 0);
	guest_check("read back", sigaction(SIGUSR1, NULL, &got) == 0);
	guest_check("handler kept", got.sa_handler == misc_handler);
	guest_check("SA_RESTART kept", (got.sa_flags & SA_RESTART) != 0);
	guest_check("sa_mask kept", sigismember(&got.sa_mask, SIGUSR2) == 1 &&
					sigismember(&got.sa_mask, SIGINT) == 0);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	guest_check_err("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL), EINVAL);
	guest_check_err("rt_sigaction bad sigsetsize",
			syscall(SYS_rt_sigaction, SIGUSR1, NULL, raw, 4), EINVAL);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	guest_check("sigprocmask block", sigprocmask(SIG_BLOCK, &set, &old) == 0);
	guest_check("nothing was blocked before", sigismember(&old, SIGUSR1) == 0);
	sigprocmask(SIG_SETMASK, NULL, &now);
	guest_check("mask reads back", sigismember(&now, SIGUSR1) && sigismember(&now, SIGTERM) &&
					   !sigismember(&now, SIGUSR2));
	/* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them silently. */
	raw[0] = 1ul << (SIGKILL - 1) | 1ul << (SIGSTOP - 1);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, raw, NULL, GUEST_SIGSET_SIZE);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, raw, GUEST_SIGSET_SIZE);
	guest_check("SIGKILL/SIGSTOP not blockable", raw[0] == 0);
	guest_check_err("rt_sigprocmask bad how",
			syscall(SYS_rt_sigprocmask, 99, raw, NULL, GUEST_SIGSET_SIZE), EINVAL);
	guest_check_err("rt_sigprocmask bad sigsetsize",
			syscall(SYS_rt_sigprocmask, SIG_BLOCK, raw, NULL, 4), EINVAL);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void misc_syscalls(void)
{
	struct {
		void *next;
		long offset;
		void *pending;
	} head = {&head, 0, NULL};

	guest_check("set_robust_list", syscall(SYS_set_robust_list, &head, sizeof(head)) == 0);
	guest_check_err("set_robust_list bad length", syscall(SYS_set_robust_list, &head, 1),
			EINVAL);
	guest_check_err("unknown syscall 500", syscall(UNKNOWN_SYSCALL), ENOSYS);
}

/* The auxiliary vector, checked against this program's own ELF header. */
static void misc_auxv(void)
{
	const Elf64_Ehdr *eh = &__ehdr_start;
	unsigned long base = eh->e_type == ET_DYN ? (unsigned long)eh : 0;
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const char *platform = (const char *)getauxval(AT_PLATFORM);

	guest_check("AT_PAGESZ == 4096", getauxval(AT_PAGESZ) == 4096);
	guest_check("AT_RANDOM non-NULL", getauxval(AT_RANDOM) != 0);
	guest_check("AT_HWCAP nonzero", getauxval(AT_HWCAP) != 0);
	guest_check("AT_CLKTCK == 100", getauxval(AT_CLKTCK) == 100);
	guest_check("AT_SECURE == 0", getauxval(AT_SECURE) == 0);
	guest_check("AT_BASE == 0 (no interpreter)", getauxval(AT_BASE) == 0);
	guest_check("AT_PHDR is our program headers",
		    getauxval(AT_PHDR) == (unsigned long)eh + eh->e_phoff);
	guest_check("AT_PHNUM == e_phnum", getauxval(AT_PHNUM) == eh->e_phnum);
	guest_check("AT_PHENT == sizeof(Elf64_Phdr)", getauxval(AT_PHENT) == sizeof(Elf64_Phdr));
	guest_check("AT_ENTRY == e_entry (+ load base)", getauxval(AT_ENTRY) == base + eh->e_entry);
	printf("ELF type: %s\n", eh->e_type == ET_DYN ? "ET_DYN" : "ET_EXEC");
	printf("AT_EXECFN ends in: %s\n", execfn ? guest_basename(execfn) : "(null)");
	printf("AT_PLATFORM: %s\n", platform ? platform : "(null)");
}

/* The initial stack: argc, argv[], NULL, envp[], NULL, auxv (x86-64 psABI 3.4.1). */
static void misc_stack(int argc, char **argv, char **envp)
{
	guest_check("argv % 16 == 8 (argc at a 16-byte aligned rsp)", (uintptr_t)argv % 16 == 8);
	guest_check("argv[argc] == NULL", argv[argc] == NULL);
	guest_check("envp follows argv", envp == argv + argc + 1);
	printf("argc: %d\n", argc);
	printf("argv[0] ends in: %s\n", guest_basename(argv[0]));
	for (int i = 1; i < argc; i++)
		printf("argv[%d]: \"%s\"\n", i, argv[i]);
	for (char **e = envp; *e; e++)
		printf("env: \"%s\"\n", *e);
}

int main(int argc, char **argv, char **envp)
{
	misc_stack(argc, argv, envp);
	misc_ids();
	misc_uname_random();
	misc_limits();
	misc_tty();
	misc_fs();
	misc_signals();
	misc_syscalls();
	misc_auxv();
	return guest_finish();
}
