#!/usr/bin/env bash
# CLI test: a big file truncated and written again on a nearly full ext4
# volume.  The blocks the truncation frees stay unusable until the running
# transaction commits (kernel/lib/ext4/journal.c), so a write that found no
# other free block failed with ENOSPC where Linux commits and retries
# (ext4_should_retry_alloc); ext4_write now does the same.  The file is
# 16 MiB on a 32 MiB volume (1 KiB blocks, about 26 MiB free): written with
# fsync, then written anew with O_TRUNC in the same boot, buffered and
# O_DIRECT (tests/guest/diskbench's write and dwrite).
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/diskbench
RUN_TIMEOUT=120 # seconds (design 13): a few seconds here

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }
img=$scratch/vol.img
truncate -s 32M "$img" && mkfs.ext4 -q -F "$img" || { echo "FAILED mkfs.ext4"; exit 1; }
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img:/data" "$PROG" /data/f 16 write write dwrite
check "status 0 (no ENOSPC)" status_is 0
check "three writes done" eval '[ "$(grep -cE "^d?write [0-9.]+ MB/s$" "$scratch/out")" -eq 3 ]'
check "e2fsck -fn clean" eval 'e2fsck -fn "$img" >"$scratch/fsck" 2>&1 || { sed "s/^/    /" "$scratch/fsck" | head; false; }'
check "the file is 16 MiB" eval '[ "$(debugfs -R "stat /f" "$img" 2>/dev/null | grep -o "Size: [0-9]*" | head -1)" = "Size: 16777216" ]'
finish
