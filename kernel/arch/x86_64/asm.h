/*
 * Constants shared by the assembly and C parts of arch/x86_64: segment
 * selectors, control-register and EFER bits, page-table entry bits, and the
 * offsets of struct percpu that the entry code reaches through %gs.
 * References: Intel SDM vol. 3A, ch. 2 (control registers), 4.5 (4-level
 * paging), 3.4 (segment selectors); AMD APM vol. 2, 6.1 (SYSCALL/SYSRET).
 */
#ifndef ARCH_X86_64_ASM_H
#define ARCH_X86_64_ASM_H

/* GDT layout (cpu.c).  SYSRET requires USER_DS == STAR[63:48] + 8 and
 * USER_CS == STAR[63:48] + 16, hence user data before user code. */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS	  (0x18 | 3)
#define USER_CS	  (0x20 | 3)
#define TSS_SEL	  0x28

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_AM (1 << 18)
#define CR0_PG (1 << 31)

#define CR4_PAE	       (1 << 5)
#define CR4_PGE	       (1 << 7)
#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_UMIP       (1 << 11)
#define CR4_OSXSAVE    (1 << 18)
#define CR4_SMEP       (1 << 20)
#define CR4_SMAP       (1 << 21)

#define MSR_EFER	   0xc0000080
#define EFER_SCE	   (1 << 0)
#define EFER_LME	   (1 << 8)
#define EFER_NXE	   (1 << 11)
#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_SFMASK	   0xc0000084
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE	   0x1b

#define PTE_P	(1 << 0)
#define PTE_W	(1 << 1)
#define PTE_U	(1 << 2)
#define PTE_PWT (1 << 3)
#define PTE_PCD (1 << 4)
#define PTE_A	(1 << 5)
#define PTE_D	(1 << 6)
#define PTE_PS	(1 << 7)
#define PTE_G	(1 << 8)

/* struct percpu (cpu.h) offsets used by syscall_entry.S and trap.S. */
#define PERCPU_SELF	  0
#define PERCPU_KERNEL_RSP 8
#define PERCPU_USER_RSP	  16
#define PERCPU_CURRENT	  32 /* struct percpu.current: sched_current() */

/* struct regs (cpu.h) size and offsets. */
#define REGS_RAX    80
#define REGS_NR	    120
#define REGS_RIP    136
#define REGS_CS	    144
#define REGS_RFLAGS 152
#define REGS_RSP    160
#define REGS_SIZE   176

#endif
