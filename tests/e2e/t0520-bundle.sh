#!/bin/sh
# t0520-bundle.sh — looking into bundle files: `bundle verify`, `bundle list`
# and `bundle open` on the replica each file is addressed to; stock `git
# clone` and `git log` of an opened enrolment reply (a full bundle of main);
# `hub preview` (the rules that would fire, nothing kept); `hub devices`.
. "$(dirname "$0")/lib.sh"
set -e

H="$T/hub" A="$T/tab-01" B="$T/tab-02" F="$T/files"
mkdir "$F"
head_digest() { st=$(ruhu -C "$1" status --json); echo "$(json_get "$st" head) $(json_get "$st" digest)"; }
count() { grep -o "$1" | wc -l | tr -d ' '; }

ok ruhu hub init "$H" --centre-code 320102 --centre-name 梅园新村街道人社服务中心 >/dev/null
ok ruhu -C "$H" worker use op-01 --name 李娜 >/dev/null
ok ruhu device init "$A" --device tab-01 --request-out "$F/a.request" >/dev/null
[ -f "$F/a.request" ] && [ ! -e "$A/tab-01.request" ] || die "--request-out names where the request goes"
ok ruhu device init "$B" --device tab-02 >/dev/null
out=$(ok ruhu -C "$H" hub enrol "$F/a.request" --worker w-01 --worker-name 王芳 --out "$F/a.enrol")
hubkey=$(printf '%s\n' "$out" | sed -n 's/^hub key id \([0-9a-f]*\):.*/\1/p')
eq 16 "${#hubkey}" "hub enrol prints the hub's key id"
fails 2 "hub enrol needs --worker ID" ruhu -C "$H" hub enrol "$F/a.request" --out "$F/x"
fails 1 "not a tablet's enrolment request" ruhu -C "$H" hub enrol "$H/replica.key" --worker w-09 \
	--worker-name x --out "$F/x"
[ ! -e "$F/x" ] || die "a refused enrolment wrote a reply"

# --- an enrolment reply, before the tablet joins ---
out=$(ok ruhu -C "$A" bundle verify "$F/a.enrol")
contains "$out" "enrolment reply from hub-320102 to tab-01" "verify: what and who"
contains "$out" "key id $hubkey (named by the file itself" "verify before joining: the key from the file"
contains "$out" "ok: 1 commit" "verify: the enrolment commit"
out=$(ok ruhu -C "$A" bundle list "$F/a.enrol" --json)
contains "$out" '"kind":"enrolment reply"' "list --json: kind"
contains "$out" '"prerequisites":[]' "an enrolment reply is a full bundle"
contains "$out" '"name":"refs/heads/main"' "list --json: the ref"
contains "$out" '"subject":"enrol w-01 for tab-01"' "list --json: the commit"
contains "$out" '"signature":"G"' "list --json: its signature"
fails 1 "addressed to tab-01, not to this replica (tab-02)" ruhu -C "$B" bundle list "$F/a.enrol"
fails 1 "the file is an enrolment reply, which a hub does not take" ruhu -C "$H" bundle verify "$F/a.enrol"
ok ruhu -C "$A" join "$F/a.enrol" >/dev/null
out=$(ok ruhu -C "$A" bundle verify "$F/a.enrol")
case "$out" in *"named by the file itself"*) die "after joining the key is the tablet's hub's" ;; esac
out=$(ok ruhu -C "$A" bundle verify "$F/a.enrol" --json)
contains "$out" '"ok":true,"kind":"enrolment reply","sender":"hub-320102","recipient":"tab-01"' "verify --json"
contains "$out" "\"sender_keyid\":\"$hubkey\",\"key_from_file\":false" "verify --json: the key"
contains "$out" '"commits":1,"refs":1,"prerequisites":0' "verify --json: counts"

# --- shared data, then tab-02 joins: its enrolment reply carries it ---
HH=$(ok ruhu -C "$A" add household address="梅园新村 12 号")
P=$(ok ruhu -C "$A" add person household_id="$HH" name=张伟 phone=13800000001 id_number=11010519491231002X)
ok ruhu -C "$A" push --out "$F/a1.push" >/dev/null
out=$(ok ruhu -C "$H" bundle list "$F/a1.push")
contains "$out" "refs/devices/tab-01" "list: the tablet's ref"
contains "$out" "(present here)" "list: prerequisites the hub has"
contains "$out" "seq 1    w-01       tab-01     G  add 1 household" "list: a commit line"
out=$(ok ruhu -C "$H" bundle list "$F/a1.push" --json)
eq 2 "$(printf '%s' "$out" | count '"seq":')" "list --json: two saves"
eq 1 "$(printf '%s' "$out" | count '"commits":')" "list --json: one commits key"
contains "$out" '"sender":"tab-01","recipient":"hub-320102"' "list --json: sender and recipient"
ok ruhu -C "$H" hub ingest "$F/a1.push" >/dev/null
ok ruhu -C "$H" hub reply --device tab-01 --out "$F/a1.reply" >/dev/null
ok ruhu -C "$A" pull "$F/a1.reply" >/dev/null
out=$(ok ruhu -C "$A" bundle list "$F/a1.reply")
contains "$out" "merge tab-01 #2: add 1 person" "list of a reply: the hub's merges"
ok ruhu -C "$H" hub enrol "$B/tab-02.request" --worker w-02 --worker-name 张强 --out "$F/b.enrol" >/dev/null
ok ruhu -C "$B" join "$F/b.enrol" >/dev/null

# --- open: a plain git bundle stock git clones ---
fails 2 "bundle open needs --out FILE" ruhu -C "$B" bundle open "$F/b.enrol"
ruhu -C "$B" bundle open "$F/b.enrol" --out "$T/open.bundle" >"$T/open.out" 2>"$T/open.err" ||
	die "bundle open: $(cat "$T/open.err")"
contains "$(cat "$T/open.err")" "warning: $T/open.bundle holds personal data in clear" "open warns"
eq "# v2 git bundle" "$(head -n 1 "$T/open.bundle")" "a git v2 bundle"
eq "-rw-------" "$(ls -l "$T/open.bundle" | cut -c1-10)" "readable by its owner only"
git bundle list-heads "$T/open.bundle" >"$T/heads" || die "git bundle list-heads"
contains "$(cat "$T/heads")" " refs/heads/main" "git sees the main ref"
git clone -q --bare "$T/open.bundle" "$T/clone.git" 2>"$T/clone.err" || die "git clone: $(cat "$T/clone.err")"
git -C "$T/clone.git" log --format='%H %s' main >"$T/gitlog"
listed=$(ruhu -C "$B" bundle list "$F/b.enrol" --json)
eq "$(printf '%s' "$listed" | count '"seq":')" "$(wc -l <"$T/gitlog" | tr -d ' ')" "git log shows every commit"
grep -q " merge tab-01 #2: add 1 person$" "$T/gitlog" || die "git log: the merge of tab-01's save"
grep -q " enrol w-02 for tab-02$" "$T/gitlog" || die "git log: tab-02's enrolment"
first=$(sed -n 1p "$T/gitlog" | cut -d' ' -f1)
contains "$listed" "\"id\":\"$first\"" "the newest commit git shows is one bundle list shows"
eq "$(git -C "$T/clone.git" rev-parse main)" "$(json_get "$(ruhu -C "$B" status --json)" main)" \
	"the bundle's main is the one tab-02 joined at"

# --- preview: what would happen, nothing kept ---
ok ruhu -C "$B" set person "$P" phone=13900000002 >/dev/null
ok ruhu -C "$A" set person "$P" phone=13700000003 id_number=110105194912310038 >/dev/null
ok ruhu -C "$B" set person "$P" id_number=110105194912310046 >/dev/null
ok ruhu -C "$A" push --out "$F/a2.push" >/dev/null
ok ruhu -C "$B" push --out "$F/b2.push" >/dev/null
ok ruhu -C "$H" hub ingest "$F/a2.push" >/dev/null
before=$(head_digest "$H")
out=$(ok ruhu -C "$H" hub preview "$F/b2.push")
contains "$out" "preview of $F/b2.push (nothing is kept)" "preview says nothing is kept"
contains "$out" "tab-02: 2 commits merged" "preview: the commits"
contains "$out" "decisions: lww 1, review 1" "preview: the rules that would fire"
contains "$out" "1 review item opened" "preview: the review item"
contains "$out" "person $P phone lww" "preview: the lww decision"
contains "$out" "person $P id_number review" "preview: the review decision"
out=$(ok ruhu -C "$H" hub preview "$F/b2.push" --json)
contains "$out" '"rules":{"lww":1,"review":1}' "preview --json: rules"
contains "$out" "\"type\":\"person\",\"id\":\"$P\",\"field\":\"phone\",\"rule\":\"lww\"" "preview --json: a decision"
contains "$out" '"result":"13700000003"' "preview --json: the later phone stays"
eq "$before" "$(head_digest "$H")" "preview leaves head and digest"
eq "[]" "$(ruhu -C "$H" hub review --json)" "preview opens no review item"
out=$(ok ruhu -C "$H" hub ingest "$F/b2.push")
contains "$out" "decisions: lww 1, review 1; 1 review item opened" "the real ingest makes the same decisions"
[ "$before" != "$(head_digest "$H")" ] || die "the ingest moves main"
out=$(ok ruhu -C "$H" hub preview "$F/b2.push")
contains "$out" "0 commits merged, 2 duplicates" "a bundle taken already: duplicates"

# --- hub devices ---
out=$(ok ruhu -C "$H" hub devices)
contains "$out" "tab-01       w-01       王芳" "devices: tab-01 and its caseworker"
contains "$out" "last save merged 3" "devices: tab-01's last save merged"
ok ruhu -C "$H" hub revoke tab-02 --reason "调岗 reassigned" >/dev/null
fails 1 "already revoked" ruhu -C "$H" hub revoke tab-02 --reason again
fails 2 "hub revoke needs --reason TEXT" ruhu -C "$H" hub revoke tab-01
out=$(ok ruhu -C "$H" hub devices --json)
contains "$out" '"id":"tab-02","worker":"w-02","worker_name":"张强"' "devices --json: tab-02"
contains "$out" '"revoked":true' "devices --json: revoked"
contains "$out" '"reason":"调岗 reassigned"' "devices --json: the reason"
contains "$out" '"id":"tab-01","worker":"w-01","worker_name":"王芳","enrolled":"' "devices --json: tab-01"
eq 1 "$(printf '%s' "$out" | count '"revoked":false')" "one tablet still in service"
contains "$(ok ruhu -C "$H" hub devices)" "REVOKED" "devices: the revocation shows"
fails 1 "device tab-02 is revoked" ruhu -C "$H" hub reply --device tab-02 --out "$F/x"
fails 1 "is not a hub" ruhu -C "$A" hub devices
pass
