/*
 * Time: a monotonic clock from the TSC, the wall clock from the host's time
 * at start (per-run data) or the CMOS RTC, and one-shot timer interrupts.
 */
#ifndef CORE_TIME_H
#define CORE_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ull

/* Calibrate the TSC and the LAPIC timer against PIT channel 0 (halting while
 * the PIT counts, so no instructions are spent waiting), or take the TSC's
 * rate from kvmclock where KVM offers it, and start the discipline that
 * keeps the clocks on the reference's rate (a kernel timer: the first
 * sample comes 1 s after boot).  Called once by init after apic_init(),
 * interrupts off. */
void time_init(void);

/* Start CLOCK_REALTIME: from kvmclock's wall clock when in use, else from
 * `host_ns` (the per-run host time, ns since the epoch; NULL if absent),
 * else from the CMOS RTC.  Called once by init. */
void time_init_realtime(const uint64_t *host_ns);

/*
 * The host's wall-clock time `epoch_ns`, read between the TSC readings
 * `sent` and `received` (a round trip over the host channel): steps
 * CLOCK_REALTIME (never MONOTONIC) to it, taking the middle of the trip,
 * when the trip was shorter than every one before, or the difference is
 * beyond HOST_STEP_NS and half the trip; never from a trip over
 * HOST_TIME_MAX_RTT_NS, nor when kvmclock gives the wall clock.  Any
 * context but an NMI.
 */
void time_host_realtime(uint64_t epoch_ns, uint64_t sent, uint64_t received);

/* Register `ask`, which sends the host a request for its time (answered
 * through time_host_realtime): called with each minute's sample, from a
 * kernel timer, interrupts off.  The console, under `monos run`. */
void time_set_host_clock(void (*ask)(void));

/* Whether the clocks follow kvmclock. */
bool time_kvmclock(void);

/* Nanoseconds since boot; never goes backwards.  Any context. */
uint64_t time_monotonic_ns(void);

/* Nanoseconds since the Unix epoch. */
uint64_t time_realtime_ns(void);

/* Set the wall clock for the program (clock_settime): `epoch_ns` is the
 * realtime now.  Updates the vvar page, so the vDSO follows at once; the
 * host's time no longer overrides it.  Any context but an NMI. */
void time_set_realtime(uint64_t epoch_ns);

/* Read the CMOS RTC: seconds since the epoch (the fallback wall clock). */
uint64_t time_rtc_seconds(void);

/* Arm the one-shot timer so an interrupt arrives at or after the monotonic
 * time `deadline_ns` (earlier if the hardware counter cannot reach so far:
 * the waiter re-arms).  Interrupts off. */
void time_arm_timer(uint64_t deadline_ns);

/* Stop the one-shot timer (a boot-time wait that armed it is over). */
void time_disarm_timer(void);

/*
 * Halt this CPU until the next interrupt, counting the halted time.  Every
 * idle wait in the kernel goes through here, so benchmarks under
 * `-icount shift=0` can subtract halted time from instruction counts.
 * Interrupts off on entry and on return.
 */
void time_idle(void);

/* Halts in time_idle() since boot, each ended by an interrupt: an idle
 * instance's wake-ups (issue 3 measures them per second). */
uint64_t time_wakeups(void);

/* TSC ticks spent halted in time_idle() since boot. */
uint64_t time_halted_tsc(void);

/* Nanoseconds since boot this CPU did not spend halted: the CPU time of
 * everything that ran, the one program and the kernel working for it.
 * Never goes backwards, across changes of the clock's rate too.  Any
 * context. */
uint64_t time_busy_ns(void);

/* CLOCK_TAI - CLOCK_REALTIME, and the resolution of the *_COARSE clocks, in
 * ns: the numbers the vDSO answers with too. */
uint64_t time_tai_offset_ns(void);
uint64_t time_coarse_res_ns(void);

/*
 * The vvar page (vdso/vvar.h): the clock state the vDSO reads, kept current
 * by this file under its seqcount.  Page aligned and a whole page; for
 * vdso_map.c to map read-only into the program.
 */
const void *time_vvar_page(void);

/* The calibrated TSC frequency in kHz. */
uint64_t time_tsc_khz(void);

#endif
