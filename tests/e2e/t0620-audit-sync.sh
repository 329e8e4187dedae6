#!/bin/sh
# t0620-audit-sync.sh — the auditor after a sync over the command line: a
# hub and two tablets synced through a folder; a resident's phone changed
# on both tablets offline (tab-02's edit is the later one: `lww`).  Then
# `audit blame` names tab-02, its caseworker and the rule; `audit history`
# lists every version; `audit verify` passes on the hub and on each tablet;
# and on the export, stock git draws the same graph as `ruhu audit log
# --graph`, line by line, with every signature good.
. "$(dirname "$0")/lib.sh"
set -e
command -v git >/dev/null || { echo "skip: no git"; exit 0; }
export HOME="$T" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

H="$T/hub" U="$T/usb" A="$T/tab-01" B="$T/tab-02"
mkdir "$U"
round() {
	for t in "$A" "$B"; do ok ruhu -C "$t" sync --via "$U" >/dev/null; done
	ok ruhu -C "$H" hub sync --via "$U" >/dev/null
	for t in "$A" "$B"; do ok ruhu -C "$t" sync --via "$U" >/dev/null; done
}

ok ruhu hub init "$H" --centre-code 320102 --centre-name 梅园新村街道人社服务中心 >/dev/null
ok ruhu -C "$H" worker use op-01 --name 李娜 >/dev/null
for t in 01:王芳 02:张强; do
	n=${t%%:*} name=${t#*:}
	ok ruhu device init "$T/tab-$n" --device "tab-$n" >/dev/null
	ok ruhu -C "$H" hub enrol "$T/tab-$n/tab-$n.request" --worker "w-$n" --worker-name "$name" \
		--out "$T/tab-$n.enrol" >/dev/null
	ok ruhu -C "$T/tab-$n" join "$T/tab-$n.enrol" >/dev/null
done
HH=$(ok ruhu -C "$A" add household address="梅园新村 12 号")
P=$(ok ruhu -C "$A" add person household_id="$HH" name=张伟 phone=13800000001)
round
round
# offline: tab-01 first, tab-02 later
ok ruhu -C "$A" set person "$P" phone=13911111111 >/dev/null
sleep 1
ok ruhu -C "$B" set person "$P" phone=13922222222 >/dev/null
round
round
eq 13922222222 "$(ruhu -C "$H" get person "$P" --json | sed -n 's/.*"phone":"\([0-9]*\)".*/\1/p')" \
	"the later edit won"

# --- blame and history on the hub ---
out=$(ok ruhu -C "$H" audit blame person "$P" --json)
line=$(printf '%s' "$out" | sed 's/},{"field"/}\
{"field"/g' | grep '"field":"phone"')
contains "$line" '"value":"13922222222"' "blame: the value"
contains "$line" '"bundle":{"id":' "blame: the tablet's save"
contains "$line" '"device":"tab-02","worker":"w-02"' "blame: tab-02 and its caseworker"
contains "$line" '"rule":"lww"' "blame: the rule"
ok ruhu -C "$H" audit history person "$P" >"$T/history.txt"
grep -q '^version 1  insert by w-01 on tab-01' "$T/history.txt" || die "history: the insert on tab-01"
grep -q 'rule lww on phone' "$T/history.txt" || die "history: the lww decision"
[ "$(grep -c '^version ' "$T/history.txt")" -eq 3 ] || die "history: insert, tab-01's edit, tab-02's edit"
checks=$((checks + 3))

# --- verify everywhere ---
for r in "$H" "$A" "$B"; do
	out=$(ok ruhu -C "$r" audit verify --json)
	contains "$out" '"ok":true' "verify $(basename "$r")"
done
out=$(ok ruhu -C "$H" audit verify)
contains "$out" "compared 4 rows with the replica" "verify: two workers, the household, the resident"

# --- stock git on the export: the same graph, every signature good ---
O="$T/export"
ok ruhu -C "$H" audit export "$O" >/dev/null
git -C "$O" -c core.commitGraph=false log --graph --format=%H >"$T/git-graph.txt"
ok ruhu -C "$H" audit log --graph >"$T/ruhu-graph.txt"
grep -q '|\\' "$T/git-graph.txt" || die "the history has merges"
sed 's/[0-9a-f]\{40\}$//' "$T/git-graph.txt" >"$T/git-shape.txt"
sed 's/[0-9a-f]\{12\}  .*$//' "$T/ruhu-graph.txt" >"$T/ruhu-shape.txt"
cmp "$T/git-shape.txt" "$T/ruhu-shape.txt" || { diff "$T/git-shape.txt" "$T/ruhu-shape.txt" >&2; die "graph shapes differ"; }
sed -n 's/.*\([0-9a-f]\{40\}\)$/\1/p' "$T/git-graph.txt" | cut -c1-12 >"$T/git-ids.txt"
sed -n 's/^[^0-9a-f]*\([0-9a-f]\{12\}\)  .*/\1/p' "$T/ruhu-graph.txt" >"$T/ruhu-ids.txt"
cmp "$T/git-ids.txt" "$T/ruhu-ids.txt" || die "commit order differs"
[ "$(wc -l <"$T/git-ids.txt")" -gt 8 ] || die "too few commits to compare"
checks=$((checks + 4))
git -C "$O" log --format=%G? --all >"$T/sig.txt"
eq 0 "$(grep -vc '^G$' "$T/sig.txt" || true)" "stock git: every signature good"
pass
