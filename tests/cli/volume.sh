#!/usr/bin/env bash
# CLI test: ext4 volumes (issue 9): `monos volume create|ls|inspect|rm`,
# `monos run --volume NAME:/data[:ro]` and `--volume FILE:/dir`, and the
# kernel's ext4 in the VFS (kernel/fs/ext4fs.c).  The guest side is
# tests/guest/ext4vol.c, run natively on a host directory as the oracle.
# 1. create, ls, inspect; bad names and sizes, a volume made twice.
# 2. A run writes files and directories (rename, link, unlink, symlink,
#    rmdir, a file unlinked while open, a sparse file, ftruncate, fallocate, O_APPEND, a MAP_SHARED
#    write, chmod, chown, utimensat, fsync, sync, syncfs): its output is
#    the native run's (statfs aside); after it e2fsck -fn is
#    clean and debugfs reads the bytes; a second run reads everything back.
# 3. While a run holds the volume, a second read-write (or read-only)
#    attach is refused, and so is rm.
# 4. Read-only (:ro): changes get EROFS, reads work, the image is unchanged.
# 5. A disk file by path, mounted in a directory the image lacks; mount(2)
#    and umount2(2) of it on q35 (virtio-pci); a disk that is not ext4
#    stops the boot with the reason.
# 6. rm, and the errors of a missing volume.
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/ext4vol
RUN_TIMEOUT=120 # seconds per guest run (design 13)
export XDG_DATA_HOME=$scratch/xdg
VOLS=$XDG_DATA_HOME/monos/volumes

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }

guest() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

# same_as_native MODE: the last run's stdout is the native run's of MODE on
# $native (lost+found, which mkfs makes, aside).
same_as_native() {
	"$PROG" "$1" "$native" >"$scratch/native.out" 2>&1
	sed 's| lost+found/4||' "$scratch/out" | diff "$scratch/native.out" - >"$scratch/diff"
}

same_as_native_fresh() {
	rm -rf "$native" && mkdir "$native" && same_as_native write
}

fsck_clean() {
	e2fsck -fn "$1" >"$scratch/fsck" 2>&1
}

# 1. create, ls, inspect, and what is refused.
run "$MONOS" volume create vol1 --size 16M
check "create: status 0, prints the name" eval 'status_is 0 && out_has vol1'
check "create: the file is ext4 of 16 MiB" \
	eval '[ "$(stat -c %s "$VOLS/vol1.img")" -eq 16777216 ] && fsck_clean "$VOLS/vol1.img"'
run "$MONOS" volume ls
check "ls: lists vol1 with its size" eval 'status_is 0 && grep -qE "^vol1 +16M$" "$scratch/out"'
run "$MONOS" volume inspect vol1
check "inspect: JSON with name, size and not in use" eval 'status_is 0 && python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))[0]
assert v[\"Name\"] == \"vol1\" and v[\"Size\"] == 16777216 and v[\"InUse\"] is False
assert v[\"Format\"] == \"ext4\"
" "$scratch/out"'
run "$MONOS" volume create vol1 --size 16M
check "create twice: refused" eval 'status_is 125 && err_matches "volume vol1 already exists"'
run "$MONOS" volume create ../evil --size 16M
check "bad name: refused" eval 'status_is 125 && err_matches "bad volume name"'
run "$MONOS" volume create vol2 --size 12Q
check "bad size: refused" eval 'status_is 125 && err_matches "bad --size .12Q."'
run "$MONOS" volume create vol2 --size 100K
check "too small: refused, nothing left" eval 'status_is 125 && [ ! -e "$VOLS/vol2.img" ]'
run "$MONOS" volume create vol2
check "no size: usage" eval 'status_is 125 && err_matches "usage: monos volume create"'

# 2. Write, check clean, read back.
native=$scratch/native
mkdir "$native"
guest --volume vol1:/data "$PROG" write /data
check "write: status 0" status_is 0
check "write: as the native run" same_as_native write
check "write: e2fsck -fn is clean after the run" fsck_clean "$VOLS/vol1.img"
check "write: debugfs reads /x" \
	eval '[ "$(debugfs -R "cat /x" "$VOLS/vol1.img" 2>/dev/null)" = "debugfs sees this" ]'
check "write: debugfs reads the MAP_SHARED bytes of /m" eval \
	'debugfs -R "cat /m" "$VOLS/vol1.img" 2>/dev/null | python3 -c "
import sys
d = sys.stdin.buffer.read()
assert d[:6] == b\"mapped\" and d[4100:4106] == b\"second\" and d[8000:8005] == b\"after\"
"'
check "write: the file unlinked while open is gone from lost+found" eval \
	'! debugfs -R "ls -p /lost+found" "$VOLS/vol1.img" 2>/dev/null | grep -v "^/0/" |
		grep -q monos-orphan'
guest --volume vol1:/data "$PROG" check /data
check "check: status 0" status_is 0
check "check: chmod, chown and utimensat lasted" \
	out_has "meta: mode 640 uid 1234 gid 5678 mtime 1500000000.123456789"
check "check: a second run reads it all back" same_as_native check
check "check: e2fsck -fn still clean" fsck_clean "$VOLS/vol1.img"

guest --volume vol1:/data "$PROG" statfs /data
check "statfs: ext4's magic, its size in 4 KiB blocks" \
	eval 'status_is 0 && out_has "statfs type ef53 bsize 4096 blocks 4096"'

# 3. In use: a held volume refuses a second read-write or read-only attach.
timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume vol1:/data "$PROG" hold /data \
	>"$scratch/hold.out" 2>"$scratch/hold.err" &
holder=$!
for _ in $(seq 600); do
	grep -q holding "$scratch/hold.out" && break
	sleep 0.1
done
check "hold: the first run is up" grep -q "holding 1" "$scratch/hold.out"
guest --volume vol1:/data "$PROG" check /data
check "in use: a second rw attach is refused" eval 'status_is 125 && err_matches "in use"'
guest --volume vol1:/data:ro "$PROG" check /data
check "in use: a ro attach of a volume in rw use is refused" \
	eval 'status_is 125 && err_matches "in use"'
run "$MONOS" volume inspect vol1
check "in use: inspect says so" grep -q '"InUse": true' "$scratch/out"
run "$MONOS" volume rm vol1
check "in use: rm is refused" eval 'status_is 125 && err_matches "in use"'
kill -TERM "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "hold: e2fsck -fn clean after the held run ends" fsck_clean "$VOLS/vol1.img"

# 4. Read-only.
sum=$(md5sum <"$VOLS/vol1.img")
guest --volume vol1:/data:ro "$PROG" ro /data
check "ro: status 0, changes get EROFS" eval 'status_is 0 && ! grep -q BAD "$scratch/out"'
check "ro: reads work" out_has "x: size 18 links 1 fnv cf023cefa9a1508f"
check "ro: the image is unchanged" [ "$(md5sum <"$VOLS/vol1.img")" = "$sum" ]

# 5. A disk file by path, at a directory the image lacks (made in the tree).
truncate -s 8M "$scratch/file.img"
mkfs.ext4 -q -F "$scratch/file.img" >/dev/null
guest --volume "$scratch/file.img:/mnt/deep/vol" "$PROG" write /mnt/deep/vol
check "path: write works at a new mount point" eval 'status_is 0 && same_as_native_fresh'
check "path: e2fsck -fn clean" fsck_clean "$scratch/file.img"
guest --machine q35 --disk "$scratch/file.img" "$PROG" mount /dev/vda /tmp
check "mount(2): rw, umount (busy while open), ro, on q35" \
	eval 'status_is 0 && ! grep -q BAD "$scratch/out" && out_has "ok  umount ro"'
check "mount(2): e2fsck -fn clean after umount" fsck_clean "$scratch/file.img"
truncate -s 4M "$scratch/zero.img"
guest --volume "$scratch/zero.img:/data" "$PROG" check /data
check "not ext4: the boot stops, the log says why" \
	eval '[ "$rc" -ne 0 ] && err_matches "cannot mount volume vda"'

# 6. rm, and a missing volume.
run "$MONOS" volume rm vol1
check "rm: status 0" eval 'status_is 0 && [ ! -e "$VOLS/vol1.img" ]'
run "$MONOS" volume rm vol1
check "rm again: no such volume" eval 'status_is 125 && err_matches "no volume named vol1"'
guest --volume vol1:/data "$PROG" check /data
check "run with a missing volume: a clear error" \
	eval 'status_is 125 && err_matches "no volume named vol1"'

[ "$fails" -eq 0 ]
