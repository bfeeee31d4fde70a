/*
 * The monitor's end of `monos exec` (monitor_ctl.c has the control socket):
 * a client that sends the request line "exec" then speaks frames
 * (include/monos/channel.h's layout) on the same connection:
 *   client -> monitor  EXEC (once, first; its stream id is the monitor's
 *                      to fill), then XSTDIN, XSTDIN_EOF, XSIGNAL
 *   monitor -> client  XSTART, XSTDOUT, XSTDERR, and last XEXIT; or one
 *                      LOG frame with why the exec cannot be done
 * The monitor picks the stream id, forwards the client's frames to the
 * guest with it and the guest's frames of that stream to the client (the
 * id byte left as the guest sent it; the client ignores it).
 *
 * An exec that comes after `start` but before the boot waits for it (the
 * OCI runtime's callers exec right after start); the EXEC frame waits in
 * the channel's queue for the guest's READY.
 *
 * Bounds: MONITOR_EXECS streams at once; XSTDIN bytes in flight within
 * MONOS_EXEC_STDIN_WINDOW (the client's socket is not read beyond it, so a
 * fast writer waits); output waiting for a slow client within
 * MONITOR_EXEC_QUEUE_MAX (beyond it the client is cut off, the process
 * runs on without it).  A client that goes away detaches: its process gets
 * the end of its input and runs on; its frames are dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor_internal.h"

#define MONITOR_EXEC_QUEUE_MAX (16u << 20) /* output a slow client may owe */
#define MONITOR_EXEC_READ      4096	   /* bytes taken from a client at once */

/* The guest takes no stream id but 1..MONOS_CHAN_STREAMS_MAX. */
static bool id_ok(unsigned id)
{
	return id >= 1 && id <= MONOS_CHAN_STREAMS_MAX;
}

/* Queue one frame for the client; false when its queue is over the cap or
 * memory ran out (the caller cuts it off). */
static bool client_queue(struct mon_exec *x, unsigned type, const void *p, size_t len)
{
	size_t need = x->qlen + MONOS_CHAN_HDR + len;

	if (need > MONITOR_EXEC_QUEUE_MAX)
		return false;
	if (need > x->qcap) {
		size_t cap = x->qcap ? x->qcap * 2 : 8192;
		uint8_t *q;
		while (cap < need)
			cap *= 2;
		if (!(q = realloc(x->q, cap)))
			return false;
		x->q = q;
		x->qcap = cap;
	}
	monos_chan_header(x->q + x->qlen, type, len);
	memcpy(x->q + x->qlen + MONOS_CHAN_HDR, p, len);
	x->qlen = need;
	return true;
}

/* Tell the client why not and end its exec (hung up once that is sent). */
static void client_refuse(struct mon_exec *x, const char *why)
{
	client_queue(x, MONOS_CHAN_LOG, why, strlen(why));
	x->ended = true;
}

/* Hang up on client `cl`; a stream still running detaches: its process
 * sees the end of its input. */
static void client_close(struct monitor *m, struct mon_client *cl)
{
	struct mon_exec *x = cl->x;
	uint8_t id = (uint8_t)x->id;

	if (x->id && !x->ended) {
		m->stream_client[x->id] = 0;
		if (m->c)
			channel_queue(m->c, MONOS_CHAN_XSTDIN_EOF, &id, 1);
	}
	free(x->q);
	free(x->pending);
	free(x);
	cl->x = NULL;
	close(cl->fd);
	cl->st = CL_FREE;
}

/* A free stream id, the next after the last one given (so an id is not
 * reused while the guest may still hold it): 0 when all are busy. */
static unsigned take_id(struct monitor *m)
{
	for (unsigned i = 0; i < MONOS_CHAN_STREAMS_MAX; i++) {
		unsigned id = m->next_stream % MONOS_CHAN_STREAMS_MAX + 1;
		m->next_stream = id;
		if (!m->stream_busy[id])
			return id;
	}
	return 0;
}

static unsigned running_execs(const struct monitor *m)
{
	unsigned n = 0;

	for (unsigned id = 1; id <= MONOS_CHAN_STREAMS_MAX; id++)
		n += m->stream_busy[id];
	return n;
}

/* The client's EXEC frame: to the guest under a fresh id. */
static void client_exec(struct monitor *m, struct mon_client *cl, uint8_t *p, size_t len)
{
	struct mon_exec *x = cl->x;
	unsigned id;

	if (x->id || len < sizeof(struct monos_chan_exec))
		return client_refuse(x, "bad exec request");
	if ((m->state == MON_CREATED && m->gate_open) || (m->state == MON_RUNNING && !m->c)) {
		/* Started, not yet booted (`start` returned): at the boot. */
		if (p != x->pending && !(x->pending = malloc(len)))
			return client_refuse(x, "out of memory");
		memmove(x->pending, p, len);
		x->pending_len = len;
		return;
	}
	if (m->state != MON_RUNNING || !m->c)
		return client_refuse(x, "the instance is not running");
	if (running_execs(m) >= MONITOR_EXECS || !(id = take_id(m)))
		return client_refuse(x, "too many processes started by exec run at once");
	p[0] = (uint8_t)id; /* queued until the guest's READY, if need be */
	if (channel_queue(m->c, MONOS_CHAN_EXEC, p, len) < 0)
		return client_refuse(x, "out of memory");
	x->id = id;
	m->stream_busy[id] = true;
	m->stream_client[id] = (int)(cl - m->cl) + 1;
}

/* One frame from the client. */
static void client_frame(struct monitor *m, struct mon_client *cl, unsigned type, uint8_t *p,
			 size_t len)
{
	struct mon_exec *x = cl->x;

	if (type == MONOS_CHAN_EXEC)
		return client_exec(m, cl, p, len);
	if (!x->started || x->ended || !m->c || !len)
		return; /* nothing runs to take it */
	p[0] = (uint8_t)x->id;
	if (type == MONOS_CHAN_XSTDIN)
		x->inflight += (uint32_t)(len - 1);
	if (type == MONOS_CHAN_XSIGNAL && len != 2)
		return;
	channel_queue(m->c, type, p, len);
}

static int accept_client_type(unsigned type)
{
	return type == MONOS_CHAN_EXEC || type == MONOS_CHAN_XSTDIN ||
	       type == MONOS_CHAN_XSTDIN_EOF || type == MONOS_CHAN_XSIGNAL;
}

static void client_feed(struct monitor *m, struct mon_client *cl, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n && cl->x; i++)
		if (monos_chan_feed(&cl->x->dec, b[i], accept_client_type))
			client_frame(m, cl, cl->x->dec.type, cl->x->dec.buf, cl->x->dec.len);
}

void monitor_exec_begin(struct monitor *m, struct mon_client *cl, const uint8_t *rest, size_t n)
{
	if (!(cl->x = calloc(1, sizeof(*cl->x)))) {
		close(cl->fd);
		cl->st = CL_FREE;
		return;
	}
	monos_chan_decoder_init(&cl->x->dec);
	cl->st = CL_EXEC;
	client_feed(m, cl, rest, n);
}

short monitor_exec_events(const struct monitor *m, const struct mon_client *cl)
{
	const struct mon_exec *x = cl->x;
	short ev = x->qlen ? POLLOUT : 0;

	/* Before its EXEC, and while its process takes input within the
	 * window; not between (input waits until the process runs). */
	if (!x->ended && !x->pending &&
	    (!x->id ||
	     (x->started && x->inflight + 2 * MONITOR_EXEC_READ <= MONOS_EXEC_STDIN_WINDOW)))
		ev |= POLLIN;
	(void)m;
	return ev;
}

void monitor_exec_handle(struct monitor *m, struct mon_client *cl, short revents)
{
	struct mon_exec *x = cl->x;
	uint8_t buf[MONITOR_EXEC_READ];
	ssize_t n;

	if (revents & POLLOUT && x->qlen) {
		n = write(cl->fd, x->q, x->qlen);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return client_close(m, cl);
		if (n > 0) {
			memmove(x->q, x->q + n, x->qlen - (size_t)n);
			x->qlen -= (size_t)n;
		}
	}
	if (x->ended && !x->qlen)
		return client_close(m, cl); /* all said */
	if (!(revents & (POLLIN | POLLHUP | POLLERR)) || !(monitor_exec_events(m, cl) & POLLIN))
		return;
	n = read(cl->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return client_close(m, cl); /* gone: its process runs on */
	client_feed(m, cl, buf, (size_t)n);
}

/* The channel's stream_fn: a frame of stream `id` from the guest. */
void monitor_exec_stream(void *arg, unsigned type, unsigned id, const uint8_t *p, size_t len)
{
	struct monitor *m = arg;
	int ci = id_ok(id) && m->stream_busy[id] ? m->stream_client[id] - 1 : -1;
	struct mon_exec *x = ci >= 0 ? m->cl[ci].x : NULL;
	uint32_t acked;

	if (id_ok(id) && type == MONOS_CHAN_XEXIT && m->stream_busy[id]) {
		m->stream_busy[id] = false; /* its last frame */
		m->stream_client[id] = 0;
	}
	if (!x || x->ended)
		return; /* an unknown or detached stream */
	if (type == MONOS_CHAN_XACK) {
		memcpy(&acked, p, sizeof(acked));
		x->inflight -= acked < x->inflight ? acked : x->inflight;
		return;
	}
	if (type == MONOS_CHAN_XSTART)
		x->started = true;
	if (type == MONOS_CHAN_XEXIT)
		x->ended = true;
	/* The client hears the frame as the guest framed it: id first. */
	uint8_t frame[MONOS_CHAN_MAX];
	frame[0] = (uint8_t)id;
	memcpy(frame + 1, p, len < sizeof(frame) - 1 ? len : sizeof(frame) - 1);
	if (!client_queue(x, type, frame, len + 1 < sizeof(frame) ? len + 1 : sizeof(frame)))
		client_close(m, &m->cl[ci]); /* too slow or no memory: cut off */
}

void monitor_exec_boot(struct monitor *m)
{
	for (size_t i = 0; i < MONITOR_CLIENTS; i++) {
		struct mon_exec *x = m->cl[i].st == CL_EXEC ? m->cl[i].x : NULL;

		if (!x || !x->pending)
			continue;
		client_exec(m, &m->cl[i], x->pending, x->pending_len);
		free(x->pending);
		x->pending = NULL;
	}
}

void monitor_exec_lost(struct monitor *m)
{
	for (size_t i = 0; i < MONITOR_CLIENTS; i++)
		if (m->cl[i].st == CL_EXEC &&
		    ((m->cl[i].x->id && !m->cl[i].x->ended) || m->cl[i].x->pending))
			client_refuse(m->cl[i].x, "the instance ended before the process did");
	memset(m->stream_busy, 0, sizeof(m->stream_busy));
	memset(m->stream_client, 0, sizeof(m->stream_client));
}
