/*
 * Private to the line discipline (fs/n_tty.c, input and reading;
 * fs/n_tty_out.c, output and echo): the termios bits it reads and the
 * functions the two halves share.  Everything here runs with the tty's
 * lock held.
 */
#ifndef FS_N_TTY_H
#define FS_N_TTY_H

#include "fs/tty.h"

/* termios bits (include/uapi/asm-generic/termbits.h). */
#define ISTRIP	0000040
#define INLCR	0000100
#define IGNCR	0000200
#define ICRNL	0000400
#define IXON	0002000
#define IXANY	0004000
#define OPOST	0000001
#define ONLCR	0000004
#define OCRNL	0000010
#define ONOCR	0000020
#define ONLRET	0000040
#define TABDLY	0014000
#define XTABS	0014000
#define ISIG	0000001
#define ICANON	0000002
#define ECHO	0000010
#define ECHOE	0000020
#define ECHOK	0000040
#define ECHONL	0000100
#define NOFLSH	0000200
#define TOSTOP	0000400 /* background writers get SIGTTOU (tty_job_control) */
#define ECHOCTL 0001000
#define ECHOKE	0004000
#define IEXTEN	0100000
/* c_cc indices (include/uapi/asm-generic/termbits.h). */
enum {
	VINTR,
	VQUIT,
	VERASE,
	VKILL,
	VEOF,
	VTIME,
	VMIN,
	VSWTC,
	VSTART,
	VSTOP,
	VSUSP,
	VEOL,
	VREPRINT,
	VDISCARD,
	VWERASE,
	VLNEXT,
	VEOL2
};

#define TAB_WIDTH 8

static inline bool L(struct tty *t, uint32_t bit)
{
	return t->termios.lflag & bit;
}

static inline bool I(struct tty *t, uint32_t bit)
{
	return t->termios.iflag & bit;
}

static inline bool O(struct tty *t, uint32_t bit)
{
	return t->termios.oflag & bit;
}

/* Whether `c` is the special character `idx`; 0 disables one. */
static inline bool is_cc(struct tty *t, int idx, uint8_t c)
{
	return c && t->termios.cc[idx] == c;
}

static inline bool is_cntrl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

static inline bool is_utf8_cont(struct tty *t, uint8_t c)
{
	return I(t, TTY_IUTF8) && (c & 0xc0) == 0x80;
}

/* n_tty_out.c: the column after `c` is shown at `col`; echo `c` as it is
 * (through OPOST), as ^X for a control with ECHOCTL, or a string; let
 * stopped output go again (its held echoes first). */
unsigned n_tty_out_column_after(struct tty *t, unsigned col, uint8_t c);
void n_tty_out_echo(struct tty *t, uint8_t c);
void n_tty_out_echo_char(struct tty *t, uint8_t c);
void n_tty_out_echo_str(struct tty *t, const char *s);
void n_tty_out_start(struct tty *t);

#endif
