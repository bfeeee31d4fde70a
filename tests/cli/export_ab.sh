#!/usr/bin/env bash
# CLI test: A/B updates of an exported disk (cli/cmd_update.c, the choice in
# grub.cfg: cli/export_grub.c; the kernel's marking: kernel/init/standalone.c;
# docs/export.md).  Each boot is q35 with SeaBIOS, the serial log read.
# 1. update to a good image: the next boot tries slot b once, the kernel
#    marks it good (the program exited 0), and the boot after stays on b.
# 2. update to an image that crashes: slot a is tried, fails, the machine
#    reboots by itself into slot b (one QEMU run), which stays good.
# 3. a program that outlives the grace period is marked good even if it
#    fails later (no roll-back), and the disk keeps it.
# 4. update refuses a disk QEMU holds, a qcow2 disk, and a damaged grubenv
#    block; the disk with the damaged block still boots (slot a).
. "$(dirname "$0")/lib/common.bash"

BOOT_TIMEOUT=180 # two boots in one run at worst, on a shared machine
export XDG_DATA_HOME=$scratch/xdg
for tool in grub-mkimage /usr/sbin/sgdisk /usr/sbin/mkfs.vfat mcopy; do
	if ! command -v "$tool" >/dev/null; then
		echo "skip: $tool is missing (scripts/deps.sh installs it)"
		exit 0
	fi
done
disk=$scratch/ab.raw

# boot: one QEMU run on $disk that follows resets (GRUB's fall-back); the
# serial log in $scratch/serial.
boot() {
	timeout -k 5 "$BOOT_TIMEOUT" qemu-system-x86_64 -M q35 -m 256M -display none -nodefaults \
		-serial "file:$scratch/serial" \
		-drive "file=$disk,format=raw,if=none,id=d" -device virtio-blk-pci,drive=d \
		"$@" >"$scratch/out" 2>"$scratch/err" </dev/null
	rc=$?
	out=$(tr -d '\r' <"$scratch/serial" | grep -a -E "monos: (trying|booting|slot|program|power)|image v" | cat -v)
	err=$(cat -v "$scratch/err")
}
serial_has() {
	grep -qaF -- "$1" "$scratch/serial"
}
# image NAME SCRIPT: an image running sh -c SCRIPT (with sleep), restart no.
image() {
	printf 'program: /bin/sh\nargs: [-c, %s]\nfiles: [/bin/sleep]\nrestart: no\n' "'$2'" >monos.yaml
	run "$MONOS" build -t "$1"
	check "build $1" status_is 0
}

mkdir -p "$scratch/app" && cd "$scratch/app" || exit 1
image ab:v1 'echo image v1'
image ab:v2 'echo image v2'
image ab:v3 'echo image v3 crashes; kill -SEGV $$'
image ab:v4 'echo image v4 started; sleep 5; echo image v4 fails late; exit 1'
run "$MONOS" export ab:v1 -o "$disk"
check "export v1" status_is 0

# 1. a good update.
run "$MONOS" update "$disk" ab:v2
check "update v2: into slot b" eval 'status_is 0 && grep -q "written to slot b" "$scratch/out"'
boot
check "boot: slot b tried once, v2 runs and is marked good" \
	eval 'status_is 0 && serial_has "monos: trying slot b once" && serial_has "image v2" &&
		serial_has "monos: slot b exited with status 0: marked good"'
boot
check "next boot: slot b, no trial" \
	eval 'status_is 0 && serial_has "monos: booting slot b" && serial_has "image v2" &&
		! serial_has "trying slot"'

# 2. a crashing update rolls back by itself.
run "$MONOS" update "$disk" ab:v3
check "update v3: into slot a (b is good)" eval 'status_is 0 && grep -q "written to slot a" "$scratch/out"'
boot
check "boot: slot a fails its trial, the machine reboots into slot b by itself" \
	eval 'status_is 0 && serial_has "image v3 crashes" &&
		serial_has "monos: slot a failed its trial: rebooting into the previous slot" &&
		serial_has "monos: slot a was not marked good: back to slot b" && serial_has "image v2"'
boot
check "next boot: still slot b" \
	eval 'status_is 0 && serial_has "monos: booting slot b" && serial_has "image v2" &&
		! serial_has "image v3"'

# 3. good for the grace period, then fails: kept.
run "$MONOS" update "$disk" ab:v4 --grace 1
check "update v4 --grace 1" status_is 0
boot
check "boot: v4 outlives its grace period, marked good, then fails: no roll-back" \
	eval 'status_is 0 && serial_has "monos: slot a ran for its grace period: marked good" &&
		serial_has "image v4 fails late" && ! serial_has "failed its trial"'
boot
check "next boot: slot a (v4)" eval 'serial_has "monos: booting slot a" && serial_has "image v4 started"'

# 4. refusals and a damaged block.
qemu-system-x86_64 -M q35 -m 64M -display none -nodefaults -S \
	-drive "file=$disk,format=raw,if=none,id=d" -device virtio-blk-pci,drive=d &
qemu=$!
sleep 2
run "$MONOS" update "$disk" ab:v1
check "update refuses a disk QEMU holds" eval 'status_is 125 && err_matches "in use by a running instance"'
kill "$qemu"
wait "$qemu" 2>/dev/null
qemu-img convert -f raw -O qcow2 "$disk" "$scratch/ab.qcow2"
run "$MONOS" update "$scratch/ab.qcow2" ab:v1
check "update refuses a qcow2 disk" eval 'status_is 125 && err_matches "qcow2"'
off=$(grep -abo "# GRUB Environment Block" "$disk" | head -1 | cut -d: -f1)
printf 'garbage' | dd of="$disk" bs=1 seek="$off" conv=notrunc status=none
run "$MONOS" update "$disk" ab:v1
check "update refuses a damaged grubenv block" eval 'status_is 125 && err_matches "grubenv block is missing|damaged"'
boot
check "a damaged block still boots (slot a)" eval 'status_is 0 && serial_has "monos: booting slot a"'
finish
