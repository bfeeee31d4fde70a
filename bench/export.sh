#!/usr/bin/env bash
# Bootable disks (issue 11; docs/export.md): `monos build` and `monos export`
# wall time for hello, redis and python3; the exported disk's size (raw and
# qcow2, allocated and virtual); and the wall time from QEMU's start to the
# first HTTP answer from a disk booted on q35 with SeaBIOS and with OVMF,
# against a Linux guest booted from a disk the same way, in the same run,
# rounds interleaved.
#
# Both disks serve the same busybox httpd (busybox-static) and the same page.
# The Linux disk is the monos disk with its payload swapped, so that the GPT,
# GRUB (Debian's, the same core.img and BOOTX64.EFI) and the firmware path
# are the same: slot A's ext2 holds Debian's cloud kernel and the initramfs
# bench/linux-guest.sh builds (busybox as /init's shell, virtio_pci and
# virtio_net, eth0 10.0.2.15/24), GRUB's linux module (with the rest of
# Debian's module directory) goes into the ESP, and grub.cfg boots
# `linux`/`initrd` instead of multiboot2.  The monos disk gets its address by
# DHCP, the Linux one statically (its initramfs has no DHCP client running);
# both behind QEMU's user networking with the port forwarded.
# Wall time only: under -icount the firmware's and GRUB's waits would count
# as instructions of neither guest, and the answer is what a user waits for.
#
# Usage: bench/export.sh [ROUNDS]   (default 3)   Prints a markdown section.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

ROUNDS=${1:-3}
ROOT=$PWD
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd
LINUX_MODULES="virtio_pci virtio_net"
for p in "$BENCH_MONOS" "$BENCH_HELLO" /usr/bin/redis-server /usr/bin/python3 /bin/busybox \
	"$OVMF_CODE"; do
	[[ -e $p ]] || bench_die "$p is missing (make all; scripts/deps.sh)"
done
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
KEEP=$BUILD/bench/export # the two disks and the last serial logs, for a look afterwards
mkdir -p "$KEEP"
export XDG_DATA_HOME=$tmp/xdg
MONOS=$(realpath "$BENCH_MONOS")
HELLO=$(realpath "$BENCH_HELLO")
PYLIB=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

mkdir -p "$tmp/hello" "$tmp/redis" "$tmp/python3" "$tmp/web/www"
printf 'program: %s\n' "$HELLO" >"$tmp/hello/monos.yaml"
printf 'program: /usr/bin/redis-server\nargs: [--version]\n' >"$tmp/redis/monos.yaml"
printf 'program: /usr/bin/python3\nargs: [-c, "import json"]\nfiles: [%s]\n' "$PYLIB" \
	>"$tmp/python3/monos.yaml"
echo "<html><body>hello from a disk</body></html>" >"$tmp/web/www/index.html"
cat >"$tmp/web/monos.yaml" <<YAML
program: /bin/busybox
args: [httpd, -f, -p, '8080', -h, /www]
files: ['/bin/busybox:/bin/busybox', 'www:/www']
YAML

# stats: "median (min-max)" of the numbers on stdin, in ms from us.
stats() {
	bench_stats | awk '{ printf "%.0f (%.0f-%.0f)", $1 / 1000, $2 / 1000, $3 / 1000 }'
}
# once APP CMD...: wall microseconds of CMD run in APP's directory.
once() {
	local app=$1
	shift
	cd "$tmp/$app" || bench_die "no $tmp/$app"
	bench_time_once "$@" >"$tmp/t"
	[[ $BENCH_LAST_STATUS == 0 ]] || bench_die "$app: $* failed"
	cut -d' ' -f1 "$tmp/t"
}
alloc() { echo $(($(stat -c '%b * %B' "$1"))); }
qcow2_field() { qemu-img info --output=json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

echo "## 20. Bootable disks: export, size, boot to the first answer"
echo
echo "\`bash bench/export.sh $ROUNDS\`: $ROUNDS rounds each, median (min-max) wall milliseconds."
echo "A build starts from an empty store; an export writes a raw disk from the stored image."
echo
echo "| application | monos build (ms) | monos export (ms) | raw: virtual / allocated (bytes) | qcow2: virtual / file (bytes) |"
echo "|---|---|---|---|---|"
for app in hello redis python3; do
	: >"$tmp/b" && : >"$tmp/e"
	for ((r = 0; r < ROUNDS; r++)); do
		rm -rf "$XDG_DATA_HOME"
		once "$app" "$MONOS" build -t "$app" >>"$tmp/b"
		rm -f "$tmp/$app.raw"
		once "$app" "$MONOS" export "$app" -o "$tmp/$app.raw" >>"$tmp/e"
	done
	(cd "$tmp/$app" && "$MONOS" export "$app" -o "$tmp/$app.qcow2" --format qcow2 >/dev/null) ||
		bench_die "$app: qcow2 export failed"
	echo "| $app | $(stats <"$tmp/b") | $(stats <"$tmp/e") |" \
		"$(stat -c %s "$tmp/$app.raw") / $(alloc "$tmp/$app.raw") |" \
		"$(qcow2_field "$tmp/$app.qcow2" virtual-size) / $(stat -c %s "$tmp/$app.qcow2") |"
done

# --- boot to the first answer ----------------------------------------------
cd "$ROOT" || exit 1
(cd "$tmp/web" && "$MONOS" build -t web >/dev/null && "$MONOS" export web -o "$tmp/monos.raw" >/dev/null) ||
	bench_die "web: build or export failed"

# The Linux disk: the monos disk, payload swapped.
BENCH_LINUX_MODULES=$LINUX_MODULES bash bench/linux-guest.sh "$tmp/initrd.gz" "$tmp/web/www:/www" >/dev/null ||
	bench_die "bench/linux-guest.sh failed"
VMLINUZ=${BENCH_LINUX_DIR:-$BUILD/bench/linux}/vmlinuz
cp "$tmp/monos.raw" "$tmp/linux.raw"
part_first() { /usr/sbin/sgdisk -i "$1" "$2" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }
part_last() { /usr/sbin/sgdisk -i "$1" "$2" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p'; }
esp="$tmp/linux.raw@@$(($(part_first 2 "$tmp/linux.raw") * 512))"
slot_first=$(part_first 3 "$tmp/linux.raw")
slot_kib=$((($(part_last 3 "$tmp/linux.raw") - slot_first + 1) / 2))
mkdir -p "$tmp/slot/linux"
cp "$VMLINUZ" "$tmp/slot/linux/vmlinuz"
cp "$tmp/initrd.gz" "$tmp/slot/linux/initrd.gz"
/usr/sbin/mke2fs -q -F -t ext2 -L monos-a -d "$tmp/slot" -E offset=$((slot_first * 512)) \
	"$tmp/linux.raw" "${slot_kib}k" || bench_die "mke2fs of the Linux slot failed"
cat >"$tmp/grub.cfg" <<'CFG'
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
search --no-floppy --set=slotdev --label monos-a
linux ($slotdev)/linux/vmlinuz console=ttyS0 quiet panic=-1 TSC -- /bin/busybox httpd -f -p 8080 -h /www
initrd ($slotdev)/linux/initrd.gz
boot
CFG
if [[ -z ${BENCH_TSC_KHZ:-} ]]; then
	log=$("$BENCH_MONOS" run --verbose "$BENCH_HELLO" 2>&1 >/dev/null)
	[[ $log =~ tsc\ ([0-9]+)\ kHz ]] && BENCH_TSC_KHZ=${BASH_REMATCH[1]}
fi
[[ -n ${BENCH_TSC_KHZ:-} ]] || bench_die "no host TSC frequency from monos' log"
sed -i "s/TSC/tsc_early_khz=$BENCH_TSC_KHZ/" "$tmp/grub.cfg"
mmd -i "$esp" ::/grub/i386-pc ::/grub/x86_64-efi || bench_die "mmd failed"
mcopy -i "$esp" /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst ::/grub/i386-pc/ &&
	mcopy -i "$esp" /usr/lib/grub/x86_64-efi/*.mod /usr/lib/grub/x86_64-efi/*.lst ::/grub/x86_64-efi/ &&
	mcopy -o -i "$esp" "$tmp/grub.cfg" ::/grub/grub.cfg || bench_die "mcopy into the ESP failed"

# first_answer DISK FIRMWARE: wall microseconds from QEMU's start to the
# first answer of GET / through the forwarded port; the serial log kept.
first_answer() {
	local disk=$1 fw=() port t0 t1 pid
	port=$(bench_free_port)
	if [[ $2 == ovmf ]]; then
		cp "$OVMF_VARS" "$tmp/vars.fd"
		fw=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,file=$tmp/vars.fd")
	fi
	t0=${EPOCHREALTIME/[.,]/}
	qemu-system-x86_64 -M q35 -m 256M -display none -nodefaults "${fw[@]}" \
		-serial "file:$KEEP/serial-$(basename "$disk" .raw)-$2" \
		-drive "file=$disk,format=raw,if=none,id=d" -device virtio-blk-pci,drive=d \
		-netdev "user,id=n,hostfwd=tcp:127.0.0.1:$port-:8080" -device virtio-net-pci,netdev=n \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	while ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; do
		if ! kill -0 "$pid" 2>/dev/null || ((${EPOCHREALTIME/[.,]/} - t0 > BENCH_TIMEOUT * 1000000)); then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			bench_die "$disk ($2): no answer within $BENCH_TIMEOUT s"
		fi
		sleep 0.05
	done
	t1=${EPOCHREALTIME/[.,]/}
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo $((10#$t1 - 10#$t0))
}

cp --sparse=always "$tmp/monos.raw" "$tmp/linux.raw" "$KEEP/"
BENCH_TIMEOUT=${BENCH_TIMEOUT_BOOT:-300}
for fw in seabios ovmf; do
	: >"$tmp/m-$fw" && : >"$tmp/l-$fw"
done
for ((r = 0; r < ROUNDS; r++)); do
	for fw in seabios ovmf; do
		first_answer "$tmp/monos.raw" "$fw" >>"$tmp/m-$fw"
		first_answer "$tmp/linux.raw" "$fw" >>"$tmp/l-$fw"
	done
done
echo
echo "Boot to the first answer (GET / answered through user networking), a"
echo "$(stat -c %s "$tmp/monos.raw")-byte raw disk, \`qemu-system-x86_64 -M q35 -m 256M\`"
echo "with virtio-blk-pci and virtio-net-pci, TCG; Linux: $(cat "${BENCH_LINUX_DIR:-$BUILD/bench/linux}/version" 2>/dev/null)"
echo "with \`tsc_early_khz=$BENCH_TSC_KHZ quiet\`:"
echo
echo "| firmware | monos disk (ms) | Linux guest disk (ms) | Linux / monos |"
echo "|---|---|---|---|"
for fw in seabios ovmf; do
	m=$(bench_stats <"$tmp/m-$fw" | cut -d' ' -f1)
	l=$(bench_stats <"$tmp/l-$fw" | cut -d' ' -f1)
	echo "| $fw | $(stats <"$tmp/m-$fw") | $(stats <"$tmp/l-$fw") | $(awk -v a="$l" -v b="$m" 'BEGIN { printf "%.2f", a / b }') |"
done
echo
echo "Host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
