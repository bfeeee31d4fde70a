/*
 * The host end of the host channel (include/monos/channel.h): decodes the
 * guest's frames from the UART byte stream and sends each payload to the
 * stream its type names; keeps the tail of the kernel log for failures;
 * queues frames for the guest (stdin, signals, window size) so the session
 * never blocks on a guest that does not read; and turns the guest's exit
 * frame into the CLI's exit status and message.
 *
 * Nothing the guest sends is trusted: types outside the guest-to-host set
 * are resynchronised away by the decoder, exit frames are checked for size,
 * kind and signal range before they are believed, and only the first valid
 * exit frame counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lib/errno.h>

#include "cli.h"

#define CHANNEL_EXIT_LEN  24 /* wire size of struct monos_chan_exit */
#define CHANNEL_MAX_SIGNO 64 /* Linux _NSIG */
#define CHANNEL_SIGPIPE	  13 /* Linux x86-64 SIGPIPE */

static int accept_guest_type(unsigned type)
{
	return type >= MONOS_CHAN_STDOUT && type <= MONOS_CHAN_XACK;
}

/* Answer a TIME_REQ: a TIME frame with the host's time now, put at the head
 * of the queue (after the rest of a frame half written) so it leaves at
 * once, ahead of stdin waiting there. */
static void answer_time(struct channel *c)
{
	struct timespec ts;
	struct monos_chan_time t;
	uint8_t frame[MONOS_CHAN_HDR + sizeof(t)];
	size_t len = c->outq_len, at = c->outq_partial;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (struct monos_chan_time){ ts.tv_sec, ts.tv_nsec };
	if (channel_queue(c, MONOS_CHAN_TIME, &t, sizeof(t)))
		return;
	memcpy(frame, c->outq + len, sizeof(frame)); /* from the tail ... */
	memmove(c->outq + at + sizeof(frame), c->outq + at, len - at);
	memcpy(c->outq + at, frame, sizeof(frame)); /* ... to the head */
}

int channel_init(struct channel *c, int out_fd, int err_fd, bool verbose)
{
	memset(c, 0, sizeof(*c));
	monos_chan_decoder_init(&c->dec);
	c->out_fd = out_fd;
	c->err_fd = err_fd;
	c->verbose = verbose;
	c->log = malloc(CHANNEL_LOG_KEEP);
	return c->log ? 0 : -ENOMEM;
}

void channel_free(struct channel *c)
{
	free(c->log);
	free(c->outq);
	c->log = NULL;
	c->outq = NULL;
}

/* Append to the log ring; the oldest bytes go when it is full. */
static void log_append(struct channel *c, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		c->log[(c->log_start + c->log_len) % CHANNEL_LOG_KEEP] = (char)p[i];
		if (c->log_len < CHANNEL_LOG_KEEP)
			c->log_len++;
		else
			c->log_start = (c->log_start + 1) % CHANNEL_LOG_KEEP;
	}
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Decode an exit payload (an EXIT's, an XEXIT's after its stream id):
 * false unless it is well formed. */
static bool parse_exit(const uint8_t *p, size_t len, struct monos_chan_exit *e)
{
	if (len != CHANNEL_EXIT_LEN)
		return false;
	*e = (struct monos_chan_exit){ .kind = p[0], .signo = p[1], .status = p[2] };
	e->addr = get_le64(p + 8);
	e->ip = get_le64(p + 16);
	return e->kind <= MONOS_EXIT_EXEC &&
	       (e->kind != MONOS_EXIT_SIGNAL || (e->signo && e->signo <= CHANNEL_MAX_SIGNO));
}

/* Believe an exit frame only if it is well formed; the first one wins. */
static void take_exit(struct channel *c, const uint8_t *p, size_t len)
{
	struct monos_chan_exit e;

	if (c->have_exit || !parse_exit(p, len, &e)) {
		c->bad_frames++;
		return;
	}
	c->exit = e;
	c->have_exit = true;
}

/*
 * A frame of a started process's stream (channel.h, version 2): checked
 * here (a stream id, the sizes XEXIT, XSTART and XACK must have), then
 * given to the stream's owner, which drops ids it does not know.  An
 * XEXIT's payload is passed on decoded, as a struct monos_chan_exit.
 */
static void take_stream(struct channel *c, unsigned type, const uint8_t *p, size_t len)
{
	struct monos_chan_exit e;

	if (!len || !p[0] || (type == MONOS_CHAN_XEXIT && !parse_exit(p + 1, len - 1, &e)) ||
	    ((type == MONOS_CHAN_XSTART || type == MONOS_CHAN_XACK) && len != 5)) {
		c->bad_frames++;
		return;
	}
	if (!c->stream_fn)
		return;
	if (type == MONOS_CHAN_XEXIT)
		c->stream_fn(c->stream_arg, type, p[0], (const uint8_t *)&e, sizeof(e));
	else
		c->stream_fn(c->stream_arg, type, p[0], p + 1, len - 1);
}

/*
 * The reader of our stdout has gone (EPIPE, e.g. `monos run yes | head`).
 * On Linux the program's write would raise SIGPIPE; tell the guest so, or
 * such a program would run forever, and drop its further output.
 */
static void stdout_broke(struct channel *c)
{
	const uint8_t sigpipe = CHANNEL_SIGPIPE;

	c->stdout_broken = true;
	channel_queue(c, MONOS_CHAN_SIGNAL, &sigpipe, 1);
}

/* The kernel's lines for a call that got ENOSYS (kernel/linux/table.c). */
#define ENOSYS_USED	   "monos: the program used "
#define ENOSYS_USED_END	   ", which monos does not support: it got ENOSYS"
#define ENOSYS_CALLED	   "monos: the program called "
#define ENOSYS_CALLED_END  ", which monos does not implement yet: it got ENOSYS"
#define ENOSYS_UNKNOWN	   "monos: the program made unknown system call "
#define ENOSYS_UNKNOWN_END ": it got ENOSYS"

static bool starts(const char *s, size_t len, const char *prefix)
{
	return len >= strlen(prefix) && !memcmp(s, prefix, strlen(prefix));
}

static bool ends(const char *s, size_t len, const char *suffix)
{
	return len >= strlen(suffix) && !memcmp(s + len - strlen(suffix), suffix, strlen(suffix));
}

/* Remember the call a complete log line says got ENOSYS, once. */
static void enosys_line(struct channel *c, const char *s, size_t len)
{
	char name[sizeof(c->enosys[0])];
	size_t n;

	if (starts(s, len, ENOSYS_USED) && ends(s, len, ENOSYS_USED_END)) {
		n = len - strlen(ENOSYS_USED) - strlen(ENOSYS_USED_END);
		snprintf(name, sizeof(name), "%.*s", (int)n, s + strlen(ENOSYS_USED));
	} else if (starts(s, len, ENOSYS_CALLED) && ends(s, len, ENOSYS_CALLED_END)) {
		/* "NAME (NR)": the name without its number */
		n = strcspn(s + strlen(ENOSYS_CALLED), " ");
		snprintf(name, sizeof(name), "%.*s", (int)n, s + strlen(ENOSYS_CALLED));
	} else if (starts(s, len, ENOSYS_UNKNOWN) && ends(s, len, ENOSYS_UNKNOWN_END)) {
		n = len - strlen(ENOSYS_UNKNOWN) - strlen(ENOSYS_UNKNOWN_END);
		snprintf(name, sizeof(name), "system call %.*s", (int)n,
			 s + strlen(ENOSYS_UNKNOWN));
	} else {
		return;
	}
	for (unsigned i = 0; i < c->nenosys; i++)
		if (!strcmp(c->enosys[i], name))
			return;
	if (c->nenosys < CHANNEL_ENOSYS_MAX)
		memcpy(c->enosys[c->nenosys++], name, sizeof(name));
}

/* Split log bytes into lines for enosys_line(); over-long lines are
 * skipped whole. */
static void scan_log(struct channel *c, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n') {
			if (c->line_len < sizeof(c->line)) /* full: too long, skipped */
				c->line[c->line_len++] = (char)p[i];
			continue;
		}
		if (c->line_len < sizeof(c->line))
			enosys_line(c, c->line, c->line_len);
		c->line_len = 0;
	}
}

/* A STATS frame: eight little-endian u64, kept for the monitor. */
static void take_stats(struct channel *c, const uint8_t *p, size_t len)
{
	uint64_t v[8];

	if (len != sizeof(v)) {
		c->bad_frames++;
		return;
	}
	for (size_t i = 0; i < 8; i++) {
		v[i] = 0;
		for (size_t b = 0; b < 8; b++)
			v[i] |= (uint64_t)p[i * 8 + b] << (8 * b);
	}
	c->stats = (struct monos_chan_stats){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
	c->stats_gen++;
}

/*
 * Act on one decoded frame.  Called by channel_feed(), and by tests with
 * crafted frames (any type, any length up to MONOS_CHAN_MAX).
 */
void channel_dispatch(struct channel *c, unsigned type, const uint8_t *payload, size_t len)
{
	int rc;

	switch (type) {
	case MONOS_CHAN_STDOUT:
		if (c->stdout_broken)
			return;
		rc = msg_write_full(c->out_fd, payload, len);
		if (rc < 0)
			stdout_broke(c);
		return;
	case MONOS_CHAN_STDERR:
	case MONOS_CHAN_TRACE:
		msg_write_full(c->err_fd, payload, len);
		return;
	case MONOS_CHAN_LOG:
		log_append(c, payload, len);
		scan_log(c, payload, len);
		if (c->verbose)
			msg_write_full(c->err_fd, payload, len);
		return;
	case MONOS_CHAN_EXIT:
		take_exit(c, payload, len);
		return;
	case MONOS_CHAN_READY:
		c->guest_ready = true;
		return;
	case MONOS_CHAN_TIME_REQ:
		answer_time(c);
		return;
	case MONOS_CHAN_STATS:
		take_stats(c, payload, len);
		return;
	case MONOS_CHAN_HEALTH: /* the agent's health state (0-3), for ps */
		if (len != 1 || payload[0] > MONOS_HEALTH_MAX) {
			c->bad_frames++;
			return;
		}
		c->health = payload[0];
		c->health_gen++;
		return;
	case MONOS_CHAN_XSTDOUT:
	case MONOS_CHAN_XSTDERR:
	case MONOS_CHAN_XEXIT:
	case MONOS_CHAN_XSTART:
	case MONOS_CHAN_XACK:
		take_stream(c, type, payload, len);
		return;
	default:
		c->bad_frames++;
	}
}

/* Feed bytes read from the UART socket. */
void channel_feed(struct channel *c, const uint8_t *buf, size_t len)
{
	channel_feed_wire(c, &c->dec, buf, len);
}

/* Feed bytes of another wire (the virtio console), decoded apart.  A
 * payload is copied whole (decoder state 4, channel.h), not fed a byte at a
 * time: at 100 MB/s the byte loop was the CLI's largest cost. */
void channel_feed_wire(struct channel *c, struct monos_chan_decoder *dec, const uint8_t *buf,
		       size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (dec->state == 4) {
			size_t k = dec->len - dec->have < len - i ? dec->len - dec->have : len - i;
			memcpy(dec->buf + dec->have, buf + i, k);
			dec->have += k;
			i += k;
			if (dec->have < dec->len)
				continue;
			dec->state = 0;
			channel_dispatch(c, dec->type, dec->buf, dec->len);
		} else if (monos_chan_feed(dec, buf[i++], accept_guest_type)) {
			channel_dispatch(c, dec->type, dec->buf, dec->len);
		}
	}
}

/*
 * Queue one frame for the guest.  Returns 0, -EINVAL if `len` exceeds
 * MONOS_CHAN_MAX, -ENOMEM.  Sent by channel_flush().
 */
int channel_queue(struct channel *c, unsigned type, const void *payload, size_t len)
{
	size_t need = c->outq_len + MONOS_CHAN_HDR + len;

	if (len > MONOS_CHAN_MAX)
		return -EINVAL;
	if (need > c->outq_cap) {
		size_t cap = c->outq_cap ? c->outq_cap : 8192;
		uint8_t *q;

		while (cap < need)
			cap *= 2;
		q = realloc(c->outq, cap);
		if (!q)
			return -ENOMEM;
		c->outq = q;
		c->outq_cap = cap;
	}
	monos_chan_header(c->outq + c->outq_len, type, len);
	if (len)
		memcpy(c->outq + c->outq_len + MONOS_CHAN_HDR, payload, len);
	c->outq_len = need;
	return 0;
}

/* What will be left of a half-written frame at the head of the queue once
 * its first `done` bytes are gone: walk the frames written. */
static size_t partial_after(const struct channel *c, size_t done)
{
	size_t pos = c->outq_partial;

	if (done <= pos || done == c->outq_len)
		return done <= pos && done < c->outq_len ? pos - done : 0;
	while (pos < done)
		pos += MONOS_CHAN_HDR + (c->outq[pos + 2] | (size_t)c->outq[pos + 3] << 8);
	return pos - done;
}

/*
 * Write as much of the queue as the non-blocking socket `sock` takes.
 * Returns 0 (possibly with bytes left: poll for POLLOUT) or -errno; on a
 * hard error the queue is dropped (the guest is gone).
 */
int channel_flush(struct channel *c, int sock)
{
	size_t done = 0;
	int rc = 0;

	if (!c->guest_ready)
		return 0; /* the guest cannot take frames yet: keep them queued */
	while (done < c->outq_len) {
		ssize_t n = write(sock, c->outq + done, c->outq_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				rc = -errno;
			break;
		}
		done += n;
	}
	if (rc < 0)
		done = c->outq_len;
	c->outq_partial = partial_after(c, done);
	memmove(c->outq, c->outq + done, c->outq_len - done);
	c->outq_len -= done;
	return rc;
}

/* The kept log, oldest first, into `out`; returns the length copied. */
size_t channel_log_copy(const struct channel *c, char *out, size_t outlen)
{
	size_t n = c->log_len < outlen ? c->log_len : outlen;
	size_t skip = c->log_len - n; /* keep the newest bytes */

	for (size_t i = 0; i < n; i++)
		out[i] = c->log[(c->log_start + skip + i) % CHANNEL_LOG_KEEP];
	return n;
}

/* Write the kept log (or only its last `last_lines` lines, if not 0) to fd. */
void channel_print_log(const struct channel *c, int fd, unsigned last_lines)
{
	char *buf = malloc(c->log_len + 1);
	size_t n, start;

	if (!buf)
		return;
	n = channel_log_copy(c, buf, c->log_len);
	start = 0;
	if (last_lines) {
		size_t i = n && buf[n - 1] == '\n' ? n - 1 : n;
		unsigned seen = 0;

		while (i > 0 && seen < last_lines)
			if (buf[--i] == '\n' && ++seen == last_lines)
				start = i + 1;
	}
	if (n > start && buf[n - 1] != '\n')
		buf[n++] = '\n';
	msg_write_full(fd, buf + start, n - start);
	free(buf);
}

static const char *const signal_names[] = {
	[1] = "SIGHUP",	    [2] = "SIGINT",   [3] = "SIGQUIT",	 [4] = "SIGILL",   [5] = "SIGTRAP",
	[6] = "SIGABRT",    [7] = "SIGBUS",   [8] = "SIGFPE",	 [9] = "SIGKILL",  [10] = "SIGUSR1",
	[11] = "SIGSEGV",   [12] = "SIGUSR2", [13] = "SIGPIPE",	 [14] = "SIGALRM", [15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",	 [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN",   [22] = "SIGTTOU", [23] = "SIGURG",	 [24] = "SIGXCPU", [25] = "SIGXFSZ",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [30] = "SIGPWR",
	[31] = "SIGSYS",
};

/*
 * The Linux (guest) name of signal `signo`, e.g. "SIGSEGV"; real-time
 * signals as "SIGRTMIN+n" counted from the kernel's SIGRTMIN (32).  Not
 * reentrant (a static buffer for the numbered forms).
 */
const char *channel_signal_name(unsigned signo)
{
	static char buf[32];

	if (signo < sizeof(signal_names) / sizeof(signal_names[0]) && signal_names[signo])
		return signal_names[signo];
	if (signo >= 32 && signo <= CHANNEL_MAX_SIGNO)
		snprintf(buf, sizeof(buf), "SIGRTMIN+%u", signo - 32);
	else
		snprintf(buf, sizeof(buf), "signal %u", signo);
	return buf;
}

static int outcome_exec(const struct channel *c, const char *prog, struct channel_outcome *out)
{
	const char *name = errno_name(c->exit.status);

	snprintf(out->msg, sizeof(out->msg), "the kernel could not start %s: %s", prog,
		 name ? name : "unknown error");
	out->log_lines = CHANNEL_EXEC_LOG_LINES;
	return c->exit.status == ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_CANNOT_RUN;
}

/* One line naming every call that got ENOSYS, in out->enosys. */
static void outcome_enosys(const struct channel *c, struct channel_outcome *out)
{
	char calls[200] = "";

	if (!c->nenosys)
		return;
	for (unsigned i = 0; i < c->nenosys; i++)
		snprintf(calls + strlen(calls), sizeof(calls) - strlen(calls), "%s%s",
			 i ? ", " : "", c->enosys[i]);
	snprintf(out->enosys, sizeof(out->enosys),
		 "the program got ENOSYS from %s (not implemented in monos)", calls);
}

/*
 * What the run amounts to, from the exit frame (or its absence): the exit
 * status in out->code, and the message and how much of the kernel log the
 * caller prints.  `memory` (bytes) and `prog` only serve the messages.
 */
void channel_outcome(const struct channel *c, uint64_t memory, const char *prog,
		     struct channel_outcome *out)
{
	const struct monos_chan_exit *e = &c->exit;
	char size[32];

	memset(out, 0, sizeof(*out));
	out->log_lines = CHANNEL_LOG_ALL;
	if (!c->have_exit) {
		snprintf(out->msg, sizeof(out->msg), "the instance stopped without an exit status");
		out->show_qemu_err = true;
		out->code = CLI_EXIT_ERROR;
		return;
	}
	switch (e->kind) {
	case MONOS_EXIT_STATUS:
		/* Status 0: the program coped with whatever got ENOSYS (libc
		 * falls back), and its stderr stays the native run's. */
		out->log_lines = 0;
		out->code = e->status;
		if (e->status)
			outcome_enosys(c, out);
		return;
	case MONOS_EXIT_SIGNAL:
		/* The program's end, not monos': one line, no kernel log. */
		out->log_lines = 0;
		outcome_enosys(c, out);
		if (e->addr || e->ip)
			snprintf(out->msg, sizeof(out->msg),
				 "program killed by %s (fault address 0x%" PRIx64
				 ", instruction 0x%" PRIx64 ")",
				 channel_signal_name(e->signo), e->addr, e->ip);
		else
			snprintf(out->msg, sizeof(out->msg), "program killed by %s",
				 channel_signal_name(e->signo));
		out->code = 128 + e->signo;
		return;
	case MONOS_EXIT_OOM:
		msg_format_size(size, sizeof(size), memory);
		snprintf(out->msg, sizeof(out->msg),
			 "out of memory: program killed (use --memory to give it more than %s)",
			 size);
		out->code = CLI_EXIT_OOM;
		return;
	case MONOS_EXIT_PANIC:
		snprintf(out->msg, sizeof(out->msg), "kernel panic");
		out->code = CLI_EXIT_ERROR;
		return;
	default:
		out->code = outcome_exec(c, prog, out);
	}
}
