#!/usr/bin/env bash
# CLI test: `#!` scripts.  As PROGRAM a script runs through its interpreter
# with the argv Linux's execve builds (compared with the native run: blanks,
# the one optional argument, a chain of 5 scripts, the most Linux follows),
# and what cannot run is refused before boot with docker's status (127 for
# a missing interpreter or env command, 126 otherwise) naming the script and
# the interpreter.  In a --file tree, each executable script brings its
# interpreter (and env's command, found on the host's PATH, whose directory
# joins the guest's PATH) and each dynamic executable its own
# interpreter and libraries, even when PROGRAM is static; a script without
# the execute bit brings nothing.  What the image holds is listed by a
# static program in the guest.
. "$(dirname "$0")/lib/common.bash"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}
HOSTPATH=/usr/bin:/bin # the host PATH env's commands are found on
ENVS=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=monos HOME=/root)

# mrun ARGS...: `monos run ARGS` in $scratch, under the guest watchdog.
mrun() {
	run env -C "$scratch" PATH="$HOSTPATH" timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "$@"
}

# script NAME TEXT: an executable script in $scratch (TEXT through printf %b).
script() {
	printf '%b' "$2" >"$scratch/$1"
	chmod +x "$scratch/$1"
}

# compare DESC PROGRAM ARGS...: stdout and status in monos equal the native
# run's (in $scratch, with the guest's environment).
compare() {
	local desc=$1 want_rc
	shift
	(cd "$scratch" && env -i "${ENVS[@]}" "$@") >"$scratch/want" 2>/dev/null
	want_rc=$?
	mrun "$@"
	check "$desc: as on the host (status $want_rc)" \
		eval '[ "$rc" = "$want_rc" ] && [ -s "$scratch/want" ] && cmp -s "$scratch/want" "$scratch/out"'
	cmp -s "$scratch/want" "$scratch/out" ||
		diff "$scratch/want" "$scratch/out" | head -5 | cat -v | sed 's/^/    | /'
}

# The shell builtins print what the interpreter got; no other process runs.
body='echo "0=${0##*/} n=$#"; for a in "$@"; do echo "[$a]"; done; exit 7\n'
script t.sh "#!/bin/dash\n$body"
compare "#!/bin/dash as PROGRAM, by a relative path" ./t.sh "a b" "" c
script opt.sh "#!  /bin/dash  -e  \necho \"\$0 \$*\"\nfalse\necho not reached\n"
compare "#!  /bin/dash  -e  : blanks and the one argument" "$scratch/opt.sh" x

# A chain: s0 is the dash script, each s(i) names s(i-1) with an argument.
script s0 "#!/bin/dash\necho \"\$0\"; for a in \"\$@\"; do echo \"[\${a##*/}]\"; done\n"
for i in 1 2 3 4 5; do
	script "s$i" "#!$scratch/s$((i - 1)) a$i\n"
done
compare "a chain of 5 scripts" ./s4 x
mrun ./s5 x
check "6 scripts: 126, too many levels (Linux: ELOOP)" \
	eval 'status_is 126 && err_matches "s5: interpreter .*/s0: too many levels"'

script bad.sh "#!/nonexistent/sh -x\necho x\n"
mrun ./bad.sh
check "a missing interpreter: 127, naming the script and the interpreter" \
	eval 'status_is 127 && err_matches "bad.sh: interpreter /nonexistent/sh: no such file"'
script dir.sh "#!/tmp\n"
mrun ./dir.sh
check "a directory as interpreter: 126" eval 'status_is 126 && err_matches "dir.sh: interpreter /tmp: is a directory"'
script noexec.sh "#!$scratch/t.txt\n"
printf 'plain\n' >"$scratch/t.txt"
mrun ./noexec.sh
check "an interpreter without the execute bit: 126" eval 'status_is 126 && err_matches "t.txt: not executable"'
script blank.sh "#!   \necho x\n"
mrun ./blank.sh
check "a #! line with no interpreter: 126" eval 'status_is 126 && err_matches "blank.sh: malformed"'
script noenv.sh "#!/usr/bin/env monos-no-such-command\n"
mrun ./noenv.sh
check "#!/usr/bin/env of a command not on PATH: 127" \
	eval 'status_is 127 && err_matches "env cannot find .monos-no-such-command. on PATH"'

# A --file tree for a static PROGRAM: a script run by env, a dynamic
# executable of its own, a script whose interpreter the host lacks, and a
# script without the execute bit.
mkdir -p "$scratch/tree/bin"
script tree/bin/tool.py "#!/usr/bin/env python3\nprint(1)\n"
cp /usr/bin/sqlite3 "$scratch/tree/bin/db"
script tree/bin/gone.sh "#!/nonexistent/interp\n"
printf '#!/usr/bin/perl\n' >"$scratch/tree/bin/perl.pl"
script tree/bin/mine "#!/usr/bin/env mytool\n"
cat >"$scratch/lister.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
int main(int argc, char **argv)
{
	struct stat st;

	printf("PATH=%s\n", getenv("PATH"));
	for (int i = 1; i < argc; i++)
		printf("%s %s\n", argv[i], lstat(argv[i], &st) == 0 ? "packed" : "absent");
	return 0;
}
CEOF
if cc -static -O -o "$scratch/lister" "$scratch/lister.c"; then
	py=$(readlink -f /usr/bin/python3)
	mkdir "$scratch/xbin" && cp "$scratch/lister" "$scratch/xbin/mytool"
	HOSTPATH=$scratch/xbin:/usr/bin:/bin
	mrun --file "$scratch/tree" --file /bin/tar -- "$scratch/lister" /usr/bin/env /usr/bin/python3 "$py" \
		/usr/lib/x86_64-linux-gnu/libacl.so.1 /usr/lib/x86_64-linux-gnu/libpcre2-8.so.0 \
		/lib64/ld-linux-x86-64.so.2 /usr/lib/x86_64-linux-gnu/libexpat.so.1 \
		/usr/lib/x86_64-linux-gnu/libsqlite3.so.0 /usr/lib/x86_64-linux-gnu/libreadline.so.8 \
		/usr/bin/perl "$scratch/tree/bin/gone.sh" "$scratch/xbin/mytool"
	check "static PROGRAM, --file tree: status 0" status_is 0
	check "#!/usr/bin/env mytool: mytool packed where the host's PATH finds it" \
		out_has "$scratch/xbin/mytool packed"
	check "... and its directory appended to the guest's PATH" \
		out_has "PATH=${ENVS[0]#PATH=}:$scratch/xbin"
	for f in /usr/bin/env /usr/bin/python3 "$py" /lib64/ld-linux-x86-64.so.2; do
		check "the tree's script brings $f" out_has "$f packed"
	done
	check "python3's own library (libexpat) comes too" \
		out_has "/usr/lib/x86_64-linux-gnu/libexpat.so.1 packed"
	check "the tree's executable brings its libraries (libsqlite3, libreadline)" eval \
		'out_has "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0 packed" && out_has "/usr/lib/x86_64-linux-gnu/libreadline.so.8 packed"'
	check "--file of one executable (tar) brings its libraries, theirs too (libacl, libpcre2)" eval \
		'out_has "/usr/lib/x86_64-linux-gnu/libacl.so.1 packed" && out_has "/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0 packed"'
	check "a script without the execute bit brings nothing (no perl)" out_has "/usr/bin/perl absent"
	check "a script whose interpreter is missing still travels in its tree" \
		out_has "$scratch/tree/bin/gone.sh packed"
else
	check "cc -static builds the lister (libc6-dev)" false
fi

finish
