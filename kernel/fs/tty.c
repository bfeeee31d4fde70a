/*
 * The tty layer (tty.h says who uses what): a terminal's termios, window
 * size and owner (the controlling terminal of a session and its foreground
 * group), and the terminal ioctls.  The line discipline is fs/n_tty.c.
 *
 * Locking: a tty's fields are guarded by its lock; the process's own state
 * (its controlling terminal) as the descriptor table is.
 */
#include "fs/tty.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/uapi.h"

/* ioctls (include/uapi/asm-generic/ioctls.h). */
#define TCGETS	   0x5401
#define TCSETS	   0x5402
#define TCSETSW	   0x5403
#define TCSETSF	   0x5404
#define TCSBRK	   0x5409
#define TCXONC	   0x540a
#define TIOCSCTTY  0x540e
#define TIOCGPGRP  0x540f
#define TIOCOUTQ   0x5411
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCNOTTY  0x5422
#define TCSBRKP	   0x5425
#define TIOCGSID   0x5429

#define SIGHUP	 1 /* include/uapi/asm-generic/signal.h */
#define SIGCONT	 18
#define SIGWINCH 28

/* A fresh Linux pty's settings: ICRNL IXON; OPOST ONLCR; B38400 CS8 CREAD
 * HUPCL; ISIG ICANON ECHO ECHOE ECHOK IEXTEN ECHOCTL ECHOKE; ^C ^\ DEL ^U
 * ^D, VMIN 1, ^Q ^S ^Z, ^R ^O ^W ^V (tty_std_termios, INIT_C_CC). */
static const struct termios_k default_termios = {
	.iflag = 0x500,
	.oflag = 0x5,
	.cflag = 0xbf,
	.lflag = 0x8a3b,
	.cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, 0 },
};

/* The session hooks, and every terminal (struct tty.node): a process's
 * controlling terminal is the one its session owns (Linux keeps a pointer
 * per process; the session's terminal is the same, and never dangles).
 * Guarded by the system-call rule (core/spinlock.h). */
static const struct tty_session_ops *session_ops;
static struct list_head ttys = LIST_HEAD_INIT(ttys);

/* The caller's controlling terminal, or NULL. */
static struct tty *caller_ctty(void)
{
	struct tty *t;
	int sid;

	if (!session_ops)
		return NULL;
	sid = session_ops->session();
	list_for_each_entry(t, &ttys, node)
		if (t->session && t->session == sid)
			return t;
	return NULL;
}

void tty_init(struct tty *t, struct spinlock *lock, const struct tty_driver *drv, void *priv)
{
	memset(t, 0, sizeof(*t));
	t->lock = lock;
	t->drv = drv;
	t->priv = priv;
	t->termios = default_termios;
	list_add_tail(&t->node, &ttys);
}

/* ------------------------------------------------ controlling terminal */

static struct tty *pending_ctty; /* the console, until the hooks arrive */
static struct tty *console_tty;	 /* the console, when on a host terminal */

/* Set who owns `t` (0, 0: nobody); returns the foreground group it had. */
static int set_owner(struct tty *t, int session, int pgrp)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	int old = t->pgrp;

	t->session = session;
	t->pgrp = pgrp;
	spin_unlock_irqrestore(t->lock, flags);
	return old;
}

static void make_ctty(struct tty *t)
{
	set_owner(t, session_ops->session(), session_ops->pgrp());
}

void tty_signal_pgrp(int pgrp, int sig)
{
	if (pgrp && session_ops)
		session_ops->kill_pgrp(pgrp, sig);
}

void tty_set_session_ops(const struct tty_session_ops *ops)
{
	session_ops = ops;
	if (pending_ctty)
		make_ctty(pending_ctty);
	pending_ctty = NULL;
}

long tty_job_control(struct tty *t, int sig)
{
	uint64_t flags;
	int fg, pgrp;

	if (!session_ops || caller_ctty() != t)
		return 0;
	flags = spin_lock_irqsave(t->lock);
	fg = t->pgrp;
	spin_unlock_irqrestore(t->lock, flags);
	pgrp = session_ops->pgrp();
	if (!fg || pgrp == fg)
		return 0;
	if (session_ops->sig_refused(sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (session_ops->pgrp_orphaned())
		return -EIO;
	session_ops->kill_pgrp(pgrp, sig);
	return -ERESTARTSYS;
}

int tty_console_foreground(void)
{
	return console_tty ? console_tty->pgrp : 0;
}

void tty_claim_at_start(struct tty *t)
{
	console_tty = t;
	if (session_ops)
		make_ctty(t);
	else
		pending_ctty = t;
}

void tty_opened(struct tty *t, unsigned flags)
{
	/* Linux's tty_open_proc_set_tty: only a reader may acquire it. */
	if ((flags & O_NOCTTY) || !file_flags_readable(flags) || !session_ops)
		return;
	if (session_ops->leader() && !caller_ctty() && !t->session)
		make_ctty(t);
}

/* The terminal stops being the controlling one (lock not held); returns
 * the foreground group it had. */
static int drop_ctty(struct tty *t)
{
	return set_owner(t, 0, 0);
}

/* Linux's disassociate_ctty for a session leader: SIGHUP and SIGCONT to
 * the foreground group, then no controlling terminal. */
static void hang_up_session(struct tty *t)
{
	int pgrp = drop_ctty(t);

	tty_signal_pgrp(pgrp, SIGHUP);
	tty_signal_pgrp(pgrp, SIGCONT);
}

void tty_hangup(struct tty *t)
{
	uint64_t flags = spin_lock_irqsave(t->lock);

	t->hungup = true;
	t->gen++;
	spin_unlock_irqrestore(t->lock, flags);
	if (t->session)
		hang_up_session(t);
	sched_wake_all(); /* readers see EOF, writers EIO */
}

void tty_release(struct tty *t)
{
	drop_ctty(t);
	list_del(&t->node);
	if (console_tty == t)
		console_tty = NULL;
	if (pending_ctty == t)
		pending_ctty = NULL;
}

struct file *tty_open_ctty(unsigned flags)
{
	struct tty *t = caller_ctty();

	if (!t || !t->drv->open)
		return ERR_PTR(-ENXIO);
	return t->drv->open(t, flags | O_NOCTTY);
}

static long tiocsctty(struct tty *t)
{
	if (!session_ops)
		return -EPERM;
	if (session_ops->leader() && t->session == session_ops->session())
		return 0; /* ours already */
	if (!session_ops->leader() || caller_ctty() || t->session)
		return -EPERM;
	make_ctty(t);
	return 0;
}

static long tiocnotty(struct tty *t)
{
	if (caller_ctty() != t)
		return -ENOTTY;
	/* A member that is not the leader keeps it: the terminal belongs to
	 * the session (Linux drops it for that process alone). */
	if (session_ops->leader())
		hang_up_session(t);
	return 0;
}

/* Linux's order of checks: the argument, then whose terminal it is. */
static long tiocspgrp(struct tty *t, uint64_t arg)
{
	int pgrp;

	if (copy_from_user(&pgrp, arg, sizeof(pgrp)))
		return -EFAULT;
	if (pgrp < 0)
		return -EINVAL;
	if (caller_ctty() != t)
		return -ENOTTY;
	if (!session_ops->pgrp_exists(pgrp))
		return -ESRCH;
	set_owner(t, t->session, pgrp);
	return 0;
}

/* TIOCGPGRP and TIOCGSID: through the master they are answered for
 * anyone; through the terminal itself only for its session. */
static long get_owner(struct tty *t, uint64_t arg, bool master, bool sid)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	int v = sid ? t->session : t->pgrp;

	spin_unlock_irqrestore(t->lock, flags);
	if (!master && caller_ctty() != t)
		return -ENOTTY;
	if (sid && !v)
		return -ENOTTY;
	return copy_to_user(arg, &v, sizeof(v));
}

/* ------------------------------------------------------------- ioctls */

static long get_termios(struct tty *t, uint64_t arg)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	struct termios_k k = t->termios;

	spin_unlock_irqrestore(t->lock, flags);
	return copy_to_user(arg, &k, sizeof(k));
}

/* TCSETS, TCSETSW, TCSETSF.  Output is handed on at once, so there is no
 * queue for TCSETSW to drain (a Linux pty has none either). */
static long set_termios(struct tty *t, uint64_t arg, bool flush)
{
	struct termios_k k;
	uint64_t flags;

	if (copy_from_user(&k, arg, sizeof(k)))
		return -EFAULT;
	flags = spin_lock_irqsave(t->lock);
	n_tty_set_termios(t, &k);
	if (flush && t->drv->write)
		n_tty_flush_input(t);
	t->gen++;
	spin_unlock_irqrestore(t->lock, flags);
	sched_wake_all(); /* a reader's conditions may have changed */
	return 0;
}

static long get_winsize(struct tty *t, uint64_t arg)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	struct winsize_k w;

	if (t->drv->refresh_winsize)
		t->drv->refresh_winsize(t);
	w = t->winsize;
	spin_unlock_irqrestore(t->lock, flags);
	return copy_to_user(arg, &w, sizeof(w));
}

/* A new size signals the foreground group with SIGWINCH (tty_do_resize). */
static long set_winsize(struct tty *t, uint64_t arg)
{
	struct winsize_k w;
	uint64_t flags;
	bool changed;
	int pgrp;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	flags = spin_lock_irqsave(t->lock);
	if (t->drv->refresh_winsize)
		t->drv->refresh_winsize(t);
	changed = memcmp(&w, &t->winsize, sizeof(w)) != 0;
	t->winsize = w;
	pgrp = t->pgrp;
	spin_unlock_irqrestore(t->lock, flags);
	if (changed)
		tty_signal_pgrp(pgrp, SIGWINCH);
	return 0;
}

/* FIONREAD of the line discipline's input. */
static long input_count(struct tty *t, uint64_t arg)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	int n = n_tty_inq(t);

	spin_unlock_irqrestore(t->lock, flags);
	return copy_to_user(arg, &n, sizeof(n));
}

/* TCFLSH.  The console's input belongs to the host's terminal: nothing
 * is held here to drop. */
static long flush(struct tty *t, uint64_t arg)
{
	uint64_t flags;

	if (arg > TCIOFLUSH)
		return -EINVAL;
	if (!t->drv->write)
		return 0;
	flags = spin_lock_irqsave(t->lock);
	if (arg != TCOFLUSH)
		n_tty_flush_input(t);
	if (arg != TCIFLUSH)
		t->drv->flush_output(t);
	t->gen++;
	spin_unlock_irqrestore(t->lock, flags);
	sched_wake_all(); /* room for writers */
	return 0;
}

/* TCXONC.  The console's flow is the host terminal's: nothing to do. */
static long flow(struct tty *t, uint64_t arg)
{
	uint64_t flags;
	long r;

	if (!t->drv->write)
		return arg > TCION ? -EINVAL : 0;
	flags = spin_lock_irqsave(t->lock);
	r = n_tty_out_flow(t, arg);
	t->gen++;
	spin_unlock_irqrestore(t->lock, flags);
	sched_wake_all(); /* stopped writers may go on */
	return r;
}

/* The ioctls that change the terminal, which a background group may not
 * make without SIGTTOU (Linux's tty_check_change callers). */
static bool changes_terminal(unsigned cmd)
{
	return cmd == TCSETS || cmd == TCSETSW || cmd == TCSETSF || cmd == TCFLSH ||
	       cmd == TCXONC || cmd == TIOCSPGRP;
}

long tty_ioctl(struct tty *t, unsigned cmd, uint64_t arg, bool master)
{
	int zero = 0;
	long r;

	if (!master && changes_terminal(cmd) && (r = tty_job_control(t, SIGTTOU)))
		return r;
	switch (cmd) {
	case TCGETS:
		return get_termios(t, arg);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(t, arg, cmd == TCSETSF);
	case TIOCGWINSZ:
		return get_winsize(t, arg);
	case TIOCSWINSZ:
		return set_winsize(t, arg);
	case FIONREAD:
		return t->drv->write ? input_count(t, arg) : -ENOTTY;
	case TIOCOUTQ: /* output is handed on at once */
		return copy_to_user(arg, &zero, sizeof(zero));
	case TCFLSH:
		return flush(t, arg);
	case TCXONC:
		return flow(t, arg);
	case TCSBRK: /* tcdrain: nothing waits to be sent; no line to break */
	case TCSBRKP:
		return 0;
	case TIOCSCTTY:
		return tiocsctty(t);
	case TIOCNOTTY:
		return master ? -ENOTTY : tiocnotty(t);
	case TIOCGPGRP:
		return get_owner(t, arg, master, false);
	case TIOCSPGRP:
		return tiocspgrp(t, arg);
	case TIOCGSID:
		return get_owner(t, arg, master, true);
	default:
		return -ENOTTY;
	}
}
