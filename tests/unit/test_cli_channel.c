/*
 * Unit tests of the host end of the channel (cli/channel.c): crafted and
 * garbage frames go through the decoder and dispatch; outputs land in
 * temporary files; exit frames are validated and turned into statuses and
 * messages; the outgoing queue frames and flushes without blocking.
 */
#include "unit.h"

#include "../../cli/channel.c"
#include "../../cli/msg.c"
#include "../../kernel/lib/errno.c"

#include <signal.h>
#include <sys/socket.h>

static int out_fd, err_fd;

static int accept_host_type_for_test(unsigned type)
{
	return type >= MONOS_CHAN_STDIN && type <= MONOS_CHAN_WINSIZE;
}

/* Everything written to `fd` so far, NUL terminated (static buffer). */
static const char *contents(int fd)
{
	static char buf[1 << 16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void reset(struct channel *c, bool verbose)
{
	if (c->log)
		channel_free(c);
	ftruncate(out_fd, 0);
	ftruncate(err_fd, 0);
	lseek(out_fd, 0, SEEK_SET);
	lseek(err_fd, 0, SEEK_SET);
	CHECK_EQ(channel_init(c, out_fd, err_fd, verbose), 0);
}

/* Append one frame to `buf` at *len. */
static void frame(uint8_t *buf, size_t *len, unsigned type, const void *p, size_t n)
{
	monos_chan_header(buf + *len, type, n);
	memcpy(buf + *len + MONOS_CHAN_HDR, p, n);
	*len += MONOS_CHAN_HDR + n;
}

static void exit_frame(struct channel *c, unsigned kind, unsigned signo, unsigned status,
		       uint64_t addr, uint64_t ip, size_t len)
{
	uint8_t p[32] = { kind, signo, status };

	for (int i = 0; i < 8; i++) {
		p[8 + i] = (uint8_t)(addr >> (8 * i));
		p[16 + i] = (uint8_t)(ip >> (8 * i));
	}
	channel_dispatch(c, MONOS_CHAN_EXIT, p, len);
}

TEST(channel_streams)
{
	struct channel c = { 0 };
	uint8_t buf[256];
	size_t n = 0;

	reset(&c, false);
	frame(buf, &n, MONOS_CHAN_STDOUT, "out1 ", 5);
	frame(buf, &n, MONOS_CHAN_STDERR, "err ", 4);
	frame(buf, &n, MONOS_CHAN_LOG, "log line\n", 9);
	frame(buf, &n, MONOS_CHAN_TRACE, "trace ", 6);
	frame(buf, &n, MONOS_CHAN_STDOUT, "out2", 4);
	/* Byte by byte: the decoder keeps state across calls. */
	for (size_t i = 0; i < n; i++)
		channel_feed(&c, buf + i, 1);
	CHECK_STR(contents(out_fd), "out1 out2");
	CHECK_STR(contents(err_fd), "err trace ");
	char log[64];
	size_t l = channel_log_copy(&c, log, sizeof(log));
	CHECK(l == 9 && memcmp(log, "log line\n", 9) == 0);
	CHECK(!c.have_exit);
	channel_free(&c);
}

TEST(channel_verbose_log_goes_live)
{
	struct channel c = { 0 };
	uint8_t buf[64];
	size_t n = 0;

	reset(&c, true);
	frame(buf, &n, MONOS_CHAN_LOG, "boot\n", 5);
	channel_feed(&c, buf, n);
	CHECK_STR(contents(err_fd), "boot\n");
	channel_free(&c);
}

TEST(channel_garbage_resync)
{
	struct channel c = { 0 };
	uint8_t buf[256] = "noise before the kernel";
	size_t n = strlen((char *)buf);

	reset(&c, false);
	/* A host-to-guest type from the guest, then an oversize length. */
	frame(buf, &n, MONOS_CHAN_STDIN, "no", 2);
	buf[n++] = MONOS_CHAN_MAGIC, buf[n++] = MONOS_CHAN_STDOUT;
	buf[n++] = 0xff, buf[n++] = 0xff;	    /* 65535 > MONOS_CHAN_MAX */
	buf[n++] = MONOS_CHAN_MAGIC, buf[n++] = 99; /* unknown type */
	frame(buf, &n, MONOS_CHAN_STDOUT, "ok", 2);
	channel_feed(&c, buf, n);
	CHECK_STR(contents(out_fd), "ok");
	CHECK(c.dec.dropped > 20);
	channel_free(&c);
}

TEST(channel_dispatch_rejects_unknown)
{
	struct channel c = { 0 };

	reset(&c, false);
	channel_dispatch(&c, MONOS_CHAN_STDIN, (const uint8_t *)"x", 1);
	channel_dispatch(&c, 200, (const uint8_t *)"x", 1);
	CHECK_EQ(c.bad_frames, 2);
	CHECK_STR(contents(out_fd), "");
	channel_free(&c);
}

TEST(channel_exit_validation)
{
	struct channel c = { 0 };
	struct channel_outcome o;

	reset(&c, false);
	exit_frame(&c, MONOS_EXIT_STATUS, 0, 3, 0, 0, 23);  /* short */
	exit_frame(&c, 9, 0, 3, 0, 0, 24);		    /* unknown kind */
	exit_frame(&c, MONOS_EXIT_SIGNAL, 0, 0, 0, 0, 24);  /* signal 0 */
	exit_frame(&c, MONOS_EXIT_SIGNAL, 65, 0, 0, 0, 24); /* out of range */
	CHECK(!c.have_exit);
	CHECK_EQ(c.bad_frames, 4);
	exit_frame(&c, MONOS_EXIT_SIGNAL, 11, 0, 0xdead000, 0x401000, 24);
	exit_frame(&c, MONOS_EXIT_STATUS, 0, 0, 0, 0, 24); /* a second one: ignored */
	channel_outcome(&c, 256u << 20, "prog", &o);
	CHECK_EQ(o.code, 139);
	CHECK_STR(o.msg,
		  "program killed by SIGSEGV (fault address 0xdead000, instruction 0x401000)");
	CHECK_EQ(o.log_lines, 0); /* a signal is the program's end: no kernel log */
	channel_free(&c);
}

/* Each exit kind: status, message and what is shown. */
TEST(channel_outcomes)
{
	struct channel c = { 0 };
	struct channel_outcome o;

	reset(&c, false);
	channel_outcome(&c, 256u << 20, "prog", &o);
	CHECK(o.code == 125 && o.show_qemu_err && o.log_lines == CHANNEL_LOG_ALL);
	CHECK_STR(o.msg, "the instance stopped without an exit status");
	exit_frame(&c, MONOS_EXIT_STATUS, 0, 42, 0, 0, 24);
	channel_outcome(&c, 256u << 20, "prog", &o);
	CHECK(o.code == 42 && o.msg[0] == 0 && o.log_lines == 0);
	c.exit.kind = MONOS_EXIT_SIGNAL, c.exit.signo = 9, c.exit.addr = c.exit.ip = 0;
	channel_outcome(&c, 256u << 20, "prog", &o);
	CHECK(o.code == 137);
	CHECK_STR(o.msg, "program killed by SIGKILL");
	c.exit.kind = MONOS_EXIT_OOM;
	channel_outcome(&c, 64u << 20, "prog", &o);
	CHECK(o.code == 137);
	CHECK_STR(o.msg, "out of memory: program killed (use --memory to give it more than 64M)");
	c.exit.kind = MONOS_EXIT_PANIC;
	channel_outcome(&c, 64u << 20, "prog", &o);
	CHECK(o.code == 125 && o.log_lines == CHANNEL_LOG_ALL);
	CHECK_STR(o.msg, "kernel panic");
	c.exit.kind = MONOS_EXIT_EXEC, c.exit.status = ENOENT;
	channel_outcome(&c, 64u << 20, "prog", &o);
	CHECK(o.code == 127 && o.log_lines == CHANNEL_EXEC_LOG_LINES);
	CHECK_STR(o.msg, "the kernel could not start prog: ENOENT");
	c.exit.status = ENOEXEC;
	channel_outcome(&c, 64u << 20, "prog", &o);
	CHECK(o.code == 126);
	channel_free(&c);
}

/* Log bytes as the kernel sends them: split anywhere across frames. */
static void log_bytes(struct channel *c, const char *text)
{
	size_t len = strlen(text);

	for (size_t i = 0; i < len; i += 7)
		channel_dispatch(c, MONOS_CHAN_LOG, (const uint8_t *)text + i,
				 len - i < 7 ? len - i : 7);
}

/* The calls that got ENOSYS are named at a non-zero exit and at a fatal
 * signal (once bash's "fork: Function not implemented", status 254, came
 * without a word from monos), never at status 0, and never the log. */
TEST(channel_enosys_named)
{
	struct channel c = { 0 };
	struct channel_outcome o;

	reset(&c, false);
	log_bytes(&c, "net: timer tcp ran 0 times\n"
		      "monos: the program called fork (57), which monos does not implement yet: "
		      "it got ENOSYS\n"
		      "monos: the program called mlock2 (325), which monos does not implement "
		      "yet: it got ENOSYS\n"
		      "monos: the program called fork (57), which monos does not implement yet: "
		      "it got ENOSYS\n"
		      "monos: the program made unknown system call 999: it got ENOSYS\n"
		      "monos: the program used mremap MREMAP_DONTUNMAP, which monos does not "
		      "support: it got ENOSYS\n"
		      "monos: the program called wait4 (61)\n");
	CHECK_EQ(c.nenosys, 4);
	exit_frame(&c, MONOS_EXIT_STATUS, 0, 254, 0, 0, 24);
	channel_outcome(&c, 256u << 20, "bash", &o);
	CHECK(o.code == 254 && o.log_lines == 0 && o.msg[0] == 0);
	CHECK_STR(o.enosys, "the program got ENOSYS from fork, mlock2, system call 999, mremap "
			    "MREMAP_DONTUNMAP (not implemented in monos)");
	c.exit.status = 0;
	channel_outcome(&c, 256u << 20, "bash", &o);
	CHECK(o.code == 0 && o.enosys[0] == 0);
	c.exit.kind = MONOS_EXIT_SIGNAL, c.exit.signo = 15;
	channel_outcome(&c, 256u << 20, "bash", &o);
	CHECK(o.code == 143 && o.log_lines == 0 && o.enosys[0] != 0);
	CHECK_STR(o.msg, "program killed by SIGTERM");
	CHECK(strstr(contents(err_fd), "net: timer") == NULL); /* not shown live */
	channel_free(&c);
}

TEST(channel_signal_names)
{
	CHECK_STR(channel_signal_name(11), "SIGSEGV");
	CHECK_STR(channel_signal_name(31), "SIGSYS");
	CHECK_STR(channel_signal_name(34), "SIGRTMIN+2");
	CHECK_STR(channel_signal_name(0), "signal 0");
}

TEST(channel_log_ring_keeps_the_tail)
{
	struct channel c = { 0 };
	static uint8_t chunk[MONOS_CHAN_MAX];
	static char copy[CHANNEL_LOG_KEEP + 8];
	size_t total = 0, n;

	reset(&c, false);
	for (int i = 0; total < CHANNEL_LOG_KEEP + 10000; i++) {
		for (size_t j = 0; j < sizeof(chunk); j++)
			chunk[j] = (uint8_t)('a' + (total + j) % 26);
		channel_dispatch(&c, MONOS_CHAN_LOG, chunk, sizeof(chunk));
		total += sizeof(chunk);
	}
	n = channel_log_copy(&c, copy, sizeof(copy));
	CHECK_EQ(n, CHANNEL_LOG_KEEP);
	CHECK_EQ(copy[n - 1], 'a' + (total - 1) % 26);
	CHECK_EQ(copy[0], 'a' + (total - CHANNEL_LOG_KEEP) % 26);
	channel_free(&c);
}

TEST(channel_print_last_lines)
{
	struct channel c = { 0 };
	const char *log = "one\ntwo\nthree\nfour";

	reset(&c, false);
	channel_dispatch(&c, MONOS_CHAN_LOG, (const uint8_t *)log, strlen(log));
	channel_print_log(&c, err_fd, 2);
	CHECK_STR(contents(err_fd), "three\nfour\n");
	ftruncate(err_fd, 0);
	lseek(err_fd, 0, SEEK_SET);
	channel_print_log(&c, err_fd, 0);
	CHECK_STR(contents(err_fd), "one\ntwo\nthree\nfour\n");
	channel_free(&c);
}

TEST(channel_stdout_epipe_stops_forwarding)
{
	struct channel c = { 0 };
	int p[2];

	CHECK(pipe(p) == 0);
	close(p[0]);
	reset(&c, false);
	c.out_fd = p[1];
	channel_dispatch(&c, MONOS_CHAN_STDOUT, (const uint8_t *)"x", 1);
	CHECK(c.stdout_broken);
	/* The guest is told, as Linux would raise SIGPIPE in the writer. */
	CHECK(c.outq_len == 5 && c.outq[1] == MONOS_CHAN_SIGNAL && c.outq[4] == 13);
	channel_dispatch(&c, MONOS_CHAN_STDOUT, (const uint8_t *)"y", 1);
	CHECK_EQ(c.outq_len, 5); /* once only */
	channel_dispatch(&c, MONOS_CHAN_STDERR, (const uint8_t *)"still", 5);
	CHECK_STR(contents(err_fd), "still");
	close(p[1]);
	channel_free(&c);
}

/* Queued frames reach the socket intact; a full socket never blocks. */
TEST(channel_queue_and_flush)
{
	struct channel c = { 0 };
	static uint8_t big[MONOS_CHAN_MAX + 1], got[64];
	struct monos_chan_decoder dec;
	int sv[2], frames = 0;
	uint8_t sig = 2;

	reset(&c, false);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	CHECK_EQ(channel_queue(&c, MONOS_CHAN_STDIN, big, sizeof(big)), -EINVAL);
	CHECK_EQ(channel_queue(&c, MONOS_CHAN_STDIN, "abc", 3), 0);
	CHECK_EQ(channel_queue(&c, MONOS_CHAN_SIGNAL, &sig, 1), 0);
	CHECK_EQ(channel_queue(&c, MONOS_CHAN_STDIN_EOF, NULL, 0), 0);
	/* Nothing leaves before the guest's READY frame. */
	CHECK_EQ(channel_flush(&c, sv[0]), 0);
	CHECK_EQ(c.outq_len, 7 + 5 + 4);
	channel_dispatch(&c, MONOS_CHAN_READY, NULL, 0);
	CHECK(c.guest_ready);
	CHECK_EQ(channel_flush(&c, sv[0]), 0);
	CHECK_EQ(c.outq_len, 0);
	ssize_t n = read(sv[1], got, sizeof(got));
	CHECK_EQ(n, 7 + 5 + 4);
	monos_chan_decoder_init(&dec);
	for (ssize_t i = 0; i < n; i++)
		if (monos_chan_feed(&dec, got[i], accept_host_type_for_test))
			frames++;
	CHECK_EQ(frames, 3);
	/* Fill the socket: flush returns with bytes left instead of blocking. */
	for (int i = 0; i < 1000; i++)
		channel_queue(&c, MONOS_CHAN_STDIN, big, MONOS_CHAN_MAX);
	CHECK_EQ(channel_flush(&c, sv[0]), 0);
	CHECK(c.outq_len > 0);
	close(sv[1]);
	CHECK(channel_flush(&c, sv[0]) == -EPIPE);
	CHECK_EQ(c.outq_len, 0);
	close(sv[0]);
	channel_free(&c);
}

/* A STATS frame (eight little-endian u64, through the decoder) is kept for
 * the monitor and counted; one of another length is a bad frame. */
TEST(channel_takes_stats)
{
	struct channel c = { 0 };
	uint8_t frame[MONOS_CHAN_HDR + 64];

	reset(&c, false);
	monos_chan_header(frame, MONOS_CHAN_STATS, 64);
	for (size_t i = 0; i < 64; i++) /* field k holds k + 1 in its low byte, 0x80 high */
		frame[MONOS_CHAN_HDR + i] = i % 8 == 0	 ? (uint8_t)(i / 8 + 1)
					    : i % 8 == 7 ? 0x80
							 : 0;
	channel_feed(&c, frame, sizeof(frame));
	CHECK_EQ(c.stats_gen, 1);
	CHECK_EQ(c.stats.mem_total, 0x8000000000000001ull);
	CHECK_EQ(c.stats.cpu_ns, 0x8000000000000003ull);
	CHECK_EQ(c.stats.tx_packets, 0x8000000000000008ull);
	channel_dispatch(&c, MONOS_CHAN_STATS, frame + MONOS_CHAN_HDR, 63);
	CHECK_EQ(c.stats_gen, 1);
	CHECK_EQ(c.bad_frames, 1);
	channel_free(&c);
}

/* A TIME_REQ is answered by a TIME frame holding the host's time now, put
 * ahead of what was queued before it. */
TEST(channel_answers_time_first)
{
	struct channel c = { 0 };
	struct monos_chan_time t;
	struct timespec before, after;

	reset(&c, false);
	CHECK_EQ(channel_queue(&c, MONOS_CHAN_STDIN, "abc", 3), 0);
	clock_gettime(CLOCK_REALTIME, &before);
	channel_dispatch(&c, MONOS_CHAN_TIME_REQ, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_EQ(c.outq_len, MONOS_CHAN_HDR + sizeof(t) + MONOS_CHAN_HDR + 3);
	CHECK_EQ(c.outq[1], MONOS_CHAN_TIME);
	CHECK_EQ(c.outq[2], sizeof(t));
	memcpy(&t, c.outq + MONOS_CHAN_HDR, sizeof(t));
	CHECK(t.sec * 1000000000ll + t.nsec >= before.tv_sec * 1000000000ll + before.tv_nsec);
	CHECK(t.sec * 1000000000ll + t.nsec <= after.tv_sec * 1000000000ll + after.tv_nsec);
	CHECK_EQ(c.outq[MONOS_CHAN_HDR + sizeof(t) + 1], MONOS_CHAN_STDIN);
	CHECK_EQ(c.bad_frames, 0);
	channel_free(&c);
}

static int accept_time_or_stdin(unsigned type)
{
	return type == MONOS_CHAN_TIME || type == MONOS_CHAN_STDIN;
}

/* A TIME answer never lands inside a frame the socket took half of: every
 * frame still decodes whole on the far side. */
TEST(channel_time_after_a_half_written_frame)
{
	struct channel c = { 0 };
	static uint8_t big[MONOS_CHAN_MAX], got[1 << 16];
	struct monos_chan_decoder dec;
	int sv[2], frames = 0, times = 0, rounds = 0;

	reset(&c, false);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	channel_dispatch(&c, MONOS_CHAN_READY, NULL, 0);
	for (int i = 0; i < 100; i++)
		channel_queue(&c, MONOS_CHAN_STDIN, big, sizeof(big) - 1);
	monos_chan_decoder_init(&dec);
	while (rounds++ < 10000) {
		CHECK_EQ(channel_flush(&c, sv[0]), 0);
		if (rounds < 4) /* answers while a frame is half written */
			channel_dispatch(&c, MONOS_CHAN_TIME_REQ, NULL, 0);
		ssize_t n = read(sv[1], got, sizeof(got));
		if (n <= 0 && !c.outq_len)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (monos_chan_feed(&dec, got[i], accept_time_or_stdin)) {
				frames++;
				times += dec.type == MONOS_CHAN_TIME;
			}
	}
	CHECK_EQ(times, 3);
	CHECK_EQ(frames, 103);
	close(sv[0]);
	close(sv[1]);
	channel_free(&c);
}

int main(void)
{
	char name[] = "/tmp/monos-chantest.XXXXXX";

	signal(SIGPIPE, SIG_IGN);
	out_fd = mkstemp(name);
	unlink(name);
	strcpy(name, "/tmp/monos-chantest.XXXXXX");
	err_fd = mkstemp(name);
	unlink(name);
	RUN(channel_streams);
	RUN(channel_verbose_log_goes_live);
	RUN(channel_garbage_resync);
	RUN(channel_dispatch_rejects_unknown);
	RUN(channel_exit_validation);
	RUN(channel_outcomes);
	RUN(channel_enosys_named);
	RUN(channel_signal_names);
	RUN(channel_log_ring_keeps_the_tail);
	RUN(channel_print_last_lines);
	RUN(channel_stdout_epipe_stops_forwarding);
	RUN(channel_queue_and_flush);
	RUN(channel_answers_time_first);
	RUN(channel_takes_stats);
	RUN(channel_time_after_a_half_written_frame);
	return unit_summary();
}
