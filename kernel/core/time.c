/*
 * Clocks and timers.  design.md (time and entropy): the TSC is calibrated
 * against PIT channel 0 read back (microvm has no port 0x61, no HPET and no
 * PM timer); the LAPIC timer, calibrated in the same window, gives one-shot
 * interrupts.  The PIT is an Intel 8254: mode 0 counts down once from the
 * reload value, raising IRQ 0 at zero, then keeps counting from 0xffff.
 *
 * The clocks' state lives in the vvar page (vdso/vvar.h), which the program
 * also sees read-only: the kernel and the vDSO convert the TSC to time with
 * the same code and the same numbers.
 */
#include "core/time.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"
#include "core/spinlock.h"
#include "vdso/vvar.h"

#define PIT_HZ		       1193182ull
#define PIT_CH0		       0x40
#define PIT_CMD		       0x43
#define PIT_CMD_CH0_LOHI_MODE0 0x30
#define PIT_CMD_LATCH_CH0      0x00
#define PIT_IRQ		       0
#define CALIBRATE_MS	       2
#define ARM_MAX_NS	       (10 * NSEC_PER_SEC)
#define CMOS_INDEX	       0x70
#define CMOS_DATA	       0x71
#define CMOS_NMI_OFF	       0x80
#define COARSE_RES_NS	       4000000 /* Linux's coarse clocks tick at HZ=250 */
#define TAI_OFFSET_S	       37      /* TAI - UTC since 2017 (IERS Bulletin C) */
#define CPUID_EXT_MAX	       0x80000000
#define CPUID_EXT_FEATURES     0x80000001
#define CPUID_EXT_EDX_RDTSCP   (1u << 27) /* Intel SDM vol. 2A, CPUID */
#define MSR_TSC_AUX	       0xc0000103 /* what RDTSCP returns in ECX */

static uint64_t tsc_khz;
static uint64_t lapic_per_ms; /* LAPIC timer ticks per millisecond */
/* The clock state (tsc_base, mult, realtime_offset, ...), shared with the
 * vDSO; written only under vvar_lock, with the seqcount. */
static union vvar_page vvar __attribute__((aligned(VVAR_PAGE_SIZE)));
static struct spinlock vvar_lock = SPINLOCK_INIT;
static volatile int pit_fired;
static uint64_t halted_tsc; /* TSC ticks spent in time_idle() */
static uint64_t wakeups;    /* halts ended by an interrupt */

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

static void timer_irq(struct regs *r __unused)
{
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

void time_init(void)
{
	uint16_t reload = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000), count;
	uint64_t t0, t1, ticks, lapic_elapsed;

	ioapic_route(PIT_IRQ, VEC_PIT, pit_irq);
	outb(PIT_CMD, PIT_CMD_CH0_LOHI_MODE0);
	lapic_timer_oneshot(0xffffffff);
	t0 = rdtsc();
	outb(PIT_CH0, reload & 0xff);
	outb(PIT_CH0, reload >> 8); /* counting starts now */
	while (!pit_fired)
		time_idle();
	count = pit_read();
	t1 = rdtsc();
	lapic_elapsed = 0xffffffffu - lapic_timer_current();
	lapic_timer_oneshot(0);
	ioapic_mask(PIT_IRQ);

	/* Past zero the counter wrapped to 0xffff and counts on. */
	ticks = reload + ((0x10000u - count) & 0xffff);
	tsc_khz = (t1 - t0) * PIT_HZ / ticks / 1000;
	lapic_per_ms = lapic_elapsed * PIT_HZ / ticks / 1000;
	if (!tsc_khz || !lapic_per_ms)
		panic("time: calibration failed (tsc %lu, lapic %lu, pit %lu)", t1 - t0,
		      lapic_elapsed, ticks);
	vvar_publish(t0, (1000000ull << VVAR_SHIFT) / tsc_khz);
	idt_set_handler(VEC_TIMER, timer_irq);
}

uint64_t time_monotonic_ns(void)
{
	uint64_t off;
	return vvar_monotonic(&vvar.v, &off);
}

uint64_t time_busy_ns(void)
{
	return vvar_ticks_to_ns(rdtsc() - vvar.v.tsc_base - halted_tsc, vvar.v.mult);
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

void time_set_realtime(uint64_t epoch_ns)
{
	/* The offset is taken against a monotonic reading made inside the
	 * write section, so no reader sees the new offset with a stale base. */
	uint64_t flags = vvar_write_begin();
	uint64_t mono = vvar_ticks_to_ns(vvar_rdtsc() - vvar.v.tsc_base, vvar.v.mult);

	__atomic_store_n(&vvar.v.realtime_offset, epoch_ns - mono, __ATOMIC_RELAXED);
	vvar_write_end(flags);
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

	/* Beyond ARM_MAX_NS the counter would overflow anyway: wake early and
	 * let the waiter re-arm. */
	delta = MIN(delta, ARM_MAX_NS);
	count = delta * lapic_per_ms / 1000000 + 1;

	lapic_timer_oneshot(count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
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
