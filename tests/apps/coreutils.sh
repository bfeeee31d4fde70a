# GNU coreutils, grep, sed, gzip and perl from Debian, unmodified: each on
# data packed with --file, compared with the host.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/sort

for i in $(seq 1 500); do echo "$((i * 7919 % 1000)) item-$i"; done >"$scratch/data"
gzip -c "$scratch/data" >"$scratch/data.gz"

app_compare "sort -n" --file "$scratch/data" -- /usr/bin/sort -n "$scratch/data"
app_compare "sha256sum" --file "$scratch/data" -- /usr/bin/sha256sum "$scratch/data"
app_compare "md5sum" --file "$scratch/data" -- /usr/bin/md5sum "$scratch/data"
app_compare "wc" --file "$scratch/data" -- /usr/bin/wc "$scratch/data"
app_compare "seq and formatting" -- /usr/bin/seq -f '%05.1f' 1 0.5 4
app_compare "date of the epoch" -- /usr/bin/date -u -d @0 '+%Y-%m-%d %H:%M:%S %A'
mkdir -p "$scratch/tree/sub" && touch "$scratch/tree/b" "$scratch/tree/a" "$scratch/tree/sub/c"
app_compare "ls -1R of a tree" --file "$scratch/tree" -- /usr/bin/ls -1R "$scratch/tree"
app_compare "grep -c" --file "$scratch/data" -- /usr/bin/grep -c 'item-4' "$scratch/data"
app_compare "sed" --file "$scratch/data" -- /usr/bin/sed -n 's/item-\(1..\)$/#\1/p' "$scratch/data"
app_compare "gzip -dc" --file "$scratch/data.gz" -- /usr/bin/gzip -dc "$scratch/data.gz"
app_compare "perl" -- /usr/bin/perl -e 'my %h = map { $_ => $_ ** 2 } 1..20; print join(",", map { "$_=$h{$_}" } sort { $a <=> $b } keys %h), "\n"'
finish
