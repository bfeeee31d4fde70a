/*
 * sysfuzz's deny-list: the calls and argument patterns that would merely end
 * the fuzzer, each with its reason, and the repairs made before and after a
 * call that changes the fuzzer's own state (its signal handlers and mask,
 * the watchdog SIGALRM, the mappings it tracks).
 *
 * The rule: a call is made unless, with Linux's semantics, it could end the
 * fuzzer or take its memory.  A kernel that does more than Linux would (a
 * call Linux refuses that unmaps the fuzzer) is a finding, not a reason to
 * deny the call.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sysfuzz.h"

#define CALLS_ARCH_SET_GS	  0x1001 /* asm/prctl.h */
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

/*
 * Which argument of call @nr is a signal mask the call waits under (-1 if
 * none): rt_sigsuspend, ppoll, epoll_pwait(2); pselect6's sixth argument
 * points to { const sigset_t *ss; size_t ss_len; } instead.
 */
static int calls_mask_arg(long nr)
{
	switch (nr) {
	case SYS_rt_sigsuspend:
		return 0;
	case SYS_ppoll:
		return 3;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		return 4;
	case SYS_pselect6:
		return 5;
	default:
		return -1;
	}
}

/* Signals: none that cannot be caught, to the fuzzer or from its timers. */
static const char *calls_signal_denied(const struct sysfuzz_call *c)
{
	const uint64_t *a = c->a;
	int mask = calls_mask_arg(c->nr);

	/* A mask in an earlier call's memory could block SIGALRM too. */
	if (mask >= 0 && calls_in_arena(a[mask]))
		return "a mask that may block every signal: the fuzzer would wait forever";

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
	int mask = calls_mask_arg(c->nr);

	if (mask >= 0 && c->nr != SYS_pselect6)
		calls_unblock_alarm(a[mask]);
	switch (c->nr) {
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
