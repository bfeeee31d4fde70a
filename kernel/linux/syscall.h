/*
 * The Linux system call layer: the handlers, grouped by area in
 * linux/sys_<area>.c, and the process-wide state they share.  Every handler
 * is named sys_<linuxname>, takes the raw argument registers it needs, and
 * returns a value or -errno.  The table is in linux/table.c.
 */
#ifndef LINUX_SYSCALL_H
#define LINUX_SYSCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "linux/syscall_nr.h"
#include "core/cred.h"

struct regs;

/* table.c: the entries from arch/x86_64/syscall_entry.S, each returning
 * nonzero when the return must be IRETQ: the whole call the slow way, and
 * the way back after the fast path's look found work (syscall_asm.h). */
int syscall_dispatch(struct regs *r);
int syscall_exit_slow(struct regs *r);
void syscall_set_trace(bool on);
/* Counters for the agent's metrics: the calls made to number `nr` (those
 * the table implements), the calls that failed with errno `err` (0 for
 * numbers out of range), and a number's name (NULL: none).  Any context. */
#define SYSCALL_ERRNO_MAX 134 /* EHWPOISON + 1 (include/uapi/asm-generic/errno.h) */
uint64_t syscall_calls(unsigned nr);
uint64_t syscall_errors(unsigned err);
const char *syscall_name(unsigned nr);

/* process.c: a process's end (linux/process.h has the rest).  Never
 * return.  process_kill: a fatal signal (a fault at `addr`, `ip`). */
__attribute__((noreturn)) void process_kill(int signo, uint64_t addr, uint64_t ip);
/* Out of memory: kill the largest process (process.c); returns when the
 * caller may retry (another one was killed or is ending). */
void process_oom(void);
__attribute__((noreturn)) void process_exec_failed(int err);
/* Log, once per `what`, that the program used something monos lacks. */
void report_unsupported(const char *what);
/* The way back to ring 3 (process.c): preemption, then signal delivery.
 * Returns true when the return must be IRETQ. */
bool process_return_to_user(struct regs *r, bool syscall);
/* Install the trap fault handler and the host-signal handler. */
void process_init(void);
/* process_set_end_hook - `fn` runs when PID 1 has ended normally (exit or
 * signal), in its process context (it may sleep), before the volumes are
 * synced and the end reported: init/standalone.c marks a tried slot good
 * there.  Boot only. */
struct monos_chan_exit;
void process_set_end_hook(void (*fn)(const struct monos_chan_exit *e));

/* Signals (include/uapi/asm-generic/signal.h). */
#define SIGHUP	1
#define SIGINT	2
#define SIGILL	4
#define SIGTRAP 5
#define SIGBUS	7
#define SIGFPE	8
#define SIGKILL 9
#define SIGSEGV 11
#define SIGPIPE 13
#define SIGTERM 15
#define NSIG	64
#define SIG_DFL 0
#define SIG_IGN 1

/* sys_signal.c: the handler recorded for `signo` (SIG_DFL, SIG_IGN or an
 * address); delivery comes with the signals issue. */
uint64_t signal_handler_of(int signo);

/* sys_path.c: resolve the user path `upath` of a *at() call relative to
 * `dirfd` (AT_FDCWD or a directory fd), following the last symlink unless
 * AT_SYMLINK_NOFOLLOW is in `flags`; AT_EMPTY_PATH with "" gives the fd's own
 * inode.  Returns the inode or an ERR_PTR (-ENOENT, -EBADF, -ENOTDIR, -EFAULT,
 * -ENAMETOOLONG, -ELOOP). */
struct inode;
struct inode *path_at_lookup(long dirfd, uint64_t upath, long flags);

/* sys_path.c: a path split into its parent directory and last component,
 * for the calls that change the tree.  path_at_parent fills `pl` and returns
 * 0 or -errno (as path_at_lookup, on the parent); path_last_free must be
 * called either way.  pl->slash: the path ended in '/'. */
struct path_last {
	struct inode *dir;
	char *buf;
	const char *name;
	size_t len;
	bool slash;
};
long path_at_parent(long dirfd, uint64_t upath, struct path_last *pl);
void path_last_free(struct path_last *pl);

/* sys_fs.c: open(2) and openat(2) in full: O_CREAT (with `mode` less the
 * umask), O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW; returns the new fd or
 * -errno.  For sys_openat. */
long fs_openat(long dirfd, uint64_t upath, long flags, long mode);

/* The handlers, by area. */
/* sys_file.c */
long sys_read(long fd, uint64_t buf, size_t n);
long sys_write(long fd, uint64_t buf, size_t n);
long sys_readv(long fd, uint64_t iov, long cnt);
long sys_writev(long fd, uint64_t iov, long cnt);
long sys_pread64(long fd, uint64_t buf, size_t n, int64_t off);
long sys_pwrite64(long fd, uint64_t buf, size_t n, int64_t off);
long sys_preadv(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h);
long sys_pwritev(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h);
long sys_preadv2(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h, long flags);
long sys_pwritev2(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h, long flags);
long sys_open(uint64_t path, long flags, long mode);
long sys_openat(long dirfd, uint64_t path, long flags, long mode);
long sys_close(long fd);
long sys_lseek(long fd, int64_t off, long whence);
long sys_ioctl(long fd, unsigned long cmd, uint64_t arg);
long sys_fcntl(long fd, long cmd, uint64_t arg);
long sys_dup(long fd);
long sys_dup2(long oldfd, long newfd);
long sys_dup3(long oldfd, long newfd, long flags);
/* sys_path.c */
long sys_fstat(long fd, uint64_t st);
long sys_stat(uint64_t path, uint64_t st);
long sys_lstat(uint64_t path, uint64_t st);
long sys_newfstatat(long dirfd, uint64_t path, uint64_t st, long flags);
long sys_statx(long dirfd, uint64_t path, long flags, unsigned mask, uint64_t buf);
long sys_getdents64(long fd, uint64_t buf, size_t n);
long sys_readlink(uint64_t path, uint64_t buf, long n);
long sys_readlinkat(long dirfd, uint64_t path, uint64_t buf, long n);
long sys_access(uint64_t path, long mode);
long sys_faccessat(long dirfd, uint64_t path, long mode);
long sys_faccessat2(long dirfd, uint64_t path, long mode, long flags);
long sys_getcwd(uint64_t buf, size_t n);
long sys_chdir(uint64_t path);
long sys_fchdir(long fd);
/* sys_fs.c */
long sys_creat(uint64_t path, long mode);
long sys_mkdir(uint64_t path, long mode);
long sys_mkdirat(long dirfd, uint64_t path, long mode);
long sys_unlink(uint64_t path);
long sys_unlinkat(long dirfd, uint64_t path, long flags);
long sys_rmdir(uint64_t path);
long sys_rename(uint64_t opath, uint64_t npath);
long sys_renameat(long odfd, uint64_t opath, long ndfd, uint64_t npath);
long sys_renameat2(long odfd, uint64_t opath, long ndfd, uint64_t npath, unsigned flags);
long sys_link(uint64_t opath, uint64_t npath);
long sys_linkat(long odfd, uint64_t opath, long ndfd, uint64_t npath, long flags);
long sys_symlink(uint64_t target, uint64_t path);
long sys_symlinkat(uint64_t target, long dirfd, uint64_t path);
long sys_truncate(uint64_t path, int64_t len);
long sys_ftruncate(long fd, int64_t len);
long sys_fsync(long fd);
long sys_fdatasync(long fd);
long sys_sync_file_range(long fd, int64_t off, int64_t len, unsigned int flags);
long sys_fadvise64(long fd, int64_t off, int64_t len, long advice);
long sys_sync(void);
long sys_syncfs(long fd);
long sys_fallocate(long fd, long mode, int64_t off, int64_t len);
long sys_utimensat(long dirfd, uint64_t path, uint64_t utimes, long flags);
long sys_futimesat(long dirfd, uint64_t path, uint64_t utv);
long sys_utimes(uint64_t path, uint64_t tv);
long sys_utime(uint64_t path, uint64_t ubuf);
long sys_chmod(uint64_t path, long mode);
long sys_fchmod(long fd, long mode);
long sys_fchmodat(long dirfd, uint64_t path, long mode);
long sys_chown(uint64_t path, long uid, long gid);
long sys_fchown(long fd, long uid, long gid);
long sys_lchown(uint64_t path, long uid, long gid);
long sys_fchownat(long dirfd, uint64_t path, long uid, long gid, long flags);
long sys_umask(long mask);
long sys_statfs(uint64_t path, uint64_t buf);
long sys_fstatfs(long fd, uint64_t buf);
/* sys_mount.c */
long sys_mount(uint64_t usource, uint64_t utarget, uint64_t utype, unsigned long flags,
	       uint64_t udata);
long sys_umount2(uint64_t utarget, long flags);
/* sys_mm.c */
long sys_brk(uint64_t addr);
long sys_mmap(uint64_t addr, uint64_t len, long prot, long flags, long fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mprotect(uint64_t addr, uint64_t len, long prot);
long sys_madvise(uint64_t addr, uint64_t len, long advice);
long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, long flags, uint64_t new_addr);
long sys_msync(uint64_t addr, uint64_t len, long flags);
long sys_mincore(uint64_t addr, uint64_t len, uint64_t uvec);
long sys_memfd_create(uint64_t uname, unsigned long flags);
long sys_mlock(uint64_t addr, uint64_t len);
long sys_mlock2(uint64_t addr, uint64_t len, unsigned long flags);
long sys_munlock(uint64_t addr, uint64_t len);
long sys_mlockall(unsigned long flags);
long sys_munlockall(void);
/* sys_copy.c */
long sys_sendfile(long out_fd, long in_fd, uint64_t uoff, size_t count);
long sys_copy_file_range(long fd_in, uint64_t uoff_in, long fd_out, uint64_t uoff_out, size_t len,
			 unsigned long flags);
/* sys_time.c */
long sys_clock_gettime(long clk, uint64_t ts);
long sys_clock_getres(long clk, uint64_t ts);
long sys_clock_settime(long clk, uint64_t ts);
long sys_settimeofday(uint64_t tv, uint64_t tz);
long sys_getcpu(uint64_t ucpu, uint64_t unode, uint64_t cache);
long sys_gettimeofday(uint64_t tv, uint64_t tz);
long sys_time(uint64_t t);
long sys_nanosleep(uint64_t req, uint64_t rem);
long sys_clock_nanosleep(long clk, long flags, uint64_t req, uint64_t rem);
/* sys_misc.c */
long sys_getpid(void);
long sys_gettid(void);
long sys_getppid(void);
long sys_uname(uint64_t buf);
long sys_sethostname(uint64_t name, int len);
long sys_setdomainname(uint64_t name, int len);
long sys_getrandom(uint64_t buf, size_t n, unsigned flags);
long sys_prlimit64(int pid, unsigned res, uint64_t new, uint64_t old);
long sys_getrlimit(long res, uint64_t rl);
long sys_setrlimit(long res, uint64_t rl);
/* The soft limit of resource `res` (RLIMIT_*, in range): RLIM_INFINITY or a
 * value.  Any context. */
uint64_t misc_rlimit_cur(int res);
/* misc_rlimit_boot - set the first process's limit @res (the per-run
 * rlimits entry, before its exec): 0, or -EINVAL for an unknown resource
 * or a value Linux's setrlimit would refuse. */
long misc_rlimit_boot(unsigned res, uint64_t soft, uint64_t hard);
long sys_sysinfo(uint64_t info);
long sys_arch_prctl(long code, uint64_t addr);
long sys_set_tid_address(uint64_t tidptr);
long sys_rseq(uint64_t rseq, uint32_t len, long flags, uint32_t sig);
/* sys_thread.c */
long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls);
long sys_clone3(uint64_t uargs, size_t size);
long sys_exit(long status);
/* sys_proc.c: write a struct rusage with `cpu_ns` of CPU time (all of it
 * user time: the kernel's work for a program is not told apart) and the
 * largest resident size in pages; 0 or -EFAULT. */
long rusage_put(uint64_t uru, uint64_t cpu_ns, uint64_t peak_pages);
long sys_fork(void);
long sys_vfork(void);
long sys_wait4(int pid, uint64_t ustatus, int options, uint64_t uru);
long sys_waitid(int idtype, int id, uint64_t uinfo, int options, uint64_t uru);
long sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp);
long sys_execveat(long dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp, long flags);
/* futex.c */
long sys_futex(uint64_t uaddr, long op, uint32_t val, uint64_t utime, uint64_t uaddr2,
	       uint32_t val3);
long sys_set_robust_list(uint64_t head, size_t len);
long sys_get_robust_list(long tid, uint64_t head, uint64_t len);
/* sys_proc.c: whether `pid` (0: the caller) names this process or one of
 * its threads.  sys_cred.c: the prctl options about capabilities, or -ENOSYS
 * for any other option. */
bool proc_is_self(int pid);
long cred_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
/* sys_proc.c */
long sys_pipe(uint64_t fds);
long sys_pipe2(uint64_t fds, int flags);
long sys_getpgid(int pid);
long sys_getpgrp(void);
long sys_getsid(int pid);
long sys_setsid(void);
long sys_setpgid(int pid, int pgid);
long sys_sched_setscheduler(int pid, int policy, uint64_t param);
long sys_sched_setparam(int pid, uint64_t param);
long sys_sched_getscheduler(int pid);
long sys_sched_getparam(int pid, uint64_t param);
long sys_sched_get_priority_max(int policy);
long sys_sched_get_priority_min(int policy);
long sys_sched_setaffinity(int pid, unsigned len, uint64_t mask);
long sys_sched_getaffinity(long pid, size_t len, uint64_t mask);
long sys_sched_yield(void);
long sys_getpriority(int which, int who);
long sys_setpriority(int which, int who, int nice);
long sys_getrusage(int who, uint64_t ru);
long sys_times(uint64_t buf);
long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
/* sys_cred.c (the credentials and cred_capable: core/cred.h) */
long sys_getuid(void);
long sys_geteuid(void);
long sys_getgid(void);
long sys_getegid(void);
long sys_setuid(uint32_t uid);
long sys_setgid(uint32_t gid);
long sys_setreuid(uint32_t ruid, uint32_t euid);
long sys_setregid(uint32_t rgid, uint32_t egid);
long sys_setresuid(uint32_t ruid, uint32_t euid, uint32_t suid);
long sys_setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid);
long sys_setfsuid(uint32_t uid);
long sys_setfsgid(uint32_t gid);
long sys_getresuid(uint64_t ruid, uint64_t euid, uint64_t suid);
long sys_getresgid(uint64_t rgid, uint64_t egid, uint64_t sgid);
long sys_getuid(void);
long sys_geteuid(void);
long sys_getgid(void);
long sys_getegid(void);
long sys_getgroups(int size, uint64_t list);
long sys_setgroups(int size, uint64_t list);
long sys_capget(uint64_t hdr, uint64_t data);
long sys_capset(uint64_t hdr, uint64_t data);
/* sys_lock.c: record locks for sys_fcntl (F_GETLK, F_SETLK, F_SETLKW and
 * the F_OFD_ three); lock_close: a descriptor of table `t` for `f` closed
 * (the table's POSIX locks on the file go); lock_release: a file's last
 * reference goes (its OFD and flock locks go). */
struct file;
struct fdtable;
long lock_fcntl(int fd, struct file *f, long cmd, uint64_t arg);
void lock_close(struct fdtable *t, struct file *f);
void lock_release(struct file *f);
long sys_flock(long fd, long how);
/* sys_xattr.c */
long sys_getxattr(uint64_t path, uint64_t name, uint64_t value, size_t size);
long sys_lgetxattr(uint64_t path, uint64_t name, uint64_t value, size_t size);
long sys_fgetxattr(long fd, uint64_t name, uint64_t value, size_t size);
long sys_listxattr(uint64_t path, uint64_t list, size_t size);
long sys_llistxattr(uint64_t path, uint64_t list, size_t size);
long sys_flistxattr(long fd, uint64_t list, size_t size);
long sys_setxattr(uint64_t path, uint64_t name, uint64_t value, size_t size, long flags);
long sys_lsetxattr(uint64_t path, uint64_t name, uint64_t value, size_t size, long flags);
long sys_fsetxattr(long fd, uint64_t name, uint64_t value, size_t size, long flags);
long sys_removexattr(uint64_t path, uint64_t name);
long sys_lremovexattr(uint64_t path, uint64_t name);
long sys_fremovexattr(long fd, uint64_t name);
/* sys_poll.c; poll_temp_mask: the temporary signal mask of ppoll, pselect6
 * and epoll_pwait (restored after a handler runs, or at once): 0 or -errno. */
long poll_temp_mask(uint64_t umask, size_t size);
long sys_poll(uint64_t ufds, uint64_t nfds, long timeout_ms);
long sys_ppoll(uint64_t ufds, uint64_t nfds, uint64_t uts, uint64_t umask, size_t size);
long sys_select(long n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t utv);
long sys_pselect6(long n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t uts, uint64_t usig);
long sys_eventfd(unsigned initval);
long sys_eventfd2(unsigned initval, long flags);
/* epoll.c */
long sys_epoll_create(long size);
long sys_epoll_create1(long flags);
long sys_epoll_ctl(long epfd, long op, long fd, uint64_t uev);
long sys_epoll_wait(long epfd, uint64_t uevents, long max, long timeout_ms);
long sys_epoll_pwait(long epfd, uint64_t uevents, long max, long timeout_ms, uint64_t umask,
		     size_t size);
/* Forget every epoll item watching `f`: its last reference is going. */
void epoll_file_gone(struct file *f);
/* sys_socket.c */
long sys_socket(long family, long type, long protocol);
long sys_socketpair(long family, long type, long protocol, uint64_t usv);
long sys_bind(long fd, uint64_t uaddr, long len);
long sys_listen(long fd, long backlog);
long sys_accept(long fd, uint64_t uaddr, uint64_t ulen);
long sys_accept4(long fd, uint64_t uaddr, uint64_t ulen, long flags);
long sys_connect(long fd, uint64_t uaddr, long len);
long sys_sendto(long fd, uint64_t buf, size_t len, long flags, uint64_t uaddr, long alen);
long sys_recvfrom(long fd, uint64_t buf, size_t len, long flags, uint64_t uaddr, uint64_t ualen);
long sys_sendmsg(long fd, uint64_t umsg, long flags);
long sys_recvmsg(long fd, uint64_t umsg, long flags);
long sys_shutdown(long fd, long how);
long sys_getsockname(long fd, uint64_t uaddr, uint64_t ulen);
long sys_getpeername(long fd, uint64_t uaddr, uint64_t ulen);
long sys_setsockopt(long fd, long level, long name, uint64_t uval, long len);
long sys_getsockopt(long fd, long level, long name, uint64_t uval, uint64_t ulen);
/* sys_timer.c */
long sys_alarm(unsigned seconds);
long sys_getitimer(long which, uint64_t ucur);
long sys_setitimer(long which, uint64_t unew, uint64_t uold);
long sys_timer_create(long clock, uint64_t usev, uint64_t uid);
long sys_timer_settime(long id, long flags, uint64_t unew, uint64_t uold);
long sys_timer_gettime(long id, uint64_t ucur);
long sys_timer_getoverrun(long id);
long sys_timer_delete(long id);
/* sys_time.c: read a struct timespec from `uts` as ns (0, -EFAULT, or
 * -EINVAL for a field out of range; a huge one is clamped).  Syscall
 * context. */
long time_ts_in(uint64_t uts, uint64_t *ns);
/* sys_timer.c, shared with timerfd: read a struct itimerspec from `uaddr` as
 * ns (0, -EFAULT, -EINVAL for a field out of range); write one (0 or
 * -EFAULT).  Syscall context. */
long timer_spec_in(uint64_t uaddr, uint64_t *interval, uint64_t *value);
/* sys_time.c: the CPU-time clock `clk` names (CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID, or a clock id made by clock_getcpuclockid or
 * pthread_getcpuclockid): *tid its thread's tid, or minus its process's
 * pid; -EINVAL for another clock or an unknown thread or process.
 * `gettime`: for reading (which also takes a thread's tid as its process's
 * id, as Linux).  cpu_clock_ns reads it: -EINVAL once its thread or
 * process has ended. */
long cpu_clock_resolve(int clk, bool gettime, int *tid);
long cpu_clock_ns(int tid, uint64_t *ns);
long timer_spec_out(uint64_t uaddr, uint64_t interval, uint64_t value);
/* fs/timerfd.c */
long sys_timerfd_create(long clock, long flags);
long sys_timerfd_settime(long fd, long flags, uint64_t unew, uint64_t uold);
long sys_timerfd_gettime(long fd, uint64_t ucur);
/* fs/signalfd.c */
long sys_signalfd4(long fd, uint64_t umask, size_t sizemask, long flags);
long sys_signalfd(long fd, uint64_t umask, size_t sizemask);
/* sys_signal.c */
long sys_rt_sigaction(long sig, uint64_t act, uint64_t oact, size_t sigsetsize);
long sys_rt_sigqueueinfo(int pid, int sig, uint64_t uinfo);
long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uint64_t uinfo);
long sys_rt_sigsuspend(uint64_t umask, size_t sigsetsize);
long sys_pause(void);
long sys_rt_sigpending(uint64_t uset, size_t sigsetsize);
long sys_rt_sigtimedwait(uint64_t uset, uint64_t uinfo, uint64_t uts, size_t sigsetsize);
long sys_sigaltstack(uint64_t uss, uint64_t uoss);
long sys_rt_sigreturn(void);
long sys_rt_sigprocmask(long how, uint64_t set, uint64_t oset, size_t sigsetsize);
long sys_exit_group(long status);
long sys_kill(int pid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_tkill(int tid, int sig);
/* sys_shm.c */
long sys_shmget(long key, uint64_t size, long flags);
long sys_shmat(long id, uint64_t addr, long flags);
long sys_shmdt(uint64_t addr);
long sys_shmctl(long id, long cmd, uint64_t ubuf);
/* sys_sem.c */
long sys_semget(long key, long nsems, long flags);
long sys_semop(long id, uint64_t usops, uint64_t nsops);
long sys_semtimedop(long id, uint64_t usops, uint64_t nsops, uint64_t uts);
long sys_semctl(long id, long num, long cmd, uint64_t arg);
/* sys_msg.c */
long sys_msgget(long key, long flags);
long sys_msgsnd(long id, uint64_t umsg, uint64_t size, long flags);
long sys_msgrcv(long id, uint64_t umsg, uint64_t size, long type, long flags);
long sys_msgctl(long id, long cmd, uint64_t ubuf);

#endif
