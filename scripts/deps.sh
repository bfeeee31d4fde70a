#!/usr/bin/env bash
# Installs the Debian packages monos needs to build, run and test, and only
# those missing: safe to run again and again.  Nothing is fetched from
# anywhere but Debian's package archive.
set -euo pipefail
need=(gcc make binutils libc6-dev linux-libc-dev musl-tools qemu-system-x86 cpio coreutils
	sqlite3 lua5.4 busybox-static python3 perl gzip grep sed
	dpkg-dev xz-utils) # dpkg-source unpacks lwIP's source package (scripts/lwip.sh)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "monos: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
