/*
 * Futexes as the rest of the syscall layer sees them (linux/futex.c): the
 * wake that thread exit needs, and the thread-exit cleanup of robust lists
 * and priority-inheritance futexes.
 */
#ifndef LINUX_FUTEX_H
#define LINUX_FUTEX_H

#include <stdint.h>

struct thread;

/* Wake one waiter on the futex at `uaddr` (clear_child_tid at thread
 * exit).  Returns the number woken.  Syscall context. */
long futex_wake_one(uint64_t uaddr);

/*
 * Thread `t` (the caller) is ending: walk its robust list as Linux's
 * exit_robust_list() does (mark the futexes it holds FUTEX_OWNER_DIED and
 * wake a waiter on each), then hand every priority-inheritance futex it
 * still owns to its first waiter.  Syscall context, before the thread goes.
 */
void futex_exit_thread(struct thread *t);

#endif
