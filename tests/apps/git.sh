# git from Debian, unmodified, in /tmp: init, add, commit (identity and
# dates given, so the hashes are the host's), log --oneline, status, diff
# --stat, cat-file, gc (which runs pack-refs, reflog, repack and
# pack-objects as child processes), a local clone (upload-pack and
# index-pack talking through pipes), a branch merged.  git forks and execs its helpers from
# /usr/lib/git-core, packed with --file.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/git

cat >"$scratch/git.sh" <<'EOF'
set -e
rm -rf /tmp/gitapp && mkdir /tmp/gitapp && cd /tmp/gitapp
g() { git -c user.name=Monos -c user.email=monos@example.org -c init.defaultBranch=main "$@"; }
export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
g init -q
echo one >a.txt
mkdir sub && echo two >sub/b.txt
g add a.txt sub
g commit -q -m first
echo three >>a.txt && echo new >c.txt
g status --short
g add -A
export GIT_AUTHOR_DATE=2026-01-02T00:00:00Z GIT_COMMITTER_DATE=2026-01-02T00:00:00Z
g commit -q -m second
g log --oneline
g diff HEAD~1 --stat
g cat-file -p 'HEAD^{tree}'
g gc -q
g count-objects -v | grep -E '^(count|in-pack|packs):'
g log --format='%h %an %s' | cat
rm -rf /tmp/gitapp-clone
g clone -q /tmp/gitapp /tmp/gitapp-clone && cd /tmp/gitapp-clone
g checkout -q -b topic && echo topic >t.txt && g add t.txt && g commit -q -m topic
g checkout -q main && g merge -q --no-edit topic
g log --oneline --graph
g branch -a
EOF
app_compare "init, add, commit, log, gc, clone, merge in /tmp" --file /usr/bin/git --file /usr/lib/git-core \
	--file /usr/share/git-core/templates --file /bin/rm --file /bin/mkdir --file /bin/grep --file /bin/cat --file "$scratch/git.sh" \
	-- /bin/bash "$scratch/git.sh"
rm -rf /tmp/gitapp /tmp/gitapp-clone # the native run's repositories
finish
