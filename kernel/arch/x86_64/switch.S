/*
 * Kernel context switch.  switch_stacks(&prev->ksp, next_ksp) saves the
 * callee-saved registers on the current kernel stack, stores the stack
 * pointer, loads the next thread's and pops its registers: the call returns
 * in the next thread, where that one called switch_stacks (or, for a new
 * thread, into sched_thread_start, as laid out by sched_spawn).
 * Everything else (FS base, FPU state, TSS.RSP0) is switched by sched.c.
 */
	.text
	.globl switch_stacks
switch_stacks:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
