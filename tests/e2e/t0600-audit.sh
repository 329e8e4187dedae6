#!/bin/sh
# t0600-audit.sh — `ruhu audit log|show|history|blame|verify` and the README
# of `audit export` through the command line: on a hub whose operator
# edits a resident twice, and on a tablet with saves not yet pushed.  The
# README's recipe for checking a commit with `ssh-keygen -Y verify` is run
# as written.  (Merges, tampering and the graph against stock git are in
# tests/sync/test_audit*.c, which build a whole sync in C.)
. "$(dirname "$0")/lib.sh"
set -e
export HOME="$T" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

H="$T/hub"
export RUHU_DIR="$H"
ok ruhu hub init "$H" --centre-code 320102 --centre-name "梅园街道人社服务中心" >/dev/null
ok ruhu worker use op-01 --name 李娜 >/dev/null
ok ruhu add worker id=w-0012 name=王芳 >/dev/null
HH=$(ok ruhu add household address="梅园新村 12 号")
P=$(ok ruhu add person household_id="$HH" name=张伟 phone=13800000000)
ok ruhu set person "$P" phone=13900000001 >/dev/null
ok ruhu set person "$P" phone=13900000002 -m "phone changed at the window" >/dev/null

# --- log ---
ok ruhu audit log >"$T/log.txt"
eq 5 "$(wc -l <"$T/log.txt" | tr -d ' ')" "one line per commit"
eq 5 "$(grep -c '  hub        hub-320102 op-01 .* G  ' "$T/log.txt")" "hub edits, by the operator, good signatures"
head -n 1 "$T/log.txt" | grep -q 'phone changed at the window$' || die "newest first"
ok ruhu audit log --graph >"$T/graph.txt"
eq 5 "$(grep -c '^\* [0-9a-f]\{12\}  ' "$T/graph.txt")" "a straight line of commits"
out=$(ok ruhu audit log --json -n 1)
eq hub "$(json_get "$out" kind)" "log --json kind"
eq G "$(json_get "$out" signature)" "log --json signature"
C=$(json_get "$out" id)
eq 40 "$(printf %s "$C" | wc -c | tr -d ' ')" "full commit id"
out=$(ok ruhu audit log --worker nobody --json)
eq "[]" "$out" "no commit of another worker"
out=$(ok ruhu audit log --since 2099-01-01)
eq "" "$out" "nothing since a future day"
fails 1 "is not a date" ruhu audit log --since yesterday

# --- show ---
ok ruhu audit show "$(printf %.8s "$C")" >"$T/show.txt"
contains "$(cat "$T/show.txt")" "commit $C  (hub)" "show heading"
contains "$(cat "$T/show.txt")" "phone: \"13900000001\" → \"13900000002\"" "show changes"
out=$(ok ruhu audit show "$C" --json)
contains "$out" '"decisions":[]' "a hub edit has no decisions"
fails 1 "is not a commit id" ruhu audit show zz

# --- history and blame ---
ok ruhu audit history person "$P" >"$T/history.txt"
grep -q '^version 1  insert by op-01 on hub-320102' "$T/history.txt" || die "history: the insert"
grep -q '^version 3  update ' "$T/history.txt" || die "history: the third version"
grep -q '    phone: "13900000001" -> "13900000002"' "$T/history.txt" || die "history: the change"
out=$(ok ruhu audit history person "$P" --json)
eq 3 "$(printf %s "$out" | grep -o '"version":' | wc -l | tr -d ' ')" "three versions"
out=$(ok ruhu audit blame person "$P" --json)
contains "$out" '"field":"phone","value":"13900000002","version":3' "blame of the phone"
contains "$out" '"field":"name","value":"张伟","version":1' "blame of the name"
fails 1 "unknown record type 'nosuch'" ruhu audit history nosuch "$P"
fails 1 "no commit of the history holds person 01900000-0000-7000-8000-000000000000" \
	ruhu audit blame person 01900000-0000-7000-8000-000000000000
fails 2 "usage" ruhu audit history person

# --- verify ---
ok ruhu audit verify >"$T/verify.txt"
contains "$(cat "$T/verify.txt")" "checked 1 ref, 5 commits (5 good signatures)" "verify counts"
contains "$(cat "$T/verify.txt")" "replayed 5 main commits from the first (5 digests matched)" "verify replay"
contains "$(cat "$T/verify.txt")" "compared 3 rows with the replica" "verify rows"
out=$(ok ruhu audit verify --json)
contains "$out" '"ok":true' "verify --json"
contains "$out" '"problems":[]' "no problem"

# --- export: the README for auditors, its ssh-keygen recipe run as written ---
O="$T/export"
out=$(ok ruhu audit export "$O" --json)
contains "$out" '"branches":1,"signing_keys":1,"head":"main","readme":"README"' "export --json"
contains "$(cat "$T/.err")" "holds personal data in clear" "export warns"
[ -f "$O/README" ] || die "no README in the export"
grep -q 'PERSONAL DATA IN CLEAR' "$O/README" || die "README: personal data"
grep -q 'Ruhu-Merge-Of' "$O/README" || die "README: trailers"
grep -q 'ssh-keygen -Y verify' "$O/README" || die "README: ssh-keygen"
git -C "$O" fsck --strict --no-dangling >/dev/null 2>&1 || die "fsck with the README beside the repository"
checks=$((checks + 1))
if command -v ssh-keygen >/dev/null; then
	c=$(git -C "$O" rev-parse HEAD~2)
	(
		cd "$T"
		git -C "$O" cat-file commit "$c" >commit.txt
		sed -n '/^gpgsig /,/-----END SSH SIGNATURE-----/p' commit.txt |
			sed 's/^gpgsig //; s/^ //' >commit.sig
		awk '/^gpgsig /{s=1; next} s && /^ /{next} {s=0; print}' commit.txt >commit.data
		ssh-keygen -Y verify -f "$O/allowed_signers" -n git -s commit.sig \
			-I "$(git -C "$O" log -1 --format=%ce "$c")" <commit.data
	) >"$T/ssh.txt" 2>&1 || { cat "$T/ssh.txt" >&2; die "the README's ssh-keygen recipe"; }
	contains "$(cat "$T/ssh.txt")" 'Good "git" signature for hub-320102@320102' "ssh-keygen says good"
	# and says bad for the data changed
	{ cat "$T/commit.data"; printf x; } >"$T/bad.data"
	if (cd "$T" && ssh-keygen -Y verify -f "$O/allowed_signers" -n git -s commit.sig \
		-I hub-320102@320102 <bad.data) >/dev/null 2>&1; then
		die "ssh-keygen accepted changed data"
	fi
	checks=$((checks + 1))
fi

# --- a tablet: its own saves, not yet pushed ---
D="$T/tab-07"
ok ruhu device init "$D" --device tab-07 >/dev/null
ok ruhu -C "$D" worker use w-0012 --name 王芳 >/dev/null
DH=$(ok ruhu -C "$D" add household address="东街 1 号")
ok ruhu -C "$D" set household "$DH" phone=025-84001234 >/dev/null
ok ruhu -C "$D" audit log >"$T/tlog.txt"
eq 2 "$(grep -c '  save       tab-07     w-0012 ' "$T/tlog.txt")" "tablet saves"
ok ruhu -C "$D" audit verify >"$T/tverify.txt"
contains "$(cat "$T/tverify.txt")" "then 2 pending saves (their merge is the hub's to verify)" "tablet verify"
out=$(ok ruhu -C "$D" audit history household "$DH" --json)
contains "$out" '"pending":true' "a pending save in the history"
pass
