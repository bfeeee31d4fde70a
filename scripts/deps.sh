#!/usr/bin/env bash
# Installs the Debian packages monos needs to build, run and test, and only
# those missing: safe to run again and again.  Nothing is fetched from
# anywhere but Debian's package archive.
set -euo pipefail
need=(gcc make binutils libc6-dev linux-libc-dev musl-tools qemu-system-x86 cpio coreutils
	sqlite3 lua5.4 busybox-static python3 perl gzip grep sed iproute2
	redis-server redis-tools nginx-light curl golang-go \
	git # tests/apps/git.sh (bash and dash, tests/apps/shells.sh, are Essential)
	postgresql-15 postgresql-client-15 # tests/apps/postgres.sh: initdb, postgres, psql
	dpkg-dev xz-utils # dpkg-source unpacks lwIP's source package (scripts/lwip.sh)
	clang libclang-rt-14-dev # the host fuzz targets: clang -fsanitize=fuzzer (tests/fuzz)
	genisoimage cloud-image-utils dosfstools mtools # cloud-init seeds for the unit tests of kernel/lib's ISO 9660 and FAT readers
	prometheus # tests/cli/api_prometheus.sh: Debian's Prometheus scrapes the agent's /metrics
	etcd-server etcd-client # tests/cli/etcd.sh: instances register in Debian's etcd 3.4 (etcdctl checks)
	podman runc uidmap containernetworking-plugins netavark aardvark-dns catatonit # the OCI runtime's tests (tests/cli/oci_*.sh): podman with runc to compare against
	containerd # tests/cli/oci_containerd.sh: ctr run and the runc shim v2 with monos-runtime as its runc binary
	grub-pc-bin grub-efi-amd64-bin gdisk ovmf qemu-utils libvirt-clients libvirt-daemon-system # monos export: GRUB's images, sgdisk, UEFI boots in tests/cli/export*.sh, qcow2, virt-xml-validate, virsh define/start
	e2fsprogs) # mkfs.ext4, debugfs and e2fsck make and check the ext4 tests' images (tests/unit/test_ext4_*.c)
# `scripts/deps.sh bench` (make bench): the benchmarks' own packages too:
# the HTTP load generator and client, the charts, and the Linux guest's /init
# shell (its kernel is fetched by bench/linux-guest.sh, not installed).
bench_need=(wrk curl gnuplot-nox busybox-static util-linux)
[ "${1:-}" = bench ] && need+=("${bench_need[@]}")
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "monos: installing ${missing[*]}" >&2
$sudo apt-get update -qq
# redis-server, nginx and postgresql are services: installing them must not start them
# (they are run inside monos, and a busy port 80 or 6379 would fail the
# install).  policy-rc.d answering 101 is Debian's way to say so; ours is
# put in place only if there is none, and removed after.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	trap '$sudo rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
