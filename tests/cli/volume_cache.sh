#!/usr/bin/env bash
# CLI test: the page cache of ext4 files (kernel/fs/pcache.c,
# kernel/fs/ext4fs_file.c): tests/guest/filecache checks that read(),
# write(), MAP_SHARED mappings, truncation and O_DIRECT see each other's
# bytes, and reads a 3 MiB file back across readahead windows, on a volume
# of 1 KiB blocks (four to a page: a page is filled from several block
# runs) and one of 4 KiB blocks; then with --memory 64M a 24 MiB file,
# more than the clean pages' bound (a quarter of RAM), so that reading it
# drops pages and fills them again.  The output is the native run's on a
# host directory, and e2fsck -fn is clean after each.
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/filecache
RUN_TIMEOUT=120 # seconds (design 13): about 2 s here

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }
fsck_clean() {
	e2fsck -fn "$1" >"$scratch/fsck" 2>&1 || { sed "s/^/    /" "$scratch/fsck" | head; false; }
}

mkdir "$scratch/native"
"$PROG" "$scratch/native" >"$scratch/native.out" 2>&1
check "native run passes (the oracle)" grep -qx "all ok" "$scratch/native.out"
for bs in 1024 4096; do
	img=$scratch/vol$bs.img
	truncate -s 32M "$img" && mkfs.ext4 -q -F -b "$bs" "$img" || { echo "FAILED mkfs.ext4"; exit 1; }
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img:/data" "$PROG" /data
	check "$bs-byte blocks: status 0" status_is 0
	check "$bs-byte blocks: as the native run" diff "$scratch/native.out" "$scratch/out"
	check "$bs-byte blocks: e2fsck -fn clean" fsck_clean "$img"
done
"$PROG" "$scratch/native" 24 >"$scratch/native.out" 2>&1
img=$scratch/big.img
truncate -s 64M "$img" && mkfs.ext4 -q -F "$img" || { echo "FAILED mkfs.ext4"; exit 1; }
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --memory 64M --volume "$img:/data" "$PROG" /data 24
check "past the bound: status 0" status_is 0
check "past the bound: as the native run" diff "$scratch/native.out" "$scratch/out"
check "past the bound: e2fsck -fn clean" fsck_clean "$img"
finish
