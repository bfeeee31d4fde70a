/*
 * Signal delivery.  Pending signals are a process-wide set and a set per
 * thread (each a struct sigpending_k of sigpending.c: standard signals
 * pending once, real-time signals queued).  Delivery happens on the way
 * back to ring 3, after a syscall or a trap: one signal per return,
 * through a frame laid out exactly as Linux's x86-64 rt_sigframe
 * (arch/x86/include/asm/sigframe.h) with the XSAVE state, and back through
 * rt_sigreturn via SA_RESTORER.
 */
#include "linux/signal.h"
#include "linux/syscall_asm.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/uaccess.h"
#include "linux/syscall.h"
#include "linux/process.h"

#define REDZONE		     128
#define FPSTATE_ALIGN	     64
#define FP_XSTATE_MAGIC1     0x46505853u
#define FP_XSTATE_MAGIC2     0x46505845u
#define FX_SW_BYTES_OFFSET   464
#define XSAVE_HDR_OFFSET     512
#define MXCSR_OFFSET	     24
#define UC_FP_XSTATE	     0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
#define SS_ONSTACK	     1
#define SS_DISABLE	     2
#define SS_AUTODISARM	     (1u << 31)
#define MINSIGSTKSZ	     2048
#define SIGINFO_SIZE	     128
/* RFLAGS bits a signal frame may change (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS 0x50dd5
#define RFLAGS_IF  0x200
#define RFLAGS_TF  0x100
#define RFLAGS_DF  0x400

/* A thread's signal state.  `pending` is signal_lock's; the rest
 * only the thread itself changes, in its system calls (the system-call rule,
 * core/spinlock.h). */
struct thread_signals {
	struct sigpending_k pending; /* thread-directed */
	uint64_t alt_sp, alt_size;   /* sigaltstack */
	uint32_t alt_flags;
	bool restore_mask; /* after the next frame, restore saved_mask */
	uint64_t saved_mask;
};

/*
 * signal_lock guards every pending set (each process's, each thread's, and
 * sigpending.c's count of them) and sent_gen.  Interrupt
 * handlers and timer callbacks send signals, so it is taken with interrupts
 * saved.  A pending set's word is read without it where the look is repeated
 * after every wake-up (has_signal, signal_pending_set, signal_deliver's fast
 * path).  Lock order: signal_lock before timer_lock (sys_timer.c: a discarded
 * timer signal re-arms its timer) before sched_lock.
 *
 * A process's actions (struct sighand, reached through each of its threads,
 * thread->sighand) change only in sigaction, under the system-call rule;
 * signal_send reads a handler word from any context (a send racing the
 * change sees the action before it, as if sent just before).
 */
static struct spinlock signal_lock = SPINLOCK_INIT;

/* The actions of a process (design.md contract 16: Linux's sighand_struct,
 * shared by CLONE_SIGHAND, copied by fork). */
struct sighand {
	struct sigaction_k actions[NSIG];
	unsigned refs; /* the processes sharing it */
};

static struct sighand first_sighand = { .refs = 1 };
static uint64_t sent_gen; /* bumped when a signal becomes pending (signalfd) */

/* Linux's x86-64 signal frame pieces. */
struct sigcontext_k {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	uint64_t eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
};
struct ucontext_k {
	uint64_t flags, link;
	uint64_t ss_sp;
	uint32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext_k mc;
	uint64_t sigmask;
};
struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext_k uc;
	uint8_t info[SIGINFO_SIZE];
};
_Static_assert(sizeof(struct sigcontext_k) == 256, "struct sigcontext");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "struct rt_sigframe");

/* The layout syscall_entry.S's fast path reads (linux/syscall_asm.h). */
_Static_assert(offsetof(struct thread_signals, pending.set) == TS_PENDING &&
		       offsetof(struct thread_signals, restore_mask) == TS_RESTORE_MASK &&
		       sizeof(((struct thread_signals *)0)->restore_mask) == 1,
	       "syscall_asm.h TS_*");

static struct thread_signals *ts_of(struct thread *t)
{
	return t->sig;
}

struct sighand *signal_sighand_first(void)
{
	return &first_sighand;
}

/* Thread `t`'s action for `sig`: its process's. */
static struct sigaction_k *action_of(struct thread *t, int sig)
{
	return &t->sighand->actions[sig - 1];
}

struct sigaction_k *signal_action(int sig)
{
	return action_of(sched_current(), sig);
}

void signal_action_sets(const struct sighand *sh, uint64_t *ignored, uint64_t *caught)
{
	*ignored = *caught = 0;
	for (int sig = 1; sig <= NSIG; sig++) {
		uint64_t h = sh->actions[sig - 1].handler;
		if (h == SIG_IGN)
			*ignored |= SIGBIT(sig);
		else if (h != SIG_DFL)
			*caught |= SIGBIT(sig);
	}
}

struct sighand *signal_sighand_dup(const struct sighand *sh)
{
	struct sighand *n = kmalloc(sizeof(*n));

	if (n) {
		*n = *sh;
		n->refs = 1;
	}
	return n;
}

void signal_sighand_get(struct sighand *sh)
{
	sh->refs++;
}

void signal_sighand_put(struct sighand *sh)
{
	if (--sh->refs == 0 && sh != &first_sighand)
		kfree(sh);
}

int signal_sighand_unshare(struct sighand **shp)
{
	struct sighand *n;

	if ((*shp)->refs == 1)
		return 0;
	if (!(n = signal_sighand_dup(*shp)))
		return -ENOMEM;
	signal_sighand_put(*shp);
	*shp = n;
	return 0;
}

void signal_exec_thread(struct thread *t)
{
	struct thread_signals *ts = ts_of(t);

	ts->alt_sp = ts->alt_size = 0;
	ts->alt_flags = SS_DISABLE;
	ts->restore_mask = false;
}

/* Linux's flush_signal_handlers: handled signals go back to SIG_DFL,
 * ignored ones stay ignored, and no flags or masks survive. */
void signal_exec_reset(struct sighand *sh)
{
	for (int i = 0; i < NSIG; i++) {
		struct sigaction_k *a = &sh->actions[i];

		if (a->handler != SIG_IGN)
			a->handler = SIG_DFL;
		a->flags = a->restorer = a->mask = 0;
	}
}

struct sigaction_k *signal_action_of(struct process *p, int sig)
{
	struct thread *t = process_main_thread(p);
	static struct sigaction_k none; /* a zombie's: SIG_DFL, no flags */

	return t ? action_of(t, sig) : &none;
}

bool signal_child_autoreap(struct process *parent)
{
	struct thread *t = process_main_thread(parent);
	struct sigaction_k *a;

	if (!t)
		return false;
	a = action_of(t, SIGCHLD);
	return a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT);
}

void *signal_state_alloc(void)
{
	struct thread_signals *ts = kzalloc(sizeof(*ts));
	if (ts) {
		ts->alt_flags = SS_DISABLE;
		list_init(&ts->pending.queue);
	}
	return ts;
}

void signal_fork_thread(struct thread *child, struct thread *parent)
{
	struct thread_signals *to = ts_of(child), *from = ts_of(parent);

	to->alt_sp = from->alt_sp;
	to->alt_size = from->alt_size;
	to->alt_flags = from->alt_flags;
}

int signal_thread_init(struct thread *t)
{
	t->sig = signal_state_alloc();
	return t->sig ? 0 : -ENOMEM;
}

/* A discarded POSIX timer signal: its timer may fire again. */
static void timer_gone(struct ksiginfo *info)
{
	if (info->timer_seq)
		timer_signal_taken(info, false);
}

/* Linux's exit_signals/flush_sigqueue: the thread's own pending signals
 * go with it, and give back their RLIMIT_SIGPENDING count. */
void signal_thread_exit(struct thread *t)
{
	struct thread_signals *ts = ts_of(t);
	uint64_t flags = spin_lock_irqsave(&signal_lock);

	sigpending_discard(&ts->pending, ~0ull, timer_gone);
	t->sig = NULL;
	spin_unlock_irqrestore(&signal_lock, flags);
	kfree(ts);
}

/* Signals whose default action is to do nothing. */
static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* Signals whose default action stops the process (job control). */
static bool stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

bool signal_ignored(struct thread *t, int sig)
{
	uint64_t h = action_of(t, sig)->handler;
	return sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && default_ignored(sig)));
}

/* Linux's sig_ignored: a blocked signal is kept even if ignored, since the
 * program may take it through signalfd or sigtimedwait (delivery drops it
 * if it is still ignored when unblocked).  A signal to a process is judged
 * by its main thread's mask, as Linux judges it by the leader's.  A process
 * that is ending takes nothing more. */
static bool dropped(struct process *p, struct thread *t, int sig)
{
	struct thread *to = t ? t : process_main_thread(p);

	if (!to || p->exiting)
		return true;
	return signal_ignored(to, sig) && !(to->sigmask & SIGBIT(sig));
}

#define STOP_SET (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))

/* Drop the signals of `mask` wherever they are pending in process `p`. */
static void discard_in(struct process *p, uint64_t mask)
{
	uint64_t flags = spin_lock_irqsave(&signal_lock);
	struct thread *t;

	sigpending_discard(&p->pending, mask, timer_gone);
	list_for_each_entry(t, &p->threads, group)
		if (t->sig)
			sigpending_discard(&ts_of(t)->pending, mask, timer_gone);
	spin_unlock_irqrestore(&signal_lock, flags);
}

/* Queue `info` for thread `t` or, if NULL, for process `p`. */
static int send(struct process *p, struct thread *t, const struct ksiginfo *info)
{
	int sig = info->signo, r;
	uint64_t flags;

	if (sig < 1 || sig > NSIG)
		return SIGPENDING_MERGED;
	/* Linux's prepare_signal: SIGCONT continues a stopped process and
	 * drops its pending stop signals, whatever becomes of SIGCONT itself;
	 * a stop signal drops a pending SIGCONT. */
	if (sig == SIGCONT || stop_signal(sig))
		discard_in(p, sig == SIGCONT ? STOP_SET : SIGBIT(SIGCONT));
	if (sig == SIGCONT)
		process_continue(p);
	if (dropped(p, t, sig))
		return SIGPENDING_MERGED;
	flags = spin_lock_irqsave(&signal_lock);
	r = sigpending_add(t ? &ts_of(t)->pending : &p->pending, info,
			   p->rlimits[RLIMIT_SIGPENDING].cur);
	if (!r)
		sent_gen++;
	spin_unlock_irqrestore(&signal_lock, flags);
	if (!r)
		sched_wake_all(); /* a waiter re-checks and takes it */
	return r;
}

int signal_send(struct thread *t, const struct ksiginfo *info)
{
	return send(t ? process_of(t) : process_current(), t, info);
}

int signal_send_process(struct process *p, const struct ksiginfo *info)
{
	return send(p, NULL, info);
}

/* Linux's sigaction: setting an action that ignores a signal discards it
 * wherever it is pending, blocked or not. */
void signal_discard(int sig)
{
	discard_in(process_current(), SIGBIT(sig));
}

uint64_t signal_generation(void)
{
	return sent_gen;
}

uint64_t signal_pending_set(void)
{
	return ts_of(sched_current())->pending.set | process_current()->pending.set;
}

static bool has_signal(struct thread *t)
{
	return ((ts_of(t)->pending.set | process_of(t)->pending.set) & ~t->sigmask) != 0;
}

/* The thread's own signals first, then the process's, as Linux's
 * dequeue_signal; a POSIX timer's signal re-arms its timer when taken. */
int signal_dequeue(uint64_t set, struct ksiginfo *info)
{
	struct sigpending_k *own = &ts_of(sched_current())->pending;
	uint64_t flags = spin_lock_irqsave(&signal_lock);
	int sig;

	if ((sig = sigpending_next(own, set)))
		sigpending_take(own, sig, info);
	else if ((sig = sigpending_next(&process_current()->pending, set)))
		sigpending_take(&process_current()->pending, sig, info);
	spin_unlock_irqrestore(&signal_lock, flags);
	if (sig && info->timer_seq)
		timer_signal_taken(info, true);
	return sig;
}

void signal_set_saved_mask(uint64_t mask)
{
	struct thread_signals *ts = ts_of(sched_current());
	ts->saved_mask = mask;
	ts->restore_mask = true;
}

long signal_put_siginfo(uint64_t uaddr, const struct ksiginfo *info)
{
	uint8_t si[SIGINFO_SIZE] = { 0 };
	int32_t *w = (int32_t *)si;

	w[0] = info->signo;
	w[2] = info->code;
	if (info->signo == SIGCHLD && info->code >= CLD_EXITED && info->code <= CLD_CONTINUED) {
		w[4] = info->pid;
		w[5] = info->uid;
		w[6] = info->status;
	} else if (info->code == SI_TIMER) {
		w[4] = info->timerid;
		w[5] = info->overrun;
		memcpy(si + 24, &info->value, 8);
	} else if (info->addr || info->signo == SIGSEGV || info->signo == SIGBUS ||
		   info->signo == SIGILL || info->signo == SIGFPE || info->signo == SIGTRAP) {
		memcpy(si + 16, &info->addr, 8);
	} else {
		w[4] = info->pid;
		w[5] = info->uid;
		memcpy(si + 24, &info->value, 8);
	}
	return copy_to_user(uaddr, si, sizeof(si));
}

void signal_force_fault(const struct ksiginfo *info)
{
	struct thread *t = sched_current();
	int sig = info->signo;
	uint64_t h = action_of(t, sig)->handler;

	/* Linux's force_sig_fault: a fault that cannot reach a handler kills. */
	uint64_t flags;

	if (h == SIG_DFL || h == SIG_IGN || (t->sigmask & SIGBIT(sig)))
		process_kill(sig, info->addr, sched_user_regs(t)->rip);
	flags = spin_lock_irqsave(&signal_lock);
	/* a fault's code is >= 0: never refused, whatever the limit */
	sigpending_add(&ts_of(t)->pending, info, process_of(t)->rlimits[RLIMIT_SIGPENDING].cur);
	spin_unlock_irqrestore(&signal_lock, flags);
}

/* The XSAVE image of the current thread's FPU for a frame, with the
 * software bytes that tell user space its size (Linux's fpu__setup_frame). */
static void *fpstate_build(size_t *len)
{
	size_t size = cpu_features.xsave_size;
	uint8_t *raw = kmalloc(size + 4 + FPSTATE_ALIGN), *buf;

	if (!raw)
		return NULL;
	buf = (uint8_t *)ALIGN_UP((uint64_t)raw, FPSTATE_ALIGN);
	memset(buf, 0, size + 4);
	if (cpu_features.xsave) {
		uint32_t sw[12] = { FP_XSTATE_MAGIC1, size + 4 };
		uint32_t magic2 = FP_XSTATE_MAGIC2;
		__asm__ volatile("xsave64 (%0)" : : "r"(buf), "a"(-1), "d"(-1) : "memory");
		memcpy(&sw[2], &cpu_features.xcr0, 8);
		sw[4] = size;
		memcpy(buf + FX_SW_BYTES_OFFSET, sw, sizeof(sw));
		memcpy(buf + size, &magic2, 4);
		*len = size + 4;
	} else {
		__asm__ volatile("fxsave64 (%0)" : : "r"(buf) : "memory");
		*len = size;
	}
	memmove(raw, buf, *len); /* callers copy from the start of the block */
	return raw;
}

/* Where the frame goes: the alternate stack if asked and not on it yet. */
static uint64_t frame_top(struct thread_signals *ts, const struct sigaction_k *act, uint64_t sp)
{
	bool on_alt = ts->alt_size && sp - ts->alt_sp <= ts->alt_size;

	if ((act->flags & SA_ONSTACK) && !(ts->alt_flags & SS_DISABLE) && !on_alt)
		return ts->alt_sp + ts->alt_size;
	return sp - REDZONE;
}

static void fill_mcontext(struct sigcontext_k *mc, const struct regs *r)
{
	mc->r8 = r->r8, mc->r9 = r->r9, mc->r10 = r->r10, mc->r11 = r->r11;
	mc->r12 = r->r12, mc->r13 = r->r13, mc->r14 = r->r14, mc->r15 = r->r15;
	mc->rdi = r->rdi, mc->rsi = r->rsi, mc->rbp = r->rbp, mc->rbx = r->rbx;
	mc->rdx = r->rdx, mc->rax = r->rax, mc->rcx = r->rcx, mc->rsp = r->rsp;
	mc->rip = r->rip;
	mc->eflags = r->rflags;
	mc->cs = USER_CS;
	mc->ss = USER_DS;
}

/* Build the frame for `sig` and point `r` at the handler; false if the
 * frame could not be written (the program then dies of SIGSEGV). */
static bool setup_frame(struct regs *r, int sig, const struct ksiginfo *info)
{
	struct thread *t = sched_current();
	struct thread_signals *ts = ts_of(t);
	struct sigaction_k *act = action_of(t, sig);
	struct rt_sigframe f;
	uint64_t top = frame_top(ts, act, r->rsp), fp, frame;
	size_t fplen;
	void *fpbuf;

	if (!(act->flags & SA_RESTORER))
		return false; /* x86-64 Linux requires a restorer */
	/* The kernel out of memory: Linux's OOM killer acts; this thread
	 * retries once it has (or is gone, if its process was chosen). */
	while (!(fpbuf = fpstate_build(&fplen)))
		process_oom();
	fp = ALIGN_DOWN(top - fplen, FPSTATE_ALIGN);
	frame = ALIGN_DOWN(fp - sizeof(f), 16) - 8;
	memset(&f, 0, sizeof(f));
	f.pretcode = act->restorer;
	f.uc.flags =
		UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (cpu_features.xsave ? UC_FP_XSTATE : 0);
	f.uc.ss_sp = ts->alt_sp;
	f.uc.ss_size = ts->alt_size;
	f.uc.ss_flags = (ts->alt_flags & SS_DISABLE)		? SS_DISABLE
			: (r->rsp - ts->alt_sp <= ts->alt_size) ? SS_ONSTACK
								: 0;
	fill_mcontext(&f.uc.mc, r);
	f.uc.mc.err = r->error;
	f.uc.mc.trapno = r->nr < 32 ? r->nr : 0;
	f.uc.mc.cr2 = info->addr;
	f.uc.mc.oldmask = ts->restore_mask ? ts->saved_mask : t->sigmask;
	f.uc.mc.fpstate = fp;
	f.uc.sigmask = f.uc.mc.oldmask;
	bool ok = !copy_to_user(fp, fpbuf, fplen) && !copy_to_user(frame, &f, sizeof(f)) &&
		  !signal_put_siginfo(frame + offsetof(struct rt_sigframe, info), info);
	kfree(fpbuf);
	if (!ok)
		return false;
	if (ts->restore_mask) {
		t->sigmask = ts->saved_mask;
		ts->restore_mask = false;
	}
	t->sigmask |= act->mask | ((act->flags & SA_NODEFER) ? 0 : SIGBIT(sig));
	t->sigmask &= ~UNBLOCKABLE;
	r->rsp = frame;
	r->rip = act->handler;
	/* SA_RESETHAND resets the action only once the handler is taken:
	 * node's SIGTERM handler relies on it, and then re-raises. */
	if (act->flags & SA_RESETHAND)
		act->handler = SIG_DFL;
	r->rdi = sig;
	r->rsi = frame + offsetof(struct rt_sigframe, info);
	r->rdx = frame + offsetof(struct rt_sigframe, uc);
	r->rax = 0;
	r->rflags &= ~(uint64_t)(RFLAGS_TF | RFLAGS_DF);
	r->cs = USER_CS;
	r->ss = USER_DS;
	return true;
}

/* Whether a syscall's result asks for a restart (or EINTR). */
static bool is_restart(long rax)
{
	_Static_assert(ERESTARTNOINTR == ERESTARTSYS + 1 && ERESTARTNOHAND == ERESTARTSYS + 2,
		       "the restart codes are consecutive");
	return (unsigned long)(-rax - ERESTARTSYS) <= 2;
}

/* An interrupted syscall: restart it, or make it fail with EINTR. */
static void fix_restart(struct regs *r, const struct sigaction_k *act)
{
	long rax = (long)r->rax;

	if (!is_restart(rax))
		return;
	if (act &&
	    ((rax == -ERESTARTSYS && !(act->flags & SA_RESTART)) || rax == -ERESTARTNOHAND)) {
		r->rax = -EINTR;
		return;
	}
	r->rax = r->nr; /* run the syscall instruction again */
	r->rip -= 2;
}

/* The slow way back, when signal_deliver's look found something that may
 * be due.  Out of line, so that the look itself saves no registers. */
static __attribute__((noinline)) bool deliver_slow(struct regs *r, bool syscall)
{
	struct thread *t = sched_current();
	struct thread_signals *ts = ts_of(t);
	struct ksiginfo info;
	int sig;

	if (process_exiting(t))
		process_exit_thread(0); /* the process ends: this thread leaves */
	process_stopped_wait();
	while ((sig = signal_dequeue(~t->sigmask, &info))) {
		struct sigaction_k *act = action_of(t, sig);
		if (signal_ignored(t, sig))
			continue; /* changed to ignored while pending */
		if (act->handler == SIG_DFL && stop_signal(sig)) {
			process_stop(sig); /* returns once continued */
			continue;
		}
		if (act->handler == SIG_DFL)
			process_kill(sig, info.addr, info.addr ? r->rip : 0);
		if (syscall)
			fix_restart(r, act);
		if (!setup_frame(r, sig, &info))
			process_kill(SIGSEGV, 0, r->rip);
		return true;
	}
	if (syscall)
		fix_restart(r, NULL);
	if (ts->restore_mask) { /* sigsuspend woke for nothing it handles */
		t->sigmask = ts->saved_mask;
		ts->restore_mask = false;
	}
	return false;
}

bool signal_deliver(struct regs *r, bool syscall)
{
	const struct thread *t = sched_current();
	const struct thread_signals *ts = ts_of((struct thread *)t);
	const struct process *p = process_of(t);

	/* The way back from nearly every call: nothing deliverable pending,
	 * nothing to restart, no mask to put back.  A racing interrupt that
	 * makes a signal pending after this look still delivers it: the
	 * interrupt's own way back to ring 3 comes through here again. */
	if (likely(!((ts->pending.set | p->pending.set) & ~t->sigmask) && !ts->restore_mask &&
		   (!syscall || !is_restart((long)r->rax)) && !process_exiting(t) && !p->stopped))
		return false;
	return deliver_slow(r, syscall);
}

/* Load the FPU state the handler may have changed; false if it is bad. */
static bool fpstate_restore(uint64_t ufp)
{
	size_t size = cpu_features.xsave_size;
	uint8_t *raw = kmalloc(size + FPSTATE_ALIGN), *buf;
	uint32_t mxcsr;
	uint64_t hdr[8];
	bool ok = false;

	if (!raw)
		return false;
	buf = (uint8_t *)ALIGN_UP((uint64_t)raw, FPSTATE_ALIGN);
	if (copy_from_user(buf, ufp, size))
		goto out;
	memcpy(&mxcsr, buf + MXCSR_OFFSET, 4);
	if (mxcsr & 0xffff0000u) /* reserved MXCSR bits fault in XRSTOR */
		goto out;
	if (cpu_features.xsave) {
		memcpy(hdr, buf + XSAVE_HDR_OFFSET, sizeof(hdr));
		if ((hdr[0] & ~cpu_features.xcr0) || hdr[1]) /* XSTATE_BV, XCOMP_BV */
			goto out;
		for (int i = 2; i < 8; i++)
			if (hdr[i])
				goto out;
		__asm__ volatile("xrstor64 (%0)" : : "r"(buf), "a"(-1), "d"(-1) : "memory");
	} else {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(buf) : "memory");
	}
	ok = true;
out:
	kfree(raw);
	return ok;
}

long signal_sigreturn(struct regs *r)
{
	struct thread *t = sched_current();
	uint64_t frame = r->rsp - 8; /* the handler's ret popped pretcode */
	struct rt_sigframe f;
	struct sigcontext_k *mc = &f.uc.mc;

	if (copy_from_user(&f, frame, sizeof(f)) || (mc->fpstate && !fpstate_restore(mc->fpstate)))
		process_kill(SIGSEGV, 0, r->rip);
	r->r8 = mc->r8, r->r9 = mc->r9, r->r10 = mc->r10, r->r11 = mc->r11;
	r->r12 = mc->r12, r->r13 = mc->r13, r->r14 = mc->r14, r->r15 = mc->r15;
	r->rdi = mc->rdi, r->rsi = mc->rsi, r->rbp = mc->rbp, r->rbx = mc->rbx;
	r->rdx = mc->rdx, r->rax = mc->rax, r->rcx = mc->rcx, r->rsp = mc->rsp;
	r->rip = mc->rip;
	r->rflags = (r->rflags & ~(uint64_t)FIX_EFLAGS) | (mc->eflags & FIX_EFLAGS) | RFLAGS_IF;
	r->cs = USER_CS;
	r->ss = USER_DS;
	r->nr = -1; /* not a syscall any more: never restarted */
	t->sigmask = f.uc.sigmask & ~UNBLOCKABLE;
	return r->rax;
}

long signal_altstack(uint64_t uss, uint64_t uoss, uint64_t sp)
{
	struct thread_signals *ts = ts_of(sched_current());
	struct {
		uint64_t sp;
		uint32_t flags, pad;
		uint64_t size;
	} ss, old = { ts->alt_sp, ts->alt_flags, 0, ts->alt_size };
	bool on_alt = ts->alt_size && sp - ts->alt_sp <= ts->alt_size;

	if (on_alt)
		old.flags = SS_ONSTACK;
	if (uss) {
		if (copy_from_user(&ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on_alt)
			return -EPERM;
		if (ss.flags & ~(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM))
			return -EINVAL;
		if (ss.flags & SS_DISABLE) {
			ts->alt_sp = ts->alt_size = 0;
			ts->alt_flags = SS_DISABLE;
		} else {
			if (ss.size < MINSIGSTKSZ)
				return -ENOMEM;
			ts->alt_sp = ss.sp;
			ts->alt_size = ss.size;
			ts->alt_flags = 0;
		}
	}
	if (uoss && copy_to_user(uoss, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static bool check(struct thread *t)
{
	return t->sig && (has_signal(t) || process_exiting(t));
}

void signal_init(void)
{
	sched_signal_check = check;
}
