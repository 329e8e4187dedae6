#!/bin/sh
# t0500-story.sh — the whole sync over the command line: a township hub and
# three tablets, enrolled and joined; shared records synced through a folder
# (`sync --via`, `hub sync --via`); then offline edits that meet at the hub:
#   phone of 张伟 on tab-02, later on tab-01     lww: the later edit wins
#   identity number of 李秀英 on tab-02 and 03   review
#   an application accepted on tab-01 while
#   tab-02 receives materials                   order + union: both survive
#   household notes added on tab-01 and 02       append: both texts kept
#   a complaint deleted on tab-03, handled on 02 delete rule review
#   a visit closed on tab-01, edited on tab-03   immutable once closed: review
# rounds until quiet; every digest equal; the queue holds exactly the three
# expected items; the operator resolves them; one more round; digests equal,
# queue empty, the resolutions on every tablet's view of main.
. "$(dirname "$0")/lib.sh"
set -e

H="$T/hub" U="$T/usb"
A="$T/tab-01" B="$T/tab-02" C="$T/tab-03"
mkdir "$U"

field() { # field DIR TYPE ID NAME: a field of a record, from get --json
	ruhu -C "$1" get "$2" "$3" --json | sed -n "s/.*\"$4\":\"\([^\"]*\)\".*/\1/p"
}
digest() { json_get "$(ruhu -C "$1" status --json)" digest; }
pending() { json_get "$(ruhu -C "$1" status --json)" pending; }

# the tablets each take their reply and push; quiet when every tablet has
# nothing pending and the hub's digest and main; else the hub takes its turn
settle() {
	n=0
	while :; do
		n=$((n + 1))
		[ "$n" -le 6 ] || die "not quiet after 6 rounds"
		for t in "$A" "$B" "$C"; do ok ruhu -C "$t" sync --via "$U" >/dev/null; done
		hd=$(digest "$H") hm=$(json_get "$(ruhu -C "$H" status --json)" head) quiet=1
		for t in "$A" "$B" "$C"; do
			st=$(ruhu -C "$t" status --json)
			[ "$(json_get "$st" pending)" = 0 ] && [ "$(json_get "$st" digest)" = "$hd" ] &&
				[ "$(json_get "$st" main)" = "$hm" ] || quiet=0
		done
		[ "$quiet" = 1 ] && break
		ok ruhu -C "$H" hub sync --via "$U" >>"$T/hub-sync.log"
	done
	echo "quiet after $n rounds"
}
same_everywhere() { # same_everywhere WHAT TYPE ID FIELD EXPECTED
	for r in "$H" "$A" "$B" "$C"; do
		eq "$5" "$(field "$r" "$2" "$3" "$4")" "$1 on $(basename "$r")"
	done
}

# --- the hub and three tablets ---
ok ruhu hub init "$H" --centre-code 320102 --centre-name 玄武区梅园新村街道人社服务中心 >/dev/null
ok ruhu -C "$H" worker use op-01 --name 李娜 >/dev/null
for t in 01:王芳 02:张强 03:刘洋; do
	n=${t%%:*} name=${t#*:}
	ok ruhu device init "$T/tab-$n" --device "tab-$n" >/dev/null
	out=$(ok ruhu -C "$H" hub enrol "$T/tab-$n/tab-$n.request" --worker "w-$n" --worker-name "$name" \
		--out "$T/tab-$n.enrol")
	contains "$out" "enrolled tab-$n" "hub enrol names the tablet"
	hubkey=$(printf '%s\n' "$out" | sed -n 's/^hub key id \([0-9a-f]*\):.*/\1/p')
	eq 16 "${#hubkey}" "hub enrol prints a 16-digit key id"
	out=$(ok ruhu -C "$T/tab-$n" join "$T/tab-$n.enrol")
	contains "$out" "joined hub-320102" "join names the hub"
	contains "$out" "hub key id $hubkey" "join shows the key id the hub showed"
	contains "$out" "worker w-$n $name" "join names the caseworker"
done
out=$(ok ruhu -C "$H" hub devices --json)
eq 3 "$(printf '%s' "$out" | grep -o '"id":"tab-' | wc -l | tr -d ' ')" "three tablets enrolled"

# --- shared records, made on tab-01 ---
HH=$(ok ruhu -C "$A" add household address="梅园新村 12 号" notes="首次走访")
P1=$(ok ruhu -C "$A" add person household_id="$HH" name=张伟 phone=13800000001)
P2=$(ok ruhu -C "$A" add person household_id="$HH" name=李秀英 id_number=11010519491231002X)
V1=$(ok ruhu -C "$A" visit start --household "$HH" --purpose intake)
APP=$(ok ruhu -C "$A" apply emp.unemployment_registration --person "$P1" | head -n 1)
ok ruhu -C "$A" receive "$APP" id_card >/dev/null
ok ruhu -C "$A" visit close --summary "失业登记已受理" >/dev/null
CMP=$(ok ruhu -C "$A" add complaint person_id="$P1" channel=visit subject=补贴发放延迟 \
	received_at=2026-11-27T09:00:00+08:00)
V2=$(ok ruhu -C "$A" visit start --household "$HH" --purpose follow_up --location 客厅)
settle
for r in "$H" "$A" "$B" "$C"; do
	eq "$(digest "$H")" "$(digest "$r")" "shared records: digest of $(basename "$r")"
done
eq 张伟 "$(field "$C" person "$P1" name)" "tab-03 has the resident"

# --- offline: conflicting edits ---
# phone: tab-02 first, tab-01 later; the hub hears tab-01 first (name order)
ok ruhu -C "$B" set person "$P1" phone=13900000002 >/dev/null
ok ruhu -C "$A" set person "$P1" phone=13700000003 >/dev/null
# identity number on two tablets
ok ruhu -C "$B" set person "$P2" id_number=110105194912310038 >/dev/null
ok ruhu -C "$C" set person "$P2" id_number=110105194912310046 >/dev/null
# the application accepted on one, materials received on another
ok ruhu -C "$A" receive "$APP" residence_proof >/dev/null
ok ruhu -C "$A" set application "$APP" status=accepted >/dev/null
ok ruhu -C "$B" receive "$APP" separation_proof >/dev/null
ok ruhu -C "$B" set application "$APP" status=materials_pending >/dev/null
# notes added on two
ok ruhu -C "$A" set household "$HH" notes="$(printf '首次走访\n王芳：家中有老人需要照顾')" >/dev/null
ok ruhu -C "$B" set household "$HH" notes="$(printf '首次走访\n张强：已发放政策宣传册')" >/dev/null
# a complaint handled on one, deleted on another
ok ruhu -C "$B" set complaint "$CMP" status=handling >/dev/null
ok ruhu -C "$C" delete complaint "$CMP" >/dev/null
# the open visit: edited on tab-03, closed on tab-01
ok ruhu -C "$C" set visit "$V2" location=院子 >/dev/null
ok ruhu -C "$A" visit close --summary "回访完成" >/dev/null
eq 5 "$(pending "$A")" "tab-01 holds its offline saves"

settle
for r in "$H" "$A" "$B" "$C"; do
	eq "$(digest "$H")" "$(digest "$r")" "after the conflicts: digest of $(basename "$r")"
done
grep -q "decisions: .*lww 1" "$T/hub-sync.log" || die "the hub's report names the lww decision"
grep -q "decisions: .*order 1" "$T/hub-sync.log" || die "the hub's report names the order decision"

same_everywhere "lww: the later phone" person "$P1" phone 13700000003
same_everywhere "review: the first identity number stays" person "$P2" id_number 110105194912310038
same_everywhere "order: the later state" application "$APP" status accepted
same_everywhere "union: every material" application "$APP" materials_received \
	id_card,residence_proof,separation_proof
same_everywhere "immutable: the closed visit" visit "$V2" location 客厅
for r in "$H" "$A" "$B" "$C"; do
	notes=$(ruhu -C "$r" get household "$HH" --json)
	contains "$notes" "王芳：家中有老人需要照顾" "append: tab-01's note on $(basename "$r")"
	contains "$notes" "张强：已发放政策宣传册" "append: tab-02's note on $(basename "$r")"
	contains "$notes" "[tab-02 w-02 " "append: the addition is attributed on $(basename "$r")"
	eq handling "$(field "$r" complaint "$CMP" status)" "delete review: the complaint stays"
done

# --- the review queue: exactly three items ---
q=$(ok ruhu -C "$H" hub review --json)
eq 3 "$(printf '%s' "$q" | grep -o '"rid":' | wc -l | tr -d ' ')" "three review items"
contains "$q" "\"kind\":\"review\",\"type\":\"person\",\"id\":\"$P2\",\"field\":\"id_number\"" "identity number item"
contains "$q" "\"kind\":\"delete_review\",\"type\":\"complaint\",\"id\":\"$CMP\",\"field\":null" "delete item"
contains "$q" "\"kind\":\"immutable\",\"type\":\"visit\",\"id\":\"$V2\",\"field\":null" "closed visit item"
rid() { printf '%s' "$q" | sed 's/},{/}\n{/g' | grep "\"kind\":\"$1\"" | sed 's/.*"rid":\([0-9]*\).*/\1/'; }
R1=$(rid review) R2=$(rid delete_review) R3=$(rid immutable)
out=$(ok ruhu -C "$H" hub review show "$R1")
contains "$out" "field    id_number (公民身份号码" "review show: the field's label"
contains "$out" "hub      110105194912310038" "review show: the hub's value"
contains "$out" "device   110105194912310046" "review show: the device's value"
contains "$out" "from     device tab-03, caseworker w-03" "review show: who"
contains "$out" "commits  device " "review show: the commits"

# --- the operator resolves them ---
ok ruhu -C "$H" hub resolve "$R1" --take device --reason "核对身份证原件" >/dev/null
ok ruhu -C "$H" hub resolve "$R2" --take device --reason "投诉录入有误" >/dev/null
ok ruhu -C "$H" hub resolve "$R3" --take hub --reason "走访已结束，以记录为准" >/dev/null
fails 1 "already resolved" ruhu -C "$H" hub resolve "$R1" --take hub
eq "[]" "$(ruhu -C "$H" hub review --json)" "the queue is empty"
eq 3 "$(ruhu -C "$H" hub review --all --json | grep -o '"status":"resolved"' | wc -l | tr -d ' ')" \
	"three resolved items"

settle
for r in "$H" "$A" "$B" "$C"; do
	eq "$(digest "$H")" "$(digest "$r")" "after the resolutions: digest of $(basename "$r")"
	fails 1 "no complaint with id $CMP" ruhu -C "$r" get complaint "$CMP"
done
same_everywhere "resolved: the device's identity number" person "$P2" id_number 110105194912310046
for t in "$A" "$B" "$C"; do
	eq 3 "$(ruhu -C "$t" log --main | grep -c 'resolve review')" "the resolutions on $(basename "$t")"
done
pass
