#!/usr/bin/env bash
# CLI test: `monos export` (cli/cmd_export.c, export_*.c; docs/export.md).
# 1. An image exported raw (a sparse file) boots from GRUB under QEMU q35
#    with SeaBIOS: the program's output and its exit status on the serial
#    log, then the restart policy's power-off (QEMU ends by itself).
# 2. The same disk under OVMF (UEFI, GRUB's BOOTX64.EFI).
# 3. restart: on-failure with a failing program reboots (-no-reboot: QEMU
#    ends on the reset), with network by DHCP on virtio-net-pci.
# 4. qcow2 boots; gce is refused with its reason and leaves no file.
# 5. --libvirt-xml prints a domain that libvirt's schema accepts.
# 6. A server on the disk answers over the network (DHCP, a forwarded port).
. "$(dirname "$0")/lib/common.bash"

BOOT_TIMEOUT=120 # a TCG boot takes 3-25 s alone; the machine is shared
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd
export XDG_DATA_HOME=$scratch/xdg
for tool in grub-mkimage /usr/sbin/sgdisk /usr/sbin/mkfs.vfat mcopy qemu-img; do
	if ! command -v "$tool" >/dev/null; then
		echo "skip: $tool is missing (scripts/deps.sh installs it)"
		exit 0
	fi
done

# boot DISK FORMAT [QEMU ARGS...]: boot the disk on q35, serial log in
# $scratch/serial; leaves $rc as QEMU's status.
boot() {
	local disk=$1 format=$2
	shift 2
	timeout -k 5 "$BOOT_TIMEOUT" qemu-system-x86_64 -M q35 -m 256M -display none -no-reboot \
		-nodefaults -serial "file:$scratch/serial" \
		-drive "file=$disk,format=$format,if=none,id=d" -device virtio-blk-pci,drive=d \
		"$@" >"$scratch/out" 2>"$scratch/err" </dev/null
	rc=$?
	out=$(cat -v "$scratch/serial")
	err=$(cat -v "$scratch/err")
}
serial_has() {
	grep -qF -- "$1" "$scratch/serial"
}

# libvirt_boot: the domain --libvirt-xml prints, defined and started under
# Debian's libvirtd (started here, as facts.md says, when it is not
# running; stopped again after); its serial log (a <log> added to the pty)
# shows the program, and the domain shuts off by itself (power-off).
libvirt_boot() {
	local started=() dir dom lv="virsh -c qemu:///system"
	if ! command -v virsh >/dev/null || ! command -v libvirtd >/dev/null || [ "$(id -u)" != 0 ]; then
		echo "skip: libvirt: needs root and Debian's libvirt-daemon-system"
		return
	fi
	if ! pgrep -x libvirtd >/dev/null; then
		pgrep -x virtlogd >/dev/null || { virtlogd -d && started+=(/run/virtlogd.pid); }
		libvirtd -d && started+=(/run/libvirtd.pid)
		sleep 2
	fi
	if ! $lv version >/dev/null 2>&1; then
		echo "skip: libvirt: libvirtd does not answer on qemu:///system"
	else
		# libvirt's qemu user opens the disk: a directory of our own that
		# it can reach (run.sh's TMPDIR sits in a 0700 directory).
		dir=$(mktemp -d /tmp/monos-libvirt.XXXXXX) && chmod 755 "$dir"
		cp "$scratch/virt.raw" "$dir/virt.raw"
		dom=monos-export-test-$$
		sed -e "s|<name>[^<]*</name>|<name>$dom</name>|" -e "s|$scratch/virt.raw|$dir/virt.raw|" \
			-e "s|<serial type='pty'>|<serial type='pty'><log file='$dir/serial.log' append='off'/>|" \
			"$scratch/domain.xml" >"$dir/domain.xml"
		run $lv define "$dir/domain.xml"
		check "libvirt: virsh define" status_is 0
		run $lv start "$dom"
		check "libvirt: virsh start" status_is 0
		for _ in $(seq 1 "$BOOT_TIMEOUT"); do
			[ "$($lv domstate "$dom" 2>/dev/null)" = "shut off" ] && break
			sleep 1
		done
		check "libvirt: the program on the serial log, then power-off by itself" \
			eval 'grep -q "hello from the disk" "$dir/serial.log" &&
				grep -q "monos: powering off" "$dir/serial.log" &&
				[ "$($lv domstate "$dom")" = "shut off" ]'
		$lv destroy "$dom" >/dev/null 2>&1
		$lv undefine "$dom" >/dev/null 2>&1
		rm -rf "$dir"
	fi
	for f in "${started[@]}"; do
		[ -r "$f" ] && kill "$(cat "$f")"
	done
}

mkdir -p "$scratch/app" && cd "$scratch/app" || exit 1
cat >monos.yaml <<'YAML'
program: /bin/sh
args: [-c, 'echo "hello from the disk"; exit 3']
restart: no
YAML
run "$MONOS" build -t disk:v1
check "build the image" status_is 0

# 1. raw, SeaBIOS.
run "$MONOS" export disk:v1 -o "$scratch/disk.raw"
check "export raw: status 0, a GPT disk" \
	eval 'status_is 0 && /usr/sbin/sgdisk -p "$scratch/disk.raw" | grep -q "monos-b"'
# The slots' and the ESP's zeros stay holes: this image's disk allocates a
# few MiB of its 147 (before: 84 MiB, every slot and ESP byte written).
check "export raw: sparse, under 16 MiB allocated" \
	[ $(($(stat -c '%b * %B' "$scratch/disk.raw"))) -lt $((16 << 20)) ]
boot "$scratch/disk.raw" raw
check "SeaBIOS: GRUB boots slot A, the output and exit status on the serial log" \
	eval 'serial_has "monos: booting slot a" && serial_has "hello from the disk" &&
		serial_has "monos: program exited with status 3"'
check "SeaBIOS: restart no powers off (QEMU ends by itself)" \
	eval 'status_is 0 && serial_has "monos: powering off"'

# 2. raw, OVMF.
if [ -r "$OVMF_CODE" ]; then
	cp "$OVMF_VARS" "$scratch/vars.fd"
	boot "$scratch/disk.raw" raw -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,file=$scratch/vars.fd"
	check "OVMF: GRUB's EFI image boots slot A; output, status, power-off" \
		eval 'status_is 0 && serial_has "hello from the disk" &&
			serial_has "monos: program exited with status 3" && serial_has "monos: powering off"'
else
	echo "skip: OVMF is not installed (Debian's ovmf)"
fi

# 3. on-failure: a failing program reboots; the network comes up by DHCP.
sed -i 's/^restart: no/restart: on-failure/' monos.yaml
run "$MONOS" build -t disk:fails
run "$MONOS" export disk:fails -o "$scratch/fails.raw"
check "export of the on-failure image" status_is 0
boot "$scratch/fails.raw" raw -netdev user,id=n -device virtio-net-pci,netdev=n
check "on-failure: status 3 reboots after the first backoff; DHCP lease on virtio-net-pci" \
	eval 'status_is 0 && serial_has "monos: restart policy on-failure: rebooting" &&
		serial_has "monos: slot a failed 1 boot in a row (exited-status-3): rebooting in 1 s" &&
		grep -q "monos: net: dhcp lease 10.0.2.15" "$scratch/serial"'

# 4. qcow2 boots; gce refused.
run "$MONOS" export disk:v1 -o "$scratch/disk.qcow2" --format qcow2
check "export qcow2: a qcow2 file" \
	eval 'status_is 0 && qemu-img info "$scratch/disk.qcow2" | grep -q "file format: qcow2"'
boot "$scratch/disk.qcow2" qcow2
check "qcow2 boots: output and power-off" \
	eval 'status_is 0 && serial_has "hello from the disk" && serial_has "monos: powering off"'
run "$MONOS" export disk:v1 -o "$scratch/disk.gce" --format gce
check "gce: refused with the reason, no file" \
	eval 'status_is 125 && err_matches "virtio-scsi or NVMe" && [ ! -e "$scratch/disk.gce" ]'
run "$MONOS" export nosuch -o "$scratch/x.raw"
check "an unknown image: refused, no file" eval 'status_is 125 && [ ! -e "$scratch/x.raw" ]'

# 5. --libvirt-xml.
run "$MONOS" export disk:v1 -o "$scratch/virt.raw" --libvirt-xml
check "--libvirt-xml: a q35 domain of type qemu on the disk" \
	eval 'status_is 0 && grep -q "<domain type=.qemu.>" "$scratch/out" &&
		grep -qF "$scratch/virt.raw" "$scratch/out"'
if command -v virt-xml-validate >/dev/null; then
	cp "$scratch/out" "$scratch/domain.xml"
	run virt-xml-validate "$scratch/domain.xml" domain
	check "--libvirt-xml: libvirt's schema accepts it" status_is 0
else
	echo "skip: virt-xml-validate is missing (Debian's libvirt-clients)"
fi
libvirt_boot

# 6. busybox httpd from a disk answers through QEMU's forwarded port.
mkdir -p "$scratch/web/www" && cd "$scratch/web" || exit 1
echo "served from the disk" >www/index.html
cat >monos.yaml <<'YAML'
program: /bin/busybox
args: [httpd, -f, -p, "8080", -h, /www]
files: [www:/www]
restart: no
YAML
run "$MONOS" build -t web:v1
run "$MONOS" export web:v1 -o "$scratch/web.raw"
check "export the web image" status_is 0
port=$(free_port)
timeout -k 5 "$BOOT_TIMEOUT" qemu-system-x86_64 -M q35 -m 256M -display none -nodefaults \
	-serial "file:$scratch/web.serial" \
	-drive "file=$scratch/web.raw,format=raw,if=none,id=d" -device virtio-blk-pci,drive=d \
	-netdev "user,id=n,hostfwd=tcp:127.0.0.1:$port-:8080" -device virtio-net-pci,netdev=n \
	</dev/null >/dev/null 2>&1 &
qemu=$!
for _ in $(seq 1 "$BOOT_TIMEOUT"); do
	run curl -s -m 2 "http://127.0.0.1:$port/"
	[ "$rc" -eq 0 ] && break
	sleep 1
done
check "the disk's server answers over the network" eval 'status_is 0 && out_has "served from the disk"'
kill "$qemu"
wait "$qemu" 2>/dev/null
finish
