#!/bin/sh
# t0300-visit.sh — a home visit through the command line on a tablet's
# replica: worker use, household and resident, visit start, an application
# with its one-time notification, materials received, a photo attached, a
# satisfaction survey, visit close; then the records, the commits, their
# trailers and changes.txt as the caseworker and the auditor read them.
. "$(dirname "$0")/lib.sh"
set -e

R="$T/tab-07"
export RUHU_DIR="$R"

# log_objects: `ruhu log --json`, one commit object per line
log_objects() {
	ruhu log --json | sed 's/^\[//; s/\]$//; s/},{"id"/}\
{"id"/g'
}
count_commits() { ruhu log --json | grep -o '"id":"' | wc -l | tr -d ' '; }

# --- the tablet ---
out=$(ok ruhu device init "$R" --device tab-07)
contains "$out" "created device replica $R for tab-07" "device init"
[ -f "$R/replica.db" ] && [ -f "$R/replica.key" ] || die "replica files missing"
[ ! -e "$R/enrolment" ] && [ "$(ls "$R" | grep -v '^replica\.' | grep -vc '^tab-07\.request$')" -eq 0 ] || die "device init wrote more than the replica and its enrolment request"
contains "$out" "wrote the enrolment request to $R/tab-07.request" "device init says where the request is"
contains "$(cat "$R/tab-07.request")" "device: tab-07" "the request names the tablet"
eq 0 "$(count_commits)" "a new replica has no commit"
out=$(ok ruhu status --json)
eq device "$(json_get "$out" role)" "status role"
eq tab-07 "$(json_get "$out" id)" "status id"
eq 0 "$(json_get "$out" pending)" "nothing pending yet"

out=$(ok ruhu worker use w-0012 --name 王芳)
contains "$out" "w-0012 (王芳)" "worker use"

# --- before the visit: the household and the resident ---
H=$(ok ruhu add household address="梅园新村 12 号" village=梅园 phone=025-84001234)
P=$(ok ruhu add person household_id="$H" name=张伟 gender=male phone=13900000000 -m "register 张伟")
eq 1 "$(printf '%s\n' "$H" | wc -l | tr -d ' ')" "add prints one line"
case "$H" in ????????-????-7???-????-????????????) ;; *) die "household id '$H' is not a UUID v7" ;; esac

# --- the visit ---
V=$(ok ruhu visit start --household "$H" --purpose intake --location "梅园新村 12 号 客厅")
out=$(ok ruhu status --json)
eq "$V" "$(json_get "$out" visit)" "status shows the open visit"
ok ruhu status >"$T/status.txt"
contains "$(cat "$T/status.txt")" "visit    $V" "status human form"

ok ruhu apply emp.unemployment_registration --person "$P" >"$T/apply.txt"
A=$(head -n 1 "$T/apply.txt")
case "$A" in ????????-????-7???-????-????????????) ;; *) die "application id '$A' is not a UUID v7" ;; esac
notice=$(cat "$T/apply.txt")
contains "$notice" "一次性告知单 / One-time notification" "checklist printed"
contains "$notice" "1. 居民身份证 / resident identity card [id_card]" "materials listed"
contains "$notice" "承诺办结日期 Promised by: " "promised date printed"
contains "$notice" "首问责任人 First responder: 王芳 (w-0012)" "first responder is the worker"
promised=$(sed -n 's/^承诺办结日期 Promised by: \([0-9-]*\).*/\1/p' "$T/apply.txt")
ok ruhu schema validate date "$promised" >/dev/null

ok ruhu receive "$A" id_card >"$T/recv1.txt"
eq 2 "$(grep -c '\[缺 missing\]' "$T/recv1.txt")" "two materials still missing"
grep -q 'resident identity card \[id_card\]  \[已收 received\]' "$T/recv1.txt" || die "id card not marked received"
ok ruhu receive "$A" separation_proof >"$T/recv2.txt"
eq 1 "$(grep -c '\[缺 missing\]' "$T/recv2.txt")" "the missing list shrinks"
grep -q '\[residence_proof\]  \[缺 missing\]' "$T/recv2.txt" || die "residence proof should be missing"

# a real 2x2 PNG photo of the identity card
printf '\211\120\116\107\015\012\032\012\000\000\000\015\111\110\104\122\000\000\000\002\000\000\000\002\010\002\000\000\000\375\324\232\163\000\000\000\020\111\104\101\124\170\234\143\070\041\047\007\104\014\020\012\000\037\046\004\021\242\217\042\257\000\000\000\000\111\105\116\104\256\102\140\202' >"$T/id-card.png"
size=$(wc -c <"$T/id-card.png" | tr -d ' ')
eq 73 "$size" "the photo's size"
AT=$(ok ruhu attach person "$P" "$T/id-card.png" --caption "身份证正面")
S=$(ok ruhu add survey visit_id="$V" application_id="$A" score=5 comment="很满意")
out=$(ok ruhu visit close --summary "失业登记已受理，缺常住地居住证明")
contains "$out" "closed visit $V" "visit close"
out=$(ok ruhu status --json)
eq "null" "$(printf '%s' "$out" | sed -n 's/.*"visit":\(null\).*/\1/p')" "no visit open after close"

# after the visit
ok ruhu set person "$P" employment_status=unemployed >"$T/set.txt"
contains "$(cat "$T/set.txt")" "saved commit" "set reports its commit"

# --- the records ---
out=$(ok ruhu get household "$H" --json)
eq "$H" "$(json_get "$out" id)" "household id"
contains "$out" '"address":"梅园新村 12 号"' "household address"
contains "$out" '"notes":null' "unset field is null"
out=$(ok ruhu get person "$P")
contains "$out" "name (姓名 / name): 张伟" "human form has labels"
contains "$out" "gender (性别 / gender): male (男 / male)" "value labels"
contains "$out" "employment_status (就业状态 / employment status): unemployed (失业 / unemployed)" "set took"
out=$(ok ruhu get application "$A" --json)
contains "$out" '"item":"emp.unemployment_registration"' "application item"
contains "$out" '"status":"received"' "application status"
contains "$out" "\"promised_by\":\"$promised\"" "promised date stored"
contains "$out" '"first_responder":"w-0012"' "first responder stored"
contains "$out" "\"visit_id\":\"$V\"" "application belongs to the visit"
contains "$out" '"materials_received":"id_card,separation_proof"' "materials received"
out=$(ok ruhu get visit "$V" --json)
contains "$out" '"worker_id":"w-0012"' "visit worker"
contains "$out" '"device_id":"tab-07"' "visit device"
contains "$out" '"purpose":"intake"' "visit purpose"
contains "$out" '"summary":"失业登记已受理，缺常住地居住证明"' "visit summary"
[ "$(json_get "$out" ended_at)" != "" ] && [ "$(printf '%s' "$out" | grep -c '"ended_at":null')" -eq 0 ] || die "visit has no end"
out=$(ok ruhu get attachment "$AT" --json)
contains "$out" '"mime":"image/png"' "attachment type sniffed"
contains "$out" "\"bytes\":$size" "attachment size"
contains "$out" "\"record_id\":\"$P\"" "attachment record"
contains "$out" '"caption":"身份证正面"' "attachment caption"
out=$(ok ruhu list survey --where visit_id="$V" --json)
eq 1 "$(printf '%s' "$out" | grep -o '"id":"' | wc -l | tr -d ' ')" "one survey for the visit"
contains "$out" '"score":5' "survey score is a number"
out=$(ok ruhu list person --where household_id="$H" --where name=张伟)
contains "$out" "$P  household_id=$H  name=张伟" "list human form"
out=$(ok ruhu list person --where name=nobody --json)
eq "[]" "$out" "list with no match"
out=$(ok ruhu list household --where notes= --json)
contains "$out" "\"id\":\"$H\"" "FIELD= matches NULL"

# --- the commits ---
# household, person, visit start, apply, receive x2, attach, survey, close, set
eq 10 "$(count_commits)" "one commit per save"
eq 10 "$(json_get "$(ruhu status --json)" seq)" "sequence"
eq 10 "$(json_get "$(ruhu status --json)" pending)" "every save waits for the hub"
log_objects >"$T/log.txt"
eq 10 "$(grep -c '"worker":"w-0012"' "$T/log.txt")" "every commit by the worker"
eq 10 "$(grep -c '"device":"tab-07"' "$T/log.txt")" "every commit by the device"
eq 10 "$(grep -c '"signature":"G"' "$T/log.txt")" "every signature good"
eq 10 "$(grep -c '"author":"王芳"' "$T/log.txt")" "the caseworker is the author"
# newest first: set (after), close ... start (during), person, household (before)
eq "$(sed -n '2,8p' "$T/log.txt" | grep -c "\"visit\":\"$V\"")" 7 "visit id on the commits of the visit"
eq "$(sed -n '1p;9,10p' "$T/log.txt" | grep -c '"visit":null')" 3 "no visit id before or after"
for i in 1 2 3 4 5 6 7 8 9 10; do
	line=$(sed -n "$((11 - i))p" "$T/log.txt")
	contains "$line" "\"seq\":$i," "sequence $i in order"
done
contains "$(sed -n 9p "$T/log.txt")" '"subject":"register 张伟"' "-m sets the subject"
contains "$(sed -n 8p "$T/log.txt")" '"subject":"start visit"' "visit start subject"
ok ruhu log >"$T/log-human.txt"
eq 10 "$(wc -l <"$T/log-human.txt" | tr -d ' ')" "log: one line per commit"
grep -q "w-0012   tab-07     $V G  close visit" "$T/log-human.txt" || die "log line of the close"
eq 3 "$(ruhu log -n 3 | wc -l | tr -d ' ')" "log -n"
eq "[]" "$(ruhu log -n 0 --json)" "log -n 0 shows nothing"

# trailers and changes.txt of the attach commit
c_attach=$(sed -n 4p "$T/log.txt" | sed 's/^{"id":"\([0-9a-f]*\)".*/\1/')
ok ruhu show "$c_attach" >"$T/show.txt"
grep -q "^Device: tab-07   Worker: w-0012   Seq: 7   Signature: good$" "$T/show.txt" || die "show: trailers"
grep -q "^Visit:  $V$" "$T/show.txt" || die "show: visit trailer"
grep -q "^Author: 王芳 <w-0012@unjoined>$" "$T/show.txt" || die "show: author"
grep -q "^attachment $AT  inserted$" "$T/show.txt" || die "changes.txt: inserted"
grep -q "^attachment $AT  + record_id: \"$P\"$" "$T/show.txt" || die "changes.txt: record id"
grep -q "^attachment $AT  + mime: \"image/png\"$" "$T/show.txt" || die "changes.txt: mime"
c_set=$(sed -n 1p "$T/log.txt" | sed 's/^{"id":"\([0-9a-f]*\)".*/\1/')
out=$(ok ruhu show "$(printf '%.10s' "$c_set")")
contains "$out" "person $P  employment_status: NULL → \"unemployed\"" "changes.txt of an update"
out=$(ok ruhu show --json "$c_set")
contains "$out" "\"changes\":[\"person $P  employment_status: NULL → \\\"unemployed\\\"\"]" "show --json changes"
contains "$out" '"seq":10' "show --json entry"

# the survey is immutable, the closed visit frozen: refused, nothing saved
fails 1 "a survey cannot be changed once saved" ruhu set survey "$S" score=1
fails 1 "can no longer be changed" ruhu set visit "$V" summary=later
eq 10 "$(count_commits)" "refused edits make no commit"

pass
