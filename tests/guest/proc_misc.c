/*
 * Guest test, area process-wide calls: getrusage, times, the sched_* policy
 * and parameter calls, sched_setaffinity, getpriority/setpriority, prctl
 * (name, dumpable, pdeathsig, no_new_privs, seccomp, capability bounding
 * set, timer slack, THP, unknown options), capget and capset, the set*id and
 * getres*id calls (root staying root), groups, and process group and session
 * queries.
 *
 * Natively it runs as root in a container-like sandbox, so it prints only
 * what both runs share: relations and error names, never ids, times or the
 * full capability masks (the sandbox may lack some capabilities).  The
 * sched_* calls are made raw: musl's wrappers answer ENOSYS by design.
 */
#include "guest.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <grp.h>

#define NAME_LEN      16 /* TASK_COMM_LEN */
#define CAP_BIT(c)    (1u << ((c) % 32))
#define CAP_WORD(c)   ((c) / 32)
#define NOT_A_PID     4194305 /* above PID_MAX_LIMIT: names no process */
#define UNKNOWN_PRCTL 9999

/* include/uapi/linux/capability.h (musl ships no linux/ headers). */
#define CAP_VERSION_3	       0x20080522
#define CAP_CHOWN	       0
#define CAP_SYS_ADMIN	       21
#define CAP_CHECKPOINT_RESTORE 40

struct cap_header {
	uint32_t version;
	int pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static void proc_rusage(void)
{
	struct rusage ru;
	struct tms t;

	guest_check("getrusage(RUSAGE_SELF)", getrusage(RUSAGE_SELF, &ru) == 0);
	guest_check("utime >= 0", ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
					  ru.ru_utime.tv_usec < 1000000);
	guest_check("maxrss > 0", ru.ru_maxrss > 0);
	guest_check("getrusage(RUSAGE_THREAD)", getrusage(RUSAGE_THREAD, &ru) == 0);
	guest_check("getrusage(RUSAGE_CHILDREN)", getrusage(RUSAGE_CHILDREN, &ru) == 0);
	guest_check("no children: no time, no rss",
		    !ru.ru_utime.tv_sec && !ru.ru_utime.tv_usec && !ru.ru_maxrss);
	guest_check_err("getrusage(7)", syscall(SYS_getrusage, 7, &ru), EINVAL);
	guest_check_err("getrusage to a bad address", syscall(SYS_getrusage, 0, (void *)8), EFAULT);
	guest_check("times", times(&t) != (clock_t)-1);
	guest_check("times: no children", t.tms_cutime == 0 && t.tms_cstime == 0);
	guest_check("times(NULL)", syscall(SYS_times, NULL) != -1);
}

static void proc_sched(void)
{
	struct sched_param sp = { .sched_priority = 7 };
	cpu_set_t set;

	printf("policy %ld\n", syscall(SYS_sched_getscheduler, 0));
	guest_check("sched_getparam", syscall(SYS_sched_getparam, 0, &sp) == 0);
	printf("priority %d\n", sp.sched_priority);
	printf("FIFO %ld..%ld, RR %ld..%ld, OTHER %ld..%ld\n",
	       syscall(SYS_sched_get_priority_min, SCHED_FIFO),
	       syscall(SYS_sched_get_priority_max, SCHED_FIFO),
	       syscall(SYS_sched_get_priority_min, SCHED_RR),
	       syscall(SYS_sched_get_priority_max, SCHED_RR),
	       syscall(SYS_sched_get_priority_min, SCHED_OTHER),
	       syscall(SYS_sched_get_priority_max, SCHED_OTHER));
	guest_check_err("priority max of policy 77", syscall(SYS_sched_get_priority_max, 77),
			EINVAL);
	guest_check_err("getscheduler(-1)", syscall(SYS_sched_getscheduler, -1), EINVAL);
	guest_check_err("getscheduler(no such pid)", syscall(SYS_sched_getscheduler, NOT_A_PID),
			ESRCH);
	guest_check_err("getparam(NULL)", syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	sp.sched_priority = 1;
	guest_check_err("SCHED_OTHER with priority 1",
			syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp), EINVAL);
	guest_check_err("setparam 1 under SCHED_OTHER", syscall(SYS_sched_setparam, 0, &sp),
			EINVAL);
	guest_check_err("policy 77", syscall(SYS_sched_setscheduler, 0, 77, &sp), EINVAL);
	sp.sched_priority = 0;
	guest_check("SCHED_BATCH", syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp) == 0);
	printf("policy now %ld\n", syscall(SYS_sched_getscheduler, 0));
	guest_check("back to SCHED_OTHER",
		    syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp) == 0);
	guest_check("setparam 0", syscall(SYS_sched_setparam, 0, &sp) == 0);

	CPU_ZERO(&set);
	guest_check_err("affinity: no CPU", sched_setaffinity(0, sizeof(set), &set), EINVAL);
	CPU_SET(0, &set);
	guest_check("affinity: CPU 0", sched_setaffinity(0, sizeof(set), &set) == 0);
	guest_check("affinity: now CPU 0 only", sched_getaffinity(0, sizeof(set), &set) == 0 &&
							CPU_ISSET(0, &set) && CPU_COUNT(&set) == 1);
}

static void proc_priority(void)
{
	errno = 0;
	printf("nice %d\n", getpriority(PRIO_PROCESS, 0));
	guest_check("setpriority 5", setpriority(PRIO_PROCESS, 0, 5) == 0);
	printf("nice now %d\n", getpriority(PRIO_PROCESS, 0));
	/* The group and the user may hold other processes natively. */
	errno = 0;
	guest_check("getpriority of the group", getpriority(PRIO_PGRP, 0) != -1 || !errno);
	guest_check("setpriority 100 clamps", setpriority(PRIO_PROCESS, 0, 100) == 0);
	printf("nice now %d\n", getpriority(PRIO_PROCESS, 0));
	guest_check("setpriority back to 0", setpriority(PRIO_PROCESS, 0, 0) == 0);
	guest_check_err("getpriority(which 9)", syscall(SYS_getpriority, 9, 0), EINVAL);
	guest_check_err("getpriority(no such pid)",
			syscall(SYS_getpriority, PRIO_PROCESS, NOT_A_PID), ESRCH);
}

static void proc_prctl(void)
{
	char name[NAME_LEN] = "";
	int sig = -1;

	guest_check("PR_GET_NAME", prctl(PR_GET_NAME, name) == 0);
	printf("name '%s'\n", name);
	guest_check("PR_SET_NAME", prctl(PR_SET_NAME, "a-rather-long-thread-name") == 0);
	prctl(PR_GET_NAME, name);
	printf("name now '%s'\n", name);
	printf("dumpable %d\n", prctl(PR_GET_DUMPABLE));
	guest_check("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0) == 0);
	printf("dumpable now %d\n", prctl(PR_GET_DUMPABLE));
	guest_check_err("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2), EINVAL);
	prctl(PR_SET_DUMPABLE, 1);
	guest_check("PR_SET_PDEATHSIG", prctl(PR_SET_PDEATHSIG, SIGTERM) == 0);
	prctl(PR_GET_PDEATHSIG, &sig);
	printf("pdeathsig %d\n", sig);
	guest_check_err("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65), EINVAL);
	printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	guest_check_err("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
	guest_check("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	printf("no_new_privs now %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("seccomp %d\n", prctl(PR_GET_SECCOMP));
	printf("bounding set has CAP_SYS_ADMIN %d, CAP_CHOWN %d\n",
	       prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN), prctl(PR_CAPBSET_READ, CAP_CHOWN));
	guest_check_err("PR_CAPBSET_READ 1000", prctl(PR_CAPBSET_READ, 1000), EINVAL);
	printf("ambient CAP_CHOWN %d\n",
	       prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	printf("timer slack %d\n", prctl(PR_GET_TIMERSLACK));
	guest_check("PR_SET_TIMERSLACK", prctl(PR_SET_TIMERSLACK, 100000) == 0);
	printf("timer slack now %d\n", prctl(PR_GET_TIMERSLACK));
	printf("THP disabled %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	printf("keepcaps %d\n", prctl(PR_GET_KEEPCAPS));
	guest_check_err("unknown option", prctl(UNKNOWN_PRCTL, 0, 0, 0, 0), EINVAL);
}

static void proc_caps(void)
{
	struct cap_header h = { CAP_VERSION_3, 0 };
	struct cap_data d[2];

	guest_check("capget v3", syscall(SYS_capget, &h, d) == 0);
	guest_check("CAP_SYS_ADMIN effective and permitted",
		    (d[CAP_WORD(CAP_SYS_ADMIN)].effective & CAP_BIT(CAP_SYS_ADMIN)) &&
			    (d[CAP_WORD(CAP_SYS_ADMIN)].permitted & CAP_BIT(CAP_SYS_ADMIN)));
	guest_check("CAP_CHECKPOINT_RESTORE (word 2) effective",
		    d[CAP_WORD(CAP_CHECKPOINT_RESTORE)].effective &
			    CAP_BIT(CAP_CHECKPOINT_RESTORE));
	printf("inheritable %x %x\n", d[0].inheritable, d[1].inheritable);
	guest_check("capset the same sets", syscall(SYS_capset, &h, d) == 0);
	d[0].permitted = d[1].permitted = 0;
	d[0].effective = CAP_BIT(CAP_CHOWN);
	guest_check_err("capset: effective outside permitted", syscall(SYS_capset, &h, d), EPERM);
	h.version = 0x12345678;
	guest_check_err("capget bad version", syscall(SYS_capget, &h, d), EINVAL);
	printf("version told: %#x\n", h.version);
	h.version = 0x12345678;
	printf("capget bad version, no data: %ld, told %#x\n", syscall(SYS_capget, &h, NULL),
	       h.version);
	h.version = CAP_VERSION_3;
	h.pid = NOT_A_PID;
	guest_check_err("capget of no such pid", syscall(SYS_capget, &h, d), ESRCH);
	guest_check_err("capset of another pid", syscall(SYS_capset, &h, d), EPERM);
}

static void proc_ids(void)
{
	uid_t r = 1, e = 1, s = 1;
	gid_t gr = 1, ge = 1, gs = 1;

	guest_check("setuid(0)", syscall(SYS_setuid, 0) == 0);
	guest_check("setgid(0)", syscall(SYS_setgid, 0) == 0);
	guest_check("setresuid(-1, 0, -1)", syscall(SYS_setresuid, -1, 0, -1) == 0);
	guest_check("setreuid(0, 0)", syscall(SYS_setreuid, 0, 0) == 0);
	guest_check("setregid(-1, 0)", syscall(SYS_setregid, -1, 0) == 0);
	guest_check_err("setuid(-1)", syscall(SYS_setuid, -1), EINVAL);
	guest_check("getresuid", getresuid(&r, &e, &s) == 0 && !r && !e && !s);
	guest_check("getresgid", getresgid(&gr, &ge, &gs) == 0 && !gr && !ge && !gs);
	printf("setfsuid(0) gives the old fsuid %ld\n", syscall(SYS_setfsuid, 0));
	guest_check("getgroups", getgroups(0, NULL) >= 0);
	guest_check("setgroups(0)", setgroups(0, NULL) == 0);
	printf("groups now %d\n", getgroups(0, NULL));
	guest_check_err("getgroups(-1)", syscall(SYS_getgroups, -1, NULL), EINVAL);
}

static void proc_session(void)
{
	guest_check("getpgid(0) == getpgrp()", getpgid(0) == getpgrp());
	/* 0 where the session leader lives outside our pid namespace (CI containers) */
	guest_check("getsid(0) >= 0", getsid(0) >= 0);
	guest_check_err("getpgid(no such pid)", getpgid(NOT_A_PID), ESRCH);
	guest_check_err("getsid(no such pid)", getsid(NOT_A_PID), ESRCH);
	guest_check_err("setpgid(0, -1)", setpgid(0, -1), EINVAL);
}

int main(void)
{
	proc_rusage();
	proc_sched();
	proc_priority();
	proc_prctl();
	proc_caps();
	proc_ids();
	proc_session();
	return guest_finish();
}
