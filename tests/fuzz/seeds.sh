#!/usr/bin/env bash
# Collect the host fuzz targets' first seeds from real inputs, into
# tests/fuzz/corpus/TARGET/ (run once; `make fuzz` then grows and minimises
# the corpora).  Needs a built monos (make).
#   elf:     small ELF programs and libraries of the host and of our build
#   cpio:    the images `monos run` writes (program, --file tree, per-run data)
#   channel: the guest-to-host UART streams of real runs (ok, failing, killed)
#   cmdline: the kernel command lines monos hands QEMU, as the kernel sees them
# The image, command line and channel stream are recorded by a stand-in for
# QEMU (MONOS_QEMU) that copies -initrd and -append and tees QEMU's stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CORPUS=tests/fuzz/corpus
MAX_SEED=131072 # bytes: bigger files slow the fuzzer and the repository down
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CORPUS"/{elf,cpio,channel,cmdline}

# Store file $2 as a seed of target $1, named by its content.
keep() {
	[ "$(stat -Lc %s "$2")" -le $MAX_SEED ] || return 0
	install -m 644 "$2" "$CORPUS/$1/seed-$(sha1sum "$2" | cut -c1-16)"
}

for f in /bin/true /lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/librt.so.1 \
	"$BUILD/examples/hello" "$BUILD/tests/guest/musl/exit"; do
	[ -f "$f" ] && keep elf "$f"
done
# A dynamic musl program (PT_INTERP /lib/ld-musl-x86_64.so.1).
printf 'int main(void){return 0;}\n' >"$work/dyn.c"
musl-gcc -O2 -o "$work/dyn" "$work/dyn.c" && keep elf "$work/dyn"

cat >"$work/qemu" <<'QEMU'
#!/usr/bin/env bash
n=$(date +%s%N)
prev=""
for a in "$@"; do
	case $prev in
	-initrd) cp "$a" "$SEED_DIR/image.$n" ;;
	-append) printf '%s' "$a" >"$SEED_DIR/append.$n" ;;
	esac
	prev=$a
done
exec qemu-system-x86_64 "$@" > >(tee "$SEED_DIR/channel.$n")
QEMU
chmod +x "$work/qemu"
mkdir -p "$work/seen" "$work/tree/sub"
echo data >"$work/tree/sub/file"
ln -s file "$work/tree/sub/link"
run() {
	SEED_DIR=$work/seen MONOS_QEMU=$work/qemu timeout 60 "$BUILD/monos" run "$@" \
		</dev/null >/dev/null 2>&1 || true
}
run "$BUILD/examples/hello"
run --verbose --file "$work/tree:/t" -e A=b "$BUILD/tests/guest/musl/exit" exit 3
run "$BUILD/tests/guest/musl/crash" segv
run --trace-syscalls "$BUILD/tests/guest/musl/exit" raw 7
run --net user -p 8080:80 "$BUILD/examples/hello"
run /bin/true # too big an image to keep, but its channel stream is kept
for f in "$work"/seen/image.*; do keep cpio "$f"; done
for f in "$work"/seen/channel.*; do keep channel "$f"; done
for f in "$work"/seen/append.*; do keep cmdline "$f"; done
# What QEMU adds on microvm for each virtio-mmio device (design.md 1), and
# the key-NUL-line form the target also takes.
printf 'monos.channel=1 monos.ip=10.0.2.15/24 virtio_mmio.device=512@0xfeb00e00:12' \
	>"$work/c1"
printf 'virtio_mmio.device\0monos.channel=1 virtio_mmio.device=512@0xfeb00c00:11 virtio_mmio.device=0x200@0xfeb00e00:12' \
	>"$work/c2"
keep cmdline "$work/c1"
keep cmdline "$work/c2"
ls "$CORPUS"/* | head -50
