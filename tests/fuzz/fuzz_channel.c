/*
 * libFuzzer target: the host end of the channel (cli/channel.c), which
 * decodes whatever the guest writes to the UART.  The input is that byte
 * stream: it is fed in pieces whose sizes come from the input's first byte,
 * as read() hands them over; then the run's outcome is computed and the kept
 * log printed, as `monos run` does at the end.  Output goes to /dev/null.
 * Frames of exec streams (channel version 2) reach a stream_fn that
 * checks what the channel promises the monitor about them.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../cli/channel.c"
#include "../../cli/msg.c"
#include "../../kernel/lib/errno.c"

#define FUZZ_MEMORY (256ull << 20) /* only printed in the OOM message */

/* What the monitor's stream_fn (`monos exec`) may be handed: a stream id,
 * an XEXIT decoded and checked, XSTART and XACK their 4 bytes. */
static void check_stream(void *arg, unsigned type, unsigned id, const uint8_t *p, size_t len)
{
	const struct monos_chan_exit *e = (const void *)p;

	(void)arg;
	if (!id || id > MONOS_CHAN_STREAMS_MAX || len > MONOS_CHAN_MAX)
		abort();
	if (type == MONOS_CHAN_XEXIT &&
	    (len != sizeof(*e) || e->kind > MONOS_EXIT_EXEC ||
	     (e->kind == MONOS_EXIT_SIGNAL && (!e->signo || e->signo > CHANNEL_MAX_SIGNO))))
		abort();
	if ((type == MONOS_CHAN_XSTART || type == MONOS_CHAN_XACK) && len != 4)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct channel c;
	struct channel_outcome out;
	size_t piece, off;
	char log[64];

	if (null_fd < 0 && (null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	if (size == 0)
		return 0;
	/* Byte 0: verbose (bit 7) and the piece size (1..128). */
	piece = (data[0] & 0x7f) + 1;
	if (channel_init(&c, null_fd, null_fd, data[0] & 0x80))
		abort();
	c.stream_fn = check_stream;
	for (off = 1; off < size; off += piece)
		channel_feed(&c, data + off, size - off < piece ? size - off : piece);
	channel_outcome(&c, FUZZ_MEMORY, "fuzz", &out);
	if (out.msg[sizeof(out.msg) - 1] || out.code < 0 || out.code > 255)
		abort();
	if (channel_log_copy(&c, log, sizeof(log)) > sizeof(log))
		abort();
	channel_print_log(&c, null_fd, data[0] & 7);
	channel_free(&c);
	return 0;
}
