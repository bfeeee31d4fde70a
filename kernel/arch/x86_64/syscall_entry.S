/*
 * The syscall door: SYSCALL lands here (MSR_LSTAR) with interrupts off
 * (SFMASK clears IF, DF, TF and AC), RCX = user RIP, R11 = user RFLAGS and the
 * user's stack still in RSP.  We switch to the thread's kernel stack, build
 * the same struct regs a trap builds, and run the call.
 *
 * Two ways through.  The fast one calls the handler straight from the
 * table with the user's argument registers (RDI, RSI, RDX, R10 -> RCX, R8,
 * R9: still as the user left them), counts the call and its error as
 * syscall_dispatch does, drops the files the call held, and returns by
 * SYSRET when syscall_asm.h's look finds nothing to do on the way back.  The slow one is syscall_dispatch()
 * (an unknown number, rt_sigreturn and execve, which move RIP, and every
 * call while tracing: syscall_slow_map) or syscall_exit_slow() (anything the
 * look finds); each returns nonzero when the way back must be IRETQ (a
 * non-canonical or changed RIP, a signal frame) rather than SYSRET.
 *
 * AMD APM vol. 2, 6.1.1; Intel SDM vol. 3A, 5.8.8.
 */
#include "arch/x86_64/asm.h"
#include "arch/x86_64/regs.S.h"
#include "linux/syscall_asm.h"
#include "linux/syscall_nr.h"

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
	xor %ebp, %ebp
	cmp $SYSCALL_COUNT, %rax
	jae .Lslow_call
	bt %rax, syscall_slow_map(%rip)
	jc .Lslow_call
	mov %rax, %r11
	shl $4, %r11			/* struct syscall_entry: 16 bytes */
	mov syscall_table(%r11), %r11
	test %r11, %r11
	jz .Lslow_call
	incq syscall_calls_n(,%rax,8)
	mov %r10, %rcx
	call *%r11
	cli				/* the look below and SYSRET: no signal between */
	mov %rax, REGS_RAX(%rsp)
	cmp $-ASM_MAX_ERRNO, %rax
	jae .Lerror
.Llook:
	mov %gs:PERCPU_CURRENT, %rcx
	cmpl $0, THREAD_NHELD(%rcx)
	jne .Lrelease
	mov THREAD_SIG(%rcx), %rdx
	cmpq $0, TS_PENDING(%rdx)
	jne .Lslow_exit
	cmpb $0, TS_RESTORE_MASK(%rdx)
	jne .Lslow_exit
	mov THREAD_PROC(%rcx), %rdx
	cmpq $0, PROC_PENDING(%rdx)
	jne .Lslow_exit
	cmpw $0, PROC_EXITING_STOPPED(%rdx)
	jne .Lslow_exit
	cmpq $0, PROC_EXEC_THREAD(%rdx)
	jne .Lslow_exit
	btq $47, REGS_RIP(%rsp)		/* past the last canonical address */
	jc .Lslow_exit
	/* Nothing moved RIP or RFLAGS, so the saved RCX and R11 slots still
	 * hold them: pop them straight into the registers SYSRET reads. */
	POP_REGS
	mov 40(%rsp), %rsp		/* the user's stack */
	swapgs
	sysretq

	/* A failed call: count its errno; a restart code takes the slow way. */
.Lerror:
	mov %rax, %rdx
	neg %rdx
	cmp $ASM_ERRNO_MAX, %rdx
	jae 1f
	incq syscall_errors_n(,%rdx,8)
1:	sub $ASM_ERESTART_FIRST, %rdx
	cmp $ASM_ERESTART_COUNT, %rdx
	jae .Llook
	jmp .Lslow_exit

	/* Files the call held (fd_hold): dropped before a signal handler could
	 * run, as syscall_exit_slow does; then look again. */
.Lrelease:
	call fd_release_held
	jmp .Llook

.Lslow_call:
	mov %rsp, %rdi
	call syscall_dispatch
	jmp .Lback
.Lslow_exit:
	mov %rsp, %rdi
	call syscall_exit_slow
.Lback:
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
