# busybox from busybox-static, unmodified: sha256sum, wc, sort, ls, tar.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
bb=/bin/busybox
need $bb

mkdir -p "$scratch/data/sub"
for i in $(seq 1 300); do echo "line $((i * 7919 % 300)) of the data"; done >"$scratch/data/lines"
head -c 100000 /dev/urandom >"$scratch/data/random"
echo inner >"$scratch/data/sub/inner"
(cd "$scratch" && tar -cf data.tar data)

app_compare "sha256sum" --file "$scratch/data" -- $bb sha256sum "$scratch/data/lines" "$scratch/data/random"
app_compare "wc" --file "$scratch/data" -- $bb wc "$scratch/data/lines" "$scratch/data/random"
app_compare "sort -n -k2" --file "$scratch/data" -- $bb sort -n -k2 "$scratch/data/lines"
app_compare "ls" --file "$scratch/data" -- $bb ls -1 "$scratch/data" "$scratch/data/sub"
app_compare "tar -t" --file "$scratch/data.tar" -- $bb tar -tvf "$scratch/data.tar"
app_compare "tar -xO" --file "$scratch/data.tar" -- $bb tar -xOf "$scratch/data.tar" data/lines
finish
