#!/usr/bin/env bash
# CLI test: what `monos run` packs, compared with the host.  Every path a
# user can name on the host packs as that file: on a merged-/usr host (/bin
# -> usr/bin, /bin/sh -> dash) `--file /bin/sh` and `--file /bin/dash` once
# failed (ELOOP, and a kernel that could not build the image's tree).
# The shared objects of a --file tree get their libraries (Python's _ssl
# needs libssl), a glibc program the locale -e LANG asks for, and every
# program the host's /etc/services and /etc/protocols.
. "$(dirname "$0")/lib/common.bash"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}

# mrun ARGS...: `monos run ARGS` under the guest watchdog.
mrun() {
	run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "$@"
}

sh_real=$(readlink -f /bin/sh)
mrun --file /bin/sh -- /bin/true
check "--file /bin/sh (a symlink, maybe under a symlinked /bin): status 0" status_is 0
mrun --file "$sh_real" -- /bin/true
check "--file $sh_real: status 0" status_is 0
mrun --file /bin/sh -- /bin/sh -c 'echo $((6 * 7)); test -x /bin/sh && echo runs'
check "/bin/sh runs from the image" eval '[ "$out" = "$(printf "42\nruns")" ] && status_is 0'
mrun --file /bin/sh:/opt/shell -- /bin/sh -c '[ -f /opt/shell ] && [ ! -L /opt/shell ] && echo 42'
check "--file /bin/sh:/opt/shell: the link's target, a file, at GUEST" eval '[ "$out" = 42 ]'
# compare DESC MONOS-OPTIONS... -- ENV... -- PROGRAM ARGS...: the program's
# stdout and status in monos (with -e ENV) equal its native run's (env -i).
compare() {
	local desc=$1 opts=() envs=() eopts=() want_rc
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	while [ "$1" != -- ]; do envs+=("$1"); eopts+=(-e "$1"); shift; done
	shift
	env -i "${envs[@]}" "$@" >"$scratch/want" 2>/dev/null
	want_rc=$?
	mrun "${opts[@]}" "${eopts[@]}" -- "$@"
	check "$desc: as on the host" \
		eval '[ "$rc" = "$want_rc" ] && [ -s "$scratch/want" ] && cmp -s "$scratch/want" "$scratch/out"'
	cmp -s "$scratch/want" "$scratch/out" ||
		diff "$scratch/want" "$scratch/out" | head -5 | cat -v | sed 's/^/    | /'
}

py=/usr/bin/python3
pylib=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | grep -E 'python3\.[0-9]+$' | head -1)
if [ -x "$py" ] && [ -n "$pylib" ]; then
	compare "--file $pylib: import ssl, hashlib with OpenSSL" --file "$pylib" -- -- \
		"$py" -c 'import ssl, hashlib; print(ssl.OPENSSL_VERSION, hashlib.sha256.__name__, hashlib.sha256(b"x").hexdigest())'
else
	check "python3 is installed (scripts/deps.sh)" false
fi

cat >"$scratch/hostdata.c" <<'CEOF'
#include <arpa/inet.h>
#include <langinfo.h>
#include <locale.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const char *l = setlocale(LC_ALL, "");
	struct servent *s = getservbyname("http", "tcp");
	struct protoent *p = getprotobyname("udp");

	printf("setlocale: %s\n", l ? l : "(null)");
	printf("codeset: %s, MB_CUR_MAX %d\n", nl_langinfo(CODESET), (int)MB_CUR_MAX);
	printf("characters in h\xc3\xa9llo: %d\n", (int)mbstowcs(NULL, "h\xc3\xa9llo", 0));
	printf("http/tcp: %d, udp: %d\n", s ? ntohs(s->s_port) : -1, p ? p->p_proto : -1);
	return 0;
}
CEOF
if gcc -O2 -o "$scratch/hostdata" "$scratch/hostdata.c"; then
	utf8=$(locale -a 2>/dev/null | grep -ixE 'c\.utf-?8' | head -1)
	compare "glibc, LANG=${utf8:-C.UTF-8}: the locale and /etc/services" -- \
		"LANG=${utf8:-C.UTF-8}" -- "$scratch/hostdata"
	compare "glibc, LC_ALL=C.UTF-8 over LANG=C" -- LANG=C LC_ALL=C.UTF-8 -- "$scratch/hostdata"
	compare "glibc, no locale asked for" -- -- "$scratch/hostdata"
	mrun --verbose -e LANG=C "$scratch/hostdata"
	check "LANG=C packs no locale" eval '! err_matches "packing /usr/lib/locale"'
else
	check "the glibc probe builds" false
fi
finish
