/*
 * The boot door: the PVH entry point, from 32-bit protected mode to the
 * kernel's C entry init_main() in long mode, in the higher half.
 *
 * The PVH boot protocol (Xen's HVM direct boot, used by QEMU -kernel and
 * Firecracker): the loader reads the XEN_ELFNOTE_PHYS32_ENTRY note, loads the
 * PT_LOAD segments at their physical addresses and jumps to the entry in
 * 32-bit protected mode, paging off, flat segments, with EBX holding the
 * physical address of struct hvm_start_info.  Nothing else is set up: no
 * stack, no page tables, no IDT.
 *
 * Here we build the minimum to reach C: page tables mapping the first GiB three
 * times (identity, for the instant paging turns on; the direct map at
 * DIRECT_MAP_BASE; the kernel image at KERNEL_VBASE), then long mode, then a
 * jump to the higher half.  paging.c replaces these tables at once.
 */
#include "arch/x86_64/asm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

	/* The PVH note: name "Xen", type 18, the 32-bit physical entry. */
	.section .note.pvh, "a"
	.p2align 2
	.long 4			/* namesz */
	.long 4			/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_entry32

	.section .boot.text, "ax"
	.code32
	.globl pvh_entry32
pvh_entry32:
	cli
	cld
	mov %ebx, %edi			/* keep the start info for init_main */

	/* PML4[0] and PML4[256] -> PDPT_low; PML4[511] -> PDPT_high. */
	mov $boot_pdpt_low, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pml4
	mov %eax, boot_pml4 + 256 * 8
	mov $boot_pdpt_high, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pml4 + 511 * 8

	/* PDPT_low[0] and PDPT_high[510] -> one PD of 512 2 MiB pages. */
	mov $boot_pd, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pdpt_low
	mov %eax, boot_pdpt_high + 510 * 8
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P | PTE_W | PTE_PS), %eax
	mov %eax, boot_pd(, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b

	/* PAE on, CR3, EFER.LME and NXE, then paging: we are in compat mode. */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE | EFER_SCE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_WP | CR0_NE), %eax
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $KERNEL_CS, $pvh_entry64

	.code64
pvh_entry64:
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	movabs $boot_stack_top, %rsp
	movabs $init_main, %rax
	xor %ebp, %ebp			/* the backtrace stops here */
	call *%rax			/* init_main(start_info_phys) never returns */
2:	hlt
	jmp 2b

	.section .boot.data, "aw"
	.p2align 12
boot_pml4:	.fill 512, 8, 0
boot_pdpt_low:	.fill 512, 8, 0
boot_pdpt_high:	.fill 512, 8, 0
boot_pd:	.fill 512, 8, 0

	/* A throwaway GDT for the jump to 64-bit; cpu.c loads the real one. */
	.p2align 3
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* KERNEL_CS: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* KERNEL_DS */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.section .bss
	.p2align 12
boot_stack:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:
