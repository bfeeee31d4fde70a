#!/usr/bin/env bash
# CLI test: the image store (cli/store*.c; docs/manifest.md "Images").
# 1. build -t, images, inspect (JSON: digest, tags, the configuration).
# 2. run IMAGE, with flags and ARGS over its configuration; run -f.
# 3. Reproducible: the same manifest built in two directories, a second
#    apart, with different file times, gives one digest.
# 4. tag, rmi (a tag; the image once no tag is left; by digest prefix).
# 5. save, then load into a second store ($XDG_DATA_HOME), and run there;
#    an archive with a changed byte is refused and loads nothing.
# 6. A corrupt byte or a truncated tree in the store is refused at run,
#    before any boot; a damaged configuration too.
. "$(dirname "$0")/lib/common.bash"

RUN_TIMEOUT=120
export XDG_DATA_HOME=$scratch/xdg
STORE=$XDG_DATA_HOME/monos/images
guest() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" "$@"
}

mkdir -p "$scratch/a" && cd "$scratch/a" || exit 1
echo "greetings from the image" >greeting.txt
cat >monos.yaml <<'YAML'
program: /bin/sh
args: [-c, 'read l </app/greeting.txt; echo "$l"; echo "$WHO"']
env: {WHO: manifest}
files: [greeting.txt:/app/greeting.txt]
memory: 64M
restart: on-failure:2
YAML

# 1. build, images, inspect.
guest build -t greet:v1
check "build: status 0, prints the digest" eval 'status_is 0 && grep -qE "^sha256:[0-9a-f]{64}$" "$scratch/out"'
digest=$(cat "$scratch/out")
guest images
check "images: lists greet v1 with the short digest" \
	eval 'status_is 0 && grep -qE "^greet +v1 +${digest:7:12} " "$scratch/out"'
guest inspect greet:v1
check "inspect: JSON with the digest, tag and configuration" eval 'status_is 0 && python3 -c "
import json, sys
i = json.load(open(sys.argv[1]))[0]
assert i[\"Id\"] == sys.argv[2] and i[\"RepoTags\"] == [\"greet:v1\"]
c = i[\"Config\"]
assert c[\"config\"][\"env\"] == {\"WHO\": \"manifest\"} and c[\"config\"][\"restart\"] == \"on-failure:2\"
assert c[\"rootfs_size\"] == i[\"Size\"] > 0 and c[\"exe\"].endswith(\"sh\")
" "$scratch/out" "$digest"'
guest inspect nosuch
check "inspect: an unknown image is an error" eval 'status_is 125 && err_matches "no such image or instance: nosuch"'

# 2. run IMAGE, with overrides; run -f.
guest run greet:v1
check "run IMAGE: the image's files, args and env" \
	eval 'status_is 0 && [ "$(cat "$scratch/out")" = "greetings from the image
manifest" ]'
guest run -e WHO=flag greet:v1
check "run -e over IMAGE: the flag wins" eval 'status_is 0 && out_has flag'
guest run greet:v1 -c 'echo replaced; exit 3'
check "run IMAGE ARGS: ARGS replace the args" eval 'status_is 3 && out_has replaced'
guest run -m 1M greet:v1
check "run IMAGE: a bad flag is still refused" eval 'status_is 125 && err_matches "memory"'
guest run "${digest:7:12}"
check "run by digest prefix" eval 'status_is 0 && out_has manifest'
guest run -f monos.yaml
check "run -f: the same output without the store" eval 'status_is 0 && out_has manifest'

# 3. Reproducible builds.
cp -r "$scratch/a" "$scratch/b"
touch -d '2001-02-03 04:05:06' "$scratch/b/greeting.txt" "$scratch/b/monos.yaml"
sleep 1
(cd "$scratch/b" && "$MONOS" build) >"$scratch/b.digest" 2>"$scratch/err"
check "reproducible: another directory, another time, one digest" \
	eval '[ "$(cat "$scratch/b.digest")" = "$digest" ]'
echo changed >"$scratch/b/greeting.txt"
(cd "$scratch/b" && "$MONOS" build) >"$scratch/b.digest" 2>"$scratch/err"
check "...and another content, another digest" \
	eval 'grep -q "^sha256:" "$scratch/b.digest" && [ "$(cat "$scratch/b.digest")" != "$digest" ]'
other=$(cat "$scratch/b.digest")

# Times: the manifest directory's files at 0 (where and when they were
# copied), other host files their own (Python checks .pyc files against
# their sources' times: with every time at 0, each import compiled again).
mkdir -p "$scratch/times" && cp "$scratch/a/greeting.txt" "$scratch/times/"
printf 'program: /usr/bin/stat\nargs: [-c, "%%Y %%n", /usr/bin/stat, /app/g]\nfiles: [greeting.txt:/app/g]\n' \
	>"$scratch/times/monos.yaml"
(cd "$scratch/times" && "$MONOS" build -t times >/dev/null 2>"$scratch/err")
guest run times
check "times: a host file keeps its time, the manifest directory's are 0" \
	eval 'status_is 0 && out_has "$(stat -c %Y /usr/bin/stat) /usr/bin/stat" && out_has "0 /app/g"'
"$MONOS" rmi times >/dev/null

# 4. tag, rmi.
guest tag greet:v1 hello
check "tag: status 0" status_is 0
guest images
check "tag: hello:latest names the same image" \
	eval 'grep -qE "^hello +latest +${digest:7:12} " "$scratch/out"'
guest rmi greet:v1
check "rmi TAG: untags, the image stays for its other tag" \
	eval 'status_is 0 && out_has "Untagged: greet:v1" && ! grep -q Deleted "$scratch/out" && [ -e "$STORE/configs/${digest:7}.json" ]'
guest rmi "${other:7:12}"
check "rmi DIGEST: deletes an untagged image" eval 'status_is 0 && out_has "Deleted: $other"'
check "rmi DIGEST: its configuration is gone" eval '[ ! -e "$STORE/configs/${other:7}.json" ]'
guest rmi nosuch
check "rmi: an unknown image is an error" eval 'status_is 125 && err_matches "no such image"'

# 5. save and load between two stores.
guest save hello -o "$scratch/hello.tar"
check "save: a tar of the store's files" \
	eval 'status_is 0 && tar tf "$scratch/hello.tar" | sort | tr "\n" " " | grep -qE "^configs/[0-9a-f]{64}.json rootfs/[0-9a-f]{64}.cpio tags $"'
XDG_DATA_HOME=$scratch/xdg2 guest load -i "$scratch/hello.tar"
check "load: into another store" eval 'status_is 0 && out_has "Loaded image: hello:latest"'
XDG_DATA_HOME=$scratch/xdg2 guest run hello
check "load: the loaded image runs" eval 'status_is 0 && out_has "greetings from the image"'
python3 - "$scratch/hello.tar" "$scratch/bad.tar" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[2048 + 512 + 100] ^= 1  # a byte of the tree (after the configuration)
open(sys.argv[2], "wb").write(b)
PY
XDG_DATA_HOME=$scratch/xdg3 guest load -i "$scratch/bad.tar"
check "load: a changed byte is refused" eval 'status_is 125 && err_matches "does not match its digest"'
XDG_DATA_HOME=$scratch/xdg3 guest images
check "load: ... and nothing was loaded" eval '[ "$(wc -l <"$scratch/out")" -eq 1 ]'
head -c 5000 "$scratch/hello.tar" >"$scratch/short.tar"
XDG_DATA_HOME=$scratch/xdg3 guest load -i "$scratch/short.tar"
check "load: a truncated archive is refused" eval 'status_is 125 && err_matches "truncated"'

# 6. Damage in the store is found at run, before a boot.
tree=$(ls "$STORE"/rootfs/*.cpio)
cp "$tree" "$scratch/tree.good"
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0x20
open(sys.argv[1], "wb").write(b)' "$tree"
printf '#!/bin/sh\ntouch "%s/booted"\n' "$scratch" >"$scratch/qemu" && chmod +x "$scratch/qemu"
MONOS_QEMU=$scratch/qemu guest run hello
check "run: a corrupt byte is refused" \
	eval 'status_is 125 && err_matches "is damaged: its packed tree.s digest is"'
check "run: ... and nothing was booted" eval '[ ! -e "$scratch/booted" ]'
cp "$scratch/tree.good" "$tree" && truncate -s -1 "$tree"
guest run hello
check "run: a truncated tree is refused" eval 'status_is 125 && err_matches "is damaged: its packed tree has"'
cp "$scratch/tree.good" "$tree"
echo ' ' >>"$STORE/configs/${digest:7}.json"
guest run hello
check "run: a changed configuration is refused" \
	eval 'status_is 125 && err_matches "configuration does not match its digest"'
(cd "$scratch/a" && "$MONOS" build >/dev/null 2>&1)
guest run hello
check "build again: repairs the store" eval 'status_is 0 && out_has manifest'
finish
