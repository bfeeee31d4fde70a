/*
 * The boot doors: the PVH entry point, from 32-bit protected mode to the
 * kernel's C entry init_main() in long mode, in the higher half; and the
 * Multiboot2 entry (GRUB, on disks `monos export` writes), the same path to
 * multiboot2_entry_main() (multiboot2_entry.c), which calls init_main().
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
#include "arch/x86_64/multiboot2.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

	/* The PVH note: name "Xen", type 18, the 32-bit physical entry. */
	.section .note.pvh, "a"
	.p2align 2
	.long 4			/* namesz */
	.long 4			/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_entry32

	/* The Multiboot2 header (multiboot2.h), for GRUB's `multiboot2`:
	 * first in the file (the loader looks in its first 32 KiB), with an
	 * entry address tag so GRUB jumps to multiboot2_entry32, not to the
	 * ELF entry (the PVH one). */
	.section .multiboot2, "a"
	.p2align 3
mb2_header:
	.long MULTIBOOT2_HEADER_MAGIC
	.long MULTIBOOT2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MULTIBOOT2_HEADER_MAGIC + MULTIBOOT2_ARCH_I386 + (mb2_header_end - mb2_header))
	.p2align 3
	.short MULTIBOOT2_HEADER_TAG_ENTRY, 0
	.long 12
	.long multiboot2_entry32
	.p2align 3
	.short MULTIBOOT2_HEADER_TAG_END, 0
	.long 8
mb2_header_end:

/*
 * From 32-bit protected mode, paging off, to 64-bit code at `entry64`
 * (identity mapped): what both boot protocols need.  EDI is left alone.
 */
.macro BOOT_TO_LONG_MODE entry64
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
	ljmp $KERNEL_CS, $\entry64
.endm

/* In 64-bit mode: data segments, the boot stack, then `cmain(EDI)` in the
 * higher half, which never returns. */
.macro BOOT_TO_C cmain
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	movabs $boot_stack_top, %rsp
	movabs $\cmain, %rax
	xor %ebp, %ebp			/* the backtrace stops here */
	call *%rax
2:	hlt
	jmp 2b
.endm

	.section .boot.text, "ax"
	.code32
	.globl pvh_entry32
pvh_entry32:
	cli
	cld
	mov %ebx, %edi			/* keep the start info for init_main */
	BOOT_TO_LONG_MODE pvh_entry64

	/* GRUB's multiboot2 (spec 3.3): EAX the magic, EBX the boot
	 * information, flat segments, paging off, no stack. */
	.globl multiboot2_entry32
multiboot2_entry32:
	cli
	cld
	cmp $MULTIBOOT2_BOOT_MAGIC, %eax
	jne 3f				/* not a Multiboot2 loader: nothing to read */
	mov %ebx, %edi			/* for multiboot2_entry_main */
	BOOT_TO_LONG_MODE multiboot2_entry64
3:	hlt
	jmp 3b

	.code64
pvh_entry64:
	BOOT_TO_C init_main		/* init_main(start_info_phys) */
multiboot2_entry64:
	BOOT_TO_C multiboot2_entry_main	/* multiboot2_entry_main(mbi_phys) */

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
