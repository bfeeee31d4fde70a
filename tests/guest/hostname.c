/*
 * Guest test for tests/cli/hostname.sh: sethostname and setdomainname, and
 * uname, gethostname and /proc/sys/kernel reflecting them, with Linux's
 * rules (kernel/sys.c): at most 64 bytes, a length that is an int, the rest
 * of the name zeroed, EFAULT for a bad buffer, EPERM without CAP_SYS_ADMIN.
 *
 * It changes the names of its UTS namespace: the CLI test runs it natively
 * only under `unshare --uts` (a private namespace), never in tests/run.sh's
 * plain native runs.  It puts the names back as it found them at the end
 * all the same.  The names it starts with differ between hosts and are not
 * printed.
 */
#include "guest.h"
#include <fcntl.h>
#include <sys/utsname.h>

#define UTS_NAME_MAX  64 /* __NEW_UTS_LEN */
#define CAP_VERSION_3 0x20080522
#define CAP_SYS_ADMIN 21

struct cap_header {
	unsigned version;
	int pid;
};

struct cap_data {
	unsigned effective, permitted, inheritable;
};

/* The first line of a /proc/sys/kernel file, without its newline. */
static const char *proc_line(const char *name)
{
	static char buf[128];
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return "(unreadable)";
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static void show(void)
{
	struct utsname u;
	char host[128];

	guest_check("uname", uname(&u) == 0);
	guest_check("gethostname", gethostname(host, sizeof(host)) == 0);
	printf("nodename \"%s\" (%zu), domainname \"%s\"\n", u.nodename, strlen(u.nodename),
	       u.domainname);
	guest_check("gethostname agrees", strcmp(host, u.nodename) == 0);
	guest_check("/proc/sys/kernel/hostname agrees",
		    strcmp(proc_line("hostname"), u.nodename) == 0);
	guest_check("/proc/sys/kernel/domainname agrees",
		    strcmp(proc_line("domainname"), u.domainname) == 0);
}

static long set_host(const void *name, long len)
{
	return syscall(SYS_sethostname, name, len);
}

static long set_domain(const void *name, long len)
{
	return syscall(SYS_setdomainname, name, len);
}

/* Drop or take back CAP_SYS_ADMIN from the effective set. */
static int admin(int on)
{
	struct cap_header h = { CAP_VERSION_3, 0 };
	struct cap_data d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[0].effective |= 1u << CAP_SYS_ADMIN;
	else
		d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	return (int)syscall(SYS_capset, &h, d);
}

int main(void)
{
	char longest[UTS_NAME_MAX + 2];
	struct utsname before;

	uname(&before);
	memset(longest, 'h', sizeof(longest));
	guest_check("sethostname", set_host("monos-test-host", 15) == 0);
	guest_check("setdomainname", set_domain("example.org", 11) == 0);
	show();
	guest_check("sethostname of 64 bytes", set_host(longest, UTS_NAME_MAX) == 0);
	show();
	guest_check_err("sethostname of 65 bytes", set_host(longest, UTS_NAME_MAX + 1), EINVAL);
	guest_check_err("sethostname of length -1", set_host("x", -1), EINVAL);
	guest_check_err("setdomainname of 65 bytes", set_domain(longest, UTS_NAME_MAX + 1), EINVAL);
	guest_check_err("sethostname from a bad buffer", set_host((void *)8, 5), EFAULT);
	guest_check("a shorter name zeroes the rest", set_host("short", 5) == 0);
	show();
	guest_check("only the first len bytes count", set_host("abcdef", 3) == 0);
	guest_check("a NUL inside the name ends it", set_domain("in\0side", 7) == 0);
	show();
	guest_check("an empty host name", set_host("", 0) == 0);
	show();
	guest_check("drop CAP_SYS_ADMIN", admin(0) == 0);
	guest_check_err("sethostname without it", set_host("nope", 4), EPERM);
	guest_check_err("setdomainname without it", set_domain("nope", 4), EPERM);
	guest_check("take CAP_SYS_ADMIN back", admin(1) == 0);
	guest_check("put the names back",
		    set_host(before.nodename, strlen(before.nodename)) == 0 &&
			    set_domain(before.domainname, strlen(before.domainname)) == 0);
	return guest_finish();
}
