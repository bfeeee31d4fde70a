/*
 * The line discipline of the tty layer, as Linux's N_TTY
 * (drivers/tty/n_tty.c) where a program can see it: input mapping, the
 * canonical mode's ERASE, WERASE, KILL, EOF and EOL with the echoes Linux
 * gives, ISIG with its flush, IXON, raw reads by VMIN and VTIME.  Output
 * and echo are fs/n_tty_out.c; fs/tty.c holds the rest of the layer:
 * termios, window size, the controlling terminal, the ioctls.
 *
 * Locking: every field of a tty is guarded by its lock (a pty shares one
 * between both ends); waits go through sched_wait with the lock dropped and
 * every change a waiter may wait for ends in sched_wake_all().  Signals that
 * the line discipline raises are collected under the lock and sent after it
 * is dropped (send_signals), since sending wakes threads.
 */
#include "fs/n_tty.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "fs/vfs.h"

#define SIGINT	2 /* ISIG's signals (include/uapi/asm-generic/signal.h) */
#define SIGQUIT 3
#define SIGTSTP 20

#define VTIME_UNIT_NS 100000000ull /* VTIME counts tenths of a second */

/* -------------------------------------------------------------- input */

static unsigned buf_used(struct tty *t)
{
	return t->head - t->tail;
}

static void set_delim(struct tty *t, unsigned pos, bool delim)
{
	unsigned i = pos % TTY_BUF_SIZE;

	if (delim)
		t->delim[i / 8] |= 1u << (i % 8);
	else
		t->delim[i / 8] &= ~(1u << (i % 8));
}

static void put_byte(struct tty *t, uint8_t c, bool delim)
{
	t->buf[t->head % TTY_BUF_SIZE] = c;
	set_delim(t, t->head++, delim);
}

static bool is_delim(struct tty *t, unsigned pos)
{
	unsigned i = pos % TTY_BUF_SIZE;
	return t->delim[i / 8] & (1u << (i % 8));
}

void n_tty_flush_input(struct tty *t)
{
	t->head = t->tail = t->canon = 0;
	t->lnext = false;
}

/* ISIG: the signal for the foreground group, and unless NOFLSH the input
 * and the unread output dropped, as n_tty's isig(). */
static void isig(struct tty *t, int sig, uint8_t c)
{
	t->signals |= 1u << sig;
	if (!L(t, NOFLSH)) {
		n_tty_flush_input(t);
		t->drv->flush_output(t);
		t->echo_len = 0;
	}
	if (L(t, ECHO))
		n_tty_out_echo_char(t, c);
}

/* The column at which the line's byte `pos` is shown: the line's first
 * column plus what the echoes of the bytes before it took. */
static unsigned line_column(struct tty *t, unsigned pos)
{
	unsigned col = t->canon_column;

	for (unsigned i = t->canon; i != pos; i++) {
		uint8_t c = t->buf[i % TTY_BUF_SIZE];
		col = L(t, ECHOCTL) && is_cntrl(c) && c != '\t' ? col + 2
								: n_tty_out_column_after(t, col, c);
	}
	return col;
}

/* Erase from the screen the character that began at `start` (n_tty's
 * eraser loop body): "\b \b" for each column it took, a tab back to where
 * it began. */
static void echo_erase(struct tty *t, uint8_t c, unsigned start)
{
	if (c == '\t') {
		unsigned col = line_column(t, start);
		for (unsigned n = t->column > col ? t->column - col : 0; n; n--)
			n_tty_out_echo(t, '\b');
		return;
	}
	if (is_cntrl(c) && L(t, ECHOCTL))
		n_tty_out_echo_str(t, "\b \b");
	if (!is_cntrl(c) || L(t, ECHOCTL))
		n_tty_out_echo_str(t, "\b \b");
}

enum erase_kind { ERASE, WERASE, KILL };

/* What WERASE takes as part of a word (n_tty: isalnum or '_'). */
static bool is_word(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/* ERASE, WERASE and KILL in canonical mode (n_tty's eraser). */
static void eraser(struct tty *t, enum erase_kind kind, uint8_t c)
{
	unsigned seen_alnum = 0;

	if (t->head == t->canon)
		return;
	if (kind == KILL && (!L(t, ECHO) || !L(t, ECHOK) || !L(t, ECHOKE) || !L(t, ECHOE))) {
		t->head = t->canon;
		if (L(t, ECHO)) {
			n_tty_out_echo_char(t, c);
			if (L(t, ECHOK))
				n_tty_out_echo(t, '\n');
		}
		return;
	}
	while (t->head != t->canon) {
		unsigned start = t->head - 1;
		while (start != t->canon && is_utf8_cont(t, t->buf[start % TTY_BUF_SIZE]))
			start--;
		uint8_t first = t->buf[start % TTY_BUF_SIZE];
		bool word = is_word(first);
		if (kind == WERASE && !word && seen_alnum)
			break;
		seen_alnum += kind == WERASE && word;
		t->head = start;
		if (L(t, ECHO)) {
			if (kind == ERASE && !L(t, ECHOE))
				n_tty_out_echo_char(t, t->termios.cc[VERASE]);
			else
				echo_erase(t, first, start);
		}
		if (kind == ERASE)
			break;
	}
}

/* REPRINT: the character, a new line, then the line typed so far. */
static void reprint(struct tty *t, uint8_t c)
{
	n_tty_out_echo_char(t, c);
	n_tty_out_echo(t, '\n');
	for (unsigned i = t->canon; i != t->head; i++)
		n_tty_out_echo_char(t, t->buf[i % TTY_BUF_SIZE]);
}

/* A line ends with `c` (stored as `stored`): complete lines reach readers. */
static void end_line(struct tty *t, uint8_t stored)
{
	put_byte(t, stored, true);
	t->canon = t->head;
}

/* Canonical mode's special characters; false if `c` is an ordinary one. */
static bool canon_char(struct tty *t, uint8_t c)
{
	if (is_cc(t, VERASE, c) || is_cc(t, VKILL, c) || (L(t, IEXTEN) && is_cc(t, VWERASE, c))) {
		eraser(t, is_cc(t, VERASE, c) ? ERASE : is_cc(t, VKILL, c) ? KILL : WERASE, c);
		return true;
	}
	if (L(t, IEXTEN) && is_cc(t, VLNEXT, c)) {
		t->lnext = true; /* the next byte is taken as it is */
		if (L(t, ECHO) && L(t, ECHOCTL))
			n_tty_out_echo_str(t, "^\b");
		return true;
	}
	if (L(t, IEXTEN) && L(t, ECHO) && is_cc(t, VREPRINT, c)) {
		reprint(t, c);
		return true;
	}
	if (c == '\n') {
		if (L(t, ECHO) || L(t, ECHONL))
			n_tty_out_echo(t, '\n');
		end_line(t, c);
		return true;
	}
	if (is_cc(t, VEOF, c)) {
		end_line(t, 0); /* a NUL delimiter: read returns the line without it */
		return true;
	}
	if (is_cc(t, VEOL, c) || (L(t, IEXTEN) && is_cc(t, VEOL2, c))) {
		if (L(t, ECHO))
			n_tty_out_echo_char(t, c);
		end_line(t, c);
		return true;
	}
	return false;
}

/* The carriage-return mapping of iflag; -1: the byte is dropped (IGNCR). */
static int map_cr(struct tty *t, uint8_t c)
{
	if (c == '\r')
		return I(t, IGNCR) ? -1 : I(t, ICRNL) ? '\n' : '\r';
	if (c == '\n' && I(t, INLCR))
		return '\r';
	return c;
}

/* The flow-control and signal characters; true if `c` was one. */
static bool control_char(struct tty *t, uint8_t c)
{
	if (I(t, IXON) && is_cc(t, VSTOP, c)) {
		t->stopped = true;
		return true;
	}
	if (I(t, IXON) && is_cc(t, VSTART, c)) {
		n_tty_out_start(t);
		return true;
	}
	if (I(t, IXON) && I(t, IXANY) && t->stopped)
		n_tty_out_start(t); /* and the byte is taken as usual */
	if (!L(t, ISIG))
		return false;
	if (is_cc(t, VINTR, c))
		isig(t, SIGINT, c);
	else if (is_cc(t, VQUIT, c))
		isig(t, SIGQUIT, c);
	else if (is_cc(t, VSUSP, c))
		isig(t, SIGTSTP, c);
	else
		return false;
	return true;
}

/* One typed byte; false if there is no room for it.  In canonical mode
 * the last slot is kept for a line's end, so a full line cannot block the
 * newline that would let it be read (other bytes are dropped). */
static bool receive_char(struct tty *t, uint8_t raw)
{
	int c = I(t, ISTRIP) ? raw & 0x7f : raw;
	bool canon = L(t, ICANON), literal = t->lnext;
	unsigned room = TTY_BUF_SIZE - buf_used(t);

	/* As n_tty: the flow and signal characters before the CR mapping,
	 * and nothing special right after LNEXT. */
	if (!literal && (control_char(t, c) || (c = map_cr(t, c)) < 0))
		return true;
	if (!room)
		return false;
	t->lnext = false;
	if (canon && !literal && canon_char(t, c))
		return true;
	if (canon && room == 1)
		return true; /* dropped, as N_TTY drops it */
	if (L(t, ECHO)) {
		if (t->head == t->canon)
			t->canon_column = t->column;
		n_tty_out_echo_char(t, c);
	}
	put_byte(t, c, false);
	return true;
}

/* Send the signals the line discipline raised.  Lock not held. */
static void send_signals(struct tty *t)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	uint32_t sigs = t->signals;
	int pgrp = t->pgrp;

	t->signals = 0;
	spin_unlock_irqrestore(t->lock, flags);
	for (int sig = 1; sigs >> sig; sig++)
		if (sigs & (1u << sig))
			tty_signal_pgrp(pgrp, sig);
}

static bool in_room(void *arg)
{
	struct tty *t = arg;
	return buf_used(t) < TTY_BUF_SIZE;
}

bool n_tty_input_room(struct tty *t)
{
	return in_room(t);
}

/* Linux's "real raw" input: nothing to map, echo or act on (cfmakeraw's
 * settings), so bytes go in as they come, without the per-byte work. */
static bool real_raw(struct tty *t)
{
	return !I(t, ISTRIP | IGNCR | ICRNL | INLCR | IXON) && !L(t, ICANON | ISIG | ECHO) &&
	       !t->lnext;
}

/* As many of `p` as fit; the count.  Lock held. */
static size_t receive_bytes(struct tty *t, const uint8_t *p, size_t n)
{
	size_t done = 0;

	if (real_raw(t)) {
		/* No delimiter bits: they count only in canonical mode, and
		 * turning it on clears them (n_tty_set_termios). */
		n = MIN(n, (size_t)(TTY_BUF_SIZE - buf_used(t)));
		while (done < n) {
			unsigned at = t->head % TTY_BUF_SIZE;
			size_t k = MIN(n - done, (size_t)(TTY_BUF_SIZE - at));
			memcpy(t->buf + at, p + done, k);
			done += k;
			t->head += k;
		}
		return done;
	}
	while (done < n && receive_char(t, p[done]))
		done++;
	return done;
}

long n_tty_input(struct tty *t, const void *kbuf, size_t n, bool nonblock)
{
	const uint8_t *p = kbuf;
	size_t done = 0;
	long r;

	while (done < n) {
		uint64_t flags = spin_lock_irqsave(t->lock);
		size_t before = done;
		done += receive_bytes(t, p + done, n - done);
		t->gen++;
		spin_unlock_irqrestore(t->lock, flags);
		send_signals(t);
		if (done != before)
			sched_wake_all(); /* readers of either side */
		if (done == n)
			break;
		if (nonblock)
			return done ? (long)done : -EAGAIN;
		if ((r = sched_wait(in_room, t, 0)))
			return done ? (long)done : r;
	}
	return done;
}

/* --------------------------------------------------------------- read */

/* Bytes a read may take now: complete lines in canonical mode. */
static unsigned readable(struct tty *t)
{
	return L(t, ICANON) ? t->canon - t->tail : buf_used(t);
}

/* Copy one line (or what fits of it) in canonical mode, dropping an EOF
 * delimiter; sets *eof when the line was an empty EOF.  Lock held. */
static size_t take_line(struct tty *t, uint8_t *dst, size_t n, bool *eof)
{
	size_t got = 0;

	while (t->tail != t->canon && got < n) {
		unsigned pos = t->tail++;
		uint8_t c = t->buf[pos % TTY_BUF_SIZE];
		if (is_delim(t, pos)) {
			if (c)
				dst[got++] = c;
			else
				*eof = !got;
			break;
		}
		dst[got++] = c;
	}
	return got;
}

static size_t take_raw(struct tty *t, uint8_t *dst, size_t n)
{
	size_t got = 0;

	n = MIN(n, (size_t)buf_used(t));
	while (got < n) { /* at most two pieces: to the ring's end, then on */
		unsigned at = t->tail % TTY_BUF_SIZE;
		size_t k = MIN(n - got, (size_t)(TTY_BUF_SIZE - at));
		memcpy(dst + got, t->buf + at, k);
		got += k;
		t->tail += k;
	}
	if (t->canon - t->tail > TTY_BUF_SIZE) /* canon fell behind tail */
		t->canon = t->tail;
	return got;
}

static bool in_ready(void *arg)
{
	struct tty *t = arg;
	return readable(t) || t->hungup;
}

/* VMIN/VTIME as n_tty_read reads them: `min` bytes wanted (at least 1),
 * `wait` the first deadline (0: none; ~0: do not wait), `gap` the deadline
 * to set after each byte (VMIN > 0 with VTIME > 0). */
static void read_limits(struct tty *t, size_t n, size_t *min, uint64_t *wait, uint64_t *gap)
{
	uint64_t vtime = t->termios.cc[VTIME] * VTIME_UNIT_NS;

	*min = 1, *wait = 0, *gap = 0;
	if (L(t, ICANON))
		return;
	if (t->termios.cc[VMIN]) {
		*min = MIN((size_t)t->termios.cc[VMIN], n);
		*gap = vtime;
	} else {
		*wait = vtime ? time_monotonic_ns() + vtime : ~0ull;
	}
}

long n_tty_read(struct tty *t, void *kbuf, size_t n, bool nonblock)
{
	size_t got = 0, min;
	uint64_t deadline, gap;
	long r;

	read_limits(t, n, &min, &deadline, &gap);
	for (;;) {
		uint64_t flags = spin_lock_irqsave(t->lock);
		bool eof = false, canon = L(t, ICANON), hungup = t->hungup;
		size_t k = canon ? take_line(t, (uint8_t *)kbuf + got, n - got, &eof)
				 : take_raw(t, (uint8_t *)kbuf + got, n - got);
		if (k || eof)
			t->gen++;
		spin_unlock_irqrestore(t->lock, flags);
		if (k || eof)
			sched_wake_all(); /* room for the master's writer */
		got += k;
		if (got >= min || eof || (canon && got) || hungup || deadline == ~0ull)
			return got;
		if (nonblock)
			return got ? (long)got : -EAGAIN;
		if (k && gap)
			deadline = time_monotonic_ns() + gap;
		r = sched_wait(in_ready, t, deadline);
		if (r == -ETIMEDOUT)
			return got;
		if (r)
			return got ? (long)got : r;
	}
}

unsigned n_tty_poll(struct tty *t, uint64_t *gen)
{
	uint64_t flags = spin_lock_irqsave(t->lock);
	unsigned mask = 0;

	if (t->hungup)
		mask = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
	else {
		if (readable(t))
			mask |= POLLIN | POLLRDNORM;
		if (!t->stopped && !t->tco_stopped && t->drv->write_room(t))
			mask |= POLLOUT | POLLWRNORM;
	}
	if (gen)
		*gen = t->gen;
	spin_unlock_irqrestore(t->lock, flags);
	return mask;
}

/* FIONREAD: in canonical mode the bytes of complete lines, without the
 * EOF delimiters (n_tty's inq_canon). */
unsigned n_tty_inq(struct tty *t)
{
	unsigned n = 0;

	if (!L(t, ICANON))
		return buf_used(t);
	for (unsigned i = t->tail; i != t->canon; i++)
		n += !is_delim(t, i) || t->buf[i % TTY_BUF_SIZE];
	return n;
}

/* New termios: turning ICANON on makes what is pending one line, as
 * n_tty_set_termios does; clearing IXON restarts stopped output. */
void n_tty_set_termios(struct tty *t, const struct termios_k *k)
{
	bool was_canon = L(t, ICANON);

	t->termios = *k;
	if (!was_canon && L(t, ICANON)) {
		for (unsigned i = t->tail; i != t->head; i++)
			set_delim(t, i, i + 1 == t->head);
		t->canon = t->head;
	}
	if (!I(t, IXON) && t->stopped)
		n_tty_out_start(t);
}
