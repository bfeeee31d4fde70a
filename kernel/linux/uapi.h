/*
 * Linux ABI constants that more than one file needs, each with the uapi
 * header it comes from.  The rule for where a Linux constant is defined:
 *   - used by one file only: in that file, next to its use;
 *   - part of a family an area header already exports: in that header
 *     (open flags O_*: fs/vfs.h; sockets AF_*, SOCK_*, MSG_*, SO_*,
 *     SOMAXCONN: net/socket.h; IP and IPv6 options: net/inet_cmsg.h;
 *     signal numbers: linux/signal.h, linux/syscall.h);
 *   - otherwise, used by several files: here.
 * Only constants: any layer (fs/, net/, linux/, exec/) may include this.
 */
#ifndef LINUX_UAPI_H
#define LINUX_UAPI_H

/* Clock ids (include/uapi/linux/time.h); the CPU-time clocks of a given
 * process or thread are encoded otherwise (linux/posix-timers.h). */
#define CLOCK_REALTIME		 0
#define CLOCK_MONOTONIC		 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID	 3
#define CLOCK_MONOTONIC_RAW	 4
#define CLOCK_REALTIME_COARSE	 5
#define CLOCK_MONOTONIC_COARSE	 6
#define CLOCK_BOOTTIME		 7
#define CLOCK_REALTIME_ALARM	 8
#define CLOCK_BOOTTIME_ALARM	 9
#define CLOCK_TAI		 11
/* An absolute expiry for timer_settime, timerfd_settime, clock_nanosleep. */
#define TIMER_ABSTIME 1

/* lseek's whence (include/uapi/linux/fs.h). */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* fcntl commands (include/uapi/asm-generic/fcntl.h, linux/fcntl.h). */
#define F_GETLK	     5
#define F_SETLK	     6
#define F_SETLKW     7
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#define F_SETPIPE_SZ 1031 /* F_LINUX_SPECIFIC_BASE + 7 */
#define F_GETPIPE_SZ 1032

/* The most iovecs one readv, writev, sendmsg or recvmsg takes (UIO_MAXIOV,
 * include/uapi/linux/uio.h). */
#define IOV_MAX 1024

/* ioctls (include/uapi/asm-generic/ioctls.h) and their arguments
 * (include/uapi/asm-generic/termbits.h). */
#define TCFLSH	  0x540b
#define TIOCSPGRP 0x5410
#define FIONREAD  0x541b
/* tcflush's queue selector */
#define TCIFLUSH  0
#define TCOFLUSH  1
#define TCIOFLUSH 2
/* tcflow's actions (TCXONC) */
#define TCOOFF 0
#define TCOON  1
#define TCIOFF 2
#define TCION  3

/* eventfd2's flag (include/uapi/linux/eventfd.h). */
#define EFD_SEMAPHORE 1

/* Capabilities (include/uapi/linux/capability.h). */
#define CAP_SYS_ADMIN 21

/* Resource limits (include/uapi/asm-generic/resource.h). */
#define RLIMIT_CPU	  0
#define RLIMIT_FSIZE	  1
#define RLIMIT_DATA	  2
#define RLIMIT_STACK	  3
#define RLIMIT_CORE	  4
#define RLIMIT_RSS	  5
#define RLIMIT_NPROC	  6
#define RLIMIT_NOFILE	  7
#define RLIMIT_MEMLOCK	  8
#define RLIMIT_AS	  9
#define RLIMIT_LOCKS	  10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE	  12
#define RLIMIT_NICE	  13
#define RLIMIT_RTPRIO	  14
#define RLIMIT_RTTIME	  15
#define RLIMIT_NLIMITS	  16
#define RLIM_INFINITY	  (~0ull)

/* clock_t ticks per second, of times(2), /proc/stat, /proc/PID/stat and
 * AT_CLKTCK (include/uapi/asm-generic/param.h). */
#define USER_HZ 100

/* statfs f_type of tmpfs, and of devtmpfs too (include/uapi/linux/magic.h). */
#define TMPFS_MAGIC 0x01021994

#endif
