#!/usr/bin/env bash
# Figure 19b, exec into a running instance: wall time of `monos exec NAME
# true` (a static busybox in a `monos run -d` instance) against `podman
# exec` into a running container under runc and under build/monos-runtime,
# runs interleaved in one session (one of each, RUNS times), one warm-up
# each not counted.  Wall time is microseconds from bench_time_once
# (bench/lib.sh), shown in milliseconds.  The podman rows need root and
# podman with runc (scripts/deps.sh); without them they are left out.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/exec.sh [RUNS]   (default 10)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

RUNS=${1:-10}
MONOS=$PWD/$BUILD/monos
RT=$PWD/$BUILD/monos-runtime
[ -x "$MONOS" ] || bench_die "$MONOS is missing (make)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-exec.XXXXXX")
export BENCH_TMP=$tmp XDG_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$XDG_RUNTIME_DIR"
image=localhost/monos-bench-exec:oci
podman=false
if command -v podman >/dev/null && command -v runc >/dev/null && [ "$(id -u)" = 0 ]; then
	podman=true
fi
cleanup() {
	"$MONOS" rm -f bench-exec >/dev/null 2>&1
	if $podman; then
		podman rm -f -t 0 bench-exec-runc bench-exec-monos >/dev/null 2>&1
		podman rmi -f "$image" >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
"$MONOS" run -d --name bench-exec /bin/busybox sleep 100000 >/dev/null ||
	bench_die "monos run -d failed"
if $podman; then
	mkdir -p "$tmp/img/bin"
	cp /bin/busybox "$tmp/img/bin/busybox"
	ln -s busybox "$tmp/img/bin/true"
	ln -s busybox "$tmp/img/bin/sleep"
	tar -C "$tmp/img" -cf "$tmp/img.tar" .
	podman import -q "$tmp/img.tar" "$image" >/dev/null || bench_die "podman import failed"
	ulimits=(--ulimit "nofile=1024:1024" --ulimit "nproc=1024:1024")
	podman run -d --name bench-exec-runc "${ulimits[@]}" --runtime "$(command -v runc)" \
		"$image" sleep 100000 >/dev/null || bench_die "podman run under runc failed"
	podman run -d --name bench-exec-monos "${ulimits[@]}" --runtime "$RT" \
		"$image" sleep 100000 >/dev/null || bench_die "podman run under monos-runtime failed"
fi

# one FILE CMD...: one timed CMD, its wall microseconds appended to FILE
# ("" : a warm-up); a failure stops the benchmark.
one() {
	local file=$1 wall cpu
	shift
	bench_time_once "$@" >"$tmp/t"
	read -r wall cpu <"$tmp/t"
	[ "$BENCH_LAST_STATUS" -eq 0 ] || bench_die "$* failed ($BENCH_LAST_STATUS)"
	[ -n "$file" ] && echo "$wall" >>"$file"
}
rounds() { # FILE-PREFIX: a warm-up, then RUNS interleaved rounds
	for n in warm $(seq "$RUNS"); do
		local f=$1
		[ "$n" = warm ] && f=""
		one "${f:+$f.monos}" "$MONOS" exec bench-exec /bin/busybox true
		if $podman; then
			one "${f:+$f.prunc}" podman exec bench-exec-runc /bin/true
			one "${f:+$f.pmonos}" podman exec bench-exec-monos /bin/true
		fi
	done
}
rounds "$tmp/w"
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
row() { # LABEL FILE
	local m mn mx n
	read -r m mn mx n < <(bench_stats <"$2")
	echo "| $1 | $(ms "$m") ($(ms "$mn")-$(ms "$mx")) |"
	[ "$2" = "$tmp/w.monos" ] && monos_median=$(ms "$m")
}
cat <<EOF
### 19b. exec into a running instance

\`bench/exec.sh $RUNS\`: wall time of one exec of \`true\` (static busybox) into a running
instance or container, runs interleaved, one warm-up each not counted.  Median (min-max)
milliseconds, $RUNS runs each.

| exec | wall (ms) |
|---|---|
$(row "monos exec NAME /bin/busybox true" "$tmp/w.monos")
EOF
if $podman; then
	row "podman exec (runc $(runc --version | awk 'NR == 1 { print $3 }')) CTR /bin/true" "$tmp/w.prunc"
	row "podman exec (monos-runtime) CTR /bin/true" "$tmp/w.pmonos"
fi
echo
echo "Host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
[ -n "${BENCH_SUMMARY:-}" ] &&
	echo "exec: monos exec NAME true $(ms "$(bench_stats <"$tmp/w.monos" | cut -d' ' -f1)") ms (median)" >>"$BENCH_SUMMARY"
exit 0
