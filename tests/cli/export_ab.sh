#!/usr/bin/env bash
# CLI test: A/B updates of an exported disk (cli/cmd_update.c, the choice in
# grub.cfg: cli/export_grub.c; the kernel's marking: kernel/init/standalone.c;
# docs/export.md).  Each boot is q35 with SeaBIOS, the serial log read.
# 1. update to a good image: the next boot tries slot b once, the kernel
#    marks it good (the program exited 0), and the boot after stays on b.
# 2. update to an image that crashes: slot a is tried, fails, the machine
#    reboots by itself into slot b (one QEMU run), which stays good;
#    `monos inspect DISK` says slot a was abandoned, crashed-signal-11.
# 3. a program that outlives the grace period is marked good even if it
#    fails later (no roll-back), and the disk keeps it.
# 4. health checks (busybox httpd): an image whose check answers 500 turns
#    unhealthy and rolls back by itself (inspect: "unhealthy"); one whose
#    check answers 200 is marked good once healthy for its grace period.
# 5. both slots bad under restart on-failure: the good slot's failed boots
#    back off (1 s, 2 s), then the third stops the machine with a message:
#    no reboot loop.
# 6. update refuses a disk QEMU holds, a qcow2 disk, and a damaged grubenv
#    block; the disk with the damaged block still boots (slot a), and its
#    failing program (bad1) reboots only after the longest backoff.
. "$(dirname "$0")/lib/common.bash"

BOOT_TIMEOUT=${BOOT_TIMEOUT:-180} # four boots in one run at worst, on a shared machine
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
# inspect_is SLOT KEY VALUE: `monos inspect $disk` gives slot SLOT's KEY so.
inspect_is() {
	"$MONOS" inspect "$disk" >"$scratch/inspect" &&
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))[0]
s=[x for x in d["slots"] if x["slot"]==sys.argv[2]][0]
sys.exit(0 if str(s[sys.argv[3]])==sys.argv[4] else 1)' "$scratch/inspect" "$@"
}
# web NAME STATUS: busybox httpd on 8080 (in the background) whose health
# check (a CGI) answers STATUS; the program ends with status 0 after 8 s.
web() {
	mkdir -p www/cgi-bin
	printf '#!/bin/busybox sh\necho "Status: %s"\necho\necho health\n' "$2" >www/cgi-bin/health
	chmod 755 www/cgi-bin/health
	cat >monos.yaml <<YAML
program: /bin/busybox
args: [sh, -c, '/bin/busybox httpd -p 8080 -h /www; /bin/busybox sleep 8']
files: ['$(command -v busybox):/bin/busybox', 'www:/www']
restart: no
health: {type: http, port: 8080, path: /cgi-bin/health, interval: 1s, timeout: 2s, retries: 2}
YAML
	run "$MONOS" build -t "$1"
	check "build $1" status_is 0
}
# image NAME SCRIPT [POLICY]: an image running sh -c SCRIPT (with sleep),
# restart POLICY (no).
image() {
	printf 'program: /bin/sh\nargs: [-c, %s]\nfiles: [/bin/sleep]\nrestart: %s\n' "'$2'" "${3:-no}" >monos.yaml
	run "$MONOS" build -t "$1"
	check "build $1" status_is 0
}

mkdir -p "$scratch/app" && cd "$scratch/app" || exit 1
image ab:v1 'echo image v1'
image ab:v2 'echo image v2'
image ab:v3 'echo image v3 crashes; kill -SEGV $$'
image ab:v4 'echo image v4 started; sleep 5; echo image v4 fails late; exit 1'
image ab:bad1 'echo image bad1 fails; exit 7' on-failure
image ab:bad2 'echo image bad2 crashes; kill -SEGV $$' on-failure
web ab:web500 '500 Internal Server Error'
web ab:web200 '200 OK'
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
		serial_has "monos: slot a failed its trial: crashed-signal-11" &&
		serial_has "monos: slot a failed its trial: rebooting into the previous slot" &&
		serial_has "monos: booting slot b" && serial_has "image v2"'
check "inspect: slot a abandoned, crashed-signal-11; slot b good, booted" \
	eval 'inspect_is a state abandoned && inspect_is a why crashed-signal-11 &&
		inspect_is a image ab:v3 && inspect_is b state good && inspect_is b image ab:v2 &&
		grep -q "\"booted\": \"b\"" "$scratch/inspect"'
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

# 4. health checks.
run "$MONOS" update "$disk" ab:web500 --grace 1
check "update web500: into slot b; inspect: trying, 1 try left" \
	eval 'status_is 0 && inspect_is b state trying && inspect_is b tries_left 1'
boot
check "boot: the check answers 500, slot b turns unhealthy, back to slot a by itself" \
	eval 'status_is 0 && serial_has "monos: slot b failed its trial: unhealthy" &&
		serial_has "monos: booting slot a" && serial_has "image v4 started"'
check "inspect: slot b abandoned, unhealthy" \
	eval 'inspect_is b state abandoned && inspect_is b why unhealthy && inspect_is a state good'
run "$MONOS" update "$disk" ab:web200 --grace 1
check "update web200: into slot b, the old reason gone" \
	eval 'status_is 0 && inspect_is b why None && inspect_is b image ab:web200'
boot
check "boot: the check answers 200: slot b marked good once healthy for its grace period" \
	eval 'status_is 0 && serial_has "monos: slot b stayed healthy for its grace period: marked good" &&
		inspect_is b state good && inspect_is a state standby'

# 5. both slots bad: a fails at every boot, b's trial crashes.
run "$MONOS" export ab:bad1 -o "$disk"
check "export bad1 (restart on-failure)" status_is 0
run "$MONOS" update "$disk" ab:bad2
check "update bad2" status_is 0
boot
check "boot: b's trial crashes, a fails 3 boots in a row with a backoff, then stops" \
	eval 'status_is 0 && serial_has "monos: slot b failed its trial: crashed-signal-11" &&
		serial_has "monos: slot a failed 1 boot in a row (exited-status-7): rebooting in 1 s" &&
		serial_has "monos: slot a failed 2 boots in a row (exited-status-7): rebooting in 2 s" &&
		serial_has "monos: both slots are bad: slot a failed 3 boots in a row (exited-status-7), slot b was abandoned (crashed-signal-11)" &&
		serial_has "monos: no slot left to boot: powering off" &&
		[ "$(grep -ac "image bad1 fails" "$scratch/serial")" = 3 ]'
check "inspect: slot a good with 3 failed boots, slot b abandoned" \
	eval 'inspect_is a failed_boots 3 && inspect_is a last_failure exited-status-7 &&
		inspect_is b why crashed-signal-11'

# 6. refusals and a damaged block.
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
BOOT_TIMEOUT=40 boot
check "a damaged block still boots (slot a); failures then wait the longest backoff, uncounted" \
	eval 'serial_has "monos: booting slot a" && serial_has "image bad1 fails" &&
		serial_has "failed boots cannot be counted: rebooting in 300 s" &&
		[ "$(grep -ac "monos: booting slot a" "$scratch/serial")" = 1 ]'
finish
