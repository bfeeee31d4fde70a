#!/usr/bin/env bash
# CLI test: the /etc `monos run` generates (cli/rundata.c).  An image without
# /etc/passwd, group, hosts, resolv.conf, nsswitch.conf and hostname gets
# small ones (a root user, localhost, QEMU's DNS, host name "monos"), /root
# exists, and the environment has docker's PATH, HOSTNAME and HOME unless -e
# gives them; a --file of one of the files replaces the generated one.  The
# probe is a musl program: musl reads these files itself (no NSS).
. "$(dirname "$0")/lib/common.bash"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}
probe=$scratch/etcprobe
cat >"$scratch/etcprobe.c" <<'CEOF'
#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Print the first line of `path`, or "missing". */
static void first_line(const char *path)
{
	char line[256] = "missing\n";
	FILE *f = fopen(path, "r");

	if (f && !fgets(line, sizeof(line), f))
		line[0] = 0;
	printf("%s: %s", path, line);
	if (f)
		fclose(f);
}

static void host(const char *name)
{
	struct hostent *h = gethostbyname(name);
	char buf[64] = "none";

	if (h && h->h_addrtype == AF_INET)
		inet_ntop(AF_INET, h->h_addr_list[0], buf, sizeof(buf));
	printf("host %s: %s\n", name, buf);
}

int main(int argc, char **argv)
{
	struct passwd *pw = getpwuid(0);
	struct group *gr = getgrgid(0);
	struct stat st;

	printf("user 0: %s %s %s\n", pw ? pw->pw_name : "none", pw ? pw->pw_dir : "-",
	       pw ? pw->pw_shell : "-");
	printf("group 0: %s\n", gr ? gr->gr_name : "none");
	pw = getpwnam("nobody"), gr = getgrnam("nogroup");
	printf("nobody: %d, nogroup: %d\n", pw ? (int)pw->pw_uid : -1, gr ? (int)gr->gr_gid : -1);
	pw = getpwnam("www-data");
	printf("www-data: %d\n", pw ? (int)pw->pw_uid : -1);
	for (int i = 1; i < argc; i++)
		host(argv[i]);
	first_line("/etc/resolv.conf");
	first_line("/etc/hostname");
	first_line("/etc/nsswitch.conf");
	printf("/root: %s\n", stat("/root", &st) == 0 && S_ISDIR(st.st_mode) ? "dir" : "missing");
	printf("PATH=%s\nHOSTNAME=%s\nHOME=%s\n", getenv("PATH"), getenv("HOSTNAME"),
	       getenv("HOME"));
	return 0;
}
CEOF
if ! musl-gcc -static -O2 -o "$probe" "$scratch/etcprobe.c" 2>"$scratch/cc.err"; then
	cat "$scratch/cc.err"
	check "the probe builds" false
	finish
fi

run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "$probe" localhost monos
check "generated: status 0" status_is 0
check "generated: root user" out_has "user 0: root /root /bin/sh"
check "generated: root group" out_has "group 0: root"
check "generated: nobody and nogroup (nginx switches to them)" out_has "nobody: 65534, nogroup: 65534"
check "generated: www-data" out_has "www-data: 33"
check "generated: localhost" out_has "host localhost: 127.0.0.1"
check "generated: the host name resolves" out_has "host monos: 10.0.2.15"
check "generated: QEMU's DNS" out_has "/etc/resolv.conf: nameserver 10.0.2.3"
check "generated: hostname" out_has "/etc/hostname: monos"
check "generated: nsswitch.conf" out_has "/etc/nsswitch.conf: passwd: files"
check "generated: /root exists" out_has "/root: dir"
check "default PATH" out_has "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
check "default HOSTNAME" out_has "HOSTNAME=monos"
check "default HOME" out_has "HOME=/root"

# A --file wins over the generated file; the others are still generated.
printf '127.0.0.1 localhost\n10.1.2.3 special\n' >"$scratch/hosts"
printf 'app:x:0:0:app:/srv/app:/bin/false\n' >"$scratch/passwd"
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run --file "$scratch/hosts:/etc/hosts" \
	--file "$scratch/passwd:/etc/passwd" -e HOME=/srv/app -e PATH=/x "$probe" special monos
check "--file: status 0" status_is 0
check "--file /etc/hosts is used" out_has "host special: 10.1.2.3"
check "--file /etc/hosts replaces the generated one" out_has "host monos: none"
check "--file /etc/passwd is used" out_has "user 0: app /srv/app /bin/false"
check "--file: group still generated" out_has "group 0: root"
check "-e HOME wins" out_has "HOME=/srv/app"
check "-e PATH wins" out_has "PATH=/x"
check "-e: HOSTNAME still defaulted" out_has "HOSTNAME=monos"
finish
