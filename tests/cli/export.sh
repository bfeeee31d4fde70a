#!/usr/bin/env bash
# CLI test: `monos export` (cli/cmd_export.c, export_*.c; docs/export.md).
# 1. An image exported raw boots from GRUB under QEMU q35 with SeaBIOS: the
#    program's output and its exit status on the serial log, then the
#    restart policy's power-off (QEMU ends by itself).
# 2. The same disk under OVMF (UEFI, GRUB's BOOTX64.EFI).
# 3. restart: on-failure with a failing program reboots (-no-reboot: QEMU
#    ends on the reset), with network by DHCP on virtio-net-pci.
# 4. qcow2 boots; gce is refused with its reason and leaves no file.
# 5. --libvirt-xml prints a domain that libvirt's schema accepts.
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
check "on-failure: status 3 reboots; DHCP lease on virtio-net-pci" \
	eval 'status_is 0 && serial_has "monos: restart policy on-failure: rebooting" &&
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
finish
