/*
 * The tty layer (design.md contract 18): one termios, window size,
 * controlling-terminal and foreground-group state, one set of terminal
 * ioctls, and one line discipline (Linux's N_TTY: canonical editing, echo,
 * ISIG, VMIN/VTIME), shared by every terminal: the console's fds 0-2 when
 * the host side is a terminal (fs/console_file.c) and the slaves of the
 * pseudo-terminals (fs/pty.c).
 *
 * A terminal's driver is what lies beyond the line discipline: for a pty
 * the master's read queue, for the console the host's terminal.  The
 * console has no line discipline here (`drv->write` NULL): the host's
 * terminal edits the input and turns Ctrl-C into a signal frame, so only the
 * state and the ioctls are shared.
 *
 * One process today: "the process" below is the only one, and its process
 * group and session come from the hooks the Linux layer registers
 * (tty_set_session_ops), which is where the processes work plugs in.
 */
#ifndef FS_TTY_H
#define FS_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/spinlock.h"
#include <lib/list.h>

#define TTY_BUF_SIZE  4096    /* the input buffer: Linux's N_TTY_BUF_SIZE */
#define TTY_ECHO_HELD 256     /* echoes kept while output is stopped */
#define TTY_NCCS      19      /* the kernel's struct termios (asm-generic/termbits.h) */
#define TTY_IUTF8     0040000 /* iflag: input is UTF-8 (ERASE takes a whole character) */

/* struct termios as the TCGETS/TCSETS ioctls carry it (no speeds). */
struct termios_k {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[TTY_NCCS];
};

/* struct winsize (include/uapi/asm-generic/termios.h). */
struct winsize_k {
	uint16_t row, col, xpixel, ypixel;
};

struct tty;
struct file;

/* What lies beyond the line discipline.  All but `open` are called with the
 * tty's lock held. */
struct tty_driver {
	/* Output after OPOST processing: store up to `n` bytes, return how
	 * many were stored.  NULL: no line discipline (the console). */
	size_t (*write)(struct tty *t, const uint8_t *p, size_t n);
	size_t (*write_room)(struct tty *t); /* bytes `write` takes now */
	void (*flush_output)(struct tty *t); /* drop output not yet taken */
	/* Optional: bring t->winsize up to date from the terminal side. */
	void (*refresh_winsize)(struct tty *t);
	/* A new file on this terminal (opening /dev/tty): the file with one
	 * reference, or an ERR_PTR.  Lock not held. */
	struct file *(*open)(struct tty *t, unsigned flags);
};

struct tty {
	struct spinlock *lock; /* guards every field below (a pty: its pair's lock) */
	const struct tty_driver *drv;
	void *priv; /* the driver's (a pty: its pair) */
	struct termios_k termios;
	struct winsize_k winsize;
	int pgrp;	       /* foreground process group; 0 while no session owns it */
	int session;	       /* the session whose controlling terminal it is, or 0 */
	struct list_head node; /* in tty.c's list of terminals */
	bool hungup;	       /* the other side went (pty master closed): read 0, write EIO */
	bool stopped;	       /* IXON: the STOP character stopped output */
	bool tco_stopped;      /* tcflow(TCOOFF) stopped it (only TCOON restarts) */
	uint8_t echo_held[TTY_ECHO_HELD]; /* echoes while output is stopped */
	unsigned echo_len;
	bool lnext; /* LNEXT typed: the next byte is not special */
	/* The input buffer: bytes [tail, head) unread, [tail, canon) in
	 * complete lines (canonical mode).  Counters run freely. */
	uint8_t buf[TTY_BUF_SIZE];
	uint8_t delim[TTY_BUF_SIZE / 8]; /* bit set: this byte ends a line */
	unsigned head, tail, canon;
	unsigned column, canon_column; /* output column; where the line began */
	uint32_t signals;	       /* ISIG signals to send once the lock is dropped */
	uint64_t gen;		       /* bumped on every change a poller may wait for */
};

/* The hooks through which a terminal reaches processes (registered once by
 * the Linux layer at boot). */
struct tty_session_ops {
	int (*pgrp)(void);		      /* the caller's process group */
	int (*session)(void);		      /* the caller's session */
	bool (*leader)(void);		      /* whether the caller leads it */
	bool (*pgrp_exists)(int pgrp);	      /* a group of the caller's session */
	void (*kill_pgrp)(int pgrp, int sig); /* signal every member of a group */
	bool (*sig_refused)(int sig);	      /* the caller blocks or ignores it */
	bool (*pgrp_orphaned)(void);	      /* the caller's group is orphaned */
};
void tty_set_session_ops(const struct tty_session_ops *ops);

#define SIGTTIN 21 /* include/uapi/asm-generic/signal.h: job control's */
#define SIGTTOU 22

/*
 * tty_job_control - Linux's __tty_check_change: may the caller, in a
 * background process group of the session whose controlling terminal is
 * `t`, read it (`sig` SIGTTIN) or write or reconfigure it (SIGTTOU)?  0:
 * yes (the foreground, another session's process, or SIGTTOU blocked or
 * ignored); -EIO: a read with SIGTTIN blocked or ignored, or an orphaned
 * group (no shell to continue it); -ERESTARTSYS: `sig` went to the
 * caller's group, whose stop comes first and the call starts again.
 * Process context, no lock held.
 */
long tty_job_control(struct tty *t, int sig);

/* `t` is the process's controlling terminal from the start (the console on
 * a host terminal), once the hooks are registered.  Boot only. */
void tty_claim_at_start(struct tty *t);

/* The console's foreground process group when it is a host terminal (so
 * Ctrl-C at the host reaches it), else 0. */
int tty_console_foreground(void);

/* Set up `t` with a fresh Linux pty's termios, guarded by `lock`. */
void tty_init(struct tty *t, struct spinlock *lock, const struct tty_driver *drv, void *priv);

/*
 * The terminal ioctls, for a file of `t`: termios (TCGETS, TCSETS[WF]),
 * window size (SIGWINCH to the foreground group on a change), FIONREAD,
 * TIOCOUTQ, TCFLSH, TCXONC, TCSBRK, the controlling terminal (TIOCSCTTY, TIOCNOTTY,
 * TIOCGPGRP, TIOCSPGRP, TIOCGSID).  `master`: asked through the other end of
 * a pty (Linux then answers for the slave, without the ownership checks).
 * -ENOTTY for anything else.
 */
long tty_ioctl(struct tty *t, unsigned cmd, uint64_t arg, bool master);

/* A file of `t` was opened without O_NOCTTY: a session leader without a
 * controlling terminal acquires it, as Linux's tty_open does. */
void tty_opened(struct tty *t, unsigned flags);

/* The other side went: wake every reader and writer, make the terminal
 * read EOF and write EIO, and, if it is a controlling terminal, send
 * SIGHUP and SIGCONT to its session leader, which loses it.  Lock not held. */
void tty_hangup(struct tty *t);

/* `t` goes away (its last file closed): it stops being the controlling
 * terminal.  Lock not held. */
void tty_release(struct tty *t);

/* The process's controlling terminal opened anew (/dev/tty): ERR_PTR
 * (-ENXIO) without one. */
struct file *tty_open_ctty(unsigned flags);

/* Signal process group `pgrp` (0: nobody) through the session hooks. */
void tty_signal_pgrp(int pgrp, int sig);

/* ------------------------- the line discipline (n_tty.c, n_tty_out.c) */

/*
 * read(2) of the slave side: the line discipline's input, by line in
 * canonical mode, by VMIN/VTIME otherwise.  Returns the count, 0 at EOF (the
 * EOF character, or a hang-up), -EAGAIN (`nonblock`), -ERESTARTSYS.
 */
long n_tty_read(struct tty *t, void *kbuf, size_t n, bool nonblock);

/* write(2) of the slave side: OPOST processing, then the driver; waits for
 * room.  The count, -EIO after a hang-up, -EAGAIN, -ERESTARTSYS. */
long n_tty_out_write(struct tty *t, const void *kbuf, size_t n, bool nonblock);

/* Input typed at the terminal (a write to the pty master): the line
 * discipline edits, echoes and signals; waits while the buffer is full.
 * The count, -EAGAIN, -ERESTARTSYS. */
long n_tty_input(struct tty *t, const void *kbuf, size_t n, bool nonblock);

/* poll of the slave side (see file_ops.poll). */
unsigned n_tty_poll(struct tty *t, uint64_t *gen);

/* Whether room for input remains (the master's POLLOUT); lock held. */
bool n_tty_input_room(struct tty *t);

/* For the ioctls (fs/tty.c), the lock held: drop the unread input; the
 * bytes FIONREAD reports; take new termios (what ICANON and IXON changes
 * do to the input and output). */
void n_tty_flush_input(struct tty *t);
unsigned n_tty_inq(struct tty *t);
long n_tty_out_flow(struct tty *t, unsigned action); /* TCXONC: 0 or -EINVAL */
void n_tty_set_termios(struct tty *t, const struct termios_k *k);

#endif
