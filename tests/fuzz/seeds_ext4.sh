#!/usr/bin/env bash
# The ext4 fuzz target's first seeds (tests/fuzz/corpus/ext4/): small images
# made by Debian's mkfs.ext4 and debugfs, their zero tail cut off (the
# target reads zeros past the input's end).  Run once; `make fuzz` then
# grows and minimises the corpus.  Variants: 1 KiB and 4 KiB blocks, with
# and without metadata_csum (without, mutations get past the checksums and
# reach the parsers behind them), block maps instead of extents, 128-byte
# inodes, an htree directory, and journals needing recovery.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=tests/fuzz/corpus/ext4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CORPUS" "$work/src/d" "$work/dx/big"
echo hello >"$work/src/hello"
ln -s hello "$work/src/link"
head -c 5000 /dev/urandom >"$work/src/d/f"
ln -s "$(printf 'x%.0s' $(seq 100))" "$work/src/d/slow"
printf '\0' | dd of="$work/src/d/sparse" bs=1 seek=40000 status=none
(cd "$work/dx/big" && seq -f 'e%.0f' 1 120 | xargs touch)

# seed NAME SIZE MKFS-OPTIONS... : make an image from $work/src, keep its non-zero prefix.
seed() {
	local name=$1 size=$2 img=$work/$1
	shift 2
	truncate -s "$size" "$img"
	mkfs.ext4 -q -N 32 "$@" "$img" >/dev/null
	keep "$img"
}

keep() {
	python3 - "$1" "$CORPUS/seed-$(basename "$1")" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read().rstrip(b'\0')
open(sys.argv[2], 'wb').write(data)
PY
}

seed csum-1k 256K -b 1024 -O ^has_journal -d "$work/src"
seed plain-1k 256K -b 1024 -O ^has_journal,^metadata_csum -d "$work/src"
seed blockmap-1k 256K -b 1024 -O ^has_journal,^metadata_csum,^extent,^64bit,^flex_bg -d "$work/src"
seed small-inodes-4k 512K -b 4096 -I 128 -O ^has_journal,^metadata_csum -d "$work/src"
seed dx-1k 512K -b 1024 -N 160 -O ^has_journal,^metadata_csum -d "$work/dx"
e2fsck -fyD "$work/dx-1k" >/dev/null 2>&1 || true # index the directory
keep "$work/dx-1k"
# Journals needing recovery (debugfs: jo opens, -c with checksums v3, jw logs, jc closes).
for c in "" -c; do
	img=$work/journal${c:-plain}
	truncate -s 3M "$img"
	mkfs.ext4 -q -b 1024 -N 16 -J size=1 "$img"
	printf 'jo %s\njw -b 60,61 %s\njw -r 61\njc\n' "$c" "$work/src/d/f" | debugfs -w -f - "$img" >/dev/null 2>&1
	keep "$img"
done
ls -l "$CORPUS"
