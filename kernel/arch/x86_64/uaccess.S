/*
 * The only instructions that touch program memory from the kernel.  Each
 * access is listed in __ex_table: if it faults on an address no VMA backs,
 * idt.c resumes at the fixup, which returns -EFAULT.  SMAP's STAC/CLAC and the
 * range checks are done by the C callers in core/uaccess.c.
 */
#define EFAULT 14

	.text
	/* long uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT */
	.globl uaccess_copy
uaccess_copy:
	/* Eight bytes a step, then the rest: under TCG every step of a REP
	 * string instruction costs about the same, whatever its width. */
	mov %rdx, %rcx
	shr $3, %rcx
1:	rep movsq
	mov %rdx, %rcx
	and $7, %rcx
6:	rep movsb
	xor %eax, %eax
	ret

	/* long uaccess_strncpy(char *dst, const char *src, size_t n): the
	 * length copied without the NUL, n if no NUL was found, or -EFAULT */
	.globl uaccess_strncpy
uaccess_strncpy:
	xor %eax, %eax
3:	cmp %rdx, %rax
	je 5f
2:	movb (%rsi, %rax), %cl
	movb %cl, (%rdi, %rax)
	test %cl, %cl
	jz 5f
	inc %rax
	jmp 3b
5:	ret

	/* long uaccess_zero(void *dst, size_t n): 0 or -EFAULT */
	.globl uaccess_zero
uaccess_zero:
	mov %rsi, %rcx
	shr $3, %rcx
	xor %eax, %eax
4:	rep stosq
	mov %rsi, %rcx
	and $7, %rcx
7:	rep stosb
	ret

uaccess_fault:
	mov $-EFAULT, %rax
	ret

	.section __ex_table, "a"
	.p2align 3
	.quad 1b, uaccess_fault
	.quad 2b, uaccess_fault
	.quad 4b, uaccess_fault
	.quad 6b, uaccess_fault
	.quad 7b, uaccess_fault
