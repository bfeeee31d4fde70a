#!/usr/bin/env bash
# CLI test: `monos run --disk FILE[:ro]`, the virtio-blk driver and the
# /dev/vdX files.  The guest side is tests/guest/blkio.c; the host checks
# the disk file's own bytes.
# 1. A disk whose size is not a multiple of 4 KiB: stat, SEEK_END and the
#    BLK* ioctls; a pattern written at odd offsets and lengths (the last
#    bytes of the disk among them) is read back in the guest and found in
#    the file on the host; a second boot on q35 reads what microvm wrote;
#    the same on a disk of 4 KiB logical blocks.
# 2. Read-only (:ro): writes get EPERM as on Linux, the file is unchanged.
# 3. Several requests in flight: two threads at once, and one 8 MiB read
#    (split into many requests) of a pattern the host wrote; reads under a
#    stream of signals are whole (a disk wait is uninterruptible).
# 4. A 1 GiB sparse disk read at its end; reads and writes at and past it.
# 5. O_DIRECT's alignment rules; a second disk is /dev/vdb.  Errors the
#    device reports become EIO.
# 6. qcow2: written through QEMU's qcow2 driver, checked after conversion
#    to raw; one with a backing file is refused.
# 7. Durability: write, fsync, "synced", then QEMU is killed with SIGKILL:
#    the bytes are in the file.
# 8. Clear errors: a missing file, a directory, the same file twice, an
#    unreadable file.  Before them, the kernel's own self-test of the block
#    layer (monos.blktest=1).
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/blkio
RUN_TIMEOUT=120 # seconds per guest run (design 13)
MIB=1048576

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }

# guest ARGS...: one run of `monos run ARGS` under the watchdog.
guest() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

# pattern_ok FILE SEED: the file holds blkio's pattern of SEED over its
# ranges (keep in step with RANGES in tests/guest/blkio.c).
pattern_ok() {
	python3 - "$1" "$2" <<'EOF'
import os, sys
path, seed = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path) // 512 * 512
ranges = [(1, 1), (511, 2), (1000, 3000), (4095, 4098), (65541, 70001),
          (300000, 1 << 20), (8192, 16384), (2 << 20, 512), (size - 3, 3)]
with open(path, "rb") as f:
    for off, n in ranges:
        f.seek(off)
        got = f.read(n)
        want = bytes((o * 131 + seed * 17 + (o >> 12)) % 256 for o in range(off, off + n))
        if got != want:
            sys.exit("range at %d differs" % off)
EOF
}

# 1. Odd sizes: 10 MiB and three sectors.
disk=$scratch/disk.img
truncate -s $((10 * MIB + 1536)) "$disk"
size=$((10 * MIB + 1536))
guest --disk "$disk" "$PROG" info /dev/vda
check "info: status 0" status_is 0
check "info: a block device of size 0, 254:0 as Linux's virtblk" \
	out_has "block device 1, st_size 0, rdev 254:0"
check "info: SEEK_END and BLKGETSIZE64 give the size" out_has "SEEK_END $size, BLKGETSIZE64 $size"
check "info: sectors, sector size, not read-only" \
	out_has "BLKGETSIZE $((size / 512)), BLKSSZGET 512, BLKROGET 0"
check "info: fsync and fdatasync" out_has "fsync 0, fdatasync 0"
check "info: /sys/block/vda" out_has "sysfs: size $((size / 512)), ro 0"
guest --disk "$disk" "$PROG" write /dev/vda 5
check "write: read back in the guest, synced" out_has "synced"
check "write: status 0" status_is 0
check "write: the pattern is in the file" pattern_ok "$disk" 5
check "write: the file keeps its size" [ "$(stat -c %s "$disk")" -eq "$size" ]
guest --machine q35 --disk "$disk" "$PROG" check /dev/vda 5
check "q35 reads what microvm wrote" out_has "check: ok"

# 1b. 4 KiB logical blocks (VIRTIO_BLK_F_BLK_SIZE): the odd ranges are
# read-modify-writes of whole 4 KiB blocks.
k4=$scratch/k4.img
truncate -s $((8 * MIB)) "$k4"
k4dev="-drive if=none,id=k4,format=raw,file.driver=file,file.filename=$k4 -device virtio-blk-device,drive=k4,logical_block_size=4096,physical_block_size=4096"
MONOS_QEMU_ARGS=$k4dev guest "$PROG" info /dev/vda
check "4 KiB blocks: BLKSSZGET" out_has "BLKGETSIZE $((8 * MIB / 512)), BLKSSZGET 4096, BLKROGET 0"
MONOS_QEMU_ARGS=$k4dev guest "$PROG" write /dev/vda 4
check "4 KiB blocks: written and read back" out_has "synced"
check "4 KiB blocks: the pattern is in the file" pattern_ok "$k4" 4

# 2. Read-only.
sum=$(md5sum <"$disk")
guest --disk "$disk:ro" "$PROG" ro /dev/vda
check "ro: write is EPERM (Linux's blkdev_write_iter)" out_has "write: -1 EPERM"
check "ro: pwrite is EPERM" out_has "pwrite at 4096: -1 EPERM"
check "ro: read works" out_has "read: 1"
guest --disk "$disk:ro" "$PROG" info /dev/vda
check "ro: BLKROGET says 1" out_has "BLKGETSIZE $((size / 512)), BLKSSZGET 512, BLKROGET 1"
check "ro: /sys/block/vda/ro says 1" out_has "sysfs: size $((size / 512)), ro 1"
check "ro: the file is unchanged" [ "$(md5sum <"$disk")" = "$sum" ]

# 3. Requests in flight.
guest --disk "$disk" "$PROG" threads /dev/vda
check "two threads doing I/O at once" out_has "threads: ok"
guest --machine q35 --disk "$disk" "$PROG" threads /dev/vda
check "q35 (virtio-pci, MSI-X): two threads doing I/O at once" out_has "threads: ok"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i * 7 % 251 for i in range(8 << 20)))' >"$disk"
guest --disk "$disk" "$PROG" big /dev/vda $((8 * MIB))
check "one 8 MiB read, many requests" out_has "big read of $((8 * MIB)) bytes: ok"
guest --disk "$disk" "$PROG" signals /dev/vda
check "signals do not cut a disk wait short" out_has "reads under signals: ok, signals arrived"

# 4. A 1 GiB sparse disk, read at its end.
big=$scratch/big.img
truncate -s 1G "$big"
printf 'END-OF-THE-DISK!' | dd of="$big" bs=1 seek=$(((1 << 30) - 16)) conv=notrunc status=none
guest --disk "$big" "$PROG" end /dev/vda
check "end: the size" out_has "size $((1 << 30))"
check "end: the last sector" out_has "last sector says: END-OF-THE-DISK!"
check "end: a read across the end is short" out_has "pread across the end: 512"
check "end: a read at the end is 0" out_has "pread at the end: 0"
check "end: a write at the end is ENOSPC" out_has "pwrite at the end: -1 ENOSPC"
check "end: a write across the end is short" out_has "pwrite across the end: 512"
check "end: the file is still sparse" [ "$(du -k "$big" | cut -f1)" -lt 1024 ]

# 5. O_DIRECT, on the second disk.
guest --disk "$big" --disk "$disk" "$PROG" direct /dev/vdb
check "direct: aligned" out_has "aligned: 4096"
check "direct: an odd offset is EINVAL" out_has "odd offset: -1 EINVAL"
check "direct: an odd length is EINVAL" out_has "odd length: -1 EINVAL"
check "direct: an odd buffer is EINVAL" out_has "odd buffer: -1 EINVAL"
guest --disk "$big" --disk "$disk" "$PROG" info /dev/vdb
check "the second disk is 254:16, as Linux's virtblk numbers it" \
	out_has "block device 1, st_size 0, rdev 254:16"
check "the second disk is the second --disk" out_has "SEEK_END $(stat -c %s "$disk"), BLKGETSIZE64 $(stat -c %s "$disk")"

# 5b. A device that fails every request (QEMU's blkdebug injecting EIO):
# the guest's calls fail with EIO (writes too: there is no page cache to
# take them first), and the kernel goes on.
printf '[inject-error]\nevent = "%s"\nerrno = "5"\n\n' read_aio write_aio flush_to_disk \
	>"$scratch/blkdebug.conf"
MONOS_QEMU_ARGS="-drive if=none,id=bad,format=raw,file=blkdebug:$scratch/blkdebug.conf:$disk,rerror=report,werror=report -device virtio-blk-device,drive=bad" \
	guest "$PROG" errors /dev/vda
check "device errors: a read gets EIO" out_has "pread: -1 EIO"
check "device errors: a write gets EIO" out_has "pwrite: -1 EIO"
check "device errors: fsync gets EIO" out_has "fsync: -1 EIO"
check "device errors: the program ends normally" status_is 0

# A device whose flushes alone fail: a write with O_DSYNC or O_SYNC
# flushes, and so fails; a plain one does not.
printf '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n' >"$scratch/flushfail.conf"
flushfail="-drive if=none,id=bad,format=raw,file=blkdebug:$scratch/flushfail.conf:$disk,werror=report -device virtio-blk-device,drive=bad"
MONOS_QEMU_ARGS=$flushfail guest "$PROG" dsync /dev/vda
check "O_DSYNC: a plain write does not flush" out_has "write: 512"
check "O_DSYNC: nor a plain pwritev2" out_has "pwritev2 without: 512"
check "O_DSYNC: a write with O_DSYNC flushes" out_has "write with O_DSYNC: -1 EIO"
MONOS_QEMU_ARGS=$flushfail guest "$PROG" dsync /dev/vda rwf
check "RWF_DSYNC: pwritev2 with it flushes" out_has "pwritev2 with RWF_DSYNC: -1 EIO"

# sendfile into the disk and out of it (the block device's kernel-buffer
# forms), at an odd offset; the same as on a Linux loop device.
guest --disk "$disk" "$PROG" sendfile /dev/vda
check "sendfile to the disk" out_has "sendfile to the disk: 10000"
check "sendfile to the disk: the bytes" out_has "the disk holds it: ok"
check "sendfile from the disk" out_has "sendfile from the disk: 10000"
check "sendfile from the disk: the bytes and the offset" out_has "the file holds it: ok, offset now 10777"

# 5c. Buffers the program may not use: EFAULT, on the zero-copy path
# (whole sectors) and the bounce buffer's alike, as Linux (checked against
# a loop device); a write from read-only memory is fine.
guest --disk "$disk" "$PROG" fault /dev/vda
check "fault: a sector into read-only memory" out_has "read of 4096 into PROT_READ: -1 EFAULT"
check "fault: a partial sector into read-only memory" out_has "read of 100 into PROT_READ: -1 EFAULT"
check "fault: into NULL" out_has "read of 4096 into NULL: -1 EFAULT"
check "fault: from NULL" out_has "write of 4096 from NULL: -1 EFAULT"
check "fault: from read-only memory" out_has "write of 4096 from PROT_READ: 4096"

# 6. qcow2.
qcow=$scratch/disk.qcow2
qemu-img create -q -f qcow2 "$qcow" 12M
guest --verbose --disk "$qcow" "$PROG" write /dev/vda 7
check "qcow2: written" out_has "synced"
check "qcow2: QEMU is told the format" err_matches "format=qcow2"
qemu-img convert -O raw "$qcow" "$scratch/qcow.raw"
check "qcow2: the pattern is in the image" pattern_ok "$scratch/qcow.raw" 7
qemu-img create -q -f qcow2 -b "$disk" -F raw "$scratch/top.qcow2"
guest --disk "$scratch/top.qcow2" "$PROG" info /dev/vda
check "qcow2 with a backing file: refused" err_matches "backing file is not supported"
check "qcow2 with a backing file: status 125" status_is 125
guest --verbose --disk "$disk" "$PROG" check /dev/vda 5
check "raw: QEMU is told the format" err_matches "format=raw"

# 7. Durability: SIGKILL of QEMU right after "synced".
truncate -s 0 "$disk"
truncate -s $((4 * MIB)) "$disk"
timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --disk "$disk" "$PROG" write /dev/vda 9 hold \
	>"$scratch/hold.out" 2>"$scratch/hold.err" &
mpid=$!
for _ in $(seq 600); do
	grep -q synced "$scratch/hold.out" && break
	sleep 0.1
done
qpid=$(pgrep -P "$(pgrep -P $mpid)" qemu || pgrep -P $mpid qemu)
check "durability: the guest synced and QEMU runs" [ -n "$qpid" ]
[ -n "$qpid" ] && kill -KILL $qpid
wait $mpid
check "durability: every byte acknowledged is in the file" pattern_ok "$disk" 9

# 8b. The in-kernel side (monos.blktest=1, kernel/drivers/blk_test.c):
# kmalloc'd buffers large and small, a FUA write (synchronous and
# asynchronous), a flush, the refusals; its pattern is in the file.
truncate -s 0 "$disk"
truncate -s $MIB "$disk"
MONOS_KERNEL_ARGS=monos.blktest=1 guest --verbose --disk "$disk" "$PROG" info /dev/vda
check "blktest: nine checks passed" [ "$(grep -c '^monos: blktest: ok ' "$scratch/err")" -eq 9 ]
check "blktest: none failed" eval '! err_matches "blktest: FAILED"'
check "blktest: its pattern is in sectors 8-23" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(d[4096:12288] != bytes((i * 13 + 1) & 255 for i in range(8192)))' "$disk"
MONOS_KERNEL_ARGS=monos.blktest=1 guest --verbose --disk "$disk:ro" "$PROG" info /dev/vda
check "blktest: a read-only disk refuses a write with EROFS" \
	err_matches "blktest: ok a write to a read-only disk is EROFS"

# 8. Errors, before anything starts.
guest --disk "$scratch/none.img" "$PROG" info /dev/vda
check "missing file: named, status 125" \
	eval 'status_is 125 && err_matches "^monos: --disk .*none.img: No such file or directory$"'
guest --disk "$scratch" "$PROG" info /dev/vda
check "directory: refused" err_matches "^monos: --disk .*: is a directory, not a disk file$"
guest --disk "$disk" --disk "$disk:ro" "$PROG" info /dev/vda
check "the same file twice: refused" err_matches "the same file is attached twice"
# As nobody, on a file in a folder nobody may enter (the scratch folder
# is private): only the file's own mode can refuse.
shared=$(mktemp -d /tmp/monos-disk.XXXXXX)
chmod 0755 "$shared"
cp "$disk" "$shared/disk.img"
chmod 0644 "$shared/disk.img"
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	guest_as_nobody() {
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$MONOS" run "$@"
	}
	guest_as_nobody --disk "$shared/disk.img" "$PROG" info /dev/vda
	check "not writable: says to attach it read-only" \
		err_matches "cannot open it for writing: Permission denied \(attach it read-only: --disk FILE:ro\)"
	chmod 0600 "$shared/disk.img"
	guest_as_nobody --disk "$shared/disk.img:ro" "$PROG" info /dev/vda
	check "unreadable: refused" err_matches "cannot open it for reading: Permission denied"
else
	echo "skipped: unreadable files (setpriv cannot drop to nobody here)"
fi
rm -rf "$shared"
finish
