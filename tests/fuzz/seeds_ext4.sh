#!/usr/bin/env bash
# The ext4 fuzz target's first seeds (tests/fuzz/corpus/ext4/): small images
# made by Debian's mkfs.ext4 and debugfs, stored as their non-zero 1 KiB
# chunks (the input format of tests/fuzz/fuzz_ext4.c).  Run once; `make fuzz` then
# grows and minimises the corpus.  Variants: 1 KiB and 4 KiB blocks, with
# and without metadata_csum (without, mutations get past the checksums and
# reach the parsers behind them), block maps instead of extents, 128-byte
# inodes, htree directories (one and two index levels), and journals
# needing recovery.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=tests/fuzz/corpus/ext4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CORPUS" "$work/src/d" "$work/dx/big" "$work/dx2/big"
echo hello >"$work/src/hello"
ln -s hello "$work/src/link"
head -c 5000 /dev/urandom >"$work/src/d/f"
ln -s "$(printf 'x%.0s' $(seq 100))" "$work/src/d/slow"
printf '\0' | dd of="$work/src/d/sparse" bs=1 seek=40000 status=none
(cd "$work/dx/big" && seq -f 'e%.0f' 1 120 | xargs touch)
# Long names (a few to a 1 KiB leaf): 600 of them index in two levels.
(cd "$work/dx2/big" && seq -f "%.0f-$(printf 'n%.0s' $(seq 190))" 1 600 | xargs touch)

# seed NAME SIZE MKFS-OPTIONS... : make an image from $work/src, keep its non-zero prefix.
seed() {
	local name=$1 size=$2 img=$work/$1
	shift 2
	truncate -s "$size" "$img"
	mkfs.ext4 -q -N 32 "$@" "$img" >/dev/null
	debugfs -w -R 'rmdir lost+found' "$img" >/dev/null 2>&1
	keep "$img"
}

# keep IMAGE: store it as the target's input (tests/fuzz/fuzz_ext4.c): a
# record (2-byte chunk number, 1 KiB) per non-zero chunk.  In a one-group
# image, free blocks are zeroed first (lost+found, removed, leaves data).
keep() {
	python3 - "$1" "$CORPUS/seed-$(basename "$1")" <<'PY'
import struct, sys
img = bytearray(open(sys.argv[1], 'rb').read())
bs = 1024 << struct.unpack_from('<I', img, 1024 + 0x18)[0]
blocks, = struct.unpack_from('<I', img, 1024 + 0x04)
first, = struct.unpack_from('<I', img, 1024 + 0x14)
if blocks - first <= 8 * bs:  # one group: its block bitmap says what is used
    bitmap_blk, = struct.unpack_from('<I', img, (first + 1) * bs)
    bitmap = img[bitmap_blk * bs:(bitmap_blk + 1) * bs]
    for b in range(blocks - first):
        if not bitmap[b // 8] >> (b % 8) & 1:
            img[(first + b) * bs:(first + b + 1) * bs] = bytes(bs)
with open(sys.argv[2], 'wb') as out:
    for i in range(0, len(img), 1024):
        chunk = bytes(img[i:i + 1024])
        if chunk.strip(b'\0'):
            out.write(struct.pack('<H', i // 1024) + chunk)
PY
}

seed csum-1k 256K -b 1024 -O ^has_journal -d "$work/src"
seed plain-1k 256K -b 1024 -O ^has_journal,^metadata_csum -d "$work/src"
seed blockmap-1k 256K -b 1024 -O ^has_journal,^metadata_csum,^extent,^64bit,^flex_bg -d "$work/src"
seed small-inodes-4k 512K -b 4096 -I 128 -O ^has_journal,^metadata_csum -d "$work/src"
seed dx-1k 512K -b 1024 -N 160 -O ^has_journal,^metadata_csum -d "$work/dx"
e2fsck -fyD "$work/dx-1k" >/dev/null 2>&1 || true # index the directory
keep "$work/dx-1k"
# Two index levels, with metadata_csum (dx_tail checksums) and 128-byte inodes (a smaller seed).
seed dx2-1k 2M -b 1024 -I 128 -N 640 -O ^has_journal -d "$work/dx2"
e2fsck -fyD "$work/dx2-1k" >/dev/null 2>&1 || true
debugfs -R 'htree /big' "$work/dx2-1k" 2>/dev/null | grep -q 'Indirect levels: 1'
keep "$work/dx2-1k"
# Journals needing recovery (debugfs: jo opens, -c with checksums v3, jw logs, jc closes).
for c in "" -c; do
	img=$work/journal${c:-plain}
	truncate -s 3M "$img"
	mkfs.ext4 -q -b 1024 -N 16 -J size=1 "$img"
	printf 'jo %s\njw -b 60,61 %s\njw -r 61\njc\n' "$c" "$work/src/d/f" | debugfs -w -f - "$img" >/dev/null 2>&1
	keep "$img"
done
ls -l "$CORPUS"
