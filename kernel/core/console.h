/*
 * The console: the kernel's side of the host channel (include/monos/
 * channel.h).  Under `monos run` every byte on the UART (and on the virtio
 * console, its fast wire, once found) is framed: the
 * program's stdout and stderr, the kernel log, syscall traces and the exit
 * status go out as frames; stdin, end of input, signals and the window size
 * come in as frames.  Booted any other way the UART is a plain text console:
 * everything is written as text and typed bytes become stdin.
 */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <monos/channel.h>

/* Start the console on the UART, framed if `channel`; called first at boot. */
void console_init(bool channel);

/* Log more (monos.verbose): at exit, the TSC and the halted ticks, so that
 * benchmarks can count the instructions a run executed.  Called at boot. */
void console_set_verbose(bool on);

/* Whether the framed channel is in use. */
bool console_is_channel(void);

/* Start receiving (stdin, signals); needs interrupts routed (apic_init). */
void console_start_input(void);

/* Send `n` bytes on stream `type` (MONOS_CHAN_STDOUT, _STDERR, _LOG,
 * _TRACE), split into frames.  Any context. */
void console_write(unsigned type, const void *buf, size_t n);

/* Copy the newest kernel log bytes (at most `n`, of the last 16 KiB that
 * klog wrote) to `buf`, oldest first: how many.  Any context. */
size_t console_log_copy(char *buf, size_t n);

/*
 * The same from a program's write (fds 1, 2): process context, no lock
 * held.  On the virtio wire it sleeps while the host holds every transmit
 * buffer rather than spin or drop.  Returns the bytes sent (`n`), fewer if
 * a signal came after some went, or -ERESTARTSYS if before any.
 */
long console_write_wait(unsigned type, const void *buf, size_t n);

/*
 * The same from program memory at `ubuf`, in one go (one notification of
 * the device for the whole write, not one per 4 KiB): process context.
 * Returns the bytes sent, fewer on a fault or signal part-way, -EFAULT or
 * -ERESTARTSYS if none were.
 */
long console_write_user(unsigned type, uint64_t ubuf, size_t n);

/*
 * Read up to `n` bytes of stdin into the kernel buffer `buf`.  Returns the
 * count, 0 at end of input, -EAGAIN if nothing is there and `nonblock`, or
 * -EINTR when a signal for the program arrived while waiting.
 */
long console_read_stdin(void *buf, size_t n, bool nonblock);

/* console_read_stdin straight into the program's `ubuf` (no bounce buffer,
 * so a read takes all there is, up to `n`); -EFAULT if nothing could be
 * copied to it.  Process context. */
long console_read_stdin_user(uint64_t ubuf, size_t n, bool nonblock);

/* Bytes of stdin buffered now (FIONREAD, poll). */
size_t console_stdin_avail(void);

/* stdin for poll: whether input ended, and a counter of bytes received so
 * far (it changes whenever data or the end arrives). */
bool console_stdin_ended(uint64_t *gen);

/* The latest window size from the host (all zero if none). */
struct monos_chan_winsize console_winsize(void);

/* Who hears of a new window size from the host (the console's terminal,
 * fs/console_file.c, which signals SIGWINCH): called in interrupt context. */
void console_set_winsize_handler(void (*fn)(void));

/* Who receives signals the host sends (Ctrl-C, SIGTERM, SIGHUP): set by the
 * signal layer; called in interrupt context with the Linux signal number. */
void console_set_signal_handler(void (*fn)(int signo));

/* Who receives the host's frames for started processes (MONOS_CHAN_EXEC,
 * XSTDIN, XSTDIN_EOF, XSIGNAL; init/exec.c): called in interrupt context
 * with the frame's type and payload, any length (unchecked). */
void console_set_stream_handler(void (*fn)(unsigned type, const uint8_t *p, size_t len));

/* The largest payload one frame carries on the wire in use now: what a
 * writer of a stream frame (whose id must be in every frame) may pass to
 * console_write_wait at once without it being split.  Any context. */
size_t console_frame_max(void);

/* Who fills the network figures (rx_*, tx_*) of the answer to the host's
 * STATS_REQ: set by the network layer; called from a kernel timer
 * (interrupts off, no lock held: it may take the network's lock). */
void console_set_stats_handler(void (*fn)(struct monos_chan_stats *s));

/* Report how the instance ended and stop the machine.  Never returns. */
__attribute__((noreturn)) void console_exit(const struct monos_chan_exit *e);
/* console_set_exit_hook - what console_exit does last instead of halting,
 * when QEMU's debug-exit device did not stop the machine (a disk booted
 * without the CLI: init/standalone.c).  `fn` must not return.  Boot only. */
void console_set_exit_hook(void (*fn)(const struct monos_chan_exit *e));

#endif
