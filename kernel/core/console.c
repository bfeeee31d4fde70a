/*
 * The console over the UART: output streams framed or plain, the input
 * decoder, the stdin buffer, and stopping the machine at the end.
 */
#include "core/console.h"
#include "arch/x86_64/cpu.h"
#include "core/fault_inject.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "core/vm.h"
#include "drivers/uart.h"
#include <lib/fmt.h>

/* QEMU's isa-debug-exit device (facts.md): a write stops QEMU. */
#define DEBUG_EXIT_PORT 0xf4
#define STDIN_BUF_SIZE	(64 * 1024)

static bool channel;
static bool verbose;		 /* monos.verbose: log the TSC at exit */
static struct spinlock out_lock; /* one frame at a time on the wire */

static struct spinlock in_lock;		  /* guards what follows */
static uint8_t stdin_buf[STDIN_BUF_SIZE]; /* ring of unread stdin */
static size_t stdin_head, stdin_count;	  /* oldest byte, bytes held */
static bool stdin_eof;			  /* the host said: no more input */
static uint64_t stdin_received;		  /* bytes ever received, + 1 at EOF */
static bool rx_throttled;		  /* UART paused: buffer nearly full */
static struct monos_chan_winsize winsize; /* latest from the host */
static struct monos_chan_decoder decoder; /* host frames (interrupt only) */
static void (*signal_fn)(int signo);
/* Asking the host for its time (MONOS_CHAN_TIME_REQ), a few times: the
 * shortest round trip gives the best estimate (core/time.c). */
#define TIME_EXCHANGES 8
static uint64_t time_req_tsc; /* when the last request left */
static unsigned time_exchanges;
static void (*winsize_fn)(void);

void console_init(bool use_channel)
{
	channel = use_channel;
	uart_init();
	monos_chan_decoder_init(&decoder);
}

void console_set_verbose(bool on)
{
	verbose = on;
}

bool console_is_channel(void)
{
	return channel;
}

void console_write(unsigned type, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint64_t flags = spin_lock_irqsave(&out_lock);

	if (!channel) {
		uart_write(p, n);
		goto out;
	}
	do { /* an empty frame too: READY carries nothing */
		uint8_t hdr[MONOS_CHAN_HDR];
		size_t len = MIN(n, (size_t)MONOS_CHAN_MAX);
		monos_chan_header(hdr, type, len);
		uart_write(hdr, sizeof(hdr));
		uart_write(p, len);
		p += len;
		n -= len;
	} while (n);
out:
	spin_unlock_irqrestore(&out_lock, flags);
}

/* One log line of the kernel's memory figures, after `what`: what the leak
 * checks of `make soak` compare (at exit, and on the host's MEMINFO). */
static void log_memory(const char *what)
{
	struct heap_stats hs;

	heap_stats(&hs);
	klog("monos: %s heap %lu bytes live in %lu frames, frames used %lu of %lu "
	     "(program resident %lu), allocations %lu\n",
	     what, hs.live_bytes, hs.frames, mem_used_frames(), mem_total_frames(),
	     vm_resident_pages(), fault_inject_count());
}

/* Append stdin bytes; the caller holds in_lock. */
static void stdin_push(const uint8_t *p, size_t n)
{
	stdin_received += n;
	while (n-- && stdin_count < STDIN_BUF_SIZE) {
		stdin_buf[(stdin_head + stdin_count) % STDIN_BUF_SIZE] = *p++;
		stdin_count++;
	}
	/* Leave room for one whole frame, which the decoder holds already. */
	if (!rx_throttled && STDIN_BUF_SIZE - stdin_count < 2 * MONOS_CHAN_MAX) {
		rx_throttled = true;
		uart_rx_throttle(1);
	}
}

static int host_frame_type(unsigned type)
{
	return type == MONOS_CHAN_STDIN || type == MONOS_CHAN_STDIN_EOF ||
	       type == MONOS_CHAN_SIGNAL || type == MONOS_CHAN_WINSIZE || type == MONOS_CHAN_MEMINFO ||
	       type == MONOS_CHAN_TIME;
}

static void request_time(void)
{
	time_req_tsc = rdtsc();
	console_write(MONOS_CHAN_TIME_REQ, NULL, 0);
}

/* A complete frame from the host (interrupt context, in_lock held). */
static void host_frame(void)
{
	switch (decoder.type) {
	case MONOS_CHAN_STDIN:
		stdin_push(decoder.buf, decoder.len);
		break;
	case MONOS_CHAN_STDIN_EOF:
		stdin_eof = true;
		stdin_received++;
		break;
	case MONOS_CHAN_SIGNAL:
		if (decoder.len == 1 && signal_fn)
			signal_fn(decoder.buf[0]);
		break;
	case MONOS_CHAN_WINSIZE:
		if (decoder.len == sizeof(winsize))
			memcpy(&winsize, decoder.buf, sizeof(winsize));
		if (decoder.len == sizeof(winsize) && winsize_fn)
			winsize_fn();
		break;
	case MONOS_CHAN_MEMINFO:
		log_memory("memory:");
		break;
	case MONOS_CHAN_TIME:
		if (decoder.len == sizeof(struct monos_chan_time)) {
			struct monos_chan_time t;
			memcpy(&t, decoder.buf, sizeof(t));
			time_host_realtime(t.sec * NSEC_PER_SEC + t.nsec, time_req_tsc, rdtsc());
			if (++time_exchanges < TIME_EXCHANGES)
				request_time();
		}
		break;
	}
}

static void console_rx(uint8_t byte)
{
	uint64_t flags = spin_lock_irqsave(&in_lock);

	if (!channel)
		stdin_push(&byte, 1);
	else if (monos_chan_feed(&decoder, byte, host_frame_type))
		host_frame();
	spin_unlock_irqrestore(&in_lock, flags);
	sched_wake_all();
}

void console_start_input(void)
{
	uart_enable_rx(console_rx);
	if (channel) {
		console_write(MONOS_CHAN_READY, NULL, 0);
		request_time();
		time_set_host_clock(request_time);
	}
}

static bool stdin_ready(void *arg __unused)
{
	return stdin_count || stdin_eof;
}

long console_read_stdin(void *buf, size_t n, bool nonblock)
{
	uint8_t *p = buf;
	size_t got = 0;
	uint64_t flags;
	long err;

	if (!nonblock && (err = sched_wait(stdin_ready, NULL, 0)) < 0)
		return err;
	flags = spin_lock_irqsave(&in_lock);
	while (got < n && stdin_count) {
		p[got++] = stdin_buf[stdin_head];
		stdin_head = (stdin_head + 1) % STDIN_BUF_SIZE;
		stdin_count--;
	}
	bool resume = rx_throttled && STDIN_BUF_SIZE - stdin_count >= 2 * MONOS_CHAN_MAX;
	if (resume)
		rx_throttled = false;
	spin_unlock_irqrestore(&in_lock, flags);
	if (resume) /* outside in_lock: draining the UART calls console_rx() */
		uart_rx_throttle(0);
	if (!got && !stdin_eof)
		return -EAGAIN;
	return got;
}

size_t console_stdin_avail(void)
{
	return stdin_count;
}

bool console_stdin_ended(uint64_t *gen)
{
	*gen = stdin_received;
	return stdin_eof;
}

struct monos_chan_winsize console_winsize(void)
{
	return winsize;
}

void console_set_winsize_handler(void (*fn)(void))
{
	winsize_fn = fn;
}

void console_set_signal_handler(void (*fn)(int signo))
{
	signal_fn = fn;
}

static void klog_put(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(MONOS_CHAN_LOG, s, n);
}

void vklog(const char *fmt, va_list ap)
{
	char line[256];
	va_list again;
	int n;

	va_copy(again, ap);
	n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	if (n < (int)sizeof(line))
		console_write(MONOS_CHAN_LOG, line, n);
	else /* too long for the stack buffer: format it again, piecewise */
		fmt_vformat(klog_put, NULL, fmt, again);
	va_end(again);
}

void klog(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vklog(fmt, ap);
	va_end(ap);
}

void console_exit(const struct monos_chan_exit *e)
{
	irq_disable();
	/* The counterpart of "starting the program": under -icount the two
	 * lines bound what the run executed, its halted time subtracted. */
	if (verbose) {
		klog("monos: at exit: tsc %lu, halted %lu tsc ticks\n", rdtsc(), time_halted_tsc());
		log_memory("at exit:");
	}
	if (channel) {
		console_write(MONOS_CHAN_EXIT, e, sizeof(*e));
	} else if (e->kind == MONOS_EXIT_STATUS) {
		klog("monos: program exited with status %u\n", e->status);
	}
	uart_flush(); /* the exit frame must reach the host before QEMU stops */
	outb(DEBUG_EXIT_PORT, e->kind == MONOS_EXIT_STATUS ? e->status : 0xff);
	for (;;) /* without the debug-exit device (libvirt, clouds): stay halted */
		__asm__ volatile("cli; hlt");
}
