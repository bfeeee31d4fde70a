/*
 * The process as a whole: how it ends (exit, a fatal signal, out of memory,
 * a failed start) and how CPU exceptions in it become signals.  Each end is
 * reported to the host as the exit frame of the channel.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/vm.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "linux/ipc.h"
#include "linux/signal.h"
#include "net/lwip/net.h"

/* Exception vectors (Intel SDM vol. 3A, 6.3.1). */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_NM 7
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MF 16
#define VEC_AC 17
#define VEC_XM 19
#define VEC_SS 12
#define VEC_NP 11

/* What the program sent on TCP before it ended still reaches its peers, as
 * Linux keeps sending after a process dies: wait (bounded) for the acks. */
#define NET_FLUSH_NS (2 * NSEC_PER_SEC)

void process_exit(int status)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_STATUS, .status = (uint8_t)status };
	sem_exit(); /* SEM_UNDO belongs to the process: applied as it ends */
	net_flush(NET_FLUSH_NS);
	console_exit(&e);
}

void process_kill(int signo, uint64_t addr, uint64_t ip)
{
	struct monos_chan_exit e = {
		.kind = MONOS_EXIT_SIGNAL, .signo = signo, .addr = addr, .ip = ip
	};
	sem_exit();
	net_flush(NET_FLUSH_NS);
	console_exit(&e);
}

void process_oom(void)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_OOM };
	klog("monos: out of memory: killed the program (%lu pages resident)\n",
	     vm_resident_pages());
	console_exit(&e);
}

void process_exec_failed(int err)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_EXEC, .status = (uint8_t)err };

	/* No memory to map the program is the instance's memory running out,
	 * not a program that cannot be executed: end as the OOM killer would. */
	if (err == ENOMEM)
		e.kind = MONOS_EXIT_OOM;
	console_exit(&e);
}

/* The signal Linux sends for exception `vec` in ring 3. */
static int fault_signal(unsigned vec)
{
	switch (vec) {
	case VEC_DE:
	case VEC_MF:
	case VEC_XM:
		return SIGFPE;
	case VEC_UD:
		return SIGILL;
	case VEC_DB:
	case VEC_BP:
		return SIGTRAP;
	case VEC_AC:
		return SIGBUS;
	default: /* #GP, #SS, #NP, #OF, #BR, #PF */
		return SIGSEGV;
	}
}

/* The si_code Linux gives a fault on `vec`. */
static int fault_code(unsigned vec, unsigned error)
{
	switch (vec) {
	case VEC_PF:
		return (error & 1) ? SEGV_ACCERR : SEGV_MAPERR;
	case VEC_DE:
		return FPE_INTDIV;
	case VEC_UD:
		return ILL_ILLOPN;
	case VEC_BP:
		return TRAP_BRKPT;
	case VEC_AC:
		return BUS_ADRALN;
	default:
		return SI_KERNEL;
	}
}

static bool on_fault(struct regs *r, uint64_t addr)
{
	int err = 0;

	if (r->nr == VEC_PF && addr < USER_TOP) {
		err = vm_fault(addr, r->error);
		if (!err)
			return true;
		if (err == -ENOMEM)
			process_oom();
	}
	if (!regs_from_user(r))
		return false; /* the kernel's: an exception-table fixup or a panic */
	struct ksiginfo info = {
		.signo = fault_signal(r->nr),
		.code = fault_code(r->nr, r->error),
		/* Linux reports the faulting address for page faults, the
		 * instruction for the others. */
		.addr = r->nr == VEC_PF ? addr : r->rip,
	};
	signal_force_fault(&info); /* kills unless a handler takes it */
	return true;
}

static void on_host_signal(int signo)
{
	struct ksiginfo info = { .signo = signo, .code = SI_USER };

	if (signo >= 1 && signo <= NSIG)
		signal_send(NULL, &info);
}

bool process_return_to_user(struct regs *r, bool syscall)
{
	if (!syscall)
		sched_preempt();
	return signal_deliver(r, syscall);
}

/* What a terminal needs of processes (fs/tty.h).  One process: it is its
 * own group and session; the processes work makes these real lookups. */
static int tty_pgrp(void)
{
	return sys_getpgrp();
}

static int tty_session(void)
{
	return sys_getsid(0);
}

static bool tty_leader(void)
{
	return sys_getsid(0) == sys_getpid();
}

static bool tty_pgrp_exists(int pgrp)
{
	return pgrp == sys_getpgrp();
}

/* A terminal's signal (ISIG, SIGWINCH, hang-up) to a process group. */
static void tty_kill_pgrp(int pgrp, int sig)
{
	struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };

	if (pgrp == sys_getpgrp())
		signal_send(NULL, &info);
}

static const struct tty_session_ops tty_session_ops = {
	.pgrp = tty_pgrp,
	.session = tty_session,
	.leader = tty_leader,
	.pgrp_exists = tty_pgrp_exists,
	.kill_pgrp = tty_kill_pgrp,
};

/* A file's last reference is going: drop what the Linux layer keeps on it. */
static void file_gone(struct file *f)
{
	lock_release(f);
	epoll_file_gone(f);
}

static void trap_return_hook(struct regs *r)
{
	process_return_to_user(r, false);
}

void process_init(void)
{
	trap_set_fault_handler(on_fault);
	trap_set_user_return_hook(trap_return_hook);
	console_set_signal_handler(on_host_signal);
	signal_init();
	vfs_set_last_put_hook(file_gone);
	tty_set_session_ops(&tty_session_ops);
	if (signal_thread_init(sched_current()))
		boot_out_of_memory("the first thread's signal state");
}
