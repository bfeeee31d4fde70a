/*
 * The syscall door: SYSCALL lands here (MSR_LSTAR) with interrupts off
 * (SFMASK clears IF, DF, TF and AC), RCX = user RIP, R11 = user RFLAGS and the
 * user's stack still in RSP.  We switch to the thread's kernel stack, build
 * the same struct regs a trap builds, and call syscall_dispatch(), which
 * returns nonzero when the way back must be IRETQ (a non-canonical or changed
 * RIP, rt_sigreturn) rather than SYSRET.
 *
 * AMD APM vol. 2, 6.1.1; Intel SDM vol. 3A, 5.8.8.
 */
#include "arch/x86_64/asm.h"
#include "arch/x86_64/regs.S.h"

	.text
	.p2align 4
	.globl syscall_entry
syscall_entry:
	swapgs
	mov %rsp, %gs:PERCPU_USER_RSP
	mov %gs:PERCPU_KERNEL_RSP, %rsp
	push $USER_DS			/* ss */
	push %gs:PERCPU_USER_RSP	/* rsp */
	push %r11			/* rflags */
	push $USER_CS			/* cs */
	push %rcx			/* rip */
	push $0				/* error */
	push %rax			/* nr */
	PUSH_REGS
	mov %rsp, %rdi
	xor %ebp, %ebp
	call syscall_dispatch
	test %eax, %eax
	jnz trap_return			/* the IRETQ way (it swaps GS back) */

	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	add $8, %rsp			/* r11: SYSRET loads it from RFLAGS */
	pop %r10
	pop %r9
	pop %r8
	pop %rax
	add $8, %rsp			/* rcx: SYSRET loads it from RIP */
	pop %rdx
	pop %rsi
	pop %rdi
	mov 16(%rsp), %rcx		/* rip */
	mov 32(%rsp), %r11		/* rflags */
	cli
	mov 40(%rsp), %rsp		/* the user's stack */
	swapgs
	sysretq
