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

/* lseek's whence (include/uapi/linux/fs.h). */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* fcntl commands (include/uapi/asm-generic/fcntl.h, linux/fcntl.h). */
#define F_GETLK	     5
#define F_SETLK	     6
#define F_SETLKW     7
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
#define RLIMIT_SIGPENDING 11

/* clock_t ticks per second, of times(2), /proc/stat, /proc/PID/stat and
 * AT_CLKTCK (include/uapi/asm-generic/param.h). */
#define USER_HZ 100

/* statfs f_type of tmpfs, and of devtmpfs too (include/uapi/linux/magic.h). */
#define TMPFS_MAGIC 0x01021994

#endif
