/*
 * The console: output streams framed or plain, the input decoder, the stdin
 * buffer, and stopping the machine at the end.
 *
 * Two wires (include/monos/channel.h).  The UART carries everything until a
 * virtio console is found at boot (drivers/virtio_console.c, only under
 * `monos run`); from then on every frame goes out on it and host frames come
 * from it: the UART keeps only the earliest boot log.  Without the device
 * (libvirt, a cloud) the UART carries everything, as before.
 *
 * Flow control on the virtio wire: received bytes are taken only as far as
 * the stdin buffer has room (the driver keeps the rest and the host waits);
 * a program's write sleeps while the transmit buffers are all with the
 * host; other writers (the log, traces, the exit frame) spin for room, but
 * only for VCON_WAIT_NS, then drop the frame (a host that stopped reading).
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
#include "core/uaccess.h"
#include "core/vm.h"
#include "drivers/uart.h"
#include "drivers/virtio.h"
#include <lib/fmt.h>

/* QEMU's isa-debug-exit device (facts.md): a write stops QEMU. */
#define DEBUG_EXIT_PORT 0xf4
#define STDIN_BUF_SIZE	(64 * 1024)
#define VCON_WAIT_NS	2000000000ull /* bound on spinning for room on the virtio wire */
#define VCON_FRAME_MAX	(VIRTIO_CONSOLE_BUF_SIZE - MONOS_CHAN_HDR) /* one per buffer */

static bool channel;
static bool verbose;		 /* monos.verbose: log the TSC at exit */
static struct spinlock out_lock; /* one frame at a time on the wire */
static bool vcon_stalled;	 /* out_lock: a frame was dropped, spin no more */
static uint64_t vcon_dropped;	 /* out_lock: payload bytes dropped so */

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
static void (*stream_fn)(unsigned type, const uint8_t *p, size_t len);
static void (*stats_fn)(struct monos_chan_stats *s); /* the network's figures */

static size_t console_vcon_rx(const uint8_t *p, size_t n);

void console_init(bool use_channel)
{
	channel = use_channel;
	uart_init();
	monos_chan_decoder_init(&decoder);
	if (channel) /* the device is probed later, with the others */
		virtio_console_init(console_vcon_rx);
}

void console_set_verbose(bool on)
{
	verbose = on;
}

bool console_is_channel(void)
{
	return channel;
}

/* Whether the channel runs on the virtio console now. */
static bool on_vcon(void)
{
	return channel && virtio_console_present();
}

/* Whether a transmit buffer is free (sched_wait's condition). */
static bool vcon_has_room(void *arg __unused)
{
	return virtio_console_tx_free() != 0;
}

/*
 * A transmit buffer for a writer that may not sleep; out_lock held.  Spins
 * for one, at most VCON_WAIT_NS, and not at all once a frame was dropped
 * until one comes free: NULL then (the caller drops its frame).
 */
static uint8_t *vcon_get_spin(void)
{
	uint8_t *b = virtio_console_tx_get();
	uint64_t until = time_monotonic_ns() + VCON_WAIT_NS;

	if (!b && !vcon_stalled) {
		virtio_console_push(); /* what waits must go before one comes back */
		while (!(b = virtio_console_tx_get()) && time_monotonic_ns() < until)
			cpu_pause();
	}
	vcon_stalled = !b;
	return b;
}

/* One frame of at most VCON_FRAME_MAX bytes on the virtio wire, not yet
 * pushed; out_lock held. */
static void vcon_frame(unsigned type, const uint8_t *p, size_t len)
{
	uint8_t *b = vcon_get_spin();

	if (!b) {
		vcon_dropped += len;
		return;
	}
	monos_chan_header(b, type, len);
	memcpy(b + MONOS_CHAN_HDR, p, len);
	virtio_console_tx_put(b, MONOS_CHAN_HDR + len);
}

/* One frame on the UART; out_lock held. */
static void uart_frame(unsigned type, const uint8_t *p, size_t len)
{
	uint8_t hdr[MONOS_CHAN_HDR];

	monos_chan_header(hdr, type, len);
	uart_write(hdr, sizeof(hdr));
	uart_write(p, len);
}

void console_write(unsigned type, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint64_t flags = spin_lock_irqsave(&out_lock);
	bool vcon = on_vcon();

	if (!channel) {
		uart_write(p, n);
		goto out;
	}
	do { /* an empty frame too: READY carries nothing */
		size_t len = MIN(n, vcon ? VCON_FRAME_MAX : (size_t)MONOS_CHAN_MAX);
		if (vcon)
			vcon_frame(type, p, len);
		else
			uart_frame(type, p, len);
		p += len;
		n -= len;
	} while (n);
	if (vcon)
		virtio_console_push();
out:
	spin_unlock_irqrestore(&out_lock, flags);
}

/*
 * A transmit buffer for a program's write: sleeps (interrupts on) while the
 * host holds every one.  NULL with *err = -ERESTARTSYS on a signal.
 */
static uint8_t *vcon_get_wait(long *err)
{
	uint8_t *b;

	while (!(b = virtio_console_tx_get())) {
		uint64_t flags = spin_lock_irqsave(&out_lock);
		virtio_console_push(); /* what waits must go before one comes back */
		spin_unlock_irqrestore(&out_lock, flags);
		virtio_console_tx_wake(true);
		*err = sched_wait(vcon_has_room, NULL, 0);
		virtio_console_tx_wake(false);
		if (*err)
			return NULL;
	}
	return b;
}

/*
 * `n` bytes from the kernel's `kbuf`, or if NULL from the program's `ubuf`,
 * as frames on the virtio wire, each in its own transmit buffer: the
 * payload is copied straight in, then the header is written, so a fault
 * part-way sends no broken frame.  No lock is held while copying (a fault
 * may log).  Returns the bytes sent, or -EFAULT or -ERESTARTSYS if none.
 */
static long vcon_write_wait(unsigned type, const uint8_t *kbuf, uint64_t ubuf, size_t n)
{
	size_t done = 0;
	uint64_t flags;
	long err = 0;

	while (done < n) {
		size_t len = MIN(n - done, VCON_FRAME_MAX);
		uint8_t *b = vcon_get_wait(&err);

		if (!b)
			break;
		if (kbuf)
			memcpy(b + MONOS_CHAN_HDR, kbuf + done, len);
		else if ((err = copy_from_user(b + MONOS_CHAN_HDR, ubuf + done, len)) < 0)
			len = 0;
		if (len)
			monos_chan_header(b, type, len);
		flags = spin_lock_irqsave(&out_lock);
		virtio_console_tx_put(b, len ? MONOS_CHAN_HDR + len : 0);
		spin_unlock_irqrestore(&out_lock, flags);
		if (!len)
			break;
		done += len;
	}
	flags = spin_lock_irqsave(&out_lock);
	virtio_console_push(); /* one notification for the whole write */
	spin_unlock_irqrestore(&out_lock, flags);
	return done ? (long)done : err;
}

long console_write_wait(unsigned type, const void *buf, size_t n)
{
	if (!on_vcon()) {
		console_write(type, buf, n);
		return (long)n;
	}
	return vcon_write_wait(type, buf, 0, n);
}

long console_write_user(unsigned type, uint64_t ubuf, size_t n)
{
	uint8_t chunk[MONOS_CHAN_MAX];
	size_t done = 0;

	if (on_vcon())
		return vcon_write_wait(type, NULL, ubuf, n);
	while (done < n) { /* the UART: a frame per chunk, as before */
		size_t len = MIN(n - done, sizeof(chunk));
		if (copy_from_user(chunk, ubuf + done, len) < 0)
			return done ? (long)done : -EFAULT;
		console_write(type, chunk, len);
		done += len;
	}
	return (long)done;
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

/* Append stdin bytes (what fits: the callers make room first); the
 * caller holds in_lock. */
static void stdin_push(const uint8_t *p, size_t n)
{
	stdin_received += n;
	n = MIN(n, STDIN_BUF_SIZE - stdin_count);
	while (n) { /* at most two pieces: up to the end of the ring, then from 0 */
		size_t tail = (stdin_head + stdin_count) % STDIN_BUF_SIZE;
		size_t k = MIN(n, STDIN_BUF_SIZE - tail);
		memcpy(stdin_buf + tail, p, k);
		stdin_count += k;
		p += k;
		n -= k;
	}
	/* UART: leave room for one whole frame, which the decoder holds
	 * already.  The virtio wire takes only what fits (console_vcon_rx). */
	if (!on_vcon() && !rx_throttled && STDIN_BUF_SIZE - stdin_count < 2 * MONOS_CHAN_MAX) {
		rx_throttled = true;
		uart_rx_throttle(1);
	}
}

/* Answer the host's STATS_REQ (`monos stats`): memory and CPU figures
 * here, the network's from stats_fn.  Run by stats_timer, at the next safe
 * point after the request (interrupts off, no lock held): stats_fn takes
 * the network's lock, which interrupt context must not (it runs lwIP's
 * timers).  x86-64 is little endian, as the frame is. */
static void answer_stats(struct ktimer *t)
{
	struct monos_chan_stats s = {
		.mem_total = mem_total_frames() * PAGE_SIZE,
		.mem_used = mem_used_frames() * PAGE_SIZE,
		.cpu_ns = time_busy_ns(),
		.uptime_ns = time_monotonic_ns(),
	};

	(void)t;
	if (stats_fn)
		stats_fn(&s);
	console_write(MONOS_CHAN_STATS, &s, sizeof(s));
}

static struct ktimer stats_timer = { .fn = answer_stats };

static int host_frame_type(unsigned type)
{
	return type == MONOS_CHAN_STDIN || type == MONOS_CHAN_STDIN_EOF ||
	       type == MONOS_CHAN_SIGNAL || type == MONOS_CHAN_WINSIZE ||
	       type == MONOS_CHAN_MEMINFO || type == MONOS_CHAN_TIME ||
	       type == MONOS_CHAN_STATS_REQ || type == MONOS_CHAN_EXEC ||
	       type == MONOS_CHAN_XSTDIN || type == MONOS_CHAN_XSTDIN_EOF ||
	       type == MONOS_CHAN_XSIGNAL;
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
	case MONOS_CHAN_STATS_REQ: /* at once, in process context */
		if (!ktimer_pending(&stats_timer)) {
			stats_timer.expires = time_monotonic_ns();
			ktimer_add(&stats_timer);
		}
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
	default: /* a process stream's (init/exec.c), or nobody's */
		if (stream_fn)
			stream_fn(decoder.type, decoder.buf, decoder.len);
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

/*
 * Bytes from the virtio wire (interrupt context, or virtio_console_rx_resume
 * from console_read_stdin).  Headers and small frames go through the
 * decoder; a STDIN payload is copied straight into the stdin buffer, as far
 * as it has room.  Returns the bytes taken: the driver keeps the rest.
 */
static size_t console_vcon_rx(const uint8_t *p, size_t n)
{
	uint64_t flags = spin_lock_irqsave(&in_lock);
	size_t used = 0;

	while (used < n) {
		/* Decoder state 4 is "inside a payload" (channel.h). */
		if (decoder.state == 4 && decoder.type == MONOS_CHAN_STDIN) {
			size_t k = MIN(MIN(decoder.len - decoder.have, n - used),
				       STDIN_BUF_SIZE - stdin_count);
			if (!k)
				break; /* the program has not read: the host waits */
			stdin_push(p + used, k);
			decoder.have += k;
			used += k;
			if (decoder.have == decoder.len)
				decoder.state = 0;
		} else if (monos_chan_feed(&decoder, p[used++], host_frame_type)) {
			host_frame();
		}
	}
	spin_unlock_irqrestore(&in_lock, flags);
	if (used) /* else nothing changed for a reader */
		sched_wake_all();
	return used;
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

/*
 * Move up to `n` bytes of the stdin ring to the kernel's `kbuf`, or if NULL
 * to the program's `ubuf`.  No lock is held while copying (a fault may
 * log): the interrupt side only appends past the bytes taken here, and
 * there is one reader at a time (system calls run one at a time, and a fault
 * on the program's memory does not sleep).  Returns the count, or -EFAULT
 * if nothing could be copied.
 */
static long stdin_take(uint8_t *kbuf, uint64_t ubuf, size_t n)
{
	size_t got = 0;

	while (got < n) { /* at most two pieces, as in stdin_push */
		uint64_t flags = spin_lock_irqsave(&in_lock);
		size_t head = stdin_head;
		size_t k = MIN(MIN(n - got, stdin_count), STDIN_BUF_SIZE - head);

		spin_unlock_irqrestore(&in_lock, flags);
		if (!k)
			break;
		if (kbuf)
			memcpy(kbuf + got, stdin_buf + head, k);
		else if (copy_to_user(ubuf + got, stdin_buf + head, k) < 0)
			return got ? (long)got : -EFAULT;
		flags = spin_lock_irqsave(&in_lock);
		stdin_head = (head + k) % STDIN_BUF_SIZE;
		stdin_count -= k;
		spin_unlock_irqrestore(&in_lock, flags);
		got += k;
	}
	return (long)got;
}

/* Let the wires deliver again now that the ring has room.  Outside in_lock:
 * draining the UART calls console_rx(), the virtio wire console_vcon_rx(). */
static void stdin_refill(void)
{
	uint64_t flags = spin_lock_irqsave(&in_lock);
	bool resume = rx_throttled && STDIN_BUF_SIZE - stdin_count >= 2 * MONOS_CHAN_MAX;

	if (resume)
		rx_throttled = false;
	spin_unlock_irqrestore(&in_lock, flags);
	if (resume)
		uart_rx_throttle(0);
	if (on_vcon())
		virtio_console_rx_resume();
}

/* console_read_stdin into `kbuf`, or if NULL into the program's `ubuf`. */
static long stdin_read(uint8_t *kbuf, uint64_t ubuf, size_t n, bool nonblock)
{
	size_t got = 0;
	long r = 0, err;

	if (!nonblock && (err = sched_wait(stdin_ready, NULL, 0)) < 0)
		return err;
	/* What the refill brings joins the same read, as a pipe's reader gets
	 * all its writers put there. */
	while (got < n && (r = stdin_take(kbuf ? kbuf + got : NULL, ubuf + got, n - got)) > 0) {
		got += (size_t)r;
		stdin_refill();
	}
	if (!got && r < 0)
		return r;
	if (!got && !stdin_eof)
		return -EAGAIN;
	return (long)got;
}

long console_read_stdin(void *buf, size_t n, bool nonblock)
{
	return stdin_read(buf, 0, n, nonblock);
}

long console_read_stdin_user(uint64_t ubuf, size_t n, bool nonblock)
{
	return stdin_read(NULL, ubuf, n, nonblock);
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

void console_set_stream_handler(void (*fn)(unsigned type, const uint8_t *p, size_t len))
{
	stream_fn = fn;
}

size_t console_frame_max(void)
{
	return on_vcon() ? VCON_FRAME_MAX : MONOS_CHAN_MAX;
}

void console_set_stats_handler(void (*fn)(struct monos_chan_stats *s))
{
	stats_fn = fn;
}

/* The last LOG_RING bytes of the kernel log, for the agent's /v1/os/log
 * (console_log_copy): what went to the host stays readable in the guest. */
#define LOG_RING 16384
static char log_ring[LOG_RING];
static uint64_t log_total; /* bytes ever logged; the ring holds the last */

static void log_keep(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_ring[(log_total + i) % LOG_RING] = s[i];
	log_total += n;
}

size_t console_log_copy(char *buf, size_t n)
{
	size_t have = log_total < LOG_RING ? log_total : LOG_RING;
	uint64_t start;

	have = have < n ? have : n;
	start = log_total - have;
	for (size_t i = 0; i < have; i++)
		buf[i] = log_ring[(start + i) % LOG_RING];
	return have;
}

static void klog_put(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	log_keep(s, n);
	console_write(MONOS_CHAN_LOG, s, n);
}

void vklog(const char *fmt, va_list ap)
{
	char line[256];
	va_list again;
	int n;

	va_copy(again, ap);
	n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	if (n < (int)sizeof(line)) {
		log_keep(line, n);
		console_write(MONOS_CHAN_LOG, line, n);
	} else /* too long for the stack buffer: format it again, piecewise */
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

static void (*exit_hook)(const struct monos_chan_exit *e);

void console_set_exit_hook(void (*fn)(const struct monos_chan_exit *e))
{
	exit_hook = fn;
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
		vcon_stalled = false; /* the exit frame gets its own chance */
		console_write(MONOS_CHAN_EXIT, e, sizeof(*e));
	} else if (e->kind == MONOS_EXIT_STATUS) {
		klog("monos: program exited with status %u\n", e->status);
	}
	/* The exit frame must reach the host before QEMU stops. */
	if (on_vcon() && !virtio_console_flush())
		klog("monos: the host stopped reading (%lu bytes dropped)\n", vcon_dropped);
	uart_flush();
	outb(DEBUG_EXIT_PORT, e->kind == MONOS_EXIT_STATUS ? e->status : 0xff);
	if (exit_hook)
		exit_hook(e);
	for (;;) /* without the debug-exit device (libvirt, clouds): stay halted */
		__asm__ volatile("cli; hlt");
}
