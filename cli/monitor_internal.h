/*
 * What monitor.c (the monitor's life) and monitor_ctl.c (its control
 * socket) share: the monitor's state.  Private to those two files.
 */
#ifndef MONOS_CLI_MONITOR_INTERNAL_H
#define MONOS_CLI_MONITOR_INTERNAL_H

#include <poll.h>
#include <time.h>

#include "cli.h"

#define MONITOR_CLIENTS		 (SESSION_HOOK_FDS - 1) /* one pollfd is the listener */
#define MONITOR_LINE_MAX	 128			/* a request line */
#define MONITOR_BACKOFF_FIRST_MS 100			/* docker's restart delays */
#define MONITOR_BACKOFF_MAX_MS	 60000
#define MONITOR_BACKOFF_RESET_MS 10000 /* a run this long starts the delays again */
#define MONITOR_KILLED_STATUS	 137   /* 128 + SIGKILL, as docker kill gives */
#define MONITOR_IMAGE		 "image.cpio"
/* The record's args and command are capped (an argv may be 2 MiB) so that
 * the whole record stays within STATE_RECORD_MAX. */
#define MONITOR_ARGS_MAX    8192
#define MONITOR_COMMAND_MAX 256

#define MONITOR_EXECS 8 /* exec'd processes at once: the guest's slots (init/exec.c) */

enum mon_client_state { CL_FREE, CL_READING, CL_WAIT, CL_STATS, CL_EXEC };

/* An exec client's stream (monitor_exec.c). */
struct mon_exec {
	struct monos_chan_decoder dec; /* the client's frames */
	unsigned id;		       /* the stream id; 0 until its EXEC went */
	bool started, ended;	       /* XSTART seen; XEXIT (or a refusal) queued */
	uint32_t inflight;	       /* XSTDIN bytes the guest has not acknowledged */
	uint8_t *pending;	       /* its EXEC, held until the boot, or NULL */
	size_t pending_len;
	uint8_t *q; /* frames for the client, not yet written */
	size_t qlen, qcap;
};

struct mon_client {
	int fd;
	enum mon_client_state st;
	struct mon_exec *x; /* CL_EXEC */
	char line[MONITOR_LINE_MAX];
	size_t len;
};

enum mon_state { MON_CREATED, MON_RUNNING, MON_RESTARTING, MON_EXITED };
/* Their names, in the record and the state answer (monitor.c). */
extern const char *const monitor_state_name[];
/* The health states' names (enum monos_chan_health), in the record. */
extern const char *const monitor_health_name[];

struct monitor {
	struct run_job *j;
	const char *dir;
	char *fixed; /* the record's lines that never change */
	int lfd;     /* the listening control socket */
	struct mon_client cl[MONITOR_CLIENTS];
	int pf_client[SESSION_HOOK_FDS]; /* pollfd index -> client, -1: listener */
	enum mon_state state;
	bool gate_open, stop_requested, killed;
	uint64_t kill_at;  /* CLOCK_MONOTONIC ms of stop's SIGKILL; 0: none */
	struct channel *c; /* the boot's channel while running, else NULL */
	pid_t qemu;
	int sigfd;	      /* SIGINT/TERM/HUP between boots (mon_idle) */
	pid_t pid;	      /* the monitor's own, once forked; 0 before */
	uint64_t stats_seen;  /* c->stats_gen answered already */
	uint64_t health_seen; /* c->health_gen recorded already */
	uint8_t health;	      /* enum monos_chan_health, in the record */
	int status;	      /* the last boot's exit status; -1: none yet */
	unsigned restarts;
	int64_t started_ns, finished_ns; /* CLOCK_REALTIME; 0: not yet */
	/* exec streams: taken ids (until their XEXIT), and the client of
	 * each (index + 1; 0: none, detached) */
	bool stream_busy[MONOS_CHAN_STREAMS_MAX + 1];
	int stream_client[MONOS_CHAN_STREAMS_MAX + 1];
	unsigned next_stream; /* the id given last */
};

static inline uint64_t monitor_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* monitor.c */

/* monitor_record - write the instance's record (state.c) as it is now. */
void monitor_record(struct monitor *m);

/* monitor_ctl.c */

/* monitor_ctl_listen - the listening control socket at `dir`/sock: the
 * fd, or -1 (said). */
int monitor_ctl_listen(const char *dir);
/* monitor_ctl_fill, monitor_ctl_handle - the session hook's (cli.h's
 * struct session_hook; `arg` is the struct monitor), also used between
 * boots: the listener and the clients, a stop's SIGKILL deadline, the
 * guest's STATS answer passed on. */
size_t monitor_ctl_fill(void *arg, struct pollfd *pf, size_t max, int *timeout_ms);
void monitor_ctl_handle(void *arg, const struct pollfd *pf, size_t n);
/* monitor_ctl_answer_all - answer every client waiting for `what`. */
void monitor_ctl_answer_all(struct monitor *m, enum mon_client_state what, const char *text);

/* monitor_exec.c */

/* monitor_exec_begin - client `cl` asked "exec": it speaks frames from now
 * on, `rest` (`n` bytes) the first of them. */
void monitor_exec_begin(struct monitor *m, struct mon_client *cl, const uint8_t *rest, size_t n);
/* monitor_exec_events, monitor_exec_handle - an exec client's poll events
 * and their handling (it may be hung up and freed). */
short monitor_exec_events(const struct monitor *m, const struct mon_client *cl);
void monitor_exec_handle(struct monitor *m, struct mon_client *cl, short revents);
/* monitor_exec_stream - the channel's stream_fn (`arg` the monitor). */
void monitor_exec_stream(void *arg, unsigned type, unsigned id, const uint8_t *p, size_t len);
/* monitor_exec_boot - the boot's channel is up: send the EXECs held for it. */
void monitor_exec_boot(struct monitor *m);
/* monitor_exec_lost - the guest is gone: every running exec's client is
 * told so, every stream id is free again. */
void monitor_exec_lost(struct monitor *m);

#endif
