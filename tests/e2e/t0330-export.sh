#!/bin/sh
# t0330-export.sh — `ruhu audit export`: the history as a plain git
# repository in which stock git verifies every signature, shows a commit
# altered after signing as bad, and finds the data that the replica folder
# never holds in clear.
. "$(dirname "$0")/lib.sh"
set -e
command -v git >/dev/null || { echo "skip: no git"; exit 0; }

# stock git with no user or system configuration
export HOME="$T" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
R="$T/tab-07"
O="$T/export"
export RUHU_DIR="$R"
MARK=Zq7MarkerXv93
MARK_ZH=梅园暗记七号

ok ruhu device init "$R" --device tab-07 >/dev/null
ok ruhu worker use w-0012 --name 王芳 >/dev/null
H=$(ok ruhu add household address="梅园新村 12 号 $MARK_ZH")
P=$(ok ruhu add person household_id="$H" name=张伟 notes="$MARK")
V=$(ok ruhu visit start --household "$H" --purpose follow_up)
printf 'photo of the door plate %s\n' "$MARK" >"$T/door.jpg"
AT=$(ok ruhu attach household "$H" "$T/door.jpg" --caption 门牌)
ok ruhu visit close --summary "$MARK summary" >/dev/null
ok ruhu sql "UPDATE person SET phone = '13900000000'" >/dev/null
n=$(ruhu log --json | grep -o '"id":"' | wc -l | tr -d ' ')
eq 6 "$n" "commits to export"

# the marker is nowhere in the replica folder in clear; the same grep finds
# it in a plain file, so it would find it there too
printf 'x %s y %s\n' "$MARK" "$MARK_ZH" >"$T/plain.txt"
eq 1 "$(grep -c "$MARK" "$T/plain.txt")" "grep finds the marker in clear"
eq 1 "$(grep -c "$MARK_ZH" "$T/plain.txt")" "grep finds the Chinese marker in clear"
if grep -rl -e "$MARK" -e "$MARK_ZH" "$R"; then die "a marker is in clear in the replica folder"; fi
checks=$((checks + 1))

# export
ok ruhu audit export "$O" >"$T/export.out"
contains "$(cat "$T/.err")" "warning: the export at $O holds personal data in clear" "export warns"
contains "$(cat "$T/export.out")" "exported 1 branch and 1 signing key to $O (HEAD device)" "export summary"
eq "tab-07@unjoined ssh-ed25519" "$(cut -d' ' -f1,2 "$O/allowed_signers")" "allowed_signers line"
[ -f "$O/HEAD" ] && [ -d "$O/objects/pack" ] || die "export is not a bare repository"
fails 1 "is not empty" ruhu audit export "$O"

git_o() { git -C "$O" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$O/allowed_signers" "$@"; }
eq "$n" "$(git_o rev-list --count device)" "every commit exported"
eq "refs/heads/device" "$(git -C "$O" symbolic-ref HEAD)" "HEAD is the device branch"
git_o log --format=%G? device >"$T/sig.txt"
eq "$n" "$(grep -c '^G$' "$T/sig.txt")" "stock git: every signature good"
eq "$n" "$(wc -l <"$T/sig.txt" | tr -d ' ')" "one letter per commit"
git_o log --show-signature device >"$T/show-sig.txt" 2>&1
eq "$n" "$(grep -c 'Good "git" signature for tab-07@unjoined' "$T/show-sig.txt")" "log --show-signature"
for c in $(git -C "$O" rev-list device); do
	git_o verify-commit "$c" 2>/dev/null || die "verify-commit $c"
	checks=$((checks + 1))
done
# the export's own config is enough
eq "$n" "$(git -C "$O" log --format=%G? | grep -c '^G$')" "export's config verifies"
git -C "$O" fsck --strict --no-dangling 2>"$T/fsck.txt" || die "fsck: $(cat "$T/fsck.txt")"
checks=$((checks + 1))

# what the auditor finds: trailers, changes.txt, the attachment's bytes, the marker
git -C "$O" log --format=%B -1 device >"$T/msg.txt"
grep -q '^Ruhu-Device: tab-07$' "$T/msg.txt" || die "trailer Ruhu-Device"
grep -q '^Ruhu-Seq: 6$' "$T/msg.txt" || die "trailer Ruhu-Seq"
git -C "$O" log --format=%B device | grep -c "^Ruhu-Visit: $V$" >"$T/visits.txt" || true
eq 3 "$(cat "$T/visits.txt")" "visit trailer on start, attach and close"
git -C "$O" cat-file blob "device~2:attachments/$AT" | cmp - "$T/door.jpg" || die "attachment bytes differ"
checks=$((checks + 1))
git -C "$O" log -p device >"$T/history.txt"
[ "$(grep -c "$MARK" "$T/history.txt")" -ge 3 ] || die "the marker is not in the exported history"
[ "$(grep -c "$MARK_ZH" "$T/history.txt")" -ge 1 ] || die "the Chinese marker is not in the exported history"
checks=$((checks + 2))

# a commit altered after signing: one byte of its message changed, the
# signature kept -> stock git says bad
git -C "$O" cat-file commit device~1 >"$T/commit.txt"
grep -q '^gpgsig -----BEGIN SSH SIGNATURE-----' "$T/commit.txt" || die "no signature header"
sed 's/^Ruhu-Seq: 5$/Ruhu-Seq: 9/' "$T/commit.txt" >"$T/forged.txt"
cmp -s "$T/commit.txt" "$T/forged.txt" && die "the edit changed nothing"
[ "$(wc -c <"$T/commit.txt")" -eq "$(wc -c <"$T/forged.txt")" ] || die "not a one-byte change"
bad=$(git -C "$O" hash-object -t commit -w "$T/forged.txt")
git -C "$O" update-ref refs/forged "$bad"
eq B "$(git_o log -1 --format=%G? "$bad")" "stock git: altered commit is bad"
if git_o verify-commit "$bad" 2>/dev/null; then die "verify-commit accepted an altered commit"; fi
checks=$((checks + 1))
eq G "$(git_o log -1 --format=%G? device~1)" "the original still verifies"

# a hub's export: HEAD main, hub principal
HUB="$T/hub"
ok ruhu hub init "$HUB" --centre-code 320102 --centre-name "梅园街道人社服务中心" >/dev/null
ok ruhu -C "$HUB" worker use op-01 --name 李娜 >/dev/null
ok ruhu -C "$HUB" add worker id=w-0012 name=王芳 >/dev/null
ok ruhu -C "$HUB" audit export "$T/hub-export" >/dev/null
eq "refs/heads/main" "$(git -C "$T/hub-export" symbolic-ref HEAD)" "hub export HEAD"
eq "G" "$(git -C "$T/hub-export" log --format=%G? main)" "hub commit verifies"
eq "hub-320102@320102" "$(cut -d' ' -f1 "$T/hub-export/allowed_signers")" "hub principal"
pass
