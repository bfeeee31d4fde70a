/*
 * monos host channel: the framing spoken over the 8250 UART, and over a
 * virtio console once the kernel has found one, between the kernel and
 * `monos run`.  Shared by kernel, monitor and cli; C99 only.
 *
 * The UART is a byte stream.  Under `monos run` (kernel option
 * `monos.channel=1`) every byte the kernel sends is part of a frame:
 *
 *     offset  size  field
 *     0       1     magic     MONOS_CHAN_MAGIC (0xA5)
 *     1       1     type      enum monos_chan_type
 *     2       2     length    payload length, little endian, <= MONOS_CHAN_MAX
 *     4       len   payload
 *
 * A receiver MUST discard bytes until it sees the magic (firmware may print
 * before the kernel starts) and MUST treat a frame with an unknown type or an
 * oversize length as garbage: drop the magic byte and resynchronise.  The host
 * trusts nothing the guest says: a payload is only ever copied to the stream
 * its type names, and an exit frame is checked before it is believed.
 *
 * The host MUST NOT send before the guest's MONOS_CHAN_READY frame: until the
 * kernel has set up its UART, bytes the host sends are lost (programming the
 * 16550's FIFO discards what it holds).  The host queues until then.
 *
 * Without `monos.channel=1` (plain QEMU, libvirt, a cloud console) the kernel
 * writes plain text to the UART and no frames at all.
 *
 * Two wires.  The UART is slow (about 150 KB/s under TCG), so `monos run`
 * also gives the guest a virtio console: a virtio-serial device whose
 * virtserialport nr=1 sits on a stream socket (QEMU's fd 3, the CLI holding
 * the other end).  The same frames travel on it; the wires never carry
 * parts of one frame, and each is decoded on its own:
 *   - The kernel frames on the UART until it has found the virtio console
 *     at boot, and from then on on the console only: so the UART carries
 *     the earliest log lines, the console everything after, READY included.
 *   - The host MUST send its frames on the wire READY came on, and reads
 *     both (the UART first when both have bytes: its frames came first).
 *   - Without the device (a host that offers none, `MONOS_VIRTIO_CONSOLE=0`,
 *     libvirt, a cloud) everything stays on the UART, READY included.
 * Flow control on the virtio wire is the device's: the kernel takes host
 * bytes only as far as its stdin buffer has room (the rest wait in the
 * host's socket), and a program's write waits while the host holds every
 * transmit buffer.  MONOS_CHAN_MAX is the same on both wires.
 *
 * Version history: 1 = this layout (MONOS_CHAN_MEMINFO, TIME_REQ and TIME
 * came later within version 1, as did STATS_REQ and STATS: a kernel or host
 * without them drops the frame as garbage (a `monos stats` then times out); so did HEALTH
 * (a host without it shows no health); so did the second wire: a kernel without it says READY on the
 * UART, and a host without it offers no device).
 * 2 = process streams (contract 25, `monos exec`): the program PID 1 runs is
 * stream 0 and keeps version 1's frames unchanged; every other process the
 * host starts (MONOS_CHAN_EXEC) is a stream 1..MONOS_CHAN_STREAMS_MAX whose
 * frames (XSTDOUT ... XACK, EXEC ... XSIGNAL) carry the stream id as their first payload
 * byte.  The host picks the id; the guest answers each EXEC with exactly
 * one XEXIT for that id, the stream's last frame (a refused or failed start
 * included).  A receiver drops a stream frame whose id it does not know (or
 * no longer knows) and one too short for its id.  A version-1 kernel drops
 * EXEC as garbage: the host's exec then times out.
 */
#ifndef MONOS_CHANNEL_H
#define MONOS_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#define MONOS_CHAN_VERSION 2
#define MONOS_CHAN_MAGIC   0xA5u
#define MONOS_CHAN_HDR	   4u
#define MONOS_CHAN_MAX	   4096u /* largest payload of one frame */

enum monos_chan_type {
	/* guest to host */
	MONOS_CHAN_STDOUT = 1,	 /* bytes the program wrote to fd 1 */
	MONOS_CHAN_STDERR = 2,	 /* bytes the program wrote to fd 2 */
	MONOS_CHAN_LOG = 3,	 /* kernel log text */
	MONOS_CHAN_TRACE = 4,	 /* --trace-syscalls lines, shown on stderr */
	MONOS_CHAN_EXIT = 5,	 /* struct monos_chan_exit; the last frame */
	MONOS_CHAN_READY = 6,	 /* empty: the kernel now takes host frames */
	MONOS_CHAN_TIME_REQ = 7, /* empty: the host answers with MONOS_CHAN_TIME */
	MONOS_CHAN_STATS = 8,	 /* struct monos_chan_stats: answers STATS_REQ */
	MONOS_CHAN_HEALTH = 9,	 /* one byte: the agent's health state changed to
				  * 0 none, 1 starting, 2 healthy, 3 unhealthy */
	MONOS_CHAN_XSTDOUT = 10, /* stream id, then bytes a started process
				  * wrote to its fd 1 */
	MONOS_CHAN_XSTDERR = 11, /* the same for fd 2 */
	MONOS_CHAN_XEXIT = 12,	 /* stream id, then struct monos_chan_exit: how the
				  * started process ended; the stream's last frame */
	MONOS_CHAN_XSTART = 13,	 /* stream id, then its pid (uint32_t): the process
				  * runs; the host sends XSTDIN only after it */
	MONOS_CHAN_XACK = 14,	 /* stream id, then a uint32_t: bytes of XSTDIN the
				  * process has read since the last XACK.  The host
				  * keeps at most MONOS_EXEC_STDIN_WINDOW unacknowledged */

	/* host to guest */
	MONOS_CHAN_STDIN = 16,	    /* bytes for the program's fd 0 */
	MONOS_CHAN_STDIN_EOF = 17,  /* end of input on fd 0; empty payload */
	MONOS_CHAN_SIGNAL = 18,	    /* one byte: a Linux signal number */
	MONOS_CHAN_WINSIZE = 19,    /* struct monos_chan_winsize */
	MONOS_CHAN_MEMINFO = 20,    /* empty: the kernel answers with one LOG line
				    * "monos: memory: ..." (heap, frames, allocations) */
	MONOS_CHAN_TIME = 21,	    /* struct monos_chan_time: answers TIME_REQ,
	                              ahead of anything else queued */
	MONOS_CHAN_STATS_REQ = 22,  /* empty: the kernel answers with MONOS_CHAN_STATS */
	MONOS_CHAN_EXEC = 23,	    /* struct monos_chan_exec and its lists: start a
				    * process beside the program (`monos exec`) */
	MONOS_CHAN_XSTDIN = 24,	    /* stream id, then bytes for that process's fd 0 */
	MONOS_CHAN_XSTDIN_EOF = 25, /* stream id: end of its input */
	MONOS_CHAN_XSIGNAL = 26,    /* stream id, then one byte: a Linux signal number
				     * for that process */
};

/* How the instance ended (monos_chan_exit.kind). */
enum monos_chan_exit_kind {
	MONOS_EXIT_STATUS = 0, /* exit_group(status): status holds 0..255 */
	MONOS_EXIT_SIGNAL = 1, /* killed by signal `signo` (a fault: addr, ip) */
	MONOS_EXIT_OOM = 2,    /* no memory left: killed as Linux's OOM killer would */
	MONOS_EXIT_PANIC = 3,  /* kernel panic; the reason is in the log */
	MONOS_EXIT_EXEC = 4,   /* the program could not be started; status is the
	                          errno (ENOENT, ENOEXEC, ...), reason in the log */
};

/* What an XEXIT of kind MONOS_EXIT_EXEC says in `signo`: which step of
 * the start failed (its errno in `status`). */
enum monos_exec_stage {
	MONOS_EXEC_STAGE_SETUP = 0,   /* the request itself, memory, a busy id */
	MONOS_EXEC_STAGE_CWD = 1,     /* the working directory */
	MONOS_EXEC_STAGE_PROGRAM = 2, /* finding or loading the program */
};

/* Payload of MONOS_CHAN_EXIT, little endian, 24 bytes. */
struct monos_chan_exit {
	uint8_t kind;	/* enum monos_chan_exit_kind */
	uint8_t signo;	/* for MONOS_EXIT_SIGNAL: the Linux signal number */
	uint8_t status; /* for MONOS_EXIT_STATUS: the exit status */
	uint8_t pad[5];
	uint64_t addr; /* faulting address (SIGSEGV, SIGBUS), else 0 */
	uint64_t ip;   /* instruction pointer of the fault, else 0 */
};

/* Payload of MONOS_CHAN_TIME, little endian: the host's CLOCK_REALTIME when
 * it answered a TIME_REQ.  The per-run time is read before QEMU starts, so
 * the guest's wall clock starts behind by QEMU's start-up; a few exchanges
 * put it within half the shortest round trip of the host's (the kernel
 * takes the middle of the request's departure and the answer's arrival). */
struct monos_chan_time {
	int64_t sec;
	int64_t nsec;
};

/* Payload of MONOS_CHAN_STATS, little endian, 64 bytes: the instance's
 * figures when the kernel took the request (`monos stats`).  Memory is
 * physical frames in use (kernel and programs) of those the kernel
 * manages; CPU time is the time the CPU was not halted (kernel and
 * programs, as /proc/stat's busy time); network figures are eth0's, both
 * directions, as /proc/net/dev counts them (zero without a device). */
struct monos_chan_stats {
	uint64_t mem_total, mem_used; /* bytes */
	uint64_t cpu_ns;	      /* not halted since boot */
	uint64_t uptime_ns;	      /* since boot */
	uint64_t rx_bytes, rx_packets;
	uint64_t tx_bytes, tx_packets;
};

/* MONOS_CHAN_HEALTH's byte: the agent's health check (docs/agent.md). */
enum monos_chan_health {
	MONOS_HEALTH_NONE = 0, /* no health check */
	MONOS_HEALTH_STARTING = 1,
	MONOS_HEALTH_HEALTHY = 2,
	MONOS_HEALTH_UNHEALTHY = 3,
	MONOS_HEALTH_MAX = 3,
};

#define MONOS_CHAN_STREAMS_MAX 255 /* stream ids are 1..255 (0: PID 1's program) */
/* XSTDIN bytes in flight per stream: the guest's buffer holds them all. */
#define MONOS_EXEC_STDIN_WINDOW (64u * 1024)

/* monos_chan_exec.flags */
#define MONOS_EXEC_STDIN 0x1u /* XSTDIN frames follow (-i); else fd 0 is at EOF */
#define MONOS_EXEC_TTY                                                                             \
	0x2u /* fds 0-2 are one terminal (-t): its output comes
			       * as XSTDOUT, its window size is rows x cols */
#define MONOS_EXEC_USER                                                                            \
	0x4u /* uid, gid and the groups are given; else the
			       * program's (PID 1's) credentials */

/*
 * Payload of MONOS_CHAN_EXEC, little endian, 24 bytes, followed by
 * `ngroups` uint32_t supplementary gids, then three byte lists: the working
 * directory (cwd_len bytes with its NUL; 0: PID 1's), argv
 * (argv_len bytes, each string NUL-terminated, at least one) and the
 * environment (env_len bytes, likewise, may be empty): added to the
 * program's own (the per-run envp), an entry replacing one of its name,
 * as docker exec's -e does.  The whole frame is
 * at most MONOS_CHAN_MAX bytes: an exec's argv and environment share 4 KiB.
 * The guest checks every size against the frame before using it.
 */
struct monos_chan_exec {
	uint8_t stream;	  /* 1..MONOS_CHAN_STREAMS_MAX */
	uint8_t flags;	  /* MONOS_EXEC_* */
	uint16_t ngroups; /* supplementary gids that follow */
	uint32_t uid, gid;
	uint16_t rows, cols; /* the terminal's size, with MONOS_EXEC_TTY */
	uint16_t cwd_len, argv_len, env_len;
	uint16_t pad;
};

/* Payload of MONOS_CHAN_WINSIZE, little endian: as Linux's struct winsize. */
struct monos_chan_winsize {
	uint16_t rows, cols, xpixel, ypixel;
};

/*
 * Write the 4-byte header of a frame of `type` carrying `len` bytes to `hdr`.
 * `len` MUST be <= MONOS_CHAN_MAX.
 */
static inline void monos_chan_header(uint8_t hdr[MONOS_CHAN_HDR], unsigned type, size_t len)
{
	hdr[0] = (uint8_t)MONOS_CHAN_MAGIC;
	hdr[1] = (uint8_t)type;
	hdr[2] = (uint8_t)(len & 0xff);
	hdr[3] = (uint8_t)(len >> 8);
}

/*
 * Incremental frame decoder: feed bytes one at a time; a complete, valid frame
 * is reported when monos_chan_feed() returns 1 (then dec->type, dec->len and
 * dec->buf hold it).  A receiver MAY take payload bytes in bulk itself while
 * dec->state is 4 (copying them to dec->buf + dec->have, or consuming them,
 * and advancing dec->have; state 0 again once dec->have == dec->len): the
 * fast wire's receivers do.  Garbage is skipped: `accept(type)` tells which types the
 * receiver expects; anything else restarts the search for a magic byte.
 * Needs no allocation; safe for untrusted input.
 */
struct monos_chan_decoder {
	unsigned state; /* 0: want magic, 1: type, 2-3: length, 4: payload */
	unsigned type;
	size_t len, have;
	uint64_t dropped; /* bytes discarded while resynchronising */
	uint8_t buf[MONOS_CHAN_MAX];
};

static inline void monos_chan_decoder_init(struct monos_chan_decoder *dec)
{
	dec->state = 0;
	dec->type = 0;
	dec->len = dec->have = 0;
	dec->dropped = 0;
}

static inline int monos_chan_feed(struct monos_chan_decoder *dec, uint8_t byte,
				  int (*accept)(unsigned type))
{
	switch (dec->state) {
	case 0:
		if (byte == MONOS_CHAN_MAGIC)
			dec->state = 1;
		else
			dec->dropped++;
		return 0;
	case 1:
		if (!accept(byte)) {
			dec->dropped += 2;
			dec->state = byte == MONOS_CHAN_MAGIC ? 1 : 0;
			return 0;
		}
		dec->type = byte;
		dec->state = 2;
		return 0;
	case 2:
		dec->len = byte;
		dec->state = 3;
		return 0;
	case 3:
		dec->len |= (size_t)byte << 8;
		dec->have = 0;
		if (dec->len > MONOS_CHAN_MAX) {
			dec->dropped += 4;
			dec->state = 0;
			return 0;
		}
		dec->state = dec->len ? 4 : 0;
		return dec->len == 0;
	default:
		dec->buf[dec->have++] = byte;
		if (dec->have < dec->len)
			return 0;
		dec->state = 0;
		return 1;
	}
}

#endif
