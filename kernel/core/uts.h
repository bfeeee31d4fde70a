/*
 * The system's names, as uname reports them (Linux's struct new_utsname):
 * one set per instance, the instance being monos' one UTS namespace.  The
 * host name and domain name change through sethostname and setdomainname
 * (linux/sys_misc.c) and show in /proc/sys/kernel (fs/procfs.c).  Each is a
 * NUL-terminated string of at most UTS_NAME_MAX bytes.  Syscall context,
 * under the kernel's one lock.
 */
#ifndef CORE_UTS_H
#define CORE_UTS_H

#define UTS_NAME_MAX 64 /* __NEW_UTS_LEN (include/uapi/linux/utsname.h) */
#define UTS_LEN	     (UTS_NAME_MAX + 1)

extern char uts_nodename[UTS_LEN];   /* starts as "monos" */
extern char uts_domainname[UTS_LEN]; /* starts as "(none)", Linux's default */

#endif
