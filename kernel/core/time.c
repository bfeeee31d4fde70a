/*
 * Clocks and timers.  design.md (time and entropy): the TSC is calibrated
 * against PIT channel 0 read back (microvm has no port 0x61, no HPET and no
 * PM timer); the LAPIC timer, calibrated in the same window, gives one-shot
 * interrupts.  The PIT is an Intel 8254: mode 0 counts down once from the
 * reload value, raising IRQ 0 at zero, then keeps counting from 0xffff.
 *
 * A 2 ms window cannot measure a rate to better than a few hundred ppm (a
 * port access under TCG takes about a microsecond), so after boot the
 * clocks are disciplined (lib/clocksync.c) against a reference that does not
 * drift: the same PIT, read over spans of seconds to a minute (under QEMU
 * and KVM it follows the host's CLOCK_MONOTONIC), or kvmclock where KVM
 * offers it.  Their rate is slewed, never stepped.
 *
 * The clocks' state lives in the vvar page (vdso/vvar.h), which the program
 * also sees read-only: the kernel and the vDSO convert the TSC to time with
 * the same code and the same numbers.
 */
#include "core/time.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/kvmclock.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "vdso/vvar.h"
#include <lib/clocksync.h>

#define PIT_HZ		       1193182ull /* QEMU's and KVM's PIT_FREQ */
#define PIT_CH0		       0x40
#define PIT_CMD		       0x43
#define PIT_CMD_CH0_LOHI_MODE0 0x30
#define PIT_CMD_LATCH_CH0      0x00
#define PIT_IRQ		       0
#define PIT_READ_TRIES	       8		  /* readings of the PIT per sample ... */
#define PIT_READ_GOOD_NS       10000		  /* ... unless one is bracketed this tightly */
#define PIT_GUESS_KHZ	       2000000ull	  /* the TSC's rate, before it is known */
#define PIT_SAMPLE_MAX_NS      100000		  /* a wider bracket makes a poor sample: */
#define SYNC_RETRY_NS	       (100 * 1000000ull) /* try again this much later, */
#define SYNC_RETRIES	       8		  /* this many times at most */
#define CALIBRATE_MS	       2
#define CMOS_INDEX	       0x70
#define CMOS_DATA	       0x71
#define CMOS_NMI_OFF	       0x80
#define ARM_MAX_NS	       (10 * NSEC_PER_SEC)
#define HOST_TIME_MAX_RTT_NS   (50 * 1000000ull)   /* 25 ms of error at most */
#define HOST_STEP_NS	       (2 * 1000000ull)	   /* a later answer steps beyond this */
#define SYNC_FIRST_NS	       NSEC_PER_SEC	   /* the first sample after boot, */
#define SYNC_LOG_OFF_NS	       1000000		   /* later samples are logged beyond 1 ms off */
#define SYNC_MAX_NS	       (64 * NSEC_PER_SEC) /* then doubling spans up to this */
#define COARSE_RES_NS	       4000000		   /* Linux's coarse clocks tick at HZ=250 */
#define TAI_OFFSET_S	       37		   /* TAI - UTC since 2017 (IERS Bulletin C) */
#define CPUID_EXT_MAX	       0x80000000
#define CPUID_EXT_FEATURES     0x80000001
#define CPUID_EXT_EDX_RDTSCP   (1u << 27) /* Intel SDM vol. 2A, CPUID */
#define MSR_TSC_AUX	       0xc0000103 /* what RDTSCP returns in ECX */

static uint64_t tsc_khz;
static uint64_t lapic_per_ms;	  /* LAPIC timer ticks per millisecond */
static uint64_t lapic_per_ms_cal; /* ... as calibrated at boot, with */
static uint64_t mult_cal;	  /* the TSC rate calibrated then */
static uint64_t boot_tsc;	  /* the TSC at CLOCK_MONOTONIC 0 */
/* The clock state (the line: tsc_base, ns_base, mult; realtime_offset, ...),
 * shared with the vDSO; written only under vvar_lock, with the seqcount. */
static union vvar_page vvar __attribute__((aligned(VVAR_PAGE_SIZE)));
static struct spinlock vvar_lock = SPINLOCK_INIT;
static volatile int pit_fired;
static uint64_t halted_tsc; /* TSC ticks spent in time_idle() (per CPU with SMP) */
static uint64_t wakeups;    /* halts ended by an interrupt */

/*
 * The discipline (lib/clocksync.h) and its reference: KVM's clock where the
 * hypervisor offers it, else PIT channel 0, left counting down in mode 0
 * after the calibration (it wraps every 65,536 ticks, 55 ms, with no
 * interrupt and no host timer behind it) and extended to 64 bits at every
 * sample by the TSC's estimate of the ticks elapsed.  Interrupts off.
 */
static struct clocksync discipline;
static struct ktimer sync_timer;
static uint64_t sync_next_ns = SYNC_FIRST_NS; /* the span to the next sample */
static bool use_kvmclock;
static unsigned sync_retries;  /* poor samples put off in a row */
static void (*host_ask)(void); /* asks the host's time (console.c), or NULL */
static bool program_set_time;  /* clock_settime: the host's time is not wanted */
static struct {
	uint64_t tsc;	/* the last reading's TSC, */
	uint64_t ticks; /* ticks since the calibration began, */
	uint16_t count; /* and the counter then */
} pit;
/* Non-halted time, in ns up to the last change of line, then in ticks: so
 * a change of rate never moves the CPU-time clocks back.  vvar_lock. */
static uint64_t busy_ns_fold, busy_ticks_fold;

void time_idle(void)
{
	uint64_t t0 = rdtsc();
	cpu_idle();
	halted_tsc += rdtsc() - t0;
	wakeups++;
}

uint64_t time_wakeups(void)
{
	return wakeups;
}

uint64_t time_halted_tsc(void)
{
	return halted_tsc;
}

static void pit_irq(struct regs *r __unused)
{
	pit_fired = 1;
	lapic_eoi();
}

static uint16_t pit_read(void)
{
	uint8_t lo, hi;
	outb(PIT_CMD, PIT_CMD_LATCH_CH0);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | (hi << 8));
}

/* Read the PIT's counter and the TSC of that moment (the middle of the
 * tightest of a few bracketed readings: a vCPU preempted by the host
 * mid-read, or waiting for QEMU's lock while its I/O thread is busy, widens
 * its bracket).  *width: that bracket in ticks. */
static uint16_t pit_sample(uint64_t *tsc, uint64_t *width)
{
	/* Before the calibration the rate is unknown: assume 2 GHz. */
	uint64_t khz = tsc_khz ? tsc_khz : PIT_GUESS_KHZ;
	uint64_t best = UINT64_MAX, good = PIT_READ_GOOD_NS * khz / 1000000;
	uint16_t count = 0;

	for (int i = 0; i < PIT_READ_TRIES && best > good; i++) {
		uint64_t a = vvar_rdtsc();
		uint16_t c = pit_read();
		uint64_t b = vvar_rdtsc();

		if (b - a < best) {
			best = b - a;
			count = c;
			*tsc = a + (b - a) / 2;
		}
	}
	*width = best;
	return count;
}

static uint64_t pit_ticks_ns(uint64_t ticks)
{
	return ticks / PIT_HZ * NSEC_PER_SEC + ticks % PIT_HZ * NSEC_PER_SEC / PIT_HZ;
}

/* The PIT's time since the calibration began, in ns, at *tsc, and the
 * uncertainty of *tsc in ns.  The count is exact: a poor bracket costs
 * this sample, never the extension (a wrap is 55 ms). */
static uint64_t pit_reference(uint64_t *tsc, uint64_t *width_ns)
{
	uint64_t width;
	uint16_t count = pit_sample(tsc, &width);
	uint64_t predicted = vvar_ticks_to_ns(*tsc - pit.tsc, vvar.v.mult);

	predicted = clocksync_muldiv(predicted, PIT_HZ, NSEC_PER_SEC);
	pit.ticks += clocksync_unwrap16(pit.count, count, predicted);
	pit.count = count;
	pit.tsc = *tsc;
	*width_ns = vvar_ticks_to_ns(width, vvar.v.mult);
	return pit_ticks_ns(pit.ticks);
}

/* The deadline the LAPIC timer is armed for, 0 once it fired: arming the
 * same deadline again writes nothing.  The scheduler re-arms its slice's
 * end each time it makes a thread runnable, and under QEMU every write of
 * the count is a trap and a timer change in its main loop (one per 4 KiB of
 * stdin before, docs/benchmarks.md section 10).  Interrupts are off
 * wherever it is read or written; per CPU with SMP, as the LAPIC is. */
static uint64_t armed_ns;

static void timer_irq(struct regs *r __unused)
{
	armed_ns = 0;
	lapic_eoi(); /* the halted waiter wakes and re-checks its deadline */
}

/* Writer side of the vvar seqcount: odd while the fields change.  The
 * release fences keep the field stores after the first increment and before
 * the second, as Linux's smp_wmb() in write_seqcount_begin/end. */
static uint64_t vvar_write_begin(void)
{
	uint64_t flags = spin_lock_irqsave(&vvar_lock);

	__atomic_store_n(&vvar.v.seq, vvar.v.seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return flags;
}

static void vvar_write_end(uint64_t flags)
{
	__atomic_store_n(&vvar.v.seq, vvar.v.seq + 1, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&vvar_lock, flags);
}

/* CLOCK_MONOTONIC at `tsc`, from the line now published. */
static uint64_t mono_at(uint64_t tsc)
{
	return vvar_line_ns(tsc, vvar.v.tsc_base, vvar.v.ns_base, vvar.v.mult);
}

static uint64_t busy_ticks(void)
{
	return rdtsc() - boot_tsc - halted_tsc;
}

/* Follow line `l`'s rate from now on.  The new line starts where the old
 * one is at the moment of the change (so no reader sees a jump or a step
 * back), and the CPU time counted so far is folded at the old rate. */
static void vvar_set_line(const struct clocksync_line *l)
{
	uint64_t flags = vvar_write_begin();
	uint64_t tsc = vvar_rdtsc(), busy = busy_ticks();

	busy_ns_fold += vvar_ticks_to_ns(busy - busy_ticks_fold, vvar.v.mult);
	busy_ticks_fold = busy;
	__atomic_store_n(&vvar.v.ns_base, mono_at(tsc), __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.tsc_base, tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.mult, l->mult, __ATOMIC_RELAXED);
	vvar_write_end(flags);
}

/* Publish the calibration: monotonic 0 is TSC `tsc_base`. */
static void vvar_publish(uint64_t tsc_base, uint64_t mult)
{
	uint32_t r[4], vflags = 0;
	uint64_t flags;

	/* getcpu in the vDSO reads IA32_TSC_AUX with RDTSCP: CPU 0, node 0
	 * (SMP will write each CPU's number here). */
	cpuid(CPUID_EXT_MAX, 0, r);
	if (r[0] >= CPUID_EXT_FEATURES) {
		cpuid(CPUID_EXT_FEATURES, 0, r);
		vflags = r[3] & CPUID_EXT_EDX_RDTSCP ? VVAR_RDTSCP : 0;
	}
	if (vflags & VVAR_RDTSCP)
		wrmsr(MSR_TSC_AUX, 0);
	flags = vvar_write_begin();
	__atomic_store_n(&vvar.v.tsc_base, tsc_base, __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.ns_base, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.mult, mult, __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.coarse_res_ns, COARSE_RES_NS, __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.tai_offset, TAI_OFFSET_S * NSEC_PER_SEC, __ATOMIC_RELAXED);
	__atomic_store_n(&vvar.v.flags, vflags, __ATOMIC_RELAXED);
	vvar_write_end(flags);
}

const void *time_vvar_page(void)
{
	return vvar.bytes;
}

/* The TSC's rate changed to `rate` (ns per tick << 32): so did the LAPIC
 * timer's, measured against the same window at boot. */
static void set_rate(uint64_t rate)
{
	tsc_khz = clocksync_muldiv(1000000, 1ull << VVAR_SHIFT, rate);
	lapic_per_ms = clocksync_muldiv(lapic_per_ms_cal, mult_cal, rate);
}

/*
 * One sample of the discipline: read the reference, let lib/clocksync.c
 * choose the line to the next sample, follow it.  The samples come at 1, 2,
 * 4 ... 64 s after boot, then every 64 s: an idle instance wakes for them
 * rarely, and the PIT's 55 ms wrap stays far beyond the TSC's error over a
 * span (the calibration's error, under 1%, times the first 1 s span).
 */
static void sync_clock(struct ktimer *kt)
{
	struct clocksync_line l = { vvar.v.tsc_base, vvar.v.ns_base, vvar.v.mult };
	uint64_t tsc, width = 0, next = sync_next_ns;
	uint64_t ref = use_kvmclock ? kvmclock_read(&tsc) : pit_reference(&tsc, &width);

	if (width > PIT_SAMPLE_MAX_NS && sync_retries++ < SYNC_RETRIES) {
		kt->expires = mono_at(vvar_rdtsc()) + SYNC_RETRY_NS;
		ktimer_add(kt);
		return;
	}
	sync_retries = 0;
	if (next == SYNC_MAX_NS)
		discipline.max_slew_ppm = CLOCKSYNC_MAX_SLEW_PPM; /* settled */
	bool taken = clocksync_sample(&discipline, &l, tsc, ref, next);
	uint64_t off = (uint64_t)(discipline.offset < 0 ? -discipline.offset : discipline.offset);

	if (taken) {
		vvar_set_line(&l);
		set_rate(discipline.rate);
	}
	/* The log shows the discipline settle, then only what stands out. */
	if (next < SYNC_MAX_NS || !taken || off > SYNC_LOG_OFF_NS)
		klog("time: sample %u: %ld ns off the %s, TSC %lu kHz%s\n", discipline.samples,
		     discipline.offset, use_kvmclock ? "kvmclock" : "PIT", tsc_khz,
		     taken ? "" : " (rejected)");
	/* Once a minute, the host's wall clock too: it catches a step of the
	 * host's clock, or time the TSC lost beyond the PIT's wrap. */
	if (host_ask && next == SYNC_MAX_NS)
		host_ask();
	sync_next_ns = MIN(next * 2, SYNC_MAX_NS);
	kt->expires = mono_at(vvar_rdtsc()) + next;
	ktimer_add(kt);
}

/* Measure the TSC and the LAPIC timer against PIT channel 0 over
 * CALIBRATE_MS, halting meanwhile; leaves the PIT counting for the
 * discipline. */
static void calibrate(void)
{
	uint16_t reload = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000), c0, c1;
	uint64_t t0, t1, la, lb, ticks, lapic_elapsed, w;

	ioapic_route(PIT_IRQ, VEC_PIT, pit_irq);
	outb(PIT_CMD, PIT_CMD_CH0_LOHI_MODE0);
	lapic_timer_oneshot(0xffffffff);
	la = rdtsc();
	outb(PIT_CH0, reload & 0xff);
	outb(PIT_CH0, reload >> 8); /* counting starts now */
	c0 = pit_sample(&t0, &w);
	while (!pit_fired)
		time_idle();
	c1 = pit_sample(&t1, &w);
	lapic_elapsed = 0xffffffffu - lapic_timer_current();
	lb = rdtsc();
	lapic_timer_oneshot(0);
	ioapic_mask(PIT_IRQ);

	/* Past zero the counter wrapped to 0xffff and counts on: less than a
	 * wrap passed. */
	ticks = (uint16_t)(c0 - c1);
	if (!ticks || t1 <= t0 || !lapic_elapsed)
		panic("time: calibration failed (tsc %lu, lapic %lu, pit %lu)", t1 - t0,
		      lapic_elapsed, ticks);
	mult_cal = clocksync_muldiv(pit_ticks_ns(ticks), 1ull << VVAR_SHIFT, t1 - t0);
	lapic_per_ms_cal = clocksync_muldiv(lapic_elapsed, 1000000ull << VVAR_SHIFT,
					    vvar_ticks_to_ns(lb - la, mult_cal) << VVAR_SHIFT);
	boot_tsc = t0;
	pit = (typeof(pit)){ .tsc = t1, .ticks = ticks, .count = c1 };
}

void time_init(void)
{
	struct clocksync_line l;
	uint64_t tsc, ref;

	calibrate();
	use_kvmclock = kvmclock_init();
	vvar_publish(boot_tsc, use_kvmclock ? kvmclock_mult(VVAR_SHIFT) : mult_cal);
	set_rate(vvar.v.mult);
	ref = use_kvmclock ? kvmclock_read(&tsc) : pit_ticks_ns(pit.ticks);
	if (!use_kvmclock)
		tsc = pit.tsc;
	l = (struct clocksync_line){ vvar.v.tsc_base, vvar.v.ns_base, vvar.v.mult };
	clocksync_init(&discipline, &l, tsc, ref);
	discipline.max_slew_ppm = CLOCKSYNC_SETTLE_SLEW_PPM; /* until SYNC_MAX_NS spans */
	idt_set_handler(VEC_TIMER, timer_irq);
	sync_timer.fn = sync_clock;
	sync_timer.expires = SYNC_FIRST_NS;
	ktimer_add(&sync_timer);
}

/* Set CLOCK_REALTIME to `epoch_ns` now.  The offset is taken against a
 * monotonic reading made inside the write section, so no reader sees the
 * new offset with a stale base. */
static void set_realtime(uint64_t epoch_ns)
{
	uint64_t flags = vvar_write_begin();
	uint64_t mono = mono_at(vvar_rdtsc());

	__atomic_store_n(&vvar.v.realtime_offset, epoch_ns - mono, __ATOMIC_RELAXED);
	vvar_write_end(flags);
}

void time_set_realtime(uint64_t epoch_ns)
{
	host_ask = NULL; /* the program's time now, not the host's */
	program_set_time = true;
	set_realtime(epoch_ns);
}

void time_init_realtime(const uint64_t *host_ns)
{
	if (use_kvmclock)
		set_realtime(kvmclock_wall_ns());
	else if (host_ns)
		set_realtime(*host_ns);
	else
		set_realtime(time_rtc_seconds() * NSEC_PER_SEC);
}

void time_host_realtime(uint64_t epoch_ns, uint64_t sent, uint64_t received)
{
	static uint64_t best_rtt = HOST_TIME_MAX_RTT_NS; /* of the estimates taken */
	uint64_t flags, rtt, mid, offset;
	int64_t step;

	if (use_kvmclock || program_set_time || received < sent)
		return;
	rtt = vvar_ticks_to_ns(received - sent, vvar.v.mult);
	mid = sent + (received - sent) / 2;
	offset = epoch_ns - mono_at(mid);
	step = (int64_t)(offset - vvar.v.realtime_offset);
	/* A better estimate than any before, or a real difference (the host's
	 * clock stepped, or the TSC lost time the PIT cannot see past its
	 * wrap): beyond the two estimates' noise, half of each round trip. */
	if (rtt >= HOST_TIME_MAX_RTT_NS ||
	    (rtt >= best_rtt &&
	     (uint64_t)(step < 0 ? -step : step) <= HOST_STEP_NS + (rtt + best_rtt) / 2))
		return;
	best_rtt = MIN(best_rtt, rtt);
	flags = vvar_write_begin();
	__atomic_store_n(&vvar.v.realtime_offset, offset, __ATOMIC_RELAXED);
	vvar_write_end(flags);
	klog("time: the host's clock: realtime stepped %ld us (round trip %lu us)\n", step / 1000,
	     rtt / 1000);
}

void time_set_host_clock(void (*ask)(void))
{
	if (!program_set_time)
		host_ask = ask;
}

bool time_kvmclock(void)
{
	return use_kvmclock;
}

uint64_t time_monotonic_ns(void)
{
	uint64_t off;
	return vvar_monotonic(&vvar.v, &off);
}

uint64_t time_busy_ns(void)
{
	uint64_t flags = spin_lock_irqsave(&vvar_lock); /* against a change of line */
	uint64_t ns = busy_ns_fold + vvar_ticks_to_ns(busy_ticks() - busy_ticks_fold, vvar.v.mult);

	spin_unlock_irqrestore(&vvar_lock, flags);
	return ns;
}

uint64_t time_realtime_ns(void)
{
	uint64_t off, mono = vvar_monotonic(&vvar.v, &off);
	return mono + off;
}

uint64_t time_tai_offset_ns(void)
{
	return vvar.v.tai_offset;
}

uint64_t time_coarse_res_ns(void)
{
	return vvar.v.coarse_res_ns;
}

uint64_t time_tsc_khz(void)
{
	return tsc_khz;
}

void time_arm_timer(uint64_t deadline_ns)
{
	uint64_t now = time_monotonic_ns();
	uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
	uint64_t count;

	if (deadline_ns == armed_ns)
		return; /* armed for it already, or fired and its interrupt pending */
	armed_ns = deadline_ns;

	/* Beyond ARM_MAX_NS the counter would overflow anyway: wake early and
	 * let the waiter re-arm. */
	delta = MIN(delta, ARM_MAX_NS);
	count = delta * lapic_per_ms / 1000000 + 1;

	lapic_timer_oneshot(count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

void time_disarm_timer(void)
{
	armed_ns = 0;
	lapic_timer_oneshot(0);
}

static unsigned cmos_read(unsigned reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static unsigned bcd(unsigned v)
{
	return (v & 15) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)(era * 146097 + (int)doe - 719468);
}

uint64_t time_rtc_seconds(void)
{
	/* Register B bit 2 set means binary rather than BCD (MC146818 data
	 * sheet); QEMU uses BCD, 24-hour mode, century in register 0x32. */
	int binary = cmos_read(0x0b) & 4;
	unsigned s = cmos_read(0x00), mi = cmos_read(0x02), h = cmos_read(0x04);
	unsigned d = cmos_read(0x07), mo = cmos_read(0x08), y = cmos_read(0x09);
	unsigned c = cmos_read(0x32);

	if (!binary) {
		s = bcd(s), mi = bcd(mi), h = bcd(h), d = bcd(d), mo = bcd(mo), y = bcd(y);
		c = bcd(c);
	}
	if (!c)
		c = 20;
	return days_from_civil((int)(c * 100 + y), mo, d) * 86400 + h * 3600 + mi * 60 + s;
}
