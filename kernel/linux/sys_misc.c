/*
 * Identity, limits and the rest of what a program asks at start: its pid,
 * tid and parent, uname and the names it reports (sethostname,
 * setdomainname), getrandom, rlimits, sysinfo, getcpu, TLS (arch_prctl) and
 * the thread-registration calls of libc start-up (set_tid_address, rseq).
 * Elsewhere by the rule in table.c: the user and group ids (sys_cred.c),
 * sched_yield and affinity (sys_proc.c), set_robust_list (futex.c).
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/random.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/uts.h"
#include "core/vm.h"
#include "fs/vfs.h"
#include "linux/uapi.h"
#include "linux/process.h"

#define ARCH_SET_GS	     0x1001
#define ARCH_SET_FS	     0x1002
#define ARCH_GET_FS	     0x1003
#define ARCH_GET_GS	     0x1004
#define ARCH_GET_CPUID	     0x1011
#define ARCH_SET_CPUID	     0x1012
#define GRND_NONBLOCK	     1
#define GRND_RANDOM	     2
#define GRND_INSECURE	     4
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_MIN_LEN	     32

long sys_getpid(void)
{
	return process_current()->pid;
}

long sys_gettid(void)
{
	return sched_current()->tid;
}

/* PID 1's parent is outside the instance: 0, as in a container. */
long sys_getppid(void)
{
	struct process *parent = process_current()->parent;

	return parent ? parent->pid : 0;
}

long sys_uname(uint64_t buf)
{
	struct {
		char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN], version[UTS_LEN],
			machine[UTS_LEN], domainname[UTS_LEN];
	} u;

	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	strcpy(u.nodename, uts_nodename);
	/* A release glibc accepts for every feature it probes by version. */
	strcpy(u.release, "6.1.0-monos");
	strcpy(u.version, "#1 SMP monos");
	strcpy(u.machine, "x86_64");
	strcpy(u.domainname, uts_domainname);
	return copy_to_user(buf, &u, sizeof(u));
}

/* Linux's kernel/sys.c: `len` bytes (an int, at most __NEW_UTS_LEN) become
 * the name, the rest of it zeroed; the caller needs CAP_SYS_ADMIN. */
static long set_uts_name(char *name, uint64_t uname, int len)
{
	char tmp[UTS_NAME_MAX];

	if (!cred_capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > UTS_NAME_MAX)
		return -EINVAL;
	if (copy_from_user(tmp, uname, len))
		return -EFAULT;
	memcpy(name, tmp, len);
	memset(name + len, 0, UTS_LEN - len);
	return 0;
}

long sys_sethostname(uint64_t name, int len)
{
	return set_uts_name(uts_nodename, name, len);
}

long sys_setdomainname(uint64_t name, int len)
{
	return set_uts_name(uts_domainname, name, len);
}

long sys_getrandom(uint64_t buf, size_t n, unsigned flags)
{
	uint8_t chunk[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
		return -EINVAL;
	n = MIN(n, (size_t)INT32_MAX);
	while (done < n) {
		size_t k = MIN(n - done, sizeof(chunk));
		random_fill(chunk, k);
		if (copy_to_user(buf + done, chunk, k))
			return done ? (long)done : -EFAULT;
		done += k;
	}
	memset(chunk, 0, sizeof(chunk));
	return done;
}

#define NPROC_DEFAULT 63464 /* what Linux derives for a few GiB of RAM */

/* Linux's defaults for a process started by a root shell; the rest are
 * unlimited.  The first process's; a child inherits its parent's. */
const struct rlimit_k rlimit_defaults[RLIMIT_NLIMITS] = {
	[RLIMIT_CPU] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_FSIZE] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_DATA] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_STACK] = { VM_STACK_SIZE, RLIM_INFINITY },
	[RLIMIT_CORE] = { 0, RLIM_INFINITY },
	[RLIMIT_RSS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_NPROC] = { NPROC_DEFAULT, NPROC_DEFAULT },
	[RLIMIT_NOFILE] = { FD_LIMIT_DEFAULT, FD_NR_OPEN },
	[RLIMIT_MEMLOCK] = { 8ull << 20, 8ull << 20 },
	[RLIMIT_AS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_LOCKS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_SIGPENDING] = { NPROC_DEFAULT, NPROC_DEFAULT },
	[RLIMIT_MSGQUEUE] = { 819200, 819200 },
	[RLIMIT_NICE] = { 0, 0 },
	[RLIMIT_RTPRIO] = { 0, 0 },
	[RLIMIT_RTTIME] = { RLIM_INFINITY, RLIM_INFINITY },
};

long sys_prlimit64(int pid, unsigned res, uint64_t new, uint64_t old)
{
	struct process *p = pid ? process_find(pid) : process_current();
	struct rlimit_k nl, *rlimits;

	if (pid < 0 || !p || p->state != PROCESS_LIVE)
		return -ESRCH;
	/* Another process's limits: only with its owner's ids or
	 * CAP_SYS_RESOURCE (Linux's check_prlimit_permission). */
	if (p != process_current() && !cred_capable(CAP_SYS_RESOURCE) &&
	    !cred_owns(process_main_thread(p)->cred))
		return -EPERM;
	rlimits = p->rlimits;
	if (res >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (new &&copy_from_user(&nl, new, sizeof(nl)))
		return -EFAULT;
	if (new &&nl.cur > nl.max)
		return -EINVAL;
	if (new &&res == RLIMIT_NOFILE && nl.max > FD_NR_OPEN)
		return -EPERM;
	/* Raising a hard limit needs CAP_SYS_RESOURCE (Linux's do_prlimit). */
	if (new &&nl.max > rlimits[res].max && !cred_capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (old && copy_to_user(old, &rlimits[res], sizeof(rlimits[res])))
		return -EFAULT;
	if (new)
		rlimits[res] = nl;
	if (new &&res == RLIMIT_NOFILE && p == process_current())
		fd_set_limit(nl.cur);
	return 0;
}

long misc_rlimit_boot(unsigned res, uint64_t soft, uint64_t hard)
{
	if (res >= RLIMIT_NLIMITS || soft > hard || (res == RLIMIT_NOFILE && hard > FD_NR_OPEN))
		return -EINVAL;
	process_current()->rlimits[res] = (struct rlimit_k){ soft, hard };
	if (res == RLIMIT_NOFILE)
		fd_set_limit(soft);
	return 0;
}

uint64_t misc_rlimit_cur(int res)
{
	return process_current()->rlimits[res].cur;
}

long sys_getrlimit(long res, uint64_t rl)
{
	return sys_prlimit64(0, res, 0, rl);
}

long sys_setrlimit(long res, uint64_t rl)
{
	return sys_prlimit64(0, res, rl, 0);
}

/* One CPU, one NUMA node: both 0, as the vDSO's getcpu says (its fallback
 * when the CPU has no RDTSCP).  The cache argument is unused since 2.6.24. */
long sys_getcpu(uint64_t ucpu, uint64_t unode, uint64_t cache)
{
	const unsigned zero = 0;

	(void)cache;
	if (ucpu && copy_to_user(ucpu, &zero, sizeof(zero)))
		return -EFAULT;
	if (unode && copy_to_user(unode, &zero, sizeof(zero)))
		return -EFAULT;
	return 0;
}

long sys_sysinfo(uint64_t info)
{
	struct {
		int64_t uptime;
		uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		uint16_t procs, pad;
		uint64_t totalhigh, freehigh;
		uint32_t mem_unit;
		char reserved[4];
	} si;

	memset(&si, 0, sizeof(si));
	si.uptime = time_monotonic_ns() / NSEC_PER_SEC;
	si.totalram = mem_total_frames() * PAGE_SIZE;
	si.freeram = (mem_total_frames() - mem_used_frames()) * PAGE_SIZE;
	si.procs = process_count();
	si.mem_unit = 1;
	return copy_to_user(info, &si, sizeof(si));
}

long sys_arch_prctl(long code, uint64_t addr)
{
	struct thread *t = sched_current();
	uint64_t v;

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= USER_TOP)
			return -EPERM;
		t->fs_base = addr;
		wrmsr(MSR_FS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(addr, &t->fs_base, sizeof(t->fs_base));
	case ARCH_SET_GS:
		if (addr >= USER_TOP)
			return -EPERM;
		/* The user's GS base lives in KERNEL_GS_BASE while we run. */
		t->gs_base = addr;
		wrmsr(MSR_KERNEL_GS_BASE, addr);
		return 0;
	case ARCH_GET_GS:
		v = t->gs_base;
		return copy_to_user(addr, &v, sizeof(v));
	default:
		return -EINVAL;
	}
}

long sys_set_tid_address(uint64_t tidptr)
{
	struct thread *t = sched_current();
	t->clear_child_tid = tidptr;
	return t->tid;
}

/*
 * rseq: one CPU, so a registered area only needs its cpu fields set once; a
 * critical section is never migrated.  Preemption by another thread of the
 * program could interrupt one, and Linux would then abort it: that restart
 * comes with signal delivery, which rseq's abort path shares (TODO there).
 */
long sys_rseq(uint64_t area, uint32_t len, long flags, uint32_t sig)
{
	struct thread *t = sched_current();
	uint32_t cpu[2] = { 0, 0 }; /* cpu_id_start, cpu_id */

	if (flags & RSEQ_FLAG_UNREGISTER) {
		if (area != t->rseq || !area)
			return -EINVAL;
		if (sig != t->rseq_sig)
			return -EPERM;
		t->rseq = 0;
		return 0;
	}
	if (flags || len < RSEQ_MIN_LEN || (area & (RSEQ_MIN_LEN - 1)))
		return -EINVAL;
	if (t->rseq)
		return t->rseq == area ? -EBUSY : -EINVAL;
	if (copy_to_user(area, cpu, sizeof(cpu)))
		return -EFAULT;
	t->rseq = area;
	t->rseq_sig = sig;
	return 0;
}
