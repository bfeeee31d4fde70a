/*
 * sysfuzz's calls: which system calls it makes, the kind of each argument,
 * the deny-list of calls and argument patterns that would merely end the
 * fuzzer (each with its reason), and the repairs made after a call that
 * changed the fuzzer's own state (signal handlers, mask, FS base).
 *
 * Argument kinds, one letter each (generators in sysfuzz_gen.c):
 *   x anything   f fd         p pointer    l length     s path
 *   E path that cannot be executed         i flags      n number
 *   a address for mm calls   z length for mm calls      g signal
 *   m sigset pointer         e sigset size d pid        c clock id
 *   t timespec pointer       v iovec array k count      S sockaddr
 *   L sockaddr length        M msghdr     A argv array  I ioctl request
 *   C fcntl command          r rlimit resource         P mmap prot
 *   F mmap flags
 * Most calls come from the table; some are any number with any arguments.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sysfuzz.h"

#define CALLS_MAX_NR		  460	     /* above the highest x86-64 syscall number */
#define CALLS_X32_BIT		  0x40000000 /* __X32_SYSCALL_BIT */
#define CALLS_ARCH_SET_GS	  0x1001     /* asm/prctl.h */
#define CALLS_ARCH_SET_FS	  0x1002
#define CALLS_ARCH_GET_FS	  0x1003
#define CALLS_PR_SET_SECCOMP	  22	      /* linux/prctl.h */
#define CALLS_REBOOT_MAGIC1	  0xfee1deadu /* linux/reboot.h */
#define CALLS_AT_EMPTY_PATH	  0x1000
#define CALLS_F_SETSIG		  10 /* asm-generic/fcntl.h */
#define CALLS_RLIMIT_CPU	  0  /* asm-generic/resource.h */
#define CALLS_RLIMIT_RTTIME	  15
#define CALLS_MAP_FIXED_NOREPLACE 0x100000
#define CALLS_MREMAP_FIXED	  2
#define CALLS_SHM_REMAP		  040000

struct calls_entry {
	long nr;
	const char *name;
	const char *args;
};

#define C(n, a)                                                                                    \
	{                                                                                          \
		SYS_##n, #n, a                                                                     \
	}
static const struct calls_entry calls_table[] = {
	C(read, "fpl"),
	C(write, "fpl"),
	C(open, "sii"),
	C(close, "f"),
	C(stat, "sp"),
	C(fstat, "fp"),
	C(lstat, "sp"),
	C(poll, "pkn"),
	C(lseek, "fnk"),
	C(mmap, "azPFfn"),
	C(mprotect, "azi"),
	C(munmap, "az"),
	C(brk, "a"),
	C(rt_sigaction, "gppe"),
	C(rt_sigprocmask, "kmpe"),
	C(rt_sigreturn, ""),
	C(ioctl, "fIp"),
	C(pread64, "fpln"),
	C(pwrite64, "fpln"),
	C(readv, "fvk"),
	C(writev, "fvk"),
	C(access, "si"),
	C(pipe, "p"),
	C(select, "kpppt"),
	C(sched_yield, ""),
	C(mremap, "azzia"),
	C(msync, "azi"),
	C(mincore, "azp"),
	C(madvise, "azn"),
	C(dup, "f"),
	C(dup2, "ff"),
	C(pause, ""),
	C(nanosleep, "tp"),
	C(getitimer, "kp"),
	C(alarm, "n"),
	C(setitimer, "ktp"),
	C(getpid, ""),
	C(sendfile, "ffpl"),
	C(socket, "nii"),
	C(connect, "fSL"),
	C(accept, "fpp"),
	C(sendto, "fpliSL"),
	C(recvfrom, "fplipp"),
	C(sendmsg, "fMi"),
	C(recvmsg, "fMi"),
	C(shutdown, "fk"),
	C(bind, "fSL"),
	C(listen, "fn"),
	C(getsockname, "fpp"),
	C(getpeername, "fpp"),
	C(socketpair, "niip"),
	C(setsockopt, "fnnpL"),
	C(getsockopt, "fnnpp"),
	C(clone, "ippp"),
	C(fork, ""),
	C(vfork, ""),
	C(execve, "EAA"),
	C(exit, "n"),
	C(wait4, "dpip"),
	C(kill, "dg"),
	C(uname, "p"),
	C(fcntl, "fCx"),
	C(flock, "fi"),
	C(fsync, "f"),
	C(fdatasync, "f"),
	C(truncate, "sl"),
	C(ftruncate, "fl"),
	C(getdents64, "fpl"),
	C(getcwd, "pl"),
	C(chdir, "s"),
	C(fchdir, "f"),
	C(rename, "ss"),
	C(mkdir, "si"),
	C(rmdir, "s"),
	C(creat, "si"),
	C(link, "ss"),
	C(unlink, "s"),
	C(symlink, "ss"),
	C(readlink, "spl"),
	C(chmod, "si"),
	C(fchmod, "fi"),
	C(chown, "snn"),
	C(fchown, "fnn"),
	C(lchown, "snn"),
	C(umask, "i"),
	C(gettimeofday, "pp"),
	C(getrlimit, "rp"),
	C(getrusage, "np"),
	C(sysinfo, "p"),
	C(times, "p"),
	C(getuid, ""),
	C(setuid, "n"),
	C(setgid, "n"),
	C(setreuid, "nn"),
	C(setresuid, "nnn"),
	C(getresuid, "ppp"),
	C(getgroups, "kp"),
	C(setgroups, "kp"),
	C(setpgid, "dd"),
	C(getpgid, "d"),
	C(getsid, "d"),
	C(setsid, ""),
	C(capget, "pp"),
	C(capset, "pp"),
	C(rt_sigpending, "pe"),
	C(rt_sigtimedwait, "mpte"),
	C(rt_sigqueueinfo, "dgp"),
	C(rt_sigsuspend, "me"),
	C(sigaltstack, "pp"),
	C(utime, "sp"),
	C(mknod, "sin"),
	C(personality, "i"),
	C(statfs, "sp"),
	C(fstatfs, "fp"),
	C(getpriority, "nd"),
	C(setpriority, "ndn"),
	C(sched_setparam, "dp"),
	C(sched_getparam, "dp"),
	C(sched_setscheduler, "dnp"),
	C(sched_getscheduler, "d"),
	C(sched_get_priority_max, "n"),
	C(sched_rr_get_interval, "dp"),
	C(mlock, "az"),
	C(munlock, "az"),
	C(mlockall, "i"),
	C(munlockall, ""),
	C(prctl, "nxxxx"),
	C(arch_prctl, "nx"),
	C(setrlimit, "rp"),
	C(chroot, "s"),
	C(sync, ""),
	C(settimeofday, "pp"),
	C(gettid, ""),
	C(setxattr, "sspli"),
	C(getxattr, "sspl"),
	C(listxattr, "spl"),
	C(removexattr, "ss"),
	C(fgetxattr, "fspl"),
	C(tkill, "dg"),
	C(time, "p"),
	C(futex, "pinppn"),
	C(sched_setaffinity, "dlp"),
	C(sched_getaffinity, "dlp"),
	C(getdents, "fpl"),
	C(set_tid_address, "p"),
	C(fadvise64, "fnli"),
	C(timer_create, "cpp"),
	C(timer_settime, "nitp"),
	C(timer_gettime, "np"),
	C(timer_getoverrun, "n"),
	C(timer_delete, "n"),
	C(clock_settime, "ct"),
	C(clock_gettime, "cp"),
	C(clock_getres, "cp"),
	C(clock_nanosleep, "citp"),
	C(exit_group, "n"),
	C(epoll_wait, "fpkn"),
	C(epoll_ctl, "fkfp"),
	C(tgkill, "ddg"),
	C(utimes, "sp"),
	C(waitid, "ndpip"),
	C(openat, "fsii"),
	C(mkdirat, "fsi"),
	C(newfstatat, "fspi"),
	C(unlinkat, "fsi"),
	C(renameat, "fsfs"),
	C(linkat, "fsfsi"),
	C(symlinkat, "sfs"),
	C(readlinkat, "fspl"),
	C(fchmodat, "fsi"),
	C(faccessat, "fsi"),
	C(pselect6, "kppptp"),
	C(ppoll, "pktme"),
	C(set_robust_list, "pl"),
	C(get_robust_list, "dpp"),
	C(splice, "fpfpli"),
	C(tee, "ffli"),
	C(vmsplice, "fvki"),
	C(utimensat, "fspi"),
	C(epoll_pwait, "fpkme"),
	C(signalfd, "fme"),
	C(timerfd_create, "ci"),
	C(eventfd, "n"),
	C(fallocate, "fill"),
	C(timerfd_settime, "fitp"),
	C(timerfd_gettime, "fp"),
	C(accept4, "fppi"),
	C(signalfd4, "fmei"),
	C(eventfd2, "ni"),
	C(epoll_create1, "i"),
	C(dup3, "ffi"),
	C(pipe2, "pi"),
	C(preadv, "fvkn"),
	C(pwritev, "fvkn"),
	C(rt_tgsigqueueinfo, "ddgp"),
	C(recvmmsg, "fpkit"),
	C(prlimit64, "drpp"),
	C(syncfs, "f"),
	C(sendmmsg, "fpki"),
	C(getcpu, "ppp"),
	C(renameat2, "fsfsi"),
	C(getrandom, "pli"),
	C(memfd_create, "si"),
	C(execveat, "fEAAi"),
	C(membarrier, "ii"),
	C(copy_file_range, "fpfpli"),
	C(preadv2, "fvkni"),
	C(pwritev2, "fvkni"),
	C(statx, "fsiip"),
	C(rseq, "plii"),
	C(clone3, "pl"),
	C(close_range, "ffi"),
	C(faccessat2, "fsii"),
	C(epoll_pwait2, "fpktme"),
	C(pidfd_open, "di"),
	C(pidfd_send_signal, "fgpi"),
	C(seccomp, "nip"),
	C(reboot, "nnnp"),
	C(mount, "sssip"),
	C(umount2, "si"),
	{ SYSFUZZ_OP_TOUCH, "touch", "pn" },
	{ SYSFUZZ_OP_JUMP, "jump", "p" },
	{ SYSFUZZ_OP_TRAP, "trap", "n" },
};
#undef C
#define CALLS_N (sizeof(calls_table) / sizeof(calls_table[0]))

/* ioctl requests of the files the pool holds: ttys, sockets, generic. */
static uint64_t calls_ioctl(void)
{
	static const uint64_t req[] = {
		0x5401, 0x5402, 0x5403, 0x5404,	    0x5413,	0x5414,	    0x541B,	0x5421,
		0x5451, 0x5450, 0x5412, 0x540F,	    0x5410,	0x540E,	    0x5422,	0x540B,
		0x5411, 0x5452, 0x8910, 0x8912,	    0x8913,	0x8914,	    0x8915,	0x8921,
		0x8927, 0x8933, 0x8905, 0x80086601, 0x80081272, 0x4004667f, 0xc0045877,
	};

	return gen_below(5) ? req[gen_below(sizeof(req) / sizeof(req[0]))] : gen_int();
}

/* fcntl commands: 0-16 and Linux's own from 1024 (F_SETLEASE...). */
static uint64_t calls_fcntl(void)
{
	if (gen_below(10) < 6)
		return gen_below(17);
	return gen_below(10) < 7 ? 1024 + gen_below(18) : gen_int();
}

/* mmap flags: mostly private or shared, often anonymous, sometimes fixed. */
static uint64_t calls_mmap_flags(void)
{
	static const uint64_t extra[] = { 0,
					  0,
					  0,
					  MAP_FIXED,
					  MAP_FIXED_NOREPLACE,
					  MAP_POPULATE,
					  MAP_NORESERVE,
					  MAP_GROWSDOWN,
					  MAP_STACK,
					  MAP_32BIT,
					  MAP_LOCKED,
					  MAP_HUGETLB,
					  MAP_SHARED_VALIDATE };
	uint64_t f;

	if (gen_below(8) == 0)
		return gen_flags();
	f = gen_below(3) ? MAP_PRIVATE : MAP_SHARED;
	if (gen_below(3))
		f |= MAP_ANONYMOUS;
	return f | extra[gen_below(sizeof(extra) / sizeof(extra[0]))];
}

static uint64_t calls_arg(char kind)
{
	switch (kind) {
	case 'f':
		return gen_fd();
	case 'p':
		return gen_ptr();
	case 'l':
		return gen_len();
	case 's':
		return gen_path(false);
	case 'E':
		return gen_path(true);
	case 'i':
		return gen_flags();
	case 'n':
		return gen_int();
	case 'a':
		return gen_addr();
	case 'z':
		return gen_mlen();
	case 'g':
		return gen_sig();
	case 'm':
		return gen_sigset();
	case 'e':
		return gen_below(10) ? 8 : gen_int();
	case 'd':
		return gen_pid();
	case 'c':
		return gen_clock();
	case 't':
		return gen_timespec();
	case 'v':
		return gen_iov();
	case 'k':
		return gen_below(4) ? gen_below(10) : gen_int();
	case 'S':
		return gen_sockaddr();
	case 'L':
		return gen_below(4) ? 16 + gen_below(4) * 4 : gen_len();
	case 'M':
		return gen_msghdr();
	case 'A':
		return gen_argv();
	case 'I':
		return calls_ioctl();
	case 'C':
		return calls_fcntl();
	case 'r':
		return gen_below(10) ? gen_below(16) : gen_int();
	case 'P':
		return gen_below(4) ? gen_below(8) : gen_flags();
	case 'F':
		return calls_mmap_flags();
	default:
		return gen_any();
	}
}

/* Numbers outside the table: any syscall, x32 numbers, nonsense. */
static long calls_other_nr(void)
{
	static const long weird[] = { -1,
				      1000,
				      0x7fffffff,
				      CALLS_X32_BIT,
				      CALLS_X32_BIT + SYS_getpid,
				      (long)(1ul << 63) + SYS_getpid,
				      512,
				      547,
				      335,
				      0x100000000l + SYS_getpid };

	if (gen_below(4))
		return (long)gen_below(CALLS_MAX_NR);
	return weird[gen_below(sizeof(weird) / sizeof(weird[0]))];
}

void calls_generate(struct sysfuzz_call *c)
{
	const struct calls_entry *e = NULL;
	size_t n;

	if (gen_below(100) < 88) {
		e = &calls_table[gen_below(CALLS_N)];
		c->nr = e->nr;
		c->name = e->name;
	} else {
		c->nr = calls_other_nr();
		c->name = "syscall";
	}
	n = e ? strlen(e->args) : 6;
	for (size_t i = 0; i < 6; i++)
		c->a[i] = i < n ? calls_arg(e ? e->args[i] : 'x') : 0;
}

static bool calls_uncatchable(uint64_t sig)
{
	return (int)sig == SIGKILL || (int)sig == SIGSTOP;
}

/* Whether an mm call on [a, a + len) (page-rounded) would touch the fuzzer. */
static bool calls_hits_self(uint64_t a, uint64_t len)
{
	uint64_t lo = a & ~(SYSFUZZ_PAGE - 1);

	if (len > SYSFUZZ_TOP)
		len = SYSFUZZ_TOP; /* Linux refuses more, but a kernel may clip */
	return gen_protected(lo, len + (a - lo) + SYSFUZZ_PAGE - 1);
}

static bool calls_in_arena(uint64_t a)
{
	for (unsigned i = 0; i < sf.narena; i++)
		if (a >= sf.arena[i].lo && a < sf.arena[i].hi)
			return true;
	return false;
}

/*
 * mremap: Linux fails with EFAULT unless @old is mapped; when it is, a
 * shrink unmaps [old + new_len, old + old_len) and a move unmaps the old
 * range and, with MREMAP_FIXED, whatever lies at the new address.
 */
static const char *calls_mremap_denied(const uint64_t *a)
{
	if (calls_hits_self(a[0], 1))
		return "mremap of the fuzzer's own memory";
	if ((a[3] & CALLS_MREMAP_FIXED) && calls_hits_self(a[4], a[2]))
		return "mremap onto the fuzzer's own memory";
	if (calls_in_arena(a[0]) && a[2] < a[1] && a[0] + a[2] >= a[0] &&
	    calls_hits_self(a[0] + a[2], a[1] - a[2]))
		return "mremap shrinking over the fuzzer's own memory";
	return NULL;
}

/* madvise advice that throws away contents (linux/mman.h). */
static bool calls_destructive_advice(uint64_t advice)
{
	switch ((int)advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_HWPOISON:
	case MADV_SOFT_OFFLINE:
	case 24: /* MADV_DONTNEED_LOCKED */
		return true;
	default:
		return false;
	}
}

/* The deny-list of memory calls: none may take the fuzzer's own pages. */
static const char *calls_mm_denied(const struct sysfuzz_call *c)
{
	const uint64_t *a = c->a;

	switch (c->nr) {
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_pkey_mprotect:
	case SYS_remap_file_pages:
		return calls_hits_self(a[0], a[1]) ? "unmaps or protects the fuzzer's memory"
						   : NULL;
	case SYS_madvise:
		return calls_destructive_advice(a[2]) && calls_hits_self(a[0], a[1])
			       ? "discards the fuzzer's memory"
			       : NULL;
	case SYS_mmap:
		return (a[3] & MAP_FIXED) && !(a[3] & CALLS_MAP_FIXED_NOREPLACE) &&
				       calls_hits_self(a[0], a[1])
			       ? "maps over the fuzzer's memory"
			       : NULL;
	case SYS_mremap:
		return calls_mremap_denied(a);
	case SYS_shmat:
		return (a[2] & CALLS_SHM_REMAP) && calls_hits_self(a[1], 1ul << 30)
			       ? "maps over the fuzzer's memory"
			       : NULL;
	default:
		return NULL;
	}
}

/* Signals: none that cannot be caught, to the fuzzer or from its timers. */
static const char *calls_signal_denied(const struct sysfuzz_call *c)
{
	const uint64_t *a = c->a;

	switch (c->nr) {
	case SYS_kill:
	case SYS_tkill:
	case SYS_rt_sigqueueinfo:
	case SYS_pidfd_send_signal:
		return calls_uncatchable(a[1]) ? "SIGKILL or SIGSTOP cannot be caught" : NULL;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		return calls_uncatchable(a[2]) ? "SIGKILL or SIGSTOP cannot be caught" : NULL;
	case SYS_fcntl:
		return (int)a[1] == CALLS_F_SETSIG && calls_uncatchable(a[2])
			       ? "SIGKILL or SIGSTOP on I/O cannot be caught"
			       : NULL;
	case SYS_setrlimit:
		return (int)a[0] == CALLS_RLIMIT_CPU || (int)a[0] == CALLS_RLIMIT_RTTIME
			       ? "the hard CPU limit sends SIGKILL"
			       : NULL;
	case SYS_prlimit64:
		return a[2] && ((int)a[1] == CALLS_RLIMIT_CPU || (int)a[1] == CALLS_RLIMIT_RTTIME)
			       ? "the hard CPU limit sends SIGKILL"
			       : NULL;
	case SYS_rt_sigsuspend:
	case SYS_ppoll:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_pselect6:
		/* A mask from an earlier call's memory could block SIGALRM too. */
		return calls_in_arena(a[c->nr == SYS_rt_sigsuspend ? 0
					: c->nr == SYS_ppoll	   ? 3
					: c->nr == SYS_pselect6	   ? 5
								   : 4])
			       ? "a mask that may block every signal: the fuzzer would wait forever"
			       : NULL;
	default:
		return NULL;
	}
}

/* Whether execve's path @p cannot start a program (see gen_path). */
static bool calls_cannot_exec(uint64_t p)
{
	return !gen_in_scratch(p) && !calls_in_arena(p);
}

static const char *calls_exec_denied(const struct sysfuzz_call *c)
{
	if (c->nr == SYS_execveat && (c->a[4] & CALLS_AT_EMPTY_PATH))
		return "execveat of a descriptor could start a program";
	if (calls_cannot_exec(c->a[c->nr == SYS_execveat]) || strcmp(c->name, "syscall"))
		return NULL; /* a bad pointer, or a generated name that cannot run */
	return "execve of a name that might start a program";
}

static bool calls_hits_report(uint64_t lo, uint64_t hi)
{
	return (unsigned)lo <= SYSFUZZ_REPORT && SYSFUZZ_REPORT <= (unsigned)hi;
}

const char *calls_denied(const struct sysfuzz_call *c)
{
	const char *why = calls_mm_denied(c);

	if (why || (why = calls_signal_denied(c)))
		return why;
	switch (c->nr) {
	case SYS_exit:
	case SYS_exit_group:
		return "ends the fuzzer";
	case SYS_rt_sigreturn:
		return "loads every register from a frame the fuzzer did not build";
	case SYS_clone:
	case SYS_fork:
	case SYS_vfork:
		return "a second process or thread would run the fuzzer's code on a random stack";
	case SYS_clone3:
		return c->a[1] >= 64 && c->a[1] <= SYSFUZZ_PAGE && c->a[0] >= 0x10000 &&
				       c->a[0] < SYSFUZZ_TOP
			       ? "clone3 with a readable clone_args could start a thread"
			       : NULL;
	case SYS_execve:
	case SYS_execveat:
		return calls_exec_denied(c);
	case SYS_reboot:
		return (uint32_t)c->a[0] == CALLS_REBOOT_MAGIC1 ? "powers the instance off" : NULL;
	case SYS_seccomp:
		return (int)c->a[0] <= 1 ? "a seccomp filter or strict mode kills the fuzzer"
					 : NULL;
	case SYS_prctl:
		return (int)c->a[0] == CALLS_PR_SET_SECCOMP ? "seccomp kills the fuzzer" : NULL;
	case SYS_arch_prctl:
		return (int)c->a[0] == CALLS_ARCH_SET_FS && c->a[1] < 0x800000000000ull
			       ? "a new FS base loses the fuzzer's thread pointer"
			       : NULL;
	case SYS_close:
		return (int)c->a[0] == SYSFUZZ_REPORT ? "closes the report" : NULL;
	case SYS_dup2:
	case SYS_dup3:
		return (int)c->a[1] == SYSFUZZ_REPORT ? "replaces the report" : NULL;
	case SYS_close_range:
		return calls_hits_report(c->a[0], c->a[1]) ? "closes the report" : NULL;
	default:
		return NULL;
	}
}

/* A mask in scratch must not block SIGALRM, the fuzzer's watchdog. */
static void calls_unblock_alarm(uint64_t p)
{
	uint64_t set;

	if (!gen_in_scratch(p) || !gen_in_scratch(p + 7))
		return;
	memcpy(&set, (void *)(uintptr_t)p, sizeof(set));
	set &= ~(1ull << (SIGALRM - 1));
	memcpy((void *)(uintptr_t)p, &set, sizeof(set));
}

/* A sigevent in scratch must not ask for SIGKILL or SIGSTOP. */
static void calls_safe_sigevent(uint64_t p)
{
	int signo;

	if (!gen_in_scratch(p) || !gen_in_scratch(p + 11))
		return;
	memcpy(&signo, (void *)(uintptr_t)(p + 8), sizeof(signo));
	if (calls_uncatchable((uint64_t)signo)) {
		signo = SIGALRM;
		memcpy((void *)(uintptr_t)(p + 8), &signo, sizeof(signo));
	}
}

void calls_before(struct sysfuzz_call *c)
{
	uint64_t *a = c->a;

	switch (c->nr) {
	case SYS_rt_sigsuspend:
		calls_unblock_alarm(a[0]);
		break;
	case SYS_ppoll:
		calls_unblock_alarm(a[3]);
		break;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		calls_unblock_alarm(a[4]);
		break;
	case SYS_pselect6: /* a6 points to { const sigset_t *ss; size_t ss_len; } */
		if (gen_in_scratch(a[5]) && gen_in_scratch(a[5] + 7)) {
			uint64_t ss;

			memcpy(&ss, (void *)(uintptr_t)a[5], sizeof(ss));
			calls_unblock_alarm(ss);
		}
		break;
	case SYS_timer_create:
		calls_safe_sigevent(a[1]);
		break;
	}
}

/* Remember a mapping a call made, unless it overlaps the fuzzer (reported). */
static void calls_track(uint64_t lo, uint64_t len)
{
	uint64_t hi = (lo + len + SYSFUZZ_PAGE - 1) & ~(SYSFUZZ_PAGE - 1);

	if (len == 0 || hi < lo)
		return;
	if (gen_protected(lo, hi - lo)) {
		sysfuzz_say("ANOMALY: a mapping at 0x%lx (0x%lx bytes) over the fuzzer's memory",
			    (unsigned long)lo, (unsigned long)len);
		return;
	}
	if (sf.narena < SYSFUZZ_ARENA)
		sf.arena[sf.narena++] = (struct sysfuzz_range){ lo, hi };
}

void calls_after(const struct sysfuzz_call *c, long ret)
{
	bool ok = ret >= 0 || ret < -4095;

	switch (c->nr) {
	case SYS_rt_sigaction:
		sysfuzz_handle((int)c->a[0]);
		break;
	case SYS_rt_sigprocmask: {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		break;
	}
	case SYS_mmap:
		if (ok)
			calls_track((uint64_t)ret, c->a[1]);
		break;
	case SYS_mremap:
		if (ok)
			calls_track((uint64_t)ret, c->a[2]);
		break;
	}
}
