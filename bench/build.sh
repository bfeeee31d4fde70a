#!/usr/bin/env bash
# Image builds (issue 11): `monos build` wall time for hello, redis and
# python3 (its standard library as a files tree), the image's size, and what
# the store saves at run time: `monos run -f` packs the tree on every run,
# `monos run IMAGE` copies the stored tree (checking its digest).
# Each build runs in a fresh store (a cold build: nothing stored yet).
# Prints a markdown section on stdout.
#
# Usage: bench/build.sh [ROUNDS]    (default 5)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

ROUNDS=${1:-5}
for p in "$BENCH_MONOS" "$BENCH_HELLO"; do
	[[ -x $p ]] || bench_die "$p is missing (make all $BENCH_HELLO)"
done
for p in /usr/bin/redis-server /usr/bin/python3; do
	[[ -x $p ]] || bench_die "$p is missing (apt-get install redis-server python3)"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME=$tmp/xdg
MONOS=$(realpath "$BENCH_MONOS")
HELLO=$(realpath "$BENCH_HELLO")
PYLIB=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

# One manifest per application: each program exits at once.
mkdir -p "$tmp/hello" "$tmp/redis" "$tmp/python3"
printf 'program: %s\n' "$HELLO" >"$tmp/hello/monos.yaml"
printf 'program: /usr/bin/redis-server\nargs: [--version]\n' >"$tmp/redis/monos.yaml"
printf 'program: /usr/bin/python3\nargs: [-c, "import json"]\nfiles: [%s]\n' "$PYLIB" \
	>"$tmp/python3/monos.yaml"

# ms APP CMD...: the median, min and max wall time of CMD over ROUNDS, in ms,
# run in APP's directory with a fresh store each time when FRESH=1.
ms() {
	local app=$1 i
	shift
	cd "$tmp/$app" || bench_die "no $tmp/$app"
	for ((i = 0; i < ROUNDS; i++)); do
		[[ ${FRESH:-0} == 1 ]] && rm -rf "$XDG_DATA_HOME"
		bench_time_once "$@" >"$tmp/t"
		[[ $BENCH_LAST_STATUS == 0 ]] || bench_die "$app: $* failed"
		cut -d' ' -f1 "$tmp/t"
	done | bench_stats | awk '{ printf "%.0f (%.0f-%.0f)", $1 / 1000, $2 / 1000, $3 / 1000 }'
}

echo "## 17. Image builds"
echo
echo "\`bash bench/build.sh $ROUNDS\`: $ROUNDS rounds each, median (min-max) wall milliseconds."
echo "A build starts from an empty store; a run is command to exit."
echo
echo "| application | monos build (ms) | image (bytes) | run -f: packs each run (ms) | run IMAGE: stored tree (ms) |"
echo "|---|---|---|---|---|"
for app in hello redis python3; do
	build=$(FRESH=1 ms "$app" "$MONOS" build -t "$app")
	(cd "$tmp/$app" && "$MONOS" build -t "$app" >/dev/null) || bench_die "$app: build failed"
	size=$(stat -c %s "$XDG_DATA_HOME"/monos/images/rootfs/*.cpio | sort -n | tail -1)
	# The two runs interleaved, round by round, so that the machine's load
	# weighs on both alike.
	: >"$tmp/f" && : >"$tmp/i"
	for ((r = 0; r < ROUNDS; r++)); do
		(ROUNDS=1 ms "$app" "$MONOS" run -f monos.yaml) | sed 's/ .*//' >>"$tmp/f"
		(ROUNDS=1 ms "$app" "$MONOS" run "$app") | sed 's/ .*//' >>"$tmp/i"
		echo >>"$tmp/f" && echo >>"$tmp/i"
	done
	runf=$(bench_stats <"$tmp/f" | awk '{ printf "%d (%d-%d)", $1, $2, $3 }')
	runi=$(bench_stats <"$tmp/i" | awk '{ printf "%d (%d-%d)", $1, $2, $3 }')
	echo "| $app | $build | $size | $runf | $runi |"
	rm -rf "$XDG_DATA_HOME"
done
echo
echo "Host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
