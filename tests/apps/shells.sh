# bash, dash and busybox sh from Debian, unmodified, running scripts that
# fork and exec: pipelines, command substitution, subshells, background jobs
# and wait, traps (EXIT, INT, TERM, CHLD), signals to children and their
# wait statuses, here-documents, set -e, redirections of numbered fds;
# bash's process substitution, coproc and wait -n; an entrypoint script
# (`exec "$@"` after setup) run as PROGRAM.  The tools a script runs are
# packed with --file, each bringing its libraries.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /bin/bash
need /bin/dash
need /bin/busybox

tools=()
for t in /bin/sh /bin/dash /usr/bin/tr /usr/bin/sort /usr/bin/head /usr/bin/sleep /usr/bin/cat \
	/usr/bin/wc /usr/bin/diff /usr/bin/timeout /usr/bin/xargs /usr/bin/env /usr/bin/sed; do
	tools+=(--file "$t")
done

# What every POSIX shell runs the same (bash, dash, busybox sh).
cat >"$scratch/posix.sh" <<'EOF'
echo start
x=$(echo hello | tr a-z A-Z)
echo "substitution: $x, nested $(echo $(echo deep))"
echo one two three | tr ' ' '\n' | sort -r | head -n 2
false | true; echo "pipeline status $?"
printf '3 c\n1 a\n2 b\n' | sort | while read n w; do echo "row $n=$w"; done
(echo in a subshell; exit 3) || echo "subshell status $?"
(trap 'echo subshell EXIT trap' EXIT; echo in another)
v=$( (echo a; echo b) | wc -l); echo "lines: $v"
sleep 0.05 & p1=$!
(echo background job; exit 5) >/tmp/shells_bg.out & p2=$!
wait $p1; echo "wait p1: $?"
wait $p2; echo "wait p2: $?"
cat /tmp/shells_bg.out
for i in 1 2 3 4; do (exit $i) & done; wait; echo "all waited"
sleep 10 & p=$!
kill -TERM $p; wait $p; echo "killed sleep: $?"
sh -c 'kill -KILL $$'; echo "killed itself: $?"
sh -c 'exit 7'; echo "sh -c exit 7: $?"
sh -c 'trap "echo child INT trap; exit 9" INT; kill -INT $$; sleep 5'; echo "child INT: $?"
exec 3>/tmp/shells_fd3; echo "through fd 3" >&3; exec 3>&-; cat /tmp/shells_fd3
cat <<HERE
here-document with $x
HERE
timeout 0.2 sleep 5; echo "timeout: $?"
printf '%s\n' 1 2 3 4 5 6 | xargs -P 3 -n 1 sh -c 'echo $(($1 * 10))' x | sort -n | tr '\n' ' '; echo
env FOO=bar sh -c 'echo "env: $FOO"'
trap 'echo TERM trap' TERM; kill -TERM $$; echo after TERM
trap 'echo INT trap' INT; kill -INT $$; echo after INT
trap 'echo EXIT trap' EXIT
set -e
(false; echo "set -e is off left of ||") || echo "never printed"
echo "set -e: next"
false
echo not reached either
EOF
for sh in /bin/dash /bin/bash "/bin/busybox sh"; do
	# shellcheck disable=SC2086 # "busybox sh" is two words
	app_compare "$sh: pipelines, substitution, jobs, wait, traps, set -e" "${tools[@]}" \
		--file "$scratch/posix.sh" -- $sh "$scratch/posix.sh"
done

# busybox alone: its sh runs its own applets (tr, wc, ls, seq, xargs, sleep)
# in child processes, nothing else packed.
app_compare "busybox sh with its applets only" -- /bin/busybox sh -c \
	'echo hello world | tr a-z A-Z | wc -c; ls /proc/self/ >/dev/null && echo ls; seq 3 | xargs echo
	(sleep 0.1; echo subshell) & wait; echo $(($(echo 5) + 1))'

# bash's own: process substitution (/dev/fd/63), coproc, wait -n, CHLD
# traps, job control (set -m, fg, a job stopped and continued).
cat >"$scratch/bash.sh" <<'EOF'
echo "process substitution: $(cat <(echo through /dev/fd))"
diff <(printf 'a\nb\n') <(printf 'a\nc\n'); echo "diff: $?"
coproc UP { tr a-z A-Z; }
echo "coproc data" >&"${UP[1]}"; exec {UP[1]}>&-
read -r line <&"${UP[0]}"; echo "coproc: $line"; wait $UP_PID; echo "coproc status $?"
sleep 2 & (exit 4) &
wait -n; echo "wait -n: $?"
kill %1; wait
n=0; trap 'n=$((n + 1))' CHLD
(true) & (true) & wait
trap - CHLD
echo "CHLD traps ran: $((n >= 1))"
[ "$BASHPID" = "$$" ] && echo "BASHPID is \$\$"; ( [ "$BASHPID" != "$$" ] && echo "BASHPID differs in a subshell" )
ulimit -n 256; sh -c 'ulimit -n'
set -m # job control: each job its own group, stopped and continued
sleep 0.1 & fg %+ >/dev/null; echo "fg: $?"
(kill -STOP $BASHPID; echo "resumed") &
until jobs -s >/tmp/shells_jobs && [ -s /tmp/shells_jobs ]; do sleep 0.05; done
jobs -s | sed 's/^\[[0-9]*\]/[N]/'
kill -CONT %+; wait %+; echo "after SIGCONT: $?"
EOF
app_compare "bash: process substitution, coproc, wait -n, CHLD trap, job control" "${tools[@]}" \
	--file "$scratch/bash.sh" -- /bin/bash "$scratch/bash.sh"

# An entrypoint: setup, then exec "$@" (the command replaces the shell).
cat >"$scratch/entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
mkdir -p /tmp/shells_app
echo "configured" >/tmp/shells_app/state
export APP_STATE="$(cat /tmp/shells_app/state)"
exec "$@"
EOF
chmod +x "$scratch/entrypoint.sh"
app_compare "entrypoint script as PROGRAM: exec \"\$@\"" "${tools[@]}" --file /usr/bin/mkdir -- \
	"$scratch/entrypoint.sh" /bin/sh -c 'echo "state: $APP_STATE, args: $*"; exit 3' x a b
rm -rf /tmp/shells_bg.out /tmp/shells_fd3 /tmp/shells_app /tmp/shells_jobs # the native runs' files
finish
