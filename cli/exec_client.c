/*
 * The client end of an exec (monitor_exec.c has the monitor's): sends the
 * request to an instance's monitor, relays stdin to the process and its
 * stdout and stderr back, forwards SIGINT, SIGTERM and SIGHUP to it, and
 * turns its end into an exit status as docker exec does (the status, 128 +
 * a signal, 126 when it cannot be started, 127 when the program is not
 * found).  Serves `monos exec` (cmd_exec.c) and `monos-runtime exec`.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define EXEC_START_TIMEOUT_MS 60000 /* a guest that never answers (TCG under load is slow) */
#define EXEC_CHUNK	      (MONOS_CHAN_MAX - 1) /* stdin bytes per frame, after the id */

/* Append `n` bytes to the request being built; false when it outgrows a frame. */
static bool put(uint8_t *buf, size_t *len, const void *p, size_t n)
{
	if (*len + n > MONOS_CHAN_MAX)
		return false;
	memcpy(buf + *len, p, n);
	*len += n;
	return true;
}

/* Strings as a NUL-separated list; its length, or -1 when it does not fit. */
static long put_list(uint8_t *buf, size_t *len, char *const *v, size_t n)
{
	size_t start = *len;

	for (size_t i = 0; i < n; i++)
		if (!put(buf, len, v[i], strlen(v[i]) + 1))
			return -1;
	return (long)(*len - start);
}

long exec_client_build(const struct exec_request *q, uint8_t buf[MONOS_CHAN_MAX])
{
	struct monos_chan_exec h = { .flags = (uint8_t)((q->interactive ? MONOS_EXEC_STDIN : 0) |
							(q->tty ? MONOS_EXEC_TTY : 0) |
							(q->user_set ? MONOS_EXEC_USER : 0)),
				     .uid = q->uid,
				     .gid = q->gid,
				     .rows = q->rows,
				     .cols = q->cols };
	size_t len = sizeof(h);
	long n;

	if (q->ngroups > EXEC_GROUPS_MAX || !q->argc)
		return -EINVAL;
	h.ngroups = (uint16_t)q->ngroups;
	for (size_t i = 0; i < q->ngroups; i++)
		if (!put(buf, &len, &q->groups[i], 4))
			return -E2BIG;
	if (q->cwd && (!put(buf, &len, q->cwd, strlen(q->cwd) + 1)))
		return -E2BIG;
	h.cwd_len = (uint16_t)(q->cwd ? strlen(q->cwd) + 1 : 0);
	if ((n = put_list(buf, &len, q->argv, q->argc)) < 0)
		return -E2BIG;
	h.argv_len = (uint16_t)n;
	if ((n = put_list(buf, &len, q->env, q->envc)) < 0)
		return -E2BIG;
	h.env_len = (uint16_t)n;
	memcpy(buf, &h, sizeof(h));
	return (long)len;
}

/* The exit status docker exec gives for the guest's XEXIT `e`, with a line
 * on stderr when the process could not be started. */
static int exit_status(const struct monos_chan_exit *e, const char *prog)
{
	int err = e->status;

	switch (e->kind) {
	case MONOS_EXIT_STATUS:
		return e->status;
	case MONOS_EXIT_SIGNAL:
		return 128 + e->signo;
	case MONOS_EXIT_EXEC:
		if (e->signo == MONOS_EXEC_STAGE_PROGRAM && err == ENOENT) {
			msg_error("exec: %s: executable file not found in $PATH", prog);
			return CLI_EXIT_NOT_FOUND;
		}
		if (e->signo == MONOS_EXEC_STAGE_CWD)
			msg_error("exec: cannot enter the working directory: %s", strerror(err));
		else if (e->signo == MONOS_EXEC_STAGE_PROGRAM)
			msg_error("exec: cannot run %s: %s", prog, strerror(err));
		else
			msg_error("exec: the instance cannot start it: %s", strerror(err));
		return CLI_EXIT_CANNOT_RUN;
	default:
		msg_error("exec: the process ended in an unknown way");
		return CLI_EXIT_ERROR;
	}
}

/* Connect to the monitor of `dir` and send "exec" and the request: the
 * socket (non-blocking), or -1 after one error line. */
static int send_request(const char *dir, const uint8_t *req, size_t len)
{
	struct sockaddr_un sa;
	uint8_t frame[5 + MONOS_CHAN_HDR + MONOS_CHAN_MAX];
	int dfd, fd = -1, rc = state_sock_addr(dir, &sa, &dfd);

	memcpy(frame, "exec\n", 5);
	monos_chan_header(frame + 5, MONOS_CHAN_EXEC, len);
	memcpy(frame + 5 + MONOS_CHAN_HDR, req, len);
	if (rc == 0 && (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		rc = -errno;
	if (rc == 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = -errno;
	if (rc == 0)
		rc = msg_write_full(fd, frame, 5 + MONOS_CHAN_HDR + len);
	if (dfd >= 0)
		close(dfd);
	if (rc == 0 && fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		rc = -errno;
	if (rc < 0) {
		msg_error("exec: cannot reach the instance's monitor: %s", strerror(-rc));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int exec_client_relay(const char *dir, const struct exec_request *q);

/* The relay's state. */
struct relay {
	int sock, sigfd, notify_fd;
	bool interactive, started, in_eof, out_broken, done;
	int status;
	const char *prog;
	struct monos_chan_decoder dec;
	uint8_t out[MONOS_CHAN_HDR + MONOS_CHAN_MAX]; /* one frame for the monitor */
	size_t out_len, out_off;
};

static int accept_monitor_type(unsigned type)
{
	return type == MONOS_CHAN_XSTART || type == MONOS_CHAN_XSTDOUT ||
	       type == MONOS_CHAN_XSTDERR || type == MONOS_CHAN_XEXIT || type == MONOS_CHAN_LOG;
}

/* One frame for the monitor (the stream id is its to fill). */
static void relay_frame(struct relay *r, unsigned type, const void *p, size_t n)
{
	monos_chan_header(r->out, type, n + 1);
	r->out[MONOS_CHAN_HDR] = 0;
	memcpy(r->out + MONOS_CHAN_HDR + 1, p, n);
	r->out_len = MONOS_CHAN_HDR + 1 + n;
	r->out_off = 0;
}

static void monitor_frame(struct relay *r, unsigned type, const uint8_t *p, size_t len)
{
	struct monos_chan_exit e;

	if (type == MONOS_CHAN_LOG) { /* the monitor's refusal */
		msg_error("exec: %.*s", (int)len, (const char *)p);
		r->status = CLI_EXIT_ERROR;
		r->done = true;
	} else if (type == MONOS_CHAN_XSTART) {
		r->started = true;
		if (r->notify_fd >= 0) { /* monos-runtime exec --detach: it runs */
			(void)!write(r->notify_fd, "S", 1);
			close(r->notify_fd);
			r->notify_fd = -1;
		}
	} else if (type == MONOS_CHAN_XSTDOUT && len > 1 && !r->out_broken) {
		if (msg_write_full(STDOUT_FILENO, p + 1, len - 1) < 0)
			r->out_broken = true;
	} else if (type == MONOS_CHAN_XSTDERR && len > 1) {
		msg_write_full(STDERR_FILENO, p + 1, len - 1);
	} else if (type == MONOS_CHAN_XEXIT && len == 1 + sizeof(e)) {
		memcpy(&e, p + 1, sizeof(e)); /* checked by the monitor's channel */
		r->status = exit_status(&e, r->prog);
		r->done = true;
	}
}

static void relay_stdin(struct relay *r)
{
	uint8_t buf[EXEC_CHUNK];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		r->in_eof = true;
		relay_frame(r, MONOS_CHAN_XSTDIN_EOF, NULL, 0);
	} else {
		relay_frame(r, MONOS_CHAN_XSTDIN, buf, (size_t)n);
	}
}

static void relay_signal(struct relay *r)
{
	struct signalfd_siginfo si;
	uint8_t signo;

	if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	signo = (uint8_t)si.ssi_signo;
	if (r->started && !r->out_len)
		relay_frame(r, MONOS_CHAN_XSIGNAL, &signo, 1);
}

/* Bytes from the monitor; false when it hung up. */
static bool relay_sock(struct relay *r)
{
	uint8_t buf[16384];
	ssize_t n = read(r->sock, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n && !r->done; i++)
		if (monos_chan_feed(&r->dec, buf[i], accept_monitor_type))
			monitor_frame(r, r->dec.type, r->dec.buf, r->dec.len);
	return true;
}

static void relay_flush(struct relay *r)
{
	ssize_t n = write(r->sock, r->out + r->out_off, r->out_len - r->out_off);

	if (n > 0 && (r->out_off += (size_t)n) == r->out_len)
		r->out_len = r->out_off = 0;
}

/* Relay until the process's XEXIT, a refusal or the monitor's end. */
static int relay_run(struct relay *r)
{
	while (!r->done) {
		struct pollfd pf[3] = {
			{ .fd = r->sock, .events = POLLIN | (r->out_len ? POLLOUT : 0) },
			{ .fd = r->sigfd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		bool want_in = r->interactive && r->started && !r->in_eof && !r->out_len;
		int rc = poll(pf, want_in ? 3 : 2, r->started ? -1 : EXEC_START_TIMEOUT_MS);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			msg_error("exec: %s", rc ? strerror(errno) : "the instance did not answer");
			return CLI_EXIT_ERROR;
		}
		if (pf[0].revents & POLLOUT)
			relay_flush(r);
		if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_sock(r)) {
			msg_error(
				"exec: the instance's monitor went away before the process ended");
			return CLI_EXIT_ERROR;
		}
		if (pf[1].revents & POLLIN)
			relay_signal(r);
		if (want_in && (pf[2].revents & (POLLIN | POLLHUP | POLLERR)))
			relay_stdin(r);
	}
	return r->status;
}

/* -t: the window size of the user's terminal into `q`, and the terminal
 * raw (the guest's line discipline edits and echoes, as docker's -t):
 * whether `saved` holds the mode to restore. */
static bool terminal_raw(struct exec_request *q, struct termios *saved)
{
	struct winsize ws;
	struct termios raw;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ||
	    ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		q->rows = ws.ws_row;
		q->cols = ws.ws_col;
	}
	if (!q->interactive || tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	raw = *saved;
	cfmakeraw(&raw);
	return tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0;
}

int exec_client_run(const char *dir, const struct exec_request *req)
{
	struct exec_request qq = *req, *q = &qq;
	struct termios saved;
	bool raw = q->tty && terminal_raw(q, &saved);
	int status = exec_client_relay(dir, q);

	if (raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	return status;
}

static int exec_client_relay(const char *dir, const struct exec_request *q)
{
	static uint8_t req[MONOS_CHAN_MAX];
	long len = exec_client_build(q, req);
	struct relay *r;
	sigset_t set, old;
	int status;

	if (len < 0) {
		msg_error("exec: %s", len == -E2BIG ? "the arguments and environment exceed 4 KiB"
						    : "bad request");
		return CLI_EXIT_ERROR;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		msg_error("exec: out of memory");
		return CLI_EXIT_ERROR;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	*r = (struct relay){ .interactive = q->interactive,
			     .prog = q->argv[0],
			     .sigfd = -1,
			     .notify_fd = q->notify_fd };
	monos_chan_decoder_init(&r->dec);
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	r->sock = send_request(dir, req, (size_t)len);
	status = r->sock < 0 || r->sigfd < 0 ? CLI_EXIT_ERROR : relay_run(r);
	if (r->sock >= 0)
		close(r->sock);
	if (r->sigfd >= 0)
		close(r->sigfd);
	if (r->notify_fd >= 0)
		close(r->notify_fd);
	free(r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}
