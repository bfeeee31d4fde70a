/*
 * Guest test, area credentials: the set*id family with Linux's rules and
 * capability changes, supplementary groups, capget/capset, and the file
 * permission checks a non-root user meets: search permission in lookups,
 * open by mode, creating and removing in a directory (the sticky bit),
 * chmod/chown/utimes/truncate as a non-owner, access(2) with the real ids
 * and AT_EACCESS, chdir, owners of new files (a set-group-ID directory),
 * /proc/self/status, and the capabilities behind hard limits, nice and
 * the clock.
 *
 * It starts as root (natively, CI's root may lack some capabilities: only
 * changes relative to the starting sets are printed), works in a fresh
 * mkdtemp directory under /tmp, becomes uid 1000 with the saved uid kept 0
 * so that it can come back, cleans up, and ends by dropping root for good.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#define USER  1000
#define GROUP 1000
#define SUPP  1500 /* a supplementary group of the user */
#define OTHER 2000 /* another supplementary group */

#define CAP_V3	    0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */
#define CAP_SETUID_ 7
#define CAP_CHOWN_  0
/* CAP_CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID,
 * LINUX_IMMUTABLE, MKNOD, MAC_OVERRIDE: what an fsuid of 0 brings (Linux's
 * CAP_FS_SET) */
#define FS_CAPS 0x10800021full

struct caps {
	uint64_t eff, prm, inh;
};

static struct caps get_caps(void)
{
	struct {
		uint32_t version;
		int pid;
	} h = { CAP_V3, 0 };
	struct {
		uint32_t eff, prm, inh;
	} d[2] = { 0 };
	struct caps c = { 0 };

	if (syscall(SYS_capget, &h, d))
		printf("BAD capget -> %s\n", guest_errname(errno)), guest_bad++;
	c.eff = d[0].eff | (uint64_t)d[1].eff << 32;
	c.prm = d[0].prm | (uint64_t)d[1].prm << 32;
	c.inh = d[0].inh | (uint64_t)d[1].inh << 32;
	return c;
}

static long set_caps(struct caps c)
{
	struct {
		uint32_t version;
		int pid;
	} h = { CAP_V3, 0 };
	struct {
		uint32_t eff, prm, inh;
	} d[2] = { { c.eff, c.prm, c.inh }, { c.eff >> 32, c.prm >> 32, c.inh >> 32 } };

	return syscall(SYS_capset, &h, d);
}

/* The ids through the raw calls (libc's may cache nothing, but be plain). */
static void show_ids(const char *when)
{
	unsigned r, e, s, gr, ge, gs;
	gid_t g[8];
	int n;

	syscall(SYS_getresuid, &r, &e, &s);
	syscall(SYS_getresgid, &gr, &ge, &gs);
	n = getgroups(8, g);
	printf("%s: uid %u %u %u fsuid %ld gid %u %u %u fsgid %ld groups", when, r, e, s,
	       syscall(SYS_setfsuid, -1), gr, ge, gs, syscall(SYS_setfsgid, -1));
	for (int i = 0; i < n; i++)
		printf(" %u", (unsigned)g[i]);
	printf("\n");
}

/* open(2)'s outcome only: the descriptor is closed at once. */
static long try_open(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static void owner_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		printf("%s: %s\n", path, guest_errname(errno));
	else
		printf("%s: owner %u:%u mode %o\n", path, (unsigned)st.st_uid, (unsigned)st.st_gid,
		       (unsigned)st.st_mode & 07777);
}

/* The Uid: and Gid: lines of /proc/self/status. */
static void status_ids(void)
{
	char buf[4096], *p;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
		if (!strncmp(p, "Uid:", 4) || !strncmp(p, "Gid:", 4) || !strncmp(p, "Groups:", 7))
			printf("status %s\n", p);
}

/* A listening AF_UNIX socket at `path` (its file is 0755 with umask 022). */
static int listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1))
		printf("BAD listener %s: %s\n", path, guest_errname(errno)), guest_bad++;
	return fd;
}

static long try_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	long r;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return r;
}

/* As root: the files the user will meet. */
static void make_tree(void)
{
	int fd = open("rootfile", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "root's\n", 7) != 7)
		printf("BAD rootfile\n"), guest_bad++;
	close(fd);
	guest_check("secret", !close(open("secret", O_CREAT | O_WRONLY, 0600)));
	guest_check("exe", !close(open("exe", O_CREAT | O_WRONLY, 0755)));
	guest_check("noexec", !close(open("noexec", O_CREAT | O_WRONLY, 0744)));
	guest_check("private", !mkdir("private", 0700));
	guest_check("private/f", !close(open("private/f", O_CREAT | O_WRONLY, 0644)));
	guest_check("sticky", !mkdir("sticky", 0777) && !chmod("sticky", 01777));
	guest_check("sticky/rootowned", !close(open("sticky/rootowned", O_CREAT | O_WRONLY, 0666)));
	guest_check("sticky/rootdir", !mkdir("sticky/rootdir", 0777));
	guest_check("grpdir",
		    !mkdir("grpdir", 0770) && !chown("grpdir", 0, SUPP) && !chmod("grpdir", 0770));
	guest_check("sgid",
		    !mkdir("sgid", 0775) && !chown("sgid", 0, SUPP) && !chmod("sgid", 02775));
	guest_check("otherdir", !mkdir("otherdir", 0770) && !chown("otherdir", 0, 4242));
}

/* What user 1000 may and may not do with root's files. */
static void as_user_files(void)
{
	struct timeval tv[2] = { { 1, 0 }, { 2, 0 } };

	guest_check_err("open rootfile read", try_open("rootfile", O_RDONLY), 0);
	guest_check_err("open rootfile write", try_open("rootfile", O_WRONLY), EACCES);
	guest_check_err("open rootfile trunc", try_open("rootfile", O_RDONLY | O_TRUNC), EACCES);
	guest_check_err("open secret", try_open("secret", O_RDONLY), EACCES);
	guest_check_err("open secret path", try_open("secret", O_PATH), 0);
	guest_check_err("creat in root's dir", try_open("new", O_CREAT | O_WRONLY), EACCES);
	guest_check_err("creat existing in root's dir", try_open("rootfile", O_CREAT | O_RDONLY),
			0);
	guest_check_err("mkdir in root's dir", mkdir("newdir", 0755), EACCES);
	guest_check_err("unlink in root's dir", unlink("rootfile"), EACCES);
	guest_check_err("rename in root's dir", rename("rootfile", "x"), EACCES);
	guest_check_err("symlink in root's dir", symlink("rootfile", "sl"), EACCES);
	guest_check_err("stat in private", access("private/f", F_OK), EACCES);
	guest_check_err("missing in private", access("private/none", F_OK), EACCES);
	guest_check_err("open private", try_open("private", O_RDONLY | O_DIRECTORY), EACCES);
	guest_check_err("mkdir in private", mkdir("private/d", 0755), EACCES);
	guest_check_err("unlink in private", unlink("private/f"), EACCES);
	guest_check_err("chdir private", chdir("private"), EACCES);
	guest_check_err("chmod rootfile", chmod("rootfile", 0666), EPERM);
	guest_check_err("chown rootfile", chown("rootfile", USER, GROUP), EPERM);
	guest_check_err("utimes now rootfile", utimes("rootfile", NULL), EACCES);
	guest_check_err("utimes rootfile", utimes("rootfile", tv), EPERM);
	guest_check_err("truncate rootfile", truncate("rootfile", 0), EACCES);
	guest_check_err("access rootfile R", access("rootfile", R_OK), 0);
	guest_check_err("access rootfile W", access("rootfile", W_OK), EACCES);
	guest_check_err("access exe X", access("exe", X_OK), 0);
	guest_check_err("access noexec X", access("noexec", X_OK), EACCES);
	guest_check_err("access private RX", access("private", R_OK | X_OK), EACCES);
	guest_check_err("eaccess rootfile W", faccessat(AT_FDCWD, "rootfile", W_OK, AT_EACCESS),
			EACCES);
	guest_check_err("otherdir", try_open("otherdir/x", O_CREAT | O_WRONLY), EACCES);
	guest_check_err("connect to root's 0755 socket", try_connect("sock"), EACCES);
	/* What Linux reports before the permission: the entry's existence. */
	guest_check_err("O_EXCL on root's file", try_open("rootfile", O_CREAT | O_EXCL | O_WRONLY),
			EEXIST);
	guest_check_err("mkdir over root's file", mkdir("rootfile", 0755), EEXIST);
	guest_check_err("unlink a missing name", unlink("missing"), ENOENT);
	guest_check_err("rmdir a missing name", rmdir("missing"), ENOENT);
	guest_check_err("O_DIRECTORY on root's 0600 file",
			try_open("secret", O_RDONLY | O_DIRECTORY), ENOTDIR);
	guest_check_err("write to root's dir", try_open("private", O_WRONLY), EISDIR);
}

/* Creating and removing where the user may: the sticky directory, a
 * directory of one of its groups, a set-group-ID one. */
static void as_user_create(void)
{
	int fd;

	guest_check_err("creat in sticky", try_open("sticky/mine", O_CREAT | O_WRONLY), 0);
	owner_of("sticky/mine");
	fd = open("sticky/zero", O_CREAT | O_RDWR, 0);
	guest_check("creat mode 0 read-write", fd >= 0);
	close(fd);
	guest_check_err("reopen mode 0", try_open("sticky/zero", O_RDONLY), EACCES);
	guest_check_err("chmod own", chmod("sticky/zero", 0640), 0);
	guest_check_err("chmod own setgid", chmod("sticky/zero", 02640), 0);
	owner_of("sticky/zero"); /* group 1000 is the user's: the bit stays */
	guest_check_err("chown own to a group of its own", chown("sticky/zero", -1, SUPP), 0);
	guest_check_err("chmod setgid, group not fsgid", chmod("sticky/zero", 02640), 0);
	owner_of("sticky/zero");
	guest_check_err("chown own to another group", chown("sticky/zero", -1, 4242), EPERM);
	guest_check_err("chown own to another user", chown("sticky/zero", 0, -1), EPERM);
	guest_check_err("chown own to itself", chown("sticky/zero", USER, -1), 0);
	guest_check_err("utimes own", utimes("sticky/zero", NULL), 0);
	guest_check_err("link own", link("sticky/mine", "sticky/mine2"), 0);
	guest_check_err("unlink root's in sticky", unlink("sticky/rootowned"), EPERM);
	guest_check_err("rename root's in sticky", rename("sticky/rootowned", "sticky/r2"), EPERM);
	guest_check_err("rename over root's in sticky", rename("sticky/mine2", "sticky/rootowned"),
			EPERM);
	guest_check_err("rmdir root's in sticky", rmdir("sticky/rootdir"), EPERM);
	guest_check_err("rename out of sticky", rename("sticky/mine2", "mine2"), EACCES);
	guest_check_err("unlink own in sticky", unlink("sticky/mine2"), 0);
	guest_check_err("creat in group dir", try_open("grpdir/f", O_CREAT | O_WRONLY), 0);
	owner_of("grpdir/f");
	guest_check_err("creat in setgid dir", try_open("sgid/f", O_CREAT | O_WRONLY), 0);
	owner_of("sgid/f");
	guest_check_err("mkdir in setgid dir", mkdir("sgid/d", 0755), 0);
	owner_of("sgid/d");
	/* Moving a directory to another parent rewrites its "..": write
	 * permission on it too. */
	guest_check_err("mkdir in sticky", mkdir("sticky/mydir", 0555), 0);
	guest_check_err("move own 0555 dir to another parent", rename("sticky/mydir", "grpdir/d"),
			EACCES);
	guest_check_err("rename own 0555 dir in place", rename("sticky/mydir", "sticky/mydir2"), 0);
	guest_check_err("chmod own dir", chmod("sticky/mydir2", 0755), 0);
	guest_check_err("move own dir to another parent", rename("sticky/mydir2", "grpdir/d"), 0);
	guest_check_err("rmdir own dir", rmdir("grpdir/d"), 0);
}

/* Limits, priorities and the clock (root set RLIMIT_MSGQUEUE to 100/200). */
static void as_user_limits(void)
{
	struct rlimit up = { 100, 300 }, down = { 100, 150 };
	int nice = getpriority(PRIO_PROCESS, 0);

	guest_check_err("raise a hard limit", setrlimit(RLIMIT_MSGQUEUE, &up), EPERM);
	guest_check_err("lower a hard limit", setrlimit(RLIMIT_MSGQUEUE, &down), 0);
	guest_check_err("lower nice", setpriority(PRIO_PROCESS, 0, nice - 1), EACCES);
	guest_check_err("raise nice", setpriority(PRIO_PROCESS, 0, nice + 1), 0);
	guest_check_err("settimeofday", syscall(SYS_settimeofday, NULL, NULL), EPERM);
}

/* Pipes, sockets and memfds belong to their creator's fs ids. */
static void fd_owners(void)
{
	int p[2] = { -1, -1 }, s = socket(AF_UNIX, SOCK_STREAM, 0);
	int m = syscall(SYS_memfd_create, "m", 0);
	int fds[3] = { s, m, -1 };
	struct stat st;

	guest_check("pipe", !pipe(p));
	fds[2] = p[0];
	for (int i = 0; i < 3; i++) {
		if (fstat(fds[i], &st))
			printf("BAD fstat: %s\n", guest_errname(errno)), guest_bad++;
		else
			printf("%s: owner %u:%u\n",
			       i == 0	? "socket"
			       : i == 1 ? "memfd"
					: "pipe",
			       (unsigned)st.st_uid, (unsigned)st.st_gid);
		close(fds[i]);
	}
	close(p[1]);
}

/* The set*id rules for a user whose saved uid is still 0. */
static void as_user_ids(void)
{
	struct caps c = get_caps();
	DIR *d;

	guest_check("no effective capabilities", c.eff == 0);
	guest_check_err("setuid 5", setuid(5), EPERM);
	guest_check_err("setresuid 5", setresuid(-1, 5, -1), EPERM);
	guest_check_err("setgroups", setgroups(0, NULL), EPERM);
	guest_check_err("setgid 7", setgid(7), EPERM);
	guest_check("setfsuid 5 refused",
		    syscall(SYS_setfsuid, 5) == USER && syscall(SYS_setfsuid, -1) == USER);
	guest_check("setfsuid 0 (saved)",
		    syscall(SYS_setfsuid, 0) == USER && syscall(SYS_setfsuid, -1) == 0);
	/* fsuid 0 raises the file capabilities of the permitted set. */
	guest_check("fsuid 0: file capabilities", get_caps().eff == (c.prm & FS_CAPS));
	guest_check_err("open secret, fsuid 0", try_open("secret", O_RDONLY), 0);
	syscall(SYS_setfsuid, USER);
	guest_check("fsuid 1000: none again", get_caps().eff == 0);
	as_user_limits();
	fd_owners();
	status_ids();
	d = opendir("/proc/self/fd");
	guest_check("list /proc/self/fd", d != NULL);
	if (d)
		closedir(d);
}

/* Real and effective ids apart: access(2) asks with the real ones. */
static void real_vs_effective(void)
{
	guest_check_err("setresuid 1000 0 0", setresuid(USER, 0, 0), 0);
	guest_check_err("access secret as real 1000", access("secret", R_OK), EACCES);
	guest_check_err("eaccess secret as root", faccessat(AT_FDCWD, "secret", R_OK, AT_EACCESS),
			0);
	guest_check_err("open secret as euid 0", try_open("secret", O_RDONLY), 0);
	guest_check_err("setreuid back", setreuid(0, 0), 0);
}

static void cleanup(void)
{
	const char *files[] = { "rootfile",    "secret",      "exe",
				"noexec",      "private/f",   "sticky/rootowned",
				"sticky/mine", "sticky/zero", "grpdir/f",
				"sgid/f" };
	const char *dirs[] = { "private", "sticky/rootdir", "sticky",  "grpdir",
			       "sgid/d",  "sgid",	    "otherdir" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlink(files[i]))
			printf("BAD unlink %s: %s\n", files[i], guest_errname(errno)), guest_bad++;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (rmdir(dirs[i]))
			printf("BAD rmdir %s: %s\n", dirs[i], guest_errname(errno)), guest_bad++;
}

/* KEEP_CAPS, capset, and a drop for good. */
static void drop_for_good(struct caps start)
{
	struct caps c;

	guest_check_err("keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	guest_check_err("setresuid all 1000, keepcaps", setresuid(USER, USER, USER), 0);
	c = get_caps();
	guest_check("keepcaps: permitted kept, effective empty", c.prm == start.prm && !c.eff);
	c.eff = 1ull << CAP_SETUID_;
	c.prm = start.prm & ~(1ull << CAP_CHOWN_);
	guest_check_err("capset: effective setuid, permitted less chown", set_caps(c), 0);
	c.prm = start.prm;
	guest_check_err("capset: chown back", set_caps(c), EPERM);
	c.prm = start.prm & ~(1ull << CAP_CHOWN_);
	c.eff = c.prm | (1ull << CAP_CHOWN_);
	guest_check_err("capset: effective beyond permitted", set_caps(c), EPERM);
	guest_check_err("setresuid 0 with CAP_SETUID", setresuid(0, 0, 0), 0);
	guest_check("root again: effective = permitted",
		    get_caps().eff == (start.prm & ~(1ull << CAP_CHOWN_)));
	guest_check_err("keepcaps off", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), 0);
	guest_check_err("setuid 1000", setuid(USER), 0);
	show_ids("dropped");
	c = get_caps();
	guest_check("dropped: no capabilities", !c.eff && !c.prm);
	guest_check_err("setuid 0 after the drop", setuid(0), EPERM);
	guest_check_err("seteuid 0 after the drop", seteuid(0), EPERM);
}

int main(void)
{
	char dir[] = "/tmp/credsXXXXXX";
	const gid_t groups[] = { OTHER, SUPP };
	struct caps start = get_caps();
	int nice, sock;

	umask(022);
	if (!mkdtemp(dir) || chmod(dir, 0755) || chdir(dir)) {
		printf("BAD workdir: %s\n", guest_errname(errno));
		return 1;
	}
	make_tree();
	sock = listener("sock");
	nice = getpriority(PRIO_PROCESS, 0);
	guest_check_err("limit for the user",
			setrlimit(RLIMIT_MSGQUEUE, &(struct rlimit){ 100, 200 }), 0);
	guest_check_err("setgroups", setgroups(2, groups), 0);
	guest_check_err("setresgid", setresgid(GROUP, GROUP, 0), 0);
	guest_check_err("setresuid", setresuid(USER, USER, 0), 0);
	show_ids("user");
	guest_check("permitted kept (saved uid 0)", get_caps().prm == start.prm);
	as_user_files();
	as_user_create();
	as_user_ids();
	guest_check_err("back to root", setresuid(0, 0, 0), 0);
	guest_check("root: effective = permitted", get_caps().eff == start.prm);
	guest_check_err("gid back", setresgid(0, 0, 0), 0);
	guest_check_err("nice back", setpriority(PRIO_PROCESS, 0, nice), 0);
	show_ids("root");
	real_vs_effective();
	guest_check_err("connect as root", try_connect("sock"), 0);
	close(sock);
	guest_check_err("unlink sock", unlink("sock"), 0);
	cleanup();
	guest_check_err("rmdir workdir", chdir("/") || rmdir(dir), 0);
	drop_for_good(start);
	return guest_finish();
}
