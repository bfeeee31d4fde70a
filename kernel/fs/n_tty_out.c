/*
 * The line discipline's output side (with fs/n_tty.c, Linux's N_TTY):
 * OPOST processing toward the driver, the echoes (held while output is
 * stopped, as N_TTY's echo buffer holds them), write(2) of a terminal and
 * tcflow.  The column is tracked as do_output_char tracks it, for the
 * erasing of tabs.
 */
#include "fs/n_tty.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "fs/vfs.h"
#include "linux/uapi.h"

/* tcflow's actions (include/uapi/asm-generic/termbits.h). */

/* The column after `c` is shown at `col` (Linux's do_output_char). */
unsigned n_tty_out_column_after(struct tty *t, unsigned col, uint8_t c)
{
	if (c == '\r' || (c == '\n' && O(t, ONLRET | ONLCR)))
		return 0;
	if (c == '\t')
		return (col / TAB_WIDTH + 1) * TAB_WIDTH;
	if (c == '\b')
		return col ? col - 1 : 0;
	return is_cntrl(c) || is_utf8_cont(t, c) ? col : col + 1;
}

/* Echoes wait while output is stopped, as N_TTY's echo buffer holds them;
 * everything else goes to the driver.  Room for `echo` output, and the
 * emitting of it (the room checked).  Lock held. */
static bool held(struct tty *t, bool echo)
{
	return echo && (t->stopped || t->tco_stopped || t->echo_len);
}

static size_t room_for(struct tty *t, bool echo)
{
	return held(t, echo) ? sizeof(t->echo_held) - t->echo_len : t->drv->write_room(t);
}

static void emit(struct tty *t, const uint8_t *p, size_t n, bool echo)
{
	if (held(t, echo)) {
		memcpy(t->echo_held + t->echo_len, p, n);
		t->echo_len += n;
	} else {
		t->drv->write(t, p, n);
	}
}

/* Output may go again (START, TCOON, IXON cleared): the held echoes go
 * first, as far as the driver takes them (the rest is dropped). */
void n_tty_out_start(struct tty *t)
{
	t->stopped = false;
	if (t->tco_stopped)
		return;
	t->drv->write(t, t->echo_held, MIN((size_t)t->echo_len, t->drv->write_room(t)));
	t->echo_len = 0;
}

/* One byte through OPOST into the driver (or, for an echo, held while
 * output is stopped); false when there is no room for all it becomes.
 * Lock held. */
static bool out_char(struct tty *t, uint8_t c, bool echo)
{
	uint8_t seq[TAB_WIDTH];
	size_t n = 1;

	seq[0] = c;
	if (O(t, OPOST)) {
		if (c == '\n' && O(t, ONLCR))
			seq[0] = '\r', seq[1] = '\n', n = 2;
		else if (c == '\r' && O(t, ONOCR) && !t->column)
			n = 0;
		else if (c == '\r' && O(t, OCRNL))
			seq[0] = c = '\n';
		else if (c == '\t' && (t->termios.oflag & TABDLY) == XTABS)
			n = TAB_WIDTH - t->column % TAB_WIDTH, memset(seq, ' ', n);
	}
	if (room_for(t, echo) < n)
		return false;
	emit(t, seq, n, echo);
	t->column = O(t, OPOST) ? n_tty_out_column_after(t, t->column, c) : t->column;
	return true;
}

/* Bytes of `p` that OPOST passes unchanged, from the start. */
static size_t plain_run(struct tty *t, const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (!O(t, OPOST))
		return n;
	while (i < n && p[i] != '\n' && p[i] != '\r' && p[i] != '\t' && p[i] != '\b')
		i++;
	return i;
}

/* As much of `p` as the driver takes now; the count.  Lock held. */
static size_t out_bytes(struct tty *t, const uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t run = plain_run(t, p + done, n - done), k;
		if (!run) {
			if (!out_char(t, p[done], false))
				break;
			done++;
			continue;
		}
		k = t->drv->write(t, p + done, MIN(run, t->drv->write_room(t)));
		for (size_t i = 0; i < k && O(t, OPOST); i++)
			t->column = n_tty_out_column_after(t, t->column, p[done + i]);
		done += k;
		if (k < run)
			break;
	}
	return done;
}

/* Echoes go out if there is room and are dropped otherwise. */
void n_tty_out_echo(struct tty *t, uint8_t c)
{
	out_char(t, c, true);
}

/* A character's echo: controls as ^X with ECHOCTL (n_tty's echo_char). */
void n_tty_out_echo_char(struct tty *t, uint8_t c)
{
	if (L(t, ECHOCTL) && is_cntrl(c) && c != '\t') {
		uint8_t two[2] = { '^', c ^ 0100 };
		if (room_for(t, true) >= 2) {
			emit(t, two, 2, true);
			t->column += 2;
		}
		return;
	}
	n_tty_out_echo(t, c);
}

void n_tty_out_echo_str(struct tty *t, const char *s)
{
	while (*s)
		n_tty_out_echo(t, (uint8_t)*s++);
}

static bool out_ready(void *arg)
{
	struct tty *t = arg;
	return t->hungup || (!t->stopped && !t->tco_stopped && t->drv->write_room(t));
}

long n_tty_out_write(struct tty *t, const void *kbuf, size_t n, bool nonblock)
{
	size_t done = 0;
	long r;

	while (done < n) {
		uint64_t flags = spin_lock_irqsave(t->lock);
		bool hungup = t->hungup;
		size_t k = hungup || t->stopped || t->tco_stopped
				   ? 0
				   : out_bytes(t, (const uint8_t *)kbuf + done, n - done);
		if (k)
			t->gen++;
		spin_unlock_irqrestore(t->lock, flags);
		if (hungup)
			return done ? (long)done : -EIO;
		if (k)
			sched_wake_all(); /* data for the reader on the other side */
		done += k;
		if (done == n)
			break;
		if (nonblock)
			return done ? (long)done : -EAGAIN;
		if ((r = sched_wait(out_ready, t, 0)))
			return done ? (long)done : r;
	}
	return done;
}

/* TCXONC (tcflow): suspend or restart output, or send the STOP or START
 * character to the terminal, ahead of everything (Linux's send_xchar).
 * -EINVAL for another action.  Lock held. */
long n_tty_out_flow(struct tty *t, unsigned action)
{
	uint8_t c;

	switch (action) {
	case TCOOFF:
		t->tco_stopped = true;
		return 0;
	case TCOON:
		t->tco_stopped = false;
		if (!t->stopped)
			n_tty_out_start(t);
		return 0;
	case TCIOFF:
	case TCION:
		c = t->termios.cc[action == TCIOFF ? VSTOP : VSTART];
		if (c && t->drv->write_room(t))
			t->drv->write(t, &c, 1);
		return 0;
	default:
		return -EINVAL;
	}
}
