#!/usr/bin/env bash
# lwIP for the kernel (design.md point 10): fetch Debian's source package of
# lwIP 2.1.3 at build time, unpack it and apply Debian's patches, into a
# folder git ignores.  Nothing of lwIP is ever copied into the repository.
#
# Usage: scripts/lwip.sh DIR
#   DIR (e.g. build/lwip) receives:
#     apt/         a private apt state (a deb-src entry; the machine's own apt
#                  configuration is never touched) and the downloaded
#                  source package: .dsc, orig and debian tarballs
#     src/         the unpacked, patched source tree (src/src/core/tcp.c ...)
#     stamp        written last: its presence means src/ is complete
# Idempotent and cached: with DIR/stamp present it does nothing.  Needs
# apt-get and dpkg-source (dpkg-dev; scripts/deps.sh installs it) and the
# network for the first run.  Exits non-zero with one clear line on failure,
# leaving no half-unpacked src/ behind.
set -euo pipefail

PKG=lwip
VERSION=2.1.3+dfsg1-2 # the version design.md names (bookworm's)
DIR=${1:?usage: scripts/lwip.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd) # apt resolves relative Dir:: paths against /etc/apt
APT=$DIR/apt

die() {
	echo "lwip.sh: $*" >&2
	exit 1
}

[ -f "$DIR/stamp" ] && exit 0
command -v apt-get >/dev/null || die "apt-get not found: lwIP comes from Debian's source package"
command -v dpkg-source >/dev/null || die "dpkg-source not found: install dpkg-dev (scripts/deps.sh)"

# The machine's first Debian archive URI and keyring, reused for deb-src.
# Without a deb822 file (an old sources.list), fall back to deb.debian.org.
uri=http://deb.debian.org/debian
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	u=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	[ -n "$u" ] && uri=$u
fi

mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts"
cat >"$APT/parts/monos-src.sources" <<EOF
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: $keyring
EOF
: >"$APT/sources.list" # empty: only the deb-src entry above counts
opts=(-o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=$APT/parts"
	-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
	-o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)

if ! ls "$APT"/${PKG}_*.dsc >/dev/null 2>&1; then
	apt-get "${opts[@]}" update >"$APT/update.log" 2>&1 ||
		die "apt-get update of the deb-src entry failed (see $APT/update.log)"
	(cd "$APT" && apt-get "${opts[@]}" source --download-only "$PKG=$VERSION") \
		>"$APT/source.log" 2>&1 ||
		die "apt-get source $PKG=$VERSION failed (see $APT/source.log)"
	rm -rf "$APT/lists" "$APT/cache" # 20 MB of indexes, no longer needed
fi

# dpkg-source checks every file against the .dsc's checksums and applies
# debian/patches.  It warns that it cannot check the uploader's signature
# (no debian-keyring): the .dsc's own hash was already checked by apt
# against the archive's signed Sources index.
rm -rf "$DIR/src" "$DIR/src.tmp"
dpkg-source -x "$APT"/${PKG}_*.dsc "$DIR/src.tmp" >"$APT/unpack.log" 2>&1 ||
	die "dpkg-source -x failed (see $APT/unpack.log)"
rm -f "$DIR"/${PKG}_*.orig.tar.* # dpkg-source leaves a copy beside the tree
[ -f "$DIR/src.tmp/src/core/tcp.c" ] || die "unexpected source layout in $DIR/src.tmp"
mv "$DIR/src.tmp" "$DIR/src"
echo "$PKG $VERSION" >"$DIR/stamp"
