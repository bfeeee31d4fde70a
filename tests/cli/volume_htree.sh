#!/usr/bin/env bash
# CLI test: a hash-indexed directory on an ext4 volume (issue 9's
# directories of 100,000 entries; kernel/lib/ext4/htree.c).
# tests/guest/ext4htree creates HTREE_ENTRIES files (default 20000) in one
# directory of a 1 KiB-block volume, so its index grows a second level,
# lists them while creating more between getdents64 calls, seeks back to a
# telldir position, stats, renames across directories and unlinks; its
# output is the native run's.  Then Linux's tools read what monos wrote:
# e2fsck -fn is clean and debugfs walks the index.  The 100,000-entry run
# and its timing are in docs/benchmarks.md section 14.
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/ext4htree
RUN_TIMEOUT=300 # seconds (design 13)
N=${HTREE_ENTRIES:-20000}
img=$scratch/htree.img

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }
truncate -s 128M "$img" && mkfs.ext4 -q -F -b 1024 -N $((N * 2)) "$img" ||
	{ echo "FAILED mkfs.ext4"; exit 1; }
mkdir "$scratch/native"
"$PROG" "$scratch/native" "$N" >"$scratch/native.out" 2>&1
start=$(date +%s%N)
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img:/data" "$PROG" /data "$N"
echo "$N entries: $((($(date +%s%N) - start) / 1000000)) ms"
check "status 0" status_is 0
check "as the native run" diff "$scratch/native.out" "$scratch/out"
check "every first name listed once" out_has "listed while inserting: $N once, 0 twice"
check "e2fsck -fn clean" eval 'e2fsck -fn "$img" >"$scratch/fsck" 2>&1 || { sed "s/^/    /" "$scratch/fsck" | head; false; }'
check "debugfs reads the two-level index" eval \
	'debugfs -R "htree /h" "$img" 2>/dev/null | grep -q "Indirect levels: 1"'

# The legacy hash: names of one hash ("f0000067", "f0000867" and
# "f0002843" are a run of three), listed one entry a getdents64 call, so
# every run is split between calls while names are added.
N2=3000
truncate -s 32M "$img.legacy" && mkfs.ext4 -q -F -b 1024 "$img.legacy" &&
	debugfs -w -R "ssv def_hash_version legacy" "$img.legacy" >/dev/null 2>&1 ||
	{ echo "FAILED mkfs.ext4 legacy"; exit 1; }
mkdir "$scratch/native2"
"$PROG" "$scratch/native2" "$N2" 32 >"$scratch/native2.out" 2>&1
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img.legacy:/data" "$PROG" /data "$N2" 32
check "legacy hash, one entry a call: status 0" status_is 0
check "legacy hash, one entry a call: as the native run" diff "$scratch/native2.out" "$scratch/out"
check "legacy hash: every first name listed once" out_has "listed while inserting: $N2 once, 0 twice"
check "legacy hash: e2fsck -fn clean" eval 'e2fsck -fn "$img.legacy" >"$scratch/fsck" 2>&1 || { sed "s/^/    /" "$scratch/fsck" | head; false; }'
finish
