#!/usr/bin/env bash
# Figure 18, the OCI runtime (issue 10): wall time of `podman run --rm
# IMAGE true` with build/monos-runtime against runc, runs interleaved in one
# session (one with runc, one with monos-runtime, RUNS times).  The image is
# a tarball of Debian's static busybox, `podman import`ed, as in
# tests/cli/oci_podman.sh; the first run of each runtime is a warm-up (the
# host's page cache, podman's storage), not counted.  Wall time is
# microseconds from bench_time_once (bench/lib.sh), shown in milliseconds.
# Needs root and podman with runc (scripts/deps.sh).
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/oci.sh [RUNS]   (default 10)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

RUNS=${1:-10}
RT=$PWD/$BUILD/monos-runtime
RUNC=$(command -v runc) || bench_die "runc is not installed (scripts/deps.sh)"
command -v podman >/dev/null || bench_die "podman is not installed (scripts/deps.sh)"
[ "$(id -u)" = 0 ] || bench_die "podman's rootful mode is needed"
[ -x "$RT" ] || bench_die "$RT is missing (make)"
image=localhost/monos-bench-busybox:oci
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-oci.XXXXXX")
trap 'podman rmi -f "$image" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
export BENCH_TMP=$tmp
mkdir -p "$tmp/img/bin"
cp /bin/busybox "$tmp/img/bin/busybox"
ln -s busybox "$tmp/img/bin/true"
tar -C "$tmp/img" -cf "$tmp/img.tar" .
podman import -q "$tmp/img.tar" "$image" >/dev/null || bench_die "podman import failed"
# podman's default ulimits are above this machine's limits (docs/oci.md).
ulimits=(--ulimit "nofile=1024:1024" --ulimit "nproc=1024:1024")

# one RUNTIME FILE: one timed `podman run --rm`, its wall microseconds
# appended to FILE; a failed run stops the benchmark.
one() {
	local wall cpu
	bench_time_once podman run --rm "${ulimits[@]}" --runtime "$1" "$image" /bin/true >"$tmp/t"
	read -r wall cpu <"$tmp/t"
	[ "$BENCH_LAST_STATUS" -eq 0 ] || bench_die "podman run --runtime $1 failed ($BENCH_LAST_STATUS)"
	[ -n "$2" ] && echo "$wall" >>"$2"
}
one "$RUNC" ""
one "$RT" ""
for _ in $(seq "$RUNS"); do
	one "$RUNC" "$tmp/runc"
	one "$RT" "$tmp/monos"
done
read -r rm rmin rmax rn < <(bench_stats <"$tmp/runc")
read -r mm mmin mmax mn < <(bench_stats <"$tmp/monos")
ms() { awk -v u="$1" 'BEGIN { printf "%.0f", u / 1000 }'; }
cat <<EOF
## 18. The OCI runtime: podman run --rm IMAGE true

\`bench/oci.sh $RUNS\`: \`podman run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
--runtime RUNTIME $image /bin/true\` (a static busybox image), wall time, runs interleaved,
one warm-up each not counted.  Median (min-max) milliseconds, $rn runs each.

| runtime | podman run --rm IMAGE true (ms) |
|---|---|
| runc $(runc --version | awk 'NR == 1 { print $3 }') | $(ms "$rm") ($(ms "$rmin")-$(ms "$rmax")) |
| monos-runtime | $(ms "$mm") ($(ms "$mmin")-$(ms "$mmax")) |

Host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
[ -n "${BENCH_SUMMARY:-}" ] &&
	echo "oci: podman run --rm true, monos-runtime $(ms "$mm") ms, runc $(ms "$rm") ms (median)" >>"$BENCH_SUMMARY"
exit 0
