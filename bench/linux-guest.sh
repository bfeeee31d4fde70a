#!/usr/bin/env bash
# The Linux guest baseline: Debian's cloud kernel (linux-image-cloud-amd64)
# and an initramfs that runs one benchmark program, the same binaries monos
# runs.  This script builds it; bench/linux.sh runs it.
#
# The kernel package is fetched with `apt-get download` (Debian's archive
# only) into $BUILD/bench/linux/deb and unpacked with dpkg-deb -x; nothing is
# installed on the host.  The initramfs (cpio newc, gzip) holds:
#   /bin/busybox (busybox-static) and links for the few applets /init uses;
#   the virtio modules from the package, in dependency order: the package has
#     no modules.dep (facts.md), so the order is computed here from each
#     module's own "depends=" in its .modinfo section;
#   /init, a busybox shell script: mount devtmpfs, proc and sysfs, insmod the
#     modules, configure eth0 (10.0.2.15/24 via 10.0.2.2, QEMU's user
#     networking) when a network device exists, run the program named after
#     `--` on the kernel command line, print its exit status, poweroff -f;
#   the programs given, in /bench/<their base name>; a dynamically linked one
#     (Debian's redis-server, nginx) brings its program interpreter and the
#     libraries ldd resolves, each at the path it has on the host, as monos'
#     CLI packs them for its own image;
#   files given as SRC:DEST (a file or a folder), at DEST;
#   /tmp, and /etc/passwd and /etc/group holding root and nobody/nogroup
#     (nginx started as root looks "nobody" up).
#
# Usage: bench/linux-guest.sh OUT.cpio.gz PROGRAM|SRC:DEST...
#   Also leaves $BUILD/bench/linux/vmlinuz (the package's bzImage).
# Environment: BUILD (default build); BENCH_LINUX_PKG, the kernel package
# (default: what linux-image-cloud-amd64 depends on).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DIR=${BENCH_LINUX_DIR:-$BUILD/bench/linux}
# The leaves wanted; their dependencies are added.  virtio_mmio, not
# virtio_pci: microvm's devices are virtio-mmio, described by its ACPI tables.
# virtio_blk for the disk figure (bench/disk.sh).  BENCH_LINUX_MODULES
# replaces the list (bench/share.sh adds 9pnet_virtio and 9p, which only
# Debian's generic kernel has: BENCH_LINUX_PKG, in a BENCH_LINUX_DIR of its
# own).
WANT_MODULES=${BENCH_LINUX_MODULES:-"virtio_mmio virtio_net virtio_blk"}
APPLETS="sh mount insmod ip poweroff cat echo sleep"

die()
{
	echo "linux-guest: $*" >&2
	exit 1
}

(($# >= 2)) || die "usage: bench/linux-guest.sh OUT.cpio.gz PROGRAM..."
out=$1
shift
# busybox-static has no program interpreter: it runs without a libc.
if [[ ! -x /bin/busybox ]] || readelf -l /bin/busybox | grep -q INTERP; then
	die "/bin/busybox is not busybox-static (apt-get install busybox-static)"
fi

# Fetch and unpack the kernel package once; the metapackage only depends on
# the versioned one, which holds the files.
fetch_kernel()
{
	local pkg=${BENCH_LINUX_PKG:-}

	[[ -f $DIR/vmlinuz ]] && return 0
	if [[ -z $pkg ]]; then
		pkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
		[[ -n $pkg ]] || die "cannot resolve linux-image-cloud-amd64 (apt-get update?)"
	fi
	rm -rf "$DIR/deb" "$DIR/pkg"
	mkdir -p "$DIR/deb"
	(cd "$DIR/deb" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
	dpkg-deb -x "$DIR"/deb/*.deb "$DIR/pkg"
	cp "$DIR"/pkg/boot/vmlinuz-* "$DIR/vmlinuz.tmp"
	basename "$DIR"/pkg/boot/vmlinuz-* | sed 's/^vmlinuz-//' >"$DIR/version"
	mv "$DIR/vmlinuz.tmp" "$DIR/vmlinuz"
}

# The path of module $1 in the unpacked package.
module_path()
{
	find "$DIR/pkg/lib/modules" -name "$1.ko" | head -1
}

# The modules a module depends on, from its .modinfo "depends=" field.
module_deps()
{
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout | tr '\0' '\n' |
		sed -n 's/^depends=//p' | tr ',' ' '
}

# Print module $1 after everything it depends on (depth first), each once.
declare -A placed=()
module_order()
{
	local path dep

	[[ -n ${placed[$1]:-} ]] && return 0
	placed[$1]=1
	path=$(module_path "$1")
	[[ -n $path ]] || die "module $1 is not in the kernel package"
	for dep in $(module_deps "$path"); do
		module_order "$dep"
	done
	echo "$1"
}

# /init: the module list is written into it, the program comes from the
# kernel command line (everything after `--` is init's argv).  Init starts
# with no open files: /dev/console exists only once devtmpfs is mounted
# (Debian's kernel lacks DEVTMPFS_MOUNT), then the shell reopens it.
write_init()
{
	cat >"$1" <<EOF
#!/bin/sh
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in $2; do
	insmod /lib/modules/\$m.ko || echo "linux-guest: insmod \$m failed"
done
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
	ip addr add 10.0.2.15/24 dev eth0
	ip link set eth0 up
	ip route add default via 10.0.2.2
fi
"\$@"
echo "linux-guest: exit \$?"
poweroff -f
EOF
	chmod 755 "$1"
}

# Copy the program interpreter and libraries of dynamic program $1 into the
# stage at their host paths (ldd prints "name => path (addr)" and, for the
# interpreter, "path (addr)").
copy_libs()
{
	local lib

	readelf -l "$1" | grep -q INTERP || return 0
	for lib in $(ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^\t\(\/[^ ]*\) .*/\1/p'); do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

# The accounts nginx and redis may look up, taken from the host's files.
write_accounts()
{
	mkdir -p "$stage/etc"
	grep -E '^(root|nobody):' /etc/passwd >"$stage/etc/passwd"
	grep -E '^(root|nogroup):' /etc/group >"$stage/etc/group"
}

fetch_kernel
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules,bench}
chmod 1777 "$stage/tmp"
write_accounts
cp /bin/busybox "$stage/bin/busybox"
for a in $APPLETS; do
	ln -s busybox "$stage/bin/$a"
done
order=$(for m in $WANT_MODULES; do module_order "$m"; done | tr '\n' ' ')
for m in $order; do
	cp "$(module_path "$m")" "$stage/lib/modules/$m.ko"
done
write_init "$stage/init" "${order% }"
for p in "$@"; do
	if [[ $p == *:* ]]; then
		[[ -e ${p%%:*} ]] || die "${p%%:*} is missing"
		mkdir -p "$stage$(dirname "${p#*:}")"
		cp -rL "${p%%:*}" "$stage${p#*:}"
		continue
	fi
	[[ -x $p ]] || die "$p is missing"
	cp "$p" "$stage/bench/$(basename "$p")"
	copy_libs "$p"
done
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9n) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$order" >"$DIR/modules"
