#!/usr/bin/env bash
# Figure 3, sizes: the kernel file QEMU boots (as built, and stripped here
# with strip --strip-all whatever the build did), its sections, and the image
# of hello, as the kernel reports it ("initrd N bytes" in `monos run -v`: the
# image and the per-run archive appended to it, design.md 8).
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/size.sh
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

KERNEL=${MONOS_KERNEL:-$BUILD/monos-kernel}
TARGET_BYTES=409600 # facts.md: kernel file <= 400 KB (KiB here: the stricter 400 000 is also shown)

bench_check_inputs
[[ -f $KERNEL ]] || bench_die "$KERNEL is missing (make all)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
strip --strip-all -o "$tmp/kernel" "$KERNEL" || bench_die "cannot strip $KERNEL"
kernel_bytes=$(stat -c %s "$KERNEL")
stripped_bytes=$(stat -c %s "$tmp/kernel")
read -r text data bss _ < <(size "$KERNEL" | awk 'NR == 2')
debug_bytes=-
[[ -f $KERNEL.debug ]] && debug_bytes=$(stat -c %s "$KERNEL.debug")

log=$(timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run --verbose "$BENCH_HELLO" </dev/null 2>&1 >/dev/null)
[[ $log =~ initrd\ ([0-9]+)\ bytes ]] || bench_die "no 'initrd N bytes' in the kernel log: $log"
image_bytes=${BASH_REMATCH[1]}
hello_bytes=$(stat -c %s "$BENCH_HELLO")
# The Linux guest: its kernel and the initramfs that holds hello alone.
LINUX_KERNEL=${BENCH_LINUX_KERNEL:-$BUILD/bench/linux/vmlinuz}
LINUX_INITRD=$BUILD/bench/linux/initramfs-hello.cpio.gz
[[ -f $LINUX_KERNEL && -f $LINUX_INITRD ]] || bench_die "the Linux guest is missing: make bench builds it"
lk_bytes=$(stat -c %s "$LINUX_KERNEL")
li_bytes=$(stat -c %s "$LINUX_INITRD")
modules_bytes=0
read -ra modules <"$BUILD/bench/linux/modules"
for m in "${modules[@]}"; do
	f=$(find "$BUILD/bench/linux/pkg/lib/modules" -name "$m.ko" | head -1)
	modules_bytes=$((modules_bytes + $(stat -c %s "$f")))
done
monos_total=$((kernel_bytes + image_bytes))
linux_total=$((lk_bytes + li_bytes))
datafile=${BENCH_DATA:+$BENCH_DATA/size.dat}
printf 'monos %d\nLinux %d\n' $((monos_total / 1024)) $((linux_total / 1024)) >"${datafile:-/dev/null}"
empty_bytes=$(stat -c %s "$BENCH_EMPTY")

cat <<EOF
## 9. Sizes (bytes)

| what | bytes | KiB |
|---|---|---|
| kernel file as built ($KERNEL) | $kernel_bytes | $((kernel_bytes / 1024)) |
| kernel file, strip --strip-all | $stripped_bytes | $((stripped_bytes / 1024)) |
| kernel sections: text / data / bss | $text / $data / $bss | - |
| kernel with debug information ($KERNEL.debug) | $debug_bytes | - |
| empty PVH guest file | $empty_bytes | - |
| hello program (musl static) | $hello_bytes | $((hello_bytes / 1024)) |
| image booted for \`monos run hello\` (initrd: image + per-run data) | $image_bytes | $((image_bytes / 1024)) |
| **monos: kernel file + image for hello** | $monos_total | $((monos_total / 1024)) |
| Linux guest: kernel (Debian's cloud vmlinuz, bzImage, $(cat "$BUILD/bench/linux/version")) | $lk_bytes | $((lk_bytes / 1024)) |
| Linux guest: initramfs for hello (cpio newc, gzip -9: busybox-static, $(wc -w <"$BUILD/bench/linux/modules") modules of $modules_bytes bytes uncompressed, /init, hello) | $li_bytes | $((li_bytes / 1024)) |
| **Linux guest: kernel + initramfs for hello** | $linux_total | $((linux_total / 1024)) |

Ratios: kernel file / empty guest file $(bench_ratio "$kernel_bytes" "$empty_bytes");
image / hello program $(bench_ratio "$image_bytes" "$hello_bytes");
Linux guest / monos, kernel + image: $(bench_ratio "$linux_total" "$monos_total"); kernel files
alone: $(bench_ratio "$lk_bytes" "$kernel_bytes").
Target (facts.md): kernel file <= 400 KB: $(bench_verdict "$kernel_bytes" $TARGET_BYTES) against 409 600 bytes,
$(bench_verdict "$kernel_bytes" 400000) against 400 000 bytes.

Commands:
\`\`\`
stat -c %s $KERNEL; strip --strip-all -o TMP $KERNEL; size $KERNEL
$BENCH_MONOS run --verbose $BENCH_HELLO    # kernel log: "initrd N bytes"
stat -c %s $LINUX_KERNEL $LINUX_INITRD    # built by bench/linux-guest.sh
\`\`\`

EOF
bench_summary "kernel file" "$kernel_bytes bytes" "<= 409 600 bytes" \
	"$(bench_verdict "$kernel_bytes" $TARGET_BYTES)"
bench_summary "image for hello" "$image_bytes bytes" "-" "-"
bench_summary "kernel + image for hello (monos; Linux guest)" "$monos_total; $linux_total bytes" "-" \
	"Linux $(bench_ratio "$linux_total" "$monos_total")x bigger"
