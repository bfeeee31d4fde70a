/*
 * kvmclock (arch/x86_64/kvmclock.h): registering the pvclock structures with
 * KVM through its MSRs; the arithmetic is lib/pvclock.c.  Cannot run on the
 * development machines (their KVM is PVM, which offers no kvmclock, and
 * QEMU's TCG never does): lib/pvclock.c is unit-tested on the host instead.
 */
#include "arch/x86_64/kvmclock.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"
#include "vdso/vvar.h"
#include <lib/pvclock.h>

/* Linux's arch/x86/include/uapi/asm/kvm_para.h */
#define KVM_CPUID_SIGNATURE	 0x40000000
#define KVM_CPUID_FEATURES	 0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_WALL_CLOCK_NEW	 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW	 0x4b564d01
#define KVM_SYSTEM_TIME_ENABLE	 1	    /* bit 0 of the MSR: updates on */
#define KVM_SIGNATURE_EBX	 0x4b4d564b /* "KVMK" */
#define KVM_SIGNATURE_ECX	 0x564b4d56 /* "VMKV" */
#define KVM_SIGNATURE_EDX	 0x0000004d /* "M\0\0\0" */

/* The structures must not cross a page (msr.rst): aligned to their size. */
static volatile struct pvclock_vcpu_time_info time_info __attribute__((aligned(32)));
static volatile struct pvclock_wall_clock wall_clock __attribute__((aligned(16)));

static uint64_t tsc_ordered(void)
{
	return vvar_rdtsc();
}

bool kvmclock_init(void)
{
	uint32_t r[4];

	if (!cpu_features.hypervisor)
		return false;
	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[1] != KVM_SIGNATURE_EBX || r[2] != KVM_SIGNATURE_ECX || r[3] != KVM_SIGNATURE_EDX ||
	    r[0] < KVM_CPUID_FEATURES)
		return false;
	cpuid(KVM_CPUID_FEATURES, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return false;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW,
	      virt_to_phys((const void *)&time_info) | KVM_SYSTEM_TIME_ENABLE);
	if (!time_info.tsc_to_system_mul) { /* the hypervisor did not fill it */
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
		return false;
	}
	return true;
}

uint64_t kvmclock_read(uint64_t *tsc)
{
	return pvclock_read(&time_info, tsc_ordered, tsc);
}

uint64_t kvmclock_tsc_khz(void)
{
	return pvclock_tsc_khz(&time_info);
}

uint64_t kvmclock_mult(unsigned shift)
{
	return pvclock_mult(&time_info, shift);
}

uint64_t kvmclock_wall_ns(void)
{
	uint64_t tsc;

	/* KVM writes the wall clock at the moment of the MSR write. */
	wrmsr(MSR_KVM_WALL_CLOCK_NEW, virt_to_phys((const void *)&wall_clock));
	return pvclock_wall_ns(&wall_clock) + kvmclock_read(&tsc);
}
