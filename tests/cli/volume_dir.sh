#!/usr/bin/env bash
# CLI test: a large directory on an ext4 volume (issue 9's directories of
# 100,000 entries, at CI size): tests/guest/ext4dir creates, lists, stats,
# misses and unlinks VOLDIR_ENTRIES files (default 1000) in one directory
# on --volume; its output is the native run's, and e2fsck -fn is clean.
# The directory is hash-indexed once its first block fills
# (kernel/lib/ext4/htree.c): docs/benchmarks.md section 14b has the figures
# and the command for larger sizes (bench/ext4dir.sh).
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/ext4dir
RUN_TIMEOUT=300 # seconds (design 13): 1000 entries take about 2 s here
N=${VOLDIR_ENTRIES:-1000}
img=$scratch/dir.img

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }
truncate -s 64M "$img" && mkfs.ext4 -q -F -N $((N + 1000)) "$img" || { echo "FAILED mkfs.ext4"; exit 1; }
mkdir "$scratch/native"
"$PROG" "$scratch/native" "$N" >"$scratch/native.out" 2>&1
start=$(date +%s%N)
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img:/data" "$PROG" /data "$N"
echo "$N entries: $((($(date +%s%N) - start) / 1000000)) ms"
check "status 0" status_is 0
check "as the native run" diff "$scratch/native.out" "$scratch/out"
check "every entry made, listed, found, missed and removed" out_has "unlinked $N"
check "e2fsck -fn clean" eval 'e2fsck -fn "$img" >"$scratch/fsck" 2>&1 || { sed "s/^/    /" "$scratch/fsck" | head; false; }'
finish
