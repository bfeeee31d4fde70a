/*
 * Guest test, area time: the vDSO.  The program finds it through
 * getauxval(AT_SYSINFO_EHDR), reads its ELF dynamic symbol table as a libc
 * does (DT_HASH, DT_SYMTAB, DT_STRTAB, DT_VERSYM, DT_VERDEF), and calls its
 * functions directly as well as through libc, comparing every answer with the
 * system call's.  The host Linux has a vDSO too, so both runs print the same.
 *
 * Only the five functions (and their unprefixed aliases) monos provides are
 * looked up: the host's vDSO may export more.  Times are never printed, only
 * relations: a vDSO reading lies between two syscall readings of the same
 * clock, nothing goes backwards over many alternating calls, and
 * gettimeofday/time agree with CLOCK_REALTIME.
 */
#include "guest.h"

#include <elf.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#define NSEC	    1000000000ll
#define ALTERNATE   100000	     /* calls in the never-backwards loop */
#define COARSE_SLOP (20 * 1000000ll) /* a coarse clock lags by <= a tick */
#define BAD_CLOCK   12345
#define MAPS_LINE   512
#define PAGE	    4096

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

/* The vDSO's dynamic tables, found from its program headers. */
struct vdso {
	uintptr_t bias; /* load address minus link address */
	const Elf64_Sym *sym;
	const char *str;
	const Elf64_Word *hash;
	const Elf64_Half *versym;
	const Elf64_Verdef *verdef;
};

static struct vdso vd;

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static long long sys_now(clockid_t clk)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, clk, &ts) != 0)
		return -1;
	return ts_ns(&ts);
}

/* Read the dynamic section into `vd`; 0 or -1. */
static int vdso_open(uintptr_t base)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_type != ET_DYN || eh->e_machine != EM_X86_64)
		return -1;
	vd.bias = base;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			vd.bias = base - ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
	}
	if (!dyn)
		return -1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *p = (const void *)(vd.bias + dyn->d_un.d_ptr);
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			vd.sym = p;
			break;
		case DT_STRTAB:
			vd.str = p;
			break;
		case DT_HASH:
			vd.hash = p;
			break;
		case DT_VERSYM:
			vd.versym = p;
			break;
		case DT_VERDEF:
			vd.verdef = p;
			break;
		}
	}
	return vd.sym && vd.str && vd.hash && vd.versym && vd.verdef ? 0 : -1;
}

/* The name of version index `idx` in the version definitions. */
static const char *version_name(unsigned idx)
{
	const Elf64_Verdef *d = vd.verdef;

	for (;;) {
		if ((d->vd_ndx & 0x7fff) == idx) {
			const Elf64_Verdaux *a = (const void *)((const char *)d + d->vd_aux);
			return vd.str + a->vda_name;
		}
		if (!d->vd_next)
			return "";
		d = (const void *)((const char *)d + d->vd_next);
	}
}

/* The address of function `name` of version LINUX_2.6, or 0. */
static uintptr_t vdso_sym(const char *name)
{
	Elf64_Word nsyms = vd.hash[1]; /* nchain: one per symbol */

	for (Elf64_Word i = 1; i < nsyms; i++) {
		const Elf64_Sym *s = &vd.sym[i];
		if (s->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    strcmp(vd.str + s->st_name, name))
			continue;
		if (strcmp(version_name(vd.versym[i] & 0x7fff), "LINUX_2.6"))
			continue;
		return vd.bias + s->st_value;
	}
	return 0;
}

static void check_symbols(void)
{
	static const char *const names[] = { "clock_gettime", "gettimeofday", "time", "getcpu",
					     "clock_getres" };
	char buf[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uintptr_t alias = vdso_sym(names[i]);
		snprintf(buf, sizeof(buf), "__vdso_%s", names[i]);
		uintptr_t full = vdso_sym(buf);
		printf("%s@LINUX_2.6: %s, alias %s: %s\n", buf, full ? "yes" : "no", names[i],
		       alias && alias == full ? "same function" : "missing");
		if (!full || alias != full)
			guest_bad++;
	}
}

/* t1 <= t2 <= t3 for a precise clock; a coarse one may lag by a tick. */
static void check_between(const char *what, long long t1, long long t2, long long t3, int coarse)
{
	long long slop = coarse ? COARSE_SLOP : 0;
	int ok = t1 >= 0 && t2 >= t1 - slop && t2 <= t3 + slop;

	printf("%s: between two syscall readings: %s\n", what, ok ? "ok" : "BAD");
	if (!ok) {
		printf("  %lld %lld %lld\n", t1, t2, t3);
		guest_bad++;
	}
}

static void check_clocks(cgt_fn vcgt)
{
	static const struct {
		clockid_t id;
		const char *name;
		int coarse;
	} clocks[] = {
		{ CLOCK_REALTIME, "CLOCK_REALTIME", 0 },
		{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC", 0 },
		{ CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW", 0 },
		{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME", 0 },
		{ CLOCK_TAI, "CLOCK_TAI", 0 },
		{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE", 1 },
		{ CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE", 1 },
	};
	char what[80];

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec v, l, rv, rs;
		long long t1 = sys_now(clocks[i].id);
		int r = vcgt(clocks[i].id, &v);
		int rl = clock_gettime(clocks[i].id, &l);
		long long t3 = sys_now(clocks[i].id);

		snprintf(what, sizeof(what), "%s vdso", clocks[i].name);
		check_between(what, t1, r ? -1 : ts_ns(&v), t3, clocks[i].coarse);
		snprintf(what, sizeof(what), "%s libc", clocks[i].name);
		check_between(what, t1, rl ? -1 : ts_ns(&l), t3, clocks[i].coarse);
		int ok = v.tv_nsec >= 0 && v.tv_nsec < NSEC;
		r = ((int (*)(clockid_t, struct timespec *))vdso_sym("__vdso_clock_getres"))(
			clocks[i].id, &rv);
		ok &= r == 0 && syscall(SYS_clock_getres, clocks[i].id, &rs) == 0 &&
		      rv.tv_sec == rs.tv_sec && rv.tv_nsec == rs.tv_nsec;
		printf("%s: tv_nsec in range, getres as the syscall: %s\n", clocks[i].name,
		       ok ? "ok" : "BAD");
		guest_bad += !ok;
	}
}

/* Alternate libc, the vDSO directly and the syscall: never backwards. */
static void check_never_backwards(cgt_fn vcgt)
{
	long long last = 0, now = 0;
	struct timespec ts;
	int backwards = 0;

	for (int i = 0; i < ALTERNATE; i++) {
		switch (i % 3) {
		case 0:
			clock_gettime(CLOCK_MONOTONIC, &ts), now = ts_ns(&ts);
			break;
		case 1:
			vcgt(CLOCK_MONOTONIC, &ts), now = ts_ns(&ts);
			break;
		default:
			now = sys_now(CLOCK_MONOTONIC);
			break;
		}
		backwards += now < last;
		last = now;
	}
	printf("CLOCK_MONOTONIC, %d alternating calls: %s\n", ALTERNATE,
	       backwards ? "went backwards" : "never backwards");
	guest_bad += backwards != 0;
}

/* gettimeofday and time, through libc and the vDSO, against REALTIME. */
static void check_wall(gtod_fn vgtod, time_fn vtime)
{
	struct timeval tv, vtv;
	time_t t_arg, t;
	long long a = sys_now(CLOCK_REALTIME);
	int r1 = gettimeofday(&tv, NULL), r2 = vgtod(&vtv, NULL);
	time_t lt = time(NULL);
	t = vtime(&t_arg);
	long long b = sys_now(CLOCK_REALTIME);

	check_between("gettimeofday libc", a / 1000, r1 ? -1 : tv.tv_sec * 1000000ll + tv.tv_usec,
		      b / 1000, 0);
	check_between("gettimeofday vdso", a / 1000, r2 ? -1 : vtv.tv_sec * 1000000ll + vtv.tv_usec,
		      b / 1000, 0);
	/* Linux's time() is the seconds of the last tick: it may trail
	 * CLOCK_REALTIME across a second boundary. */
	int ok = lt >= a / NSEC - 1 && lt <= b / NSEC && t >= a / NSEC - 1 && t <= b / NSEC &&
		 t_arg == t;
	printf("time libc and vdso: within CLOCK_REALTIME's seconds: %s\n", ok ? "ok" : "BAD");
	guest_bad += !ok;
}

/* getcpu answers a CPU this thread may run on; bad clocks go to the kernel. */
static void check_getcpu_and_fallback(getcpu_fn vgetcpu, cgt_fn vcgt)
{
	unsigned cpu = ~0u, node = ~0u;
	cpu_set_t set;
	struct timespec ts;
	long r = vgetcpu(&cpu, &node, NULL);
	int ok = r == 0 && sched_getaffinity(0, sizeof(set), &set) == 0 && cpu < CPU_SETSIZE &&
		 CPU_ISSET(cpu, &set) && node < 1024;

	printf("getcpu: a CPU of our affinity mask: %s\n", ok ? "ok" : "BAD");
	guest_bad += !ok;
	cpu = ~0u, node = ~0u;
	r = syscall(SYS_getcpu, &cpu, &node, NULL);
	ok = r == 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set) && node < 1024;
	printf("getcpu system call: a CPU of our affinity mask: %s\n", ok ? "ok" : "BAD");
	guest_bad += !ok;
	printf("getcpu system call into a bad address: %s\n",
	       guest_errname(syscall(SYS_getcpu, (void *)8, NULL, NULL) < 0 ? errno : 0));
	printf("vdso clock_gettime(%d): %s\n", BAD_CLOCK, guest_errname(-vcgt(BAD_CLOCK, &ts)));
	ok = vcgt(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 && ts.tv_nsec >= 0 && ts.tv_nsec < NSEC;
	printf("vdso clock_gettime(CLOCK_PROCESS_CPUTIME_ID): %s\n", ok ? "ok" : "BAD");
	guest_bad += !ok;
}

/* /proc/self/maps names the pages: [vvar] read-only below [vdso]. */
static void check_maps(uintptr_t base)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[MAPS_LINE], perm[8];
	unsigned long lo, hi, vvar_end = 0, vdso_lo = 0;
	char vdso_perm[8] = "", vvar_perm[8] = "";

	if (!f) {
		printf("/proc/self/maps: %s\n", guest_errname(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3)
			continue;
		if (strstr(line, " [vvar]\n"))
			vvar_end = hi, strcpy(vvar_perm, perm);
		if (strstr(line, " [vdso]\n"))
			vdso_lo = lo, strcpy(vdso_perm, perm);
	}
	fclose(f);
	if (vvar_end) /* the kernel's page: read-only for good */
		printf("mprotect [vvar] writable: %s\n",
		       guest_errname(
			       mprotect((void *)(vvar_end - PAGE), PAGE, PROT_READ | PROT_WRITE)
				       ? errno
				       : 0));
	printf("[vdso] %s at AT_SYSINFO_EHDR: %s\n", vdso_perm, vdso_lo == base ? "yes" : "no");
	printf("[vvar] %s below it: %s\n", vvar_perm,
	       vvar_end && vvar_end <= vdso_lo ? "yes" : "no");
	guest_bad += vdso_lo != base || !vvar_end || vvar_end > vdso_lo;
}

int main(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);

	printf("AT_SYSINFO_EHDR: %s\n", base ? "present" : "missing");
	if (!base || vdso_open(base)) {
		printf("vdso: not a usable ELF shared object\n");
		return 1;
	}
	printf("vdso: ELF x86-64 shared object with DT_HASH and versions\n");
	check_symbols();
	cgt_fn vcgt = (cgt_fn)vdso_sym("__vdso_clock_gettime");
	gtod_fn vgtod = (gtod_fn)vdso_sym("__vdso_gettimeofday");
	time_fn vtime = (time_fn)vdso_sym("__vdso_time");
	getcpu_fn vgetcpu = (getcpu_fn)vdso_sym("__vdso_getcpu");
	if (!vcgt || !vgtod || !vtime || !vgetcpu || !vdso_sym("__vdso_clock_getres"))
		return 1;
	check_clocks(vcgt);
	check_never_backwards(vcgt);
	check_wall(vgtod, vtime);
	check_getcpu_and_fallback(vgetcpu, vcgt);
	check_maps(base);
	return guest_bad != 0;
}
