/*
 * The empty PVH guest: the baseline every start-up figure of monos is set
 * against.  It is the least a PVH kernel can do on QEMU's microvm: the loader
 * (QEMU's firmware) enters it in 32-bit protected mode through the
 * XEN_ELFNOTE_PHYS32_ENTRY note, exactly as it enters monos-kernel; it reads
 * the TSC once, writes "tsc <16 hex digits>\n" to COM1 and stops QEMU through
 * isa-debug-exit.  Under `-icount shift=0` that TSC is the number of guest
 * instructions firmware and QEMU's reset took before the first instruction
 * of a kernel (nothing halts before it), the share of "reset to main" monos
 * cannot remove.
 *
 * Built by bench/bench.mk with gcc -c and ld (-Ttext at 1 MiB, where PVH
 * kernels load); bench/lib.sh runs it with monos' own machine flags.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18 /* xen/include/public/elfnote.h */
#define COM1_THR 0x3f8		    /* 8250 transmit register: QEMU needs no setup */
#define DEBUG_EXIT_PORT 0xf4	    /* isa-debug-exit, as monos run configures it */

	/* The PVH note: name "Xen", type 18, the 32-bit physical entry. */
	.section .note.pvh, "a", @note
	.p2align 2
	.long 4
	.long 4
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long empty_entry

	.text
	.code32
	.globl empty_entry
empty_entry:
	rdtsc				/* first: nothing of ours is counted */
	mov %edx, %esi
	mov %eax, %edi
	mov $stack_top, %esp		/* PVH hands over no stack */
	mov $prefix, %ebx
	call put_str
	mov %esi, %eax
	call put_hex32
	mov %edi, %eax
	call put_hex32
	mov $'\n', %al
	call put_char
	xor %eax, %eax
	outb %al, $DEBUG_EXIT_PORT	/* QEMU exits with status (0 << 1) | 1 */
1:	hlt				/* without the exit device: stay here */
	jmp 1b

/* Write the NUL-terminated string at %ebx.  Clobbers %eax, %ebx, %edx. */
put_str:
	movb (%ebx), %al
	test %al, %al
	jz 2f
	call put_char
	inc %ebx
	jmp put_str
2:	ret

/* Write %eax as 8 hex digits, most significant first.  Clobbers %eax-%edx. */
put_hex32:
	mov %eax, %ebx
	mov $8, %ecx
3:	rol $4, %ebx
	mov %ebx, %eax
	and $0xf, %al
	add $'0', %al
	cmp $'9', %al
	jbe 4f
	add $('a' - '9' - 1), %al
4:	call put_char
	dec %ecx
	jnz 3b
	ret

/* Write %al to COM1.  QEMU's UART takes bytes at once, so no LSR polling. */
put_char:
	mov $COM1_THR, %dx
	outb %al, %dx
	ret

	.section .rodata
prefix:
	.asciz "tsc "

	.bss
	.p2align 4
	.skip 256
stack_top:
