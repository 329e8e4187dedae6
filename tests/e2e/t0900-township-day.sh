#!/bin/sh
# t0900-township-day.sh — a day at a township service centre, told step by
# step: the hub of 玄武区梅园新村街道人社服务中心 and three caseworkers' tablets;
# morning home visits; a midday sync through a shared folder; conflicting
# edits in the afternoon; the evening sync, the review queue, the operator's
# resolution; every replica with the same digest; the audit with stock git.
#
# It is both the README's first command (`sh .ci/day` runs it with the real
# key-derivation cost) and an end-to-end test (ctest runs it with
# RUHU_TEST_KDF=fast).  Every step must succeed: the script stops with a
# non-zero exit at the first one that does not.  Its work goes into a
# temporary folder that is removed at the end (RUHU_TEST_KEEP=1 keeps it).
kdf=${RUHU_TEST_KDF-}
. "$(dirname "$0")/lib.sh"
set -e
# lib.sh always asks for the cheap test KDF; the day keeps whatever its
# caller chose (ctest: fast; .ci/day: the real cost)
if [ -z "$kdf" ]; then unset RUHU_TEST_KDF; fi
cd "$T"

n=0
say() { n=$((n + 1)); printf '\n== %d. %s\n' "$n" "$*"; }
note() { printf '   %s\n' "$*"; }
# run ARGS...: show the command, run it, show its output indented
run() {
	printf '   $ ruhu %s\n' "$*"
	_out=$(ok ruhu "$@")
	[ -z "$_out" ] || printf '%s\n' "$_out" | sed 's/^/     /'
}
# val NAME ARGS...: run, keep the first line of the output in $NAME
val() {
	_name=$1
	shift
	_out=$(ok ruhu "$@")
	eval "$_name=\$(printf '%s\n' \"\$_out\" | head -n 1)"
	printf '   $ ruhu %s\n     → %s\n' "$*" "$(printf '%s\n' "$_out" | head -n 1)"
}
field() { ruhu -C "$1" get "$2" "$3" --json | sed -n "s/.*\"$4\":\"\([^\"]*\)\".*/\1/p"; }

TABLETS="tab-01 tab-02 tab-03"
# sync_until_quiet: each tablet takes its reply and pushes; the hub takes
# the pushes and writes replies; until every tablet took a reply that left
# it with nothing pending and the hub's main and digest
sync_until_quiet() {
	rounds=0 hub_main="" hub_digest=""
	while :; do
		rounds=$((rounds + 1))
		[ "$rounds" -le 6 ] || die "the replicas are not quiet after 6 rounds"
		quiet=1
		for t in $TABLETS; do
			out=$(ok ruhu -C "$t" sync --via usb)
			printf '   $ ruhu -C %s sync --via usb\n%s\n' "$t" "$(printf '%s\n' "$out" | sed 's/^/     /')"
			m=$(printf '%s\n' "$out" | sed -n "s/.*hub's main \([0-9a-f]*\).*/\1/p; s/^hub main \([0-9a-f]*\),.*/\1/p" | head -n 1)
			d=$(printf '%s\n' "$out" | sed -n 's/^digest \([0-9a-f]*\)$/\1/p')
			case "$out" in *": 0 saves the hub has not"*) ;; *) quiet=0 ;; esac
			[ -n "$hub_main" ] && [ "$m" = "$hub_main" ] && [ "$d" = "$hub_digest" ] || quiet=0
		done
		[ "$quiet" = 1 ] && break
		out=$(ok ruhu -C hub hub sync --via usb)
		printf '   $ ruhu -C hub hub sync --via usb\n%s\n' "$(printf '%s\n' "$out" | sed 's/^/     /')"
		hub_main=$(printf '%s\n' "$out" | sed -n 's/.*; main \([0-9a-f]*\), digest.*/\1/p')
		hub_digest=$(printf '%s\n' "$out" | sed -n 's/.*, digest \([0-9a-f]*\)$/\1/p')
	done
	note "quiet after $rounds round(s): every tablet has the hub's main $hub_main"
}

echo "ruhu 入户 — a day at a township service centre (一天的工作)"
echo "work folder: $T"
echo "  hub (服务中心):        $T/hub"
echo "  tablets (平板):        $T/tab-01  $T/tab-02  $T/tab-03"
echo "  shared folder (共享文件夹 / USB stick): $T/usb"
if [ -n "${RUHU_TEST_KDF-}" ]; then
	echo "  key cost: RUHU_TEST_KDF=$RUHU_TEST_KDF (test run: the cheapest Argon2id)"
else
	echo "  key cost: Argon2id 3 passes x 256 MiB, as on a real tablet (about 0.5 s per command)"
fi
mkdir usb

# ---------------------------------------------------------------------------
say "服务中心 The township hub is created for centre 320102 (玄武区梅园新村街道人社服务中心)"
run hub init hub --centre-code 320102 --centre-name 玄武区梅园新村街道人社服务中心
run -C hub worker use op-01 --name 李娜
note "the operator (服务中心管理员) 李娜 holds the hub; every hub commit is hers"

say "平板登记 Three tablets are enrolled, one per caseworker (工作人员)"
for t in 01:王芳 02:张强 03:刘洋; do
	id=${t%%:*} name=${t#*:}
	run device init "tab-$id" --device "tab-$id"
	out=$(ok ruhu -C hub hub enrol "tab-$id/tab-$id.request" --worker "w-$id" --worker-name "$name" \
		--out "usb/tab-$id.enrol")
	printf '   $ ruhu -C hub hub enrol tab-%s/tab-%s.request --worker w-%s --worker-name %s --out usb/tab-%s.enrol\n%s\n' \
		"$id" "$id" "$id" "$name" "$id" "$(printf '%s\n' "$out" | sed 's/^/     /')"
	shown=$(printf '%s\n' "$out" | sed -n 's/^hub key id \([0-9a-f]*\):.*/\1/p')
	out=$(ok ruhu -C "tab-$id" join "usb/tab-$id.enrol")
	printf '   $ ruhu -C tab-%s join usb/tab-%s.enrol\n%s\n' "$id" "$id" "$(printf '%s\n' "$out" | sed 's/^/     /')"
	contains "$out" "hub key id $shown" "tab-$id sees the key id the hub showed"
	rm "usb/tab-$id.enrol"
done
note "each caseworker compared the hub's key id on the tablet with the one shown at the centre"

# ---------------------------------------------------------------------------
say "上午入户 Morning: 王芳 (tab-01) visits 张伟's household"
val HH1 -C tab-01 add household address="梅园新村 12 号" village=梅园 phone=025-84001234
val P1 -C tab-01 add person household_id="$HH1" name=张伟 gender=male id_number=320102198503120012 \
	phone=13800000001 employment_status=unemployed
val V1 -C tab-01 visit start --household "$HH1" --purpose intake --location "梅园新村 12 号"
note "失业登记 unemployment registration: the one-time notification (一次性告知单) prints at once"
notice=$(ok ruhu -C tab-01 apply emp.unemployment_registration --person "$P1")
APP=$(printf '%s\n' "$notice" | head -n 1)
printf '   $ ruhu -C tab-01 apply emp.unemployment_registration --person %s\n' "$P1"
printf '%s\n' "$notice" | sed 's/^/     /'
contains "$notice" "一次性告知单 / One-time notification" "the notification printed"
run -C tab-01 receive "$APP" id_card
note "身份证照片 a photo of the identity card is attached (a small PNG stands in for it)"
printf '\211\120\116\107\015\012\032\012\000\000\000\015\111\110\104\122\000\000\000\002\000\000\000\002\010\002\000\000\000\375\324\232\163\000\000\000\020\111\104\101\124\170\234\143\070\041\047\007\104\014\020\012\000\037\046\004\021\242\217\042\257\000\000\000\000\111\105\116\104\256\102\140\202' >id-card.png
val PHOTO -C tab-01 attach person "$P1" id-card.png --caption 身份证正面
rm id-card.png
val S1 -C tab-01 add survey visit_id="$V1" application_id="$APP" score=5 comment=很满意
run -C tab-01 visit close --summary "失业登记已受理，缺离职证明"

say "上午入户 Morning: 张强 (tab-02) and 刘洋 (tab-03) on their rounds"
val HH2 -C tab-02 add household address="梅园新村 14 号" village=梅园
val P2 -C tab-02 add person household_id="$HH2" name=李秀英 gender=female id_number=320102196201010046
val V2 -C tab-02 visit start --household "$HH2" --purpose publicity
run -C tab-02 visit close --summary "宣传灵活就业社保补贴政策"
val HH3 -C tab-03 add household address="梅园新村 20 号" village=梅园
val P3 -C tab-03 add person household_id="$HH3" name=王五 gender=male
val D3 -C tab-03 add dispute person_id="$P3" employer_name=梅园建筑公司 kind=wages \
	received_at=2026-11-27T10:30:00+08:00 amount_claimed=820000 description="拖欠三个月工资"
note "劳资纠纷 a labour dispute (unpaid wages, 8,200.00 元 in fen) is recorded for mediation"

# ---------------------------------------------------------------------------
say "中午同步 Midday: the tablets and the hub sync through the shared folder"
note "a tablet takes its reply (<device>.reply) and writes its bundle (<device>.push);"
note "the hub takes every push and writes every reply; encrypted and signed both ways"
sync_until_quiet
eq 张伟 "$(field tab-03 person "$P1" name)" "tab-03 knows 张伟 after the sync"

# ---------------------------------------------------------------------------
say "下午 Afternoon: offline edits that meet at the hub (冲突)"
note "张伟's phone, first on tab-02, a little later on tab-01 (rule lww: the later edit wins)"
run -C tab-02 set person "$P1" phone=13900000002
run -C tab-01 set person "$P1" phone=13700000003
note "李秀英's identity number corrected on tab-02 and on tab-03, differently (rule review)"
run -C tab-02 set person "$P2" id_number=320102199007050021
run -C tab-03 set person "$P2" id_number=320102197811200036
note "张伟's application: accepted on tab-01 while tab-02 receives the separation proof (order + union)"
run -C tab-01 set application "$APP" status=accepted
run -C tab-02 receive "$APP" separation_proof

say "傍晚同步 Evening: sync until quiet"
sync_until_quiet

say "复核 The hub's review queue (a person decides what the rules may not)"
run -C hub hub review
RID=$(ruhu -C hub hub review --json | sed -n 's/^\[{"rid":\([0-9]*\),.*/\1/p')
run -C hub hub review show "$RID"
eq 1 "$(ruhu -C hub hub review --json | grep -o '"rid":' | wc -l | tr -d ' ')" "one item to review"
eq 13700000003 "$(field hub person "$P1" phone)" "lww kept the later phone"
eq accepted "$(field hub application "$APP" status)" "order kept the later status"
eq id_card,separation_proof "$(field hub application "$APP" materials_received)" "union kept both materials"

say "处理 The operator checks the identity card and takes tab-03's number"
run -C hub hub resolve "$RID" --take device --reason "核对身份证原件"
run -C hub hub review

say "再同步 One more round: the resolution reaches every tablet"
sync_until_quiet
digest=$(json_get "$(ruhu -C hub status --json)" digest)
for r in hub $TABLETS; do
	d=$(json_get "$(ruhu -C "$r" status --json)" digest)
	note "$(printf '%-7s digest %s' "$r" "$d")"
	eq "$digest" "$d" "digest of $r"
	eq 320102197811200036 "$(field "$r" person "$P2" id_number)" "the resolved number on $r"
done
note "every replica holds the same rows (状态摘要 state digest equal)"
run -C tab-02 log --main -n 4

# ---------------------------------------------------------------------------
# AUDIT (审计) — the auditor's steps.  Today: the hub's history exported to a
# plain git repository, every signature checked with stock git.  The audit
# work adds its steps to this function (log, blame, verify...).
# ---------------------------------------------------------------------------
audit_steps() {
	say "审计 Audit: the hub's history checked with stock git"
	run -C hub audit export audit.git
	log=$(git -C audit.git log --all --show-signature 2>&1)
	commits=$(git -C audit.git rev-list --all | wc -l | tr -d ' ')
	good=$(printf '%s\n' "$log" | grep -c '^Good "git" signature for ' || true)
	note "\$ git -C audit.git log --all --show-signature   (first commit shown)"
	printf '%s\n' "$log" | sed -n '1,4p' | sed 's/^/     /'
	note "$good good signatures of $commits commits"
	eq "$commits" "$good" "every commit has a good signature"
	case "$log" in *BAD*|*"No signature"*|*"Can't"*) die "a signature git does not accept" ;; esac
	rm -rf audit.git
	note "the export held personal data in clear; it is removed"

	say "审计 Audit: who changed what, and the whole history replayed"
	run -C hub audit log --graph -n 8
	note "张伟's phone: the commit, tablet, caseworker and rule that made it what it is"
	out=$(ok ruhu -C hub audit blame person "$P1")
	printf '%s\n' "$out" | grep -A 1 '^phone ' | sed 's/^/     /'
	line=$(ok ruhu -C hub audit blame person "$P1" --json | sed 's/},{"field"/}\
{"field"/g' | grep '"field":"phone"')
	contains "$line" '"device":"tab-01","worker":"w-01"' "blame names tab-01 and 王芳"
	contains "$line" '"rule":"lww"' "blame names the lww rule"
	note "李秀英's identity number, version by version (the review and the operator's resolution)"
	run -C hub audit history person "$P2"
	out=$(ok ruhu -C hub audit verify)
	printf '   $ ruhu -C hub audit verify\n%s\n' "$(printf '%s\n' "$out" | sed 's/^/     /')"
	contains "$out" "verified: main" "the hub's history verifies"
	out=$(ok ruhu -C tab-02 audit verify)
	contains "$out" "verified: main" "tab-02's history verifies"
	note "every signature, object and digest checked; the replayed rows equal the replica's"
}
audit_steps

# ---------------------------------------------------------------------------
say "小结 Summary"
counts=$(ok ruhu -C hub sql "SELECT (SELECT count(*) FROM household) || ' households, ' ||
	(SELECT count(*) FROM person) || ' residents, ' || (SELECT count(*) FROM visit) || ' visits, ' ||
	(SELECT count(*) FROM application) || ' application, ' || (SELECT count(*) FROM dispute) ||
	' dispute, ' || (SELECT count(*) FROM survey) || ' rating, ' || (SELECT count(*) FROM attachment) ||
	' photo'")
note "records (记录):  $counts"
contains "$counts" "3 households, 3 residents, 2 visits, 1 application, 1 dispute, 1 rating, 1 photo" "records"
main_commits=$(ruhu -C hub log --json | grep -o '"id":"' | wc -l | tr -d ' ')
note "commits (提交): $main_commits on the hub's history (saves, merges, enrolments, the resolution)"
note "reviews (复核): $(ruhu -C hub hub review --all --json | grep -o '"status":"resolved"' | wc -l | tr -d ' ') opened and resolved, 0 open"
note "digests (摘要): hub and 3 tablets equal, $digest"
pass
