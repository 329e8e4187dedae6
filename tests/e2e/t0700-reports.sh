#!/bin/sh
# t0700-reports.sh — `ruhu report deadlines|staffing|satisfaction|complaints`
# on a hub seeded through the command line (report_seed.sh), each checked
# against answers worked out from the seed: deadlines across the weekends,
# holidays and adjusted working days of the centre's calendar, a centre of
# 20,000 residents under the staffing guide, satisfaction means and
# distributions, complaints closed without feedback; then the deadlines on
# a tablet for the caseworker holding it, and refused options.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report_seed.sh"
set -e

seed_hub
R() { ruhu -C "$HUB" report "$@"; }

# the first value of KEY in a JSON text (top-level keys come first)
first() { printf '%s' "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | sed 's/^[^:]*://; s/"//g'; }
# count "KEY":VALUE pairs in a JSON text
count_kv() { printf '%s' "$1" | grep -o "\"$2\":$3" | wc -l | tr -d ' '; }

# --- deadlines ---
for within in 3 0 1 5; do
	expect_deadlines $within
	out=$(ok R deadlines --as-of $AS_OF --within $within --json)
	eq "$exp_horizon" "$(first "$out" horizon)" "horizon of $within working days"
	eq "$exp_open" "$(first "$out" open)" "open applications ($within)"
	eq "$exp_undated" "$(first "$out" undated)" "applications without a promised date"
	eq "$exp_overdue" "$(first "$out" overdue)" "overdue ($within)"
	eq "$exp_due" "$(first "$out" due)" "due within $within"
	eq "$exp_overdue" "$(count_kv "$out" overdue true)" "overdue entries listed"
	eq "$exp_due" "$(count_kv "$out" overdue false)" "due entries listed"
done
# Friday 9 October, 3 working days ahead: Saturday 10 is an adjusted
# working day, so the horizon is Tuesday 13
expect_deadlines 3
eq 2026-10-13 "$exp_horizon" "the seeded calendar"
out=$(ok R deadlines --as-of $AS_OF --json)
eq 2026-10-13 "$(first "$out" horizon)" "--within defaults to 3"
# each overdue application's working days late, as counted here
for prom in 2026-09-25 2026-09-30 2026-10-08; do
	late=$(wd_between $prom $AS_OF)
	contains "$out" "\"promised_by\":\"$prom\",\"overdue\":true,\"working_days_late\":$late," "days late of $prom"
done
eq 6 "$(wd_between 2026-09-25 $AS_OF)" "Sunday 27 works, 1-7 October are off"
contains "$out" "\"promised_by\":\"2026-10-10\",\"overdue\":false,\"working_days_late\":null,\"working_days_left\":1," "due on the adjusted Saturday"
contains "$out" '"person_name":"<script>alert(1)</script>"' "names as recorded, JSON-escaped only"
# the most late first
first=$(printf '%s' "$out" | sed 's/.*"applications":\[{[^}]*"promised_by":"\([0-9-]*\)".*/\1/')
eq 2026-09-25 "$first" "most late first"
contains "$out" '"by_item":[{"item":"emp.unemployment_registration","name":"失业登记","overdue":1,"due":1,' "by item"
contains "$out" '{"worker":"w-02","name":"赵磊","overdue":1,"due":2,' "by first responder"
# people read "working days"
out=$(ok R deadlines --as-of $AS_OF)
contains "$out" "working days late, by the centre's calendar" "the unit is said"
contains "$out" "$(wd_between 2026-09-25 $AS_OF) wd ($(( ( $(date -u -d $AS_OF +%s) - $(date -u -d 2026-09-25 +%s) ) / 86400 )) d)" "working and calendar days"
contains "$out" "open $exp_open  overdue $exp_overdue  due $exp_due  without a promised date $exp_undated" "summary line"
# a Saturday: the Friday before is overdue by no working day yet
out=$(ok R deadlines --as-of 2026-09-26 --json)
contains "$out" '"promised_by":"2026-09-25","overdue":true,"working_days_late":0,"working_days_left":null,"calendar_days":1}' "overdue over a weekend"
# one first responder
expect_deadlines 3 w-01
out=$(ok R deadlines --as-of $AS_OF --worker w-01 --json)
eq w-01 "$(first "$out" worker)" "scope"
eq "$exp_overdue" "$(first "$out" overdue)" "w-01 overdue"
eq "$exp_due" "$(first "$out" due)" "w-01 due"

# --- staffing: 2 active caseworkers for 20,002 residents ---
residents=$((PERSONS + 2))
out=$(ok R staffing --as-of $AS_OF --json)
eq "$residents" "$(first "$out" residents)" "residents served (registered)"
eq 2 "$(first "$out" caseworkers)" "active caseworkers"
eq 1 "$(first "$out" other_staff)" "the operator is not counted"
eq 1 "$(first "$out" inactive)" "inactive worker"
eq $(( (residents + 5999) / 6000 )) "$(first "$out" required)" "caseworkers the guide asks for"
eq false "$(first "$out" meets_ratio)" "1:6000 not met"
eq false "$(first "$out" meets_minimum)" "3 staff not met"
eq false "$(first "$out" meets)" "guide not met"
out=$(ok R staffing --as-of $AS_OF)
contains "$out" "the centre does NOT meet the staffing guide: 2 caseworkers, 4 needed (2 more)" "said plainly"
out=$(ok R staffing --as-of $AS_OF --per 10001 --minimum 2 --json)
eq true "$(first "$out" meets)" "met at 1:10001 with 2 staff"
# served in the 12 months: the two residents of the visited household
out=$(ok R staffing --as-of $AS_OF --served active --json)
eq 2 "$(first "$out" residents)" "residents served in 12 months"
eq 2025-10-10 "$(first "$out" window_from)" "the 12 months"
eq true "$(first "$out" meets_ratio)" "ratio met for 2 residents"

# --- satisfaction ---
for by in item worker month; do
	case $by in item) col=1 ;; worker) col=2 ;; month) col=3 ;; esac
	out=$(ok R satisfaction --by $by --json)
	eq "$by" "$(first "$out" by)" "grouping"
	expect_satisfaction $col >"$T/groups"
	eq "$(wc -l <"$T/groups" | tr -d ' ')" "$(printf '%s' "$out" | grep -o "{\"$by\":" | wc -l | tr -d ' ')" "groups by $by"
	while read -r key n sum s1 s2 s3 s4 s5; do
		[ "$key" = - ] && k=null || k="\"$key\""
		g=$(printf '%s' "$out" | grep -o "{\"$by\":$k,[^]]*]}")
		contains "$g" "\"count\":$n,\"sum\":$sum," "count and sum of $by $key"
		contains "$g" "\"scores\":[$s1,$s2,$s3,$s4,$s5]}" "distribution of $by $key"
	done <"$T/groups"
done
total=$(printf '%s\n' "$SURVEYS" | awk '{n++; s += $3} END {print n, s}')
out=$(ok R satisfaction --json)
contains "$out" "\"total\":{\"count\":${total% *},\"sum\":${total#* }," "total count and sum"
contains "$out" '"total":{"count":6,"sum":19,"mean":3.1666666666666665,' "mean 19/6"
contains "$out" '{"item":"ss.resident_pension","name":"城乡居民基本养老保险办理","count":2,"sum":5,"mean":2.5,' "mean of an item"
out=$(ok R satisfaction --by worker)
contains "$out" "ratings 6  mean 3.17" "human mean"
contains "$out" "w-02" "by worker, human"

# --- complaints ---
open=$(printf '%s\n' "$COMPLAINTS" | grep -vc '^closed')
nofb=$(printf '%s\n' "$COMPLAINTS" | grep -c '^closed \(0 .\|. 0\)$')
out=$(ok R complaints --as-of $AS_OF --json)
eq 5 "$(first "$out" total)" "complaints"
eq "$open" "$(first "$out" open)" "open complaints"
eq "$nofb" "$(first "$out" closed_without_feedback)" "closed without feedback"
contains "$out" '"by_status":{"received":1,"handling":1,"responded":0,"closed":3}' "by status"
eq "$nofb" "$(printf '%s' "$out" | sed 's/.*"closed_without_feedback_complaints":\[//' | grep -o '"id":' | wc -l | tr -d ' ')" "listed without feedback"
contains "$out" "\"received\":\"2026-09-01T09:00:00+08:00\",\"status\":\"received\",\"response\":null,\"feedback_at\":null,\"calendar_days\":$(( ( $(date -u -d $AS_OF +%s) - $(date -u -d 2026-09-01 +%s) ) / 86400 ))}" "days open"
out=$(ok R complaints --as-of $AS_OF)
contains "$out" "closed without feedback to the complainant $nofb" "human form"
contains "$out" "[missing: feedback_at]" "what is missing"

# --- on a tablet: its own caseworker's applications ---
TAB="$T/tab-01"
ok ruhu device init "$TAB" --device tab-01 >/dev/null
ok ruhu -C "$TAB" worker use w-01 --name 王芳 >/dev/null
TP=$(ok ruhu -C "$TAB" add person name=李四)
ok ruhu -C "$TAB" add application person_id="$TP" item=emp.job_referral first_responder=w-01 \
	received_at=2026-09-01T09:00:00+08:00 promised_by=2026-09-04 >/dev/null
ok ruhu -C "$TAB" add application person_id="$TP" item=emp.job_referral first_responder=w-02 \
	received_at=2026-09-01T09:00:00+08:00 promised_by=2026-09-04 >/dev/null
out=$(ok ruhu -C "$TAB" report deadlines --as-of $AS_OF --json)
eq w-01 "$(first "$out" worker)" "a tablet reports for its caseworker"
eq true "$(first "$out" worker_holds_replica)" "and says so"
eq 1 "$(first "$out" overdue)" "only its caseworker's"
contains "$out" "\"working_days_late\":$(HOLIDAYS= WORKDAYS=; wd_between 2026-09-04 $AS_OF)," "weekends only on a tablet without holidays"
out=$(ok ruhu -C "$TAB" report deadlines --as-of $AS_OF --all --json)
eq 2 "$(first "$out" overdue)" "--all"
out=$(ok ruhu -C "$TAB" report deadlines --as-of $AS_OF)
contains "$out" "the caseworker holding this tablet" "human scope"

# --- refusals ---
fails 2 "--by must be item, worker or month" R satisfaction --by day
fails 2 "--within must be 0 to 365" R deadlines --within -1
fails 2 "--within must be 0 to 365" R deadlines --within 366
fails 2 "--worker and --all cannot go together" R deadlines --worker w-01 --all
fails 2 "--served must be registered or active" R staffing --served everyone
fails 2 "expects a whole number" R staffing --per many
fails 2 "--per must be 1 to 1000000" R staffing --per 0
fails 2 "--minimum must be 1 to 10000" R staffing --minimum -3
fails 1 "invalid date for the as-of date" R deadlines --as-of 2026-02-30
fails 2 "too many arguments" R complaints extra
ok ruhu replica init "$T/plain" >/dev/null
fails 1 "holds no record tables" ruhu -C "$T/plain" report deadlines
pass
