#!/usr/bin/env bash
# sanitizers: this script boots no guest
# CLI test: the image store's commands that boot nothing, so that
# tests/run.sh's san/ stage runs them under ASan and UBSan too: build (a
# manifest without args, into an empty store), images, inspect, tag, save,
# load (a damaged archive into an empty store), rmi.  Under UBSan these
# once stopped: qsort of the empty store's NULL list, memcpy of a manifest's
# NULL args (both "null pointer passed as argument").
. "$(dirname "$0")/lib/common.bash"

export XDG_DATA_HOME=$scratch/xdg
cd "$scratch" || exit 1
printf 'program: /bin/true\n' >monos.yaml

run "$MONOS" images
check "images: an empty store lists nothing" eval 'status_is 0 && [ "$(wc -l <"$scratch/out")" -eq 1 ]'
run "$MONOS" build -t t
check "build: a manifest without args, into an empty store" \
	eval 'status_is 0 && grep -qE "^sha256:[0-9a-f]{64}$" "$scratch/out"'
digest=$(cat "$scratch/out")
run "$MONOS" inspect t
check "inspect: the image's entry and args" eval 'status_is 0 && python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))[0][\"Config\"]
assert c[\"entry\"] == [\"/bin/true\"] and c[\"config\"][\"args\"] == []
" "$scratch/out"'
run "$MONOS" tag t u:v2
check "tag: status 0" status_is 0
run "$MONOS" save u:v2 -o "$scratch/u.tar"
check "save: status 0" status_is 0
head -c 3000 "$scratch/u.tar" >"$scratch/short.tar"
XDG_DATA_HOME=$scratch/empty run "$MONOS" load -i "$scratch/short.tar"
check "load: a truncated archive into an empty store is refused" \
	eval 'status_is 125 && err_matches "truncated"'
XDG_DATA_HOME=$scratch/empty run "$MONOS" images
check "load: ... and the store is still empty" eval '[ "$(wc -l <"$scratch/out")" -eq 1 ]'
XDG_DATA_HOME=$scratch/other run "$MONOS" load -i "$scratch/u.tar"
check "load: a whole archive" eval 'status_is 0 && out_has "Loaded image: u:v2"'
run "$MONOS" rmi t u:v2
check "rmi: both tags, then the image" \
	eval 'status_is 0 && out_has "Untagged: t:latest" && out_has "Deleted: $digest"'
run "$MONOS" build -t 'Bad:Name'
check "build -t: a bad name is refused" eval 'status_is 125 && err_matches "not NAME"'
finish
