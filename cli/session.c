/*
 * The session: one poll loop that connects the user's terminal to the guest
 * while QEMU runs.  It watches stdin (forwarded as STDIN frames, then one
 * STDIN_EOF), the channel's two wires (the UART socket and the virtio
 * console's; guest frames from each, decoded apart by channel.c; queued host
 * frames written to the wire READY came on, when it is writable), QEMU's
 * stderr pipe (kept for failures, shown live with -v) and a signalfd
 * (SIGINT/TERM/HUP forwarded to the guest, SIGWINCH as a window size,
 * SIGCHLD to reap QEMU); the second of SIGINT/TERM/HUP kills QEMU.  The UART
 * carries only what the kernel sent before it found the virtio console, so
 * reading both in turn keeps the order.
 *
 * It never blocks on a socket: a guest that does not read its stdin only
 * fills the queue, and above CHANNEL_OUTQ_HIGH the loop stops reading stdin.
 * It ends when the sockets are at EOF, QEMU is reaped and its stderr drained.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define SESSION_QEMU_ERR_KEEP (64u << 10) /* QEMU stderr bytes kept */
/* The second SIGINT, SIGTERM or SIGHUP kills QEMU (docker compose's "press
 * Ctrl+C again to force"): the first reaches the program, which may shut
 * down at its own pace or ignore it (a REPL ignores Ctrl-C), so no grace
 * time kills it behind the user's back; but a program stuck, or a kernel
 * stuck under it, ends at the user's second word. */
#define SESSION_SIGNALS_TO_KILL 2
/* Bytes of stdin read at once, sent as frames of MONOS_CHAN_MAX: bulk input
 * costs one read, one write and one poll round per 16 frames. */
#define SESSION_STDIN_READ (64u << 10)
/* The same signal again within this many ms of the first is that first
 * request delivered twice, not the user's second word: timeout(1) signals
 * its child and then its whole process group, and `kill -TERM -PGID` of a
 * script reaches monos beside its shell.  Counting it killed the instance
 * of a program that was shutting down gracefully (tests/apps/go.sh, under
 * timeout, ended 143 now and then).  A person's second Ctrl-C comes later. */
#define SESSION_SIGNAL_REPEAT_MS 500

enum { FD_STDIN, FD_SOCK, FD_VSOCK, FD_ERR, FD_SIG, FD_HOOK };

#define FD_COUNT (FD_HOOK + SESSION_HOOK_FDS)

struct session {
	struct channel *c;
	int sock, vsock, errpipe, sigfd;
	int out_sock;			 /* the wire READY came on: host frames go there */
	struct monos_chan_decoder *vdec; /* the virtio console's frames */
	pid_t qemu;
	bool verbose, stdin_eof, sock_eof, vsock_eof, err_eof;
	unsigned stop_signals; /* SIGINT/TERM/HUP received after READY */
	int last_stop_signo;   /* the last one counted, and when (CLOCK_MONOTONIC ms) */
	uint64_t last_stop_ms;
	struct session_result *res;
	const struct session_hook *hook; /* the monitor's control socket, or NULL */
	char *qerr;			 /* the last SESSION_QEMU_ERR_KEEP bytes of QEMU's stderr */
	size_t qerr_len;
};

/* SIGUSR1 asks the kernel for its memory figures (a log line; -v shows it):
 * how `make soak` checks for leaks while the program runs. */
static const int session_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCHLD, SIGUSR1
};

/*
 * Block the signals the session handles and return a signalfd for them
 * (-errno on failure).  Call before starting QEMU so no SIGCHLD is lost.
 */
int session_open_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(session_signals) / sizeof(session_signals[0]); i++)
		sigaddset(&set, session_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static void keep_qemu_err(struct session *s, const char *p, size_t n)
{
	if (s->verbose)
		msg_write_full(STDERR_FILENO, p, n);
	if (n >= SESSION_QEMU_ERR_KEEP) {
		p += n - SESSION_QEMU_ERR_KEEP;
		n = SESSION_QEMU_ERR_KEEP;
	}
	if (s->qerr_len + n > SESSION_QEMU_ERR_KEEP) {
		size_t drop = s->qerr_len + n - SESSION_QEMU_ERR_KEEP;

		memmove(s->qerr, s->qerr + drop, s->qerr_len - drop);
		s->qerr_len -= drop;
	}
	memcpy(s->qerr + s->qerr_len, p, n);
	s->qerr_len += n;
}

/* Frame little endian winsize for the guest. */
static void queue_winsize(struct session *s)
{
	struct monos_chan_winsize ws;
	uint8_t p[8];

	if (!rundata_get_winsize(&ws))
		return;
	p[0] = ws.rows & 0xff, p[1] = ws.rows >> 8, p[2] = ws.cols & 0xff, p[3] = ws.cols >> 8;
	p[4] = ws.xpixel & 0xff, p[5] = ws.xpixel >> 8, p[6] = ws.ypixel & 0xff;
	p[7] = ws.ypixel >> 8;
	channel_queue(s->c, MONOS_CHAN_WINSIZE, p, sizeof(p));
}

static void reap(struct session *s)
{
	int st;

	if (!s->res->exited && waitpid(s->qemu, &st, WNOHANG) == s->qemu) {
		s->res->exited = true;
		s->res->wait_status = st;
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether stop signal `signo` repeats the last one within
 * SESSION_SIGNAL_REPEAT_MS (then it is dropped); records it otherwise. */
static bool is_repeat(struct session *s, int signo)
{
	uint64_t now = now_ms();

	if (s->stop_signals && signo == s->last_stop_signo &&
	    now - s->last_stop_ms < SESSION_SIGNAL_REPEAT_MS)
		return true;
	s->last_stop_signo = signo;
	s->last_stop_ms = now;
	return false;
}

static void on_signal(struct session *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		uint8_t signo = (uint8_t)si.ssi_signo;

		/* Before READY the program has not started: nothing can shut down
		 * gracefully, and a kernel that never gets there (a hang at boot)
		 * must not keep `monos run` alive. */
		if ((si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) &&
		    !s->c->guest_ready && !s->res->interrupted) {
			kill(s->qemu, SIGKILL);
			s->res->interrupted = true;
			continue;
		}
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
		case SIGHUP:
			if (s->res->interrupted || s->res->kill_signo)
				break; /* QEMU is being killed already */
			if (is_repeat(s, si.ssi_signo))
				break;
			if (++s->stop_signals >= SESSION_SIGNALS_TO_KILL) {
				kill(s->qemu, SIGKILL);
				s->res->kill_signo = si.ssi_signo;
				break;
			}
			channel_queue(s->c, MONOS_CHAN_SIGNAL, &signo, 1);
			if (!s->res->stop_signo)
				s->res->stop_signo = signo;
			break;
		case SIGQUIT: /* nginx's graceful stop (its image's STOPSIGNAL):
				 * forwarded as docker does, never counted, since
				 * it follows a SIGHUP (reload) that was */
			if (!s->res->interrupted && !s->res->kill_signo)
				channel_queue(s->c, MONOS_CHAN_SIGNAL, &signo, 1);
			break;
		case SIGWINCH:
			queue_winsize(s);
			break;
		case SIGUSR1:
			channel_queue(s->c, MONOS_CHAN_MEMINFO, NULL, 0);
			break;
		case SIGCHLD:
			reap(s);
			break;
		}
	}
}

static void on_stdin(struct session *s)
{
	uint8_t buf[SESSION_STDIN_READ];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		for (size_t off = 0, len; off < (size_t)n; off += len) {
			len = (size_t)n - off < MONOS_CHAN_MAX ? (size_t)n - off : MONOS_CHAN_MAX;
			channel_queue(s->c, MONOS_CHAN_STDIN, buf + off, len);
		}
		channel_flush(s->c, s->out_sock); /* now, not a poll round later */
		return;
	}
	/* EOF, or an error that ends input all the same (EIO from a lost tty). */
	channel_queue(s->c, MONOS_CHAN_STDIN_EOF, NULL, 0);
	s->stdin_eof = true;
}

/* One wire: `fd` with its decoder `dec`, *eof set at its end. */
static void on_wire(struct session *s, int fd, struct monos_chan_decoder *dec, bool *eof,
		    short revents)
{
	uint8_t buf[65536];
	ssize_t n;

	if ((revents & POLLOUT) && fd == s->out_sock)
		channel_flush(s->c, fd);
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		bool was_ready = s->c->guest_ready;
		channel_feed_wire(s->c, dec, buf, n);
		if (!was_ready && s->c->guest_ready)
			s->out_sock = fd;
		/* What waited for READY, or the answer to a TIME_REQ: at once. */
		if (s->c->guest_ready && s->c->outq_len)
			channel_flush(s->c, s->out_sock);
		if (!was_ready && s->c->guest_ready)
			qemu_widen_listen_queues(s->qemu); /* QEMU's network is up */
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		*eof = true;
}

static void on_err(struct session *s)
{
	char buf[4096];
	ssize_t n = read(s->errpipe, buf, sizeof(buf));

	if (n > 0)
		keep_qemu_err(s, buf, n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		s->err_eof = true;
}

/* One round of poll(); returns -errno only if poll itself fails. */
static int session_step(struct session *s)
{
	struct pollfd pf[FD_COUNT] = {
		[FD_STDIN] = { .fd = -1 },
		[FD_SOCK] = { .fd = -1 },
		[FD_VSOCK] = { .fd = -1 },
		[FD_ERR] = { .fd = -1 },
		[FD_SIG] = { .fd = s->sigfd, .events = POLLIN },
	};

	short out;
	bool wires_eof = s->sock_eof && s->vsock_eof;
	size_t nhook = 0;
	int timeout = -1;

	/* The hook first: what it queues for the guest is polled for now. */
	if (s->hook)
		nhook = s->hook->fill(s->hook->arg, pf + FD_HOOK, SESSION_HOOK_FDS, &timeout);
	out = s->c->outq_len && s->c->guest_ready ? POLLOUT : 0;

	if (!s->stdin_eof && !wires_eof && s->c->outq_len < CHANNEL_OUTQ_HIGH)
		pf[FD_STDIN] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (!s->sock_eof)
		pf[FD_SOCK] =
			(struct pollfd){ .fd = s->sock,
					 .events = POLLIN | (s->out_sock == s->sock ? out : 0) };
	if (!s->vsock_eof)
		pf[FD_VSOCK] =
			(struct pollfd){ .fd = s->vsock,
					 .events = POLLIN | (s->out_sock == s->vsock ? out : 0) };
	if (!s->err_eof)
		pf[FD_ERR] = (struct pollfd){ .fd = s->errpipe, .events = POLLIN };
	if (poll(pf, FD_HOOK + nhook, timeout) < 0)
		return errno == EINTR ? 0 : -errno;
	if (s->hook)
		s->hook->handle(s->hook->arg, pf + FD_HOOK, nhook);
	if (pf[FD_SIG].revents)
		on_signal(s);
	if (pf[FD_STDIN].revents)
		on_stdin(s);
	if (pf[FD_SOCK].revents) /* the UART first: it carries what came first */
		on_wire(s, s->sock, &s->c->dec, &s->sock_eof, pf[FD_SOCK].revents);
	if (pf[FD_VSOCK].revents)
		on_wire(s, s->vsock, s->vdec, &s->vsock_eof, pf[FD_VSOCK].revents);
	if (pf[FD_ERR].revents)
		on_err(s);
	if (wires_eof && s->err_eof)
		reap(s); /* SIGCHLD may have come before the last bytes */
	return 0;
}

/*
 * Run the session until QEMU is gone.  Takes `sigfd` from
 * session_open_signals().  On return, `res` says how QEMU ended and
 * *qemu_err (malloc'd, caller frees) holds the tail of its stderr.
 * Returns 0, or -errno if the loop itself failed (QEMU is then killed).
 */
int session_run(struct channel *c, int sock, int vsock, int errpipe, int sigfd, pid_t qemu,
		bool verbose, const struct session_hook *hook, struct session_result *res,
		char **qemu_err, size_t *qemu_err_len)
{
	struct session s = { .c = c,
			     .sock = sock,
			     .vsock = vsock,
			     .vsock_eof = vsock < 0,
			     .out_sock = sock,
			     .errpipe = errpipe,
			     .sigfd = sigfd,
			     .qemu = qemu,
			     .verbose = verbose,
			     .hook = hook,
			     .res = res };
	int rc = 0;

	memset(res, 0, sizeof(*res));
	s.qerr = malloc(SESSION_QEMU_ERR_KEEP);
	s.vdec = malloc(sizeof(*s.vdec));
	if (!s.qerr || !s.vdec) {
		free(s.qerr);
		free(s.vdec);
		return -ENOMEM;
	}
	monos_chan_decoder_init(s.vdec);
	while (!rc && !(s.sock_eof && s.vsock_eof && s.err_eof && res->exited))
		rc = session_step(&s);
	free(s.vdec);
	if (rc < 0) {
		kill(qemu, SIGKILL);
		waitpid(qemu, &res->wait_status, 0);
		res->exited = true;
	}
	*qemu_err = s.qerr;
	*qemu_err_len = s.qerr_len;
	return rc;
}
