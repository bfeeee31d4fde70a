/*
 * The system call table and its dispatcher.  One explicit entry per Linux
 * x86-64 number: the handler and how --trace-syscalls prints its arguments
 * (one letter each: d int, u unsigned, x hex, o octal, p pointer, f fd or
 * AT_FDCWD, s string).  An unknown number returns -ENOSYS and is logged once
 * by name.
 *
 * Where a handler lives (the one rule; the table below follows it):
 *   - in kernel/linux/, in linux/sys_<area>.c, the area being what the call
 *     is about, as the table's headings say (sys_file.c: what is done to an
 *     fd; sys_path.c: looking a path up; sys_fs.c: changing the tree...);
 *   - a mechanism the Linux layer owns whole keeps its calls in its own
 *     file: epoll.c, futex.c (futexes and robust lists), sys_shm.c,
 *     sys_sem.c, sys_msg.c;
 *   - fs/ supplies the objects the calls make (pipe_create, eventfd_create,
 *     socket files); only signalfd and timerfd keep their calls in fs/ with
 *     their files, because those files are the calls' whole state;
 *   - a call that fits no area goes to sys_misc.c.
 * The table has one heading per file (files and paths first, then memory,
 * events, sockets, signals, time, threads, the process, System V IPC), with
 * syscall numbers ascending under each.  linux/syscall.h declares the
 * handlers under the same file names.
 */
#include "linux/syscall.h"
#include "linux/syscall_asm.h"
#include "linux/signal.h"
#include "linux/process.h"
#include "arch/x86_64/cpu.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include <lib/fmt.h>

/* Handlers take the argument registers they use, typed as Linux types them;
 * the x86-64 calling convention makes calling them through this common type
 * well defined in practice, as Linux's own syscall table does. */
#pragma GCC diagnostic ignored "-Wcast-function-type"
typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

struct syscall_entry {
	syscall_fn fn;
	const char *args;
};

#define SYS(fn, args)                                                                              \
	{                                                                                          \
		(syscall_fn)(fn), args                                                             \
	}

/* Read by the fast path of arch/x86_64/syscall_entry.S. */
const struct syscall_entry syscall_table[SYSCALL_COUNT] = {
	/* sys_file.c: file descriptors: open, close, read and write, lseek, ioctl, fcntl, dup */
	[__NR_read] = SYS(sys_read, "fpu"),
	[__NR_write] = SYS(sys_write, "fpu"),
	[__NR_open] = SYS(sys_open, "sxo"),
	[__NR_close] = SYS(sys_close, "f"),
	[__NR_lseek] = SYS(sys_lseek, "fdd"),
	[__NR_ioctl] = SYS(sys_ioctl, "fxp"),
	[__NR_pread64] = SYS(sys_pread64, "fpud"),
	[__NR_pwrite64] = SYS(sys_pwrite64, "fpud"),
	[__NR_readv] = SYS(sys_readv, "fpd"),
	[__NR_writev] = SYS(sys_writev, "fpd"),
	[__NR_dup] = SYS(sys_dup, "f"),
	[__NR_dup2] = SYS(sys_dup2, "ff"),
	[__NR_fcntl] = SYS(sys_fcntl, "fdx"),
	[__NR_openat] = SYS(sys_openat, "fsxo"),
	[__NR_dup3] = SYS(sys_dup3, "ffx"),
	[__NR_preadv] = SYS(sys_preadv, "fpddd"),
	[__NR_pwritev] = SYS(sys_pwritev, "fpddd"),
	[__NR_preadv2] = SYS(sys_preadv2, "fpdddx"),
	[__NR_pwritev2] = SYS(sys_pwritev2, "fpdddx"),
	/* sys_path.c: looking paths up: stat, access, readlink, the working directory,
	 * getdents */
	[__NR_stat] = SYS(sys_stat, "sp"),
	[__NR_fstat] = SYS(sys_fstat, "fp"),
	[__NR_lstat] = SYS(sys_lstat, "sp"),
	[__NR_access] = SYS(sys_access, "so"),
	[__NR_getcwd] = SYS(sys_getcwd, "pu"),
	[__NR_chdir] = SYS(sys_chdir, "s"),
	[__NR_fchdir] = SYS(sys_fchdir, "f"),
	[__NR_readlink] = SYS(sys_readlink, "spd"),
	[__NR_getdents64] = SYS(sys_getdents64, "fpu"),
	[__NR_newfstatat] = SYS(sys_newfstatat, "fspx"),
	[__NR_readlinkat] = SYS(sys_readlinkat, "fspd"),
	[__NR_faccessat] = SYS(sys_faccessat, "fso"),
	[__NR_statx] = SYS(sys_statx, "fsxxp"),
	[__NR_faccessat2] = SYS(sys_faccessat2, "fsox"),
	/* sys_fs.c: changing the tree and files: create, remove, rename, link, modes,
	 * owners, times, truncate, sync, fadvise; statfs */
	[__NR_fsync] = SYS(sys_fsync, "f"),
	[__NR_fdatasync] = SYS(sys_fdatasync, "f"),
	[__NR_sync] = SYS(sys_sync, ""),
	[__NR_syncfs] = SYS(sys_syncfs, "f"),
	[__NR_truncate] = SYS(sys_truncate, "sd"),
	[__NR_ftruncate] = SYS(sys_ftruncate, "fd"),
	[__NR_rename] = SYS(sys_rename, "ss"),
	[__NR_mkdir] = SYS(sys_mkdir, "so"),
	[__NR_rmdir] = SYS(sys_rmdir, "s"),
	[__NR_creat] = SYS(sys_creat, "so"),
	[__NR_link] = SYS(sys_link, "ss"),
	[__NR_unlink] = SYS(sys_unlink, "s"),
	[__NR_symlink] = SYS(sys_symlink, "ss"),
	[__NR_chmod] = SYS(sys_chmod, "so"),
	[__NR_fchmod] = SYS(sys_fchmod, "fo"),
	[__NR_chown] = SYS(sys_chown, "sdd"),
	[__NR_fchown] = SYS(sys_fchown, "fdd"),
	[__NR_lchown] = SYS(sys_lchown, "sdd"),
	[__NR_umask] = SYS(sys_umask, "o"),
	[__NR_utime] = SYS(sys_utime, "sp"),
	[__NR_statfs] = SYS(sys_statfs, "sp"),
	[__NR_fstatfs] = SYS(sys_fstatfs, "fp"),
	[__NR_fadvise64] = SYS(sys_fadvise64, "fddd"),
	[__NR_utimes] = SYS(sys_utimes, "sp"),
	[__NR_mkdirat] = SYS(sys_mkdirat, "fso"),
	[__NR_fchownat] = SYS(sys_fchownat, "fsddx"),
	[__NR_futimesat] = SYS(sys_futimesat, "fsp"),
	[__NR_unlinkat] = SYS(sys_unlinkat, "fsx"),
	[__NR_renameat] = SYS(sys_renameat, "fsfs"),
	[__NR_linkat] = SYS(sys_linkat, "fsfsx"),
	[__NR_symlinkat] = SYS(sys_symlinkat, "sfs"),
	[__NR_fchmodat] = SYS(sys_fchmodat, "fso"),
	[__NR_sync_file_range] = SYS(sys_sync_file_range, "fddx"),
	[__NR_utimensat] = SYS(sys_utimensat, "fspx"),
	[__NR_fallocate] = SYS(sys_fallocate, "fxdd"),
	[__NR_renameat2] = SYS(sys_renameat2, "fsfsx"),
	/* sys_mount.c: the mount table */
	[__NR_mount] = SYS(sys_mount, "ssspx"),
	[__NR_umount2] = SYS(sys_umount2, "sx"),
	/* sys_copy.c: copies between files */
	[__NR_sendfile] = SYS(sys_sendfile, "ffpu"),
	[__NR_copy_file_range] = SYS(sys_copy_file_range, "fpfpux"),
	/* sys_lock.c: flock (and fcntl's record locks, through sys_fcntl) */
	[__NR_flock] = SYS(sys_flock, "fx"),
	/* sys_xattr.c: extended attributes */
	[__NR_setxattr] = SYS(sys_setxattr, "sspux"),
	[__NR_lsetxattr] = SYS(sys_lsetxattr, "sspux"),
	[__NR_fsetxattr] = SYS(sys_fsetxattr, "fspux"),
	[__NR_getxattr] = SYS(sys_getxattr, "ssdu"),
	[__NR_lgetxattr] = SYS(sys_lgetxattr, "ssdu"),
	[__NR_fgetxattr] = SYS(sys_fgetxattr, "fspu"),
	[__NR_listxattr] = SYS(sys_listxattr, "spu"),
	[__NR_llistxattr] = SYS(sys_llistxattr, "spu"),
	[__NR_flistxattr] = SYS(sys_flistxattr, "fpu"),
	[__NR_removexattr] = SYS(sys_removexattr, "ss"),
	[__NR_lremovexattr] = SYS(sys_lremovexattr, "ss"),
	[__NR_fremovexattr] = SYS(sys_fremovexattr, "fs"),
	/* sys_mm.c: memory */
	[__NR_mmap] = SYS(sys_mmap, "puxxfx"),
	[__NR_mprotect] = SYS(sys_mprotect, "pux"),
	[__NR_munmap] = SYS(sys_munmap, "pu"),
	[__NR_brk] = SYS(sys_brk, "p"),
	[__NR_mremap] = SYS(sys_mremap, "puuxp"),
	[__NR_msync] = SYS(sys_msync, "pux"),
	[__NR_mincore] = SYS(sys_mincore, "pup"),
	[__NR_madvise] = SYS(sys_madvise, "pud"),
	[__NR_mlock] = SYS(sys_mlock, "pu"),
	[__NR_munlock] = SYS(sys_munlock, "pu"),
	[__NR_mlockall] = SYS(sys_mlockall, "x"),
	[__NR_munlockall] = SYS(sys_munlockall, ""),
	[__NR_memfd_create] = SYS(sys_memfd_create, "sx"),
	[__NR_mlock2] = SYS(sys_mlock2, "pux"),
	/* sys_poll.c: poll, select; eventfd */
	[__NR_poll] = SYS(sys_poll, "pud"),
	[__NR_select] = SYS(sys_select, "dpppp"),
	[__NR_pselect6] = SYS(sys_pselect6, "dppppp"),
	[__NR_ppoll] = SYS(sys_ppoll, "puppu"),
	[__NR_eventfd] = SYS(sys_eventfd, "u"),
	[__NR_eventfd2] = SYS(sys_eventfd2, "ux"),
	/* epoll.c: epoll */
	[__NR_epoll_create] = SYS(sys_epoll_create, "d"),
	[__NR_epoll_wait] = SYS(sys_epoll_wait, "fpdd"),
	[__NR_epoll_ctl] = SYS(sys_epoll_ctl, "fdfp"),
	[__NR_epoll_pwait] = SYS(sys_epoll_pwait, "fpddpu"),
	[__NR_epoll_create1] = SYS(sys_epoll_create1, "x"),
	/* sys_socket.c: sockets */
	[__NR_socket] = SYS(sys_socket, "dxd"),
	[__NR_connect] = SYS(sys_connect, "fpd"),
	[__NR_accept] = SYS(sys_accept, "fpp"),
	[__NR_sendto] = SYS(sys_sendto, "fpuxpd"),
	[__NR_recvfrom] = SYS(sys_recvfrom, "fpuxpp"),
	[__NR_sendmsg] = SYS(sys_sendmsg, "fpx"),
	[__NR_recvmsg] = SYS(sys_recvmsg, "fpx"),
	[__NR_shutdown] = SYS(sys_shutdown, "fd"),
	[__NR_bind] = SYS(sys_bind, "fpd"),
	[__NR_listen] = SYS(sys_listen, "fd"),
	[__NR_getsockname] = SYS(sys_getsockname, "fpp"),
	[__NR_getpeername] = SYS(sys_getpeername, "fpp"),
	[__NR_socketpair] = SYS(sys_socketpair, "dxdp"),
	[__NR_setsockopt] = SYS(sys_setsockopt, "fddpd"),
	[__NR_getsockopt] = SYS(sys_getsockopt, "fddpp"),
	[__NR_accept4] = SYS(sys_accept4, "fppx"),
	/* sys_signal.c: signals; exit_group */
	[__NR_rt_sigaction] = SYS(sys_rt_sigaction, "dppu"),
	[__NR_rt_sigprocmask] = SYS(sys_rt_sigprocmask, "dppu"),
	[__NR_rt_sigreturn] = SYS(sys_rt_sigreturn, ""),
	[__NR_pause] = SYS(sys_pause, ""),
	[__NR_kill] = SYS(sys_kill, "dd"),
	[__NR_rt_sigpending] = SYS(sys_rt_sigpending, "pu"),
	[__NR_rt_sigtimedwait] = SYS(sys_rt_sigtimedwait, "pppu"),
	[__NR_rt_sigqueueinfo] = SYS(sys_rt_sigqueueinfo, "ddp"),
	[__NR_rt_sigsuspend] = SYS(sys_rt_sigsuspend, "pu"),
	[__NR_sigaltstack] = SYS(sys_sigaltstack, "pp"),
	[__NR_tkill] = SYS(sys_tkill, "dd"),
	[__NR_exit_group] = SYS(sys_exit_group, "d"),
	[__NR_tgkill] = SYS(sys_tgkill, "ddd"),
	[__NR_rt_tgsigqueueinfo] = SYS(sys_rt_tgsigqueueinfo, "dddp"),
	/* sys_time.c: clocks and sleeping */
	[__NR_nanosleep] = SYS(sys_nanosleep, "pp"),
	[__NR_gettimeofday] = SYS(sys_gettimeofday, "pp"),
	[__NR_settimeofday] = SYS(sys_settimeofday, "pp"),
	[__NR_time] = SYS(sys_time, "p"),
	[__NR_clock_settime] = SYS(sys_clock_settime, "dp"),
	[__NR_clock_gettime] = SYS(sys_clock_gettime, "dp"),
	[__NR_clock_getres] = SYS(sys_clock_getres, "dp"),
	[__NR_clock_nanosleep] = SYS(sys_clock_nanosleep, "ddpp"),
	/* sys_timer.c: alarm, itimers, POSIX timers */
	[__NR_getitimer] = SYS(sys_getitimer, "dp"),
	[__NR_alarm] = SYS(sys_alarm, "u"),
	[__NR_setitimer] = SYS(sys_setitimer, "dpp"),
	[__NR_timer_create] = SYS(sys_timer_create, "dpp"),
	[__NR_timer_settime] = SYS(sys_timer_settime, "dxpp"),
	[__NR_timer_gettime] = SYS(sys_timer_gettime, "dp"),
	[__NR_timer_getoverrun] = SYS(sys_timer_getoverrun, "d"),
	[__NR_timer_delete] = SYS(sys_timer_delete, "d"),
	/* fs/timerfd.c: timerfd */
	[__NR_timerfd_create] = SYS(sys_timerfd_create, "dx"),
	[__NR_timerfd_settime] = SYS(sys_timerfd_settime, "fxpp"),
	[__NR_timerfd_gettime] = SYS(sys_timerfd_gettime, "fp"),
	/* fs/signalfd.c: signalfd */
	[__NR_signalfd] = SYS(sys_signalfd, "fpu"),
	[__NR_signalfd4] = SYS(sys_signalfd4, "fpux"),
	/* sys_thread.c: threads and processes: clone, fork, vfork, exit */
	[__NR_clone] = SYS(sys_clone, "xpppp"),
	[__NR_exit] = SYS(sys_exit, "d"),
	[__NR_clone3] = SYS(sys_clone3, "pu"),
	[__NR_fork] = SYS(sys_fork, ""),
	[__NR_vfork] = SYS(sys_vfork, ""),
	/* sys_wait.c: waiting for children */
	[__NR_wait4] = SYS(sys_wait4, "dpxp"),
	[__NR_waitid] = SYS(sys_waitid, "ddpxp"),
	/* sys_exec.c: replacing the program */
	[__NR_execve] = SYS(sys_execve, "spp"),
	[__NR_execveat] = SYS(sys_execveat, "dsppx"),
	/* futex.c: futexes and robust lists */
	[__NR_futex] = SYS(sys_futex, "pxupp"),
	[__NR_set_robust_list] = SYS(sys_set_robust_list, "pu"),
	[__NR_get_robust_list] = SYS(sys_get_robust_list, "dpp"),
	/* sys_proc.c: the process: pipes, sessions and groups, scheduling, resource usage, prctl */
	[__NR_pipe] = SYS(sys_pipe, "p"),
	[__NR_sched_yield] = SYS(sys_sched_yield, ""),
	[__NR_getrusage] = SYS(sys_getrusage, "dp"),
	[__NR_times] = SYS(sys_times, "p"),
	[__NR_setpgid] = SYS(sys_setpgid, "dd"),
	[__NR_getpgrp] = SYS(sys_getpgrp, ""),
	[__NR_setsid] = SYS(sys_setsid, ""),
	[__NR_getpgid] = SYS(sys_getpgid, "d"),
	[__NR_getsid] = SYS(sys_getsid, "d"),
	[__NR_getpriority] = SYS(sys_getpriority, "dd"),
	[__NR_setpriority] = SYS(sys_setpriority, "ddd"),
	[__NR_sched_setparam] = SYS(sys_sched_setparam, "dp"),
	[__NR_sched_getparam] = SYS(sys_sched_getparam, "dp"),
	[__NR_sched_setscheduler] = SYS(sys_sched_setscheduler, "ddp"),
	[__NR_sched_getscheduler] = SYS(sys_sched_getscheduler, "d"),
	[__NR_sched_get_priority_max] = SYS(sys_sched_get_priority_max, "d"),
	[__NR_sched_get_priority_min] = SYS(sys_sched_get_priority_min, "d"),
	[__NR_prctl] = SYS(sys_prctl, "dxxxx"),
	[__NR_sched_setaffinity] = SYS(sys_sched_setaffinity, "dup"),
	[__NR_sched_getaffinity] = SYS(sys_sched_getaffinity, "dup"),
	[__NR_pipe2] = SYS(sys_pipe2, "px"),
	/* sys_cred.c: user and group ids, capabilities */
	[__NR_getuid] = SYS(sys_getuid, ""),
	[__NR_getgid] = SYS(sys_getgid, ""),
	[__NR_setuid] = SYS(sys_setuid, "d"),
	[__NR_setgid] = SYS(sys_setgid, "d"),
	[__NR_geteuid] = SYS(sys_geteuid, ""),
	[__NR_getegid] = SYS(sys_getegid, ""),
	[__NR_setreuid] = SYS(sys_setreuid, "dd"),
	[__NR_setregid] = SYS(sys_setregid, "dd"),
	[__NR_getgroups] = SYS(sys_getgroups, "dp"),
	[__NR_setgroups] = SYS(sys_setgroups, "dp"),
	[__NR_setresuid] = SYS(sys_setresuid, "ddd"),
	[__NR_getresuid] = SYS(sys_getresuid, "ppp"),
	[__NR_setresgid] = SYS(sys_setresgid, "ddd"),
	[__NR_getresgid] = SYS(sys_getresgid, "ppp"),
	[__NR_setfsuid] = SYS(sys_setfsuid, "d"),
	[__NR_setfsgid] = SYS(sys_setfsgid, "d"),
	[__NR_capget] = SYS(sys_capget, "pp"),
	[__NR_capset] = SYS(sys_capset, "pp"),
	/* sys_misc.c: the rest a program asks at start: pid, uname and names, limits,
	 * getrandom, TLS, libc's thread registration */
	[__NR_getpid] = SYS(sys_getpid, ""),
	[__NR_uname] = SYS(sys_uname, "p"),
	[__NR_getrlimit] = SYS(sys_getrlimit, "dp"),
	[__NR_sysinfo] = SYS(sys_sysinfo, "p"),
	[__NR_getppid] = SYS(sys_getppid, ""),
	[__NR_arch_prctl] = SYS(sys_arch_prctl, "xp"),
	[__NR_setrlimit] = SYS(sys_setrlimit, "dp"),
	[__NR_sethostname] = SYS(sys_sethostname, "pd"),
	[__NR_setdomainname] = SYS(sys_setdomainname, "pd"),
	[__NR_gettid] = SYS(sys_gettid, ""),
	[__NR_set_tid_address] = SYS(sys_set_tid_address, "p"),
	[__NR_prlimit64] = SYS(sys_prlimit64, "ddpp"),
	[__NR_getcpu] = SYS(sys_getcpu, "ppp"),
	[__NR_getrandom] = SYS(sys_getrandom, "pux"),
	[__NR_rseq] = SYS(sys_rseq, "pudx"),
	/* sys_shm.c: System V shared memory */
	[__NR_shmget] = SYS(sys_shmget, "duo"),
	[__NR_shmat] = SYS(sys_shmat, "dpx"),
	[__NR_shmctl] = SYS(sys_shmctl, "ddp"),
	[__NR_shmdt] = SYS(sys_shmdt, "p"),
	/* sys_sem.c: System V semaphores */
	[__NR_semget] = SYS(sys_semget, "ddo"),
	[__NR_semop] = SYS(sys_semop, "dpu"),
	[__NR_semctl] = SYS(sys_semctl, "dddx"),
	[__NR_semtimedop] = SYS(sys_semtimedop, "dpup"),
	/* sys_msg.c: System V message queues */
	[__NR_msgget] = SYS(sys_msgget, "do"),
	[__NR_msgsnd] = SYS(sys_msgsnd, "dpux"),
	[__NR_msgrcv] = SYS(sys_msgrcv, "dpudx"),
	[__NR_msgctl] = SYS(sys_msgctl, "ddp"),
};

extern const char *const syscall_names[SYSCALL_COUNT];
static bool trace;
#define O_TMPFILE_BITS	020000000		  /* __O_TMPFILE */
#define TRACE_NO_RETURN (-MAX_ERRNO - 1)	  /* "= ?", as strace prints exit */
static uint8_t reported[(SYSCALL_COUNT + 7) / 8]; /* unknown calls logged once */
/* The agent's metrics (linux/monos_dev.c): calls made per number, and
 * failures per errno.  Plain increments: the system-call rule serialises
 * them until SMP (then per-CPU counters summed at read). */
uint64_t syscall_calls_n[SYSCALL_COUNT];      /* also counted by syscall_entry.S */
uint64_t syscall_errors_n[SYSCALL_ERRNO_MAX]; /* the same */

/* The calls syscall_entry.S sends to syscall_dispatch() whole, bit nr:
 * those that move RIP (the way back is then IRETQ), and every call while
 * tracing (syscall_set_trace). */
#define SLOW_BIT(nr, w) ((nr) / 64 == (w) ? 1ull << ((nr) % 64) : 0)
#define SLOW_WORD(w)                                                                               \
	(SLOW_BIT(__NR_rt_sigreturn, w) | SLOW_BIT(__NR_execve, w) | SLOW_BIT(__NR_execveat, w))
#define SLOW_MAP                                                                                   \
	{                                                                                          \
		SLOW_WORD(0), SLOW_WORD(1), SLOW_WORD(2), SLOW_WORD(3), SLOW_WORD(4),              \
			SLOW_WORD(5), SLOW_WORD(6), SLOW_WORD(7)                                   \
	}
uint64_t syscall_slow_map[(SYSCALL_COUNT + 63) / 64] = SLOW_MAP;
_Static_assert((SYSCALL_COUNT + 63) / 64 == 8, "one initialiser per word of syscall_slow_map");

/* The layout syscall_entry.S's fast path reads (linux/syscall_asm.h). */
_Static_assert(offsetof(struct regs, rax) == REGS_RAX && offsetof(struct regs, rcx) == REGS_RCX &&
		       offsetof(struct regs, r11) == REGS_R11 &&
		       offsetof(struct regs, rip) == REGS_RIP &&
		       offsetof(struct regs, rflags) == REGS_RFLAGS &&
		       offsetof(struct regs, rsp) == REGS_RSP,
	       "syscall_asm.h REGS_*");
_Static_assert(offsetof(struct thread, proc) == THREAD_PROC &&
		       offsetof(struct thread, sig) == THREAD_SIG &&
		       offsetof(struct thread, nheld) == THREAD_NHELD &&
		       sizeof(((struct thread *)0)->nheld) == 4,
	       "syscall_asm.h THREAD_*");
_Static_assert(offsetof(struct process, exiting) == PROC_EXITING_STOPPED &&
		       offsetof(struct process, stopped) == PROC_EXITING_STOPPED + 1 &&
		       offsetof(struct process, pending.set) == PROC_PENDING &&
		       offsetof(struct process, exec_thread) == PROC_EXEC_THREAD,
	       "syscall_asm.h PROC_*");
_Static_assert(ASM_ERRNO_MAX == SYSCALL_ERRNO_MAX && ASM_MAX_ERRNO == MAX_ERRNO &&
		       ASM_ERESTART_FIRST == ERESTARTSYS && ASM_ERESTART_COUNT == 3 &&
		       ERESTARTNOHAND == ERESTARTSYS + 2,
	       "syscall_asm.h error codes");

uint64_t syscall_calls(unsigned nr)
{
	return nr < SYSCALL_COUNT ? syscall_calls_n[nr] : 0;
}

uint64_t syscall_errors(unsigned err)
{
	return err < SYSCALL_ERRNO_MAX ? syscall_errors_n[err] : 0;
}

const char *syscall_name(unsigned nr)
{
	return nr < SYSCALL_COUNT ? syscall_names[nr] : NULL;
}

void syscall_set_trace(bool on)
{
	static const uint64_t rest[ARRAY_SIZE(syscall_slow_map)] = SLOW_MAP;

	trace = on;
	for (size_t i = 0; i < ARRAY_SIZE(syscall_slow_map); i++)
		syscall_slow_map[i] = on ? ~0ull : rest[i];
}

static const char *name_of(uint64_t nr)
{
	return nr < SYSCALL_COUNT && syscall_names[nr] ? syscall_names[nr] : NULL;
}

/* Append one argument to a trace line. */
static size_t trace_arg(char *out, size_t n, char kind, uint64_t v)
{
	char s[64];
	long len;

	switch (kind) {
	case 'd':
		return fmt_snprintf(out, n, "%ld", (long)v);
	case 'f':
		return (int)v == AT_FDCWD ? fmt_snprintf(out, n, "AT_FDCWD")
					  : fmt_snprintf(out, n, "%d", (int)v);
	case 'u':
		return fmt_snprintf(out, n, "%lu", v);
	case 'o':
		return fmt_snprintf(out, n, "%#lo", v);
	case 'p':
		return v ? fmt_snprintf(out, n, "%#lx", v) : fmt_snprintf(out, n, "NULL");
	case 's':
		len = strncpy_from_user(s, v, sizeof(s));
		if (len == -ENAMETOOLONG)
			return fmt_snprintf(out, n, "\"%s\"...", s);
		if (len < 0)
			return fmt_snprintf(out, n, "%#lx", v);
		return fmt_snprintf(out, n, "\"%s\"", s);
	default:
		return fmt_snprintf(out, n, "%#lx", v);
	}
}

/*
 * Print call `nr` with its arguments from `r` and its result.  `nr` comes
 * apart from `r` because rt_sigreturn replaces every register, r->nr (then
 * -1 or the interrupted call) included.
 */
static void trace_print(const struct regs *r, uint64_t nr, long ret)
{
	const uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	const char *name = name_of(nr);
	const char *args =
		nr < SYSCALL_COUNT && syscall_table[nr].fn ? syscall_table[nr].args : "xxxxxx";
	char line[512];
	size_t len;

	if (name)
		len = fmt_snprintf(line, sizeof(line), "%s(", name);
	else
		len = fmt_snprintf(line, sizeof(line), "syscall_%lu(", nr);
	unsigned nargs = strlen(args);
	/* open and openat take a mode only when they may create a file */
	if ((nr == __NR_open && !(a[1] & (O_CREAT | O_TMPFILE_BITS))) ||
	    (nr == __NR_openat && !(a[2] & (O_CREAT | O_TMPFILE_BITS))))
		nargs--;
	for (unsigned i = 0; i < nargs && i < 6 && len < sizeof(line) - 64; i++) {
		if (i)
			len += fmt_snprintf(line + len, sizeof(line) - len, ", ");
		len += trace_arg(line + len, sizeof(line) - len, args[i], a[i]);
	}
	if (len >= sizeof(line) - 64)
		len = sizeof(line) - 64;
	if (ret == TRACE_NO_RETURN)
		len += fmt_snprintf(line + len, sizeof(line) - len, ") = ?\n");
	else if (ret == -ERESTARTSYS) /* a signal came: restarted or EINTR */
		len += fmt_snprintf(line + len, sizeof(line) - len,
				    ") = ? ERESTARTSYS (interrupted by a signal)\n");
	else if (ret < 0 && ret >= -MAX_ERRNO)
		len += fmt_snprintf(line + len, sizeof(line) - len, ") = -1 %s\n",
				    errno_name((int)-ret));
	else
		len += fmt_snprintf(line + len, sizeof(line) - len, ") = %ld\n", ret);
	console_write(MONOS_CHAN_TRACE, line, MIN(len, sizeof(line) - 1));
}

/* Whether unknown call `nr` was reported already; remembers it if not.
 * Numbers past the table share a few slots, then are reported no more. */
static bool already_reported(uint64_t nr)
{
	static uint64_t beyond[16];
	static unsigned nbeyond;

	if (nr < SYSCALL_COUNT) {
		bool seen = reported[nr / 8] & (1 << (nr % 8));
		reported[nr / 8] |= 1 << (nr % 8);
		return seen;
	}
	for (unsigned i = 0; i < nbeyond; i++)
		if (beyond[i] == nr)
			return true;
	if (nbeyond == ARRAY_SIZE(beyond))
		return true; /* a program probing many numbers: stay quiet */
	beyond[nbeyond++] = nr;
	return false;
}

void report_unsupported(const char *what)
{
	static const char *said[16];
	static unsigned nsaid;

	for (unsigned i = 0; i < nsaid; i++)
		if (said[i] == what)
			return;
	if (nsaid < ARRAY_SIZE(said))
		said[nsaid++] = what;
	klog("monos: the program used %s, which monos does not support: it got ENOSYS\n", what);
}

static void report_unknown(uint64_t nr)
{
	const char *name = name_of(nr);

	if (already_reported(nr))
		return;
	if (name)
		klog("monos: the program called %s (%lu), which monos does not implement yet: "
		     "it got ENOSYS\n",
		     name, nr);
	else
		klog("monos: the program made unknown system call %lu: it got ENOSYS\n", nr);
}

/* SYSRET needs a canonical RIP (a non-canonical one faults in ring 0). */
static bool canonical(uint64_t va)
{
	return va < USER_TOP;
}

/* The way back from a call that needs more than SYSRET: files held, a
 * trace line, signals (or a restart code), a moved or non-canonical RIP.
 * Returns nonzero for IRETQ.  `nr` is the call's number as it came in:
 * rt_sigreturn sets r->nr to -1 (never restarted), and must still leave by
 * IRETQ, or the interrupted code loses RCX and R11. */
static int exit_slow(struct regs *r, uint64_t nr)
{
	if (sched_current()->nheld)
		fd_release_held(); /* before a signal handler could run */
	if (unlikely(trace))
		trace_print(r, nr, (long)r->rax);
	/* rt_sigreturn restores every register, rcx and r11 included, which
	 * only IRETQ gives back; a signal frame moves RIP, and so does execve.
	 * (process_return_to_user's work on the way back from a syscall is
	 * signal_deliver's alone.) */
	bool iret = signal_deliver(r, true) || nr == __NR_rt_sigreturn || nr == __NR_execve ||
		    nr == __NR_execveat;
	return iret || !canonical(r->rip);
}

/* syscall_entry.S, when its look finds work after a call of the fast path
 * (never rt_sigreturn or execve: r->nr is still the number). */
int syscall_exit_slow(struct regs *r)
{
	return exit_slow(r, r->nr);
}

/* The whole call, the slow way (syscall_entry.S: unknown numbers, the calls
 * of syscall_slow_map, every call while tracing). */
int syscall_dispatch(struct regs *r)
{
	uint64_t nr = r->nr;
	long ret;

	if (unlikely(trace) && (nr == __NR_exit || nr == __NR_exit_group))
		trace_print(r, nr, TRACE_NO_RETURN); /* they do not come back */
	if (nr < SYSCALL_COUNT && syscall_table[nr].fn) {
		syscall_calls_n[nr]++;
		ret = syscall_table[nr].fn(r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9);
	} else {
		report_unknown(nr);
		ret = -ENOSYS;
	}
	r->rax = ret;
	if (ret < 0 && (unsigned long)-ret < SYSCALL_ERRNO_MAX)
		syscall_errors_n[-ret]++;
	return exit_slow(r, nr);
}
