/*
 * sysfuzz's calls: which system calls it makes and the kind of each
 * argument (generators in sysfuzz_gen.c).  What must never be made, and the
 * repairs after a call, are in sysfuzz_deny.c.
 *
 * Argument kinds, one letter each:
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
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sysfuzz.h"

#define CALLS_MAX_NR  460	 /* above the highest x86-64 syscall number */
#define CALLS_X32_BIT 0x40000000 /* __X32_SYSCALL_BIT */

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
