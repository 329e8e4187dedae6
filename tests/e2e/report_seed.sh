# report_seed.sh — a township hub seeded through the command line for the
# report tests (t07NN-*.sh), and the answers worked out here, in sh, from the
# seed and a calendar computed with date(1): never read from ruhu's output.
#
# Source after lib.sh.  Defines $HUB, $AS_OF, the seed tables below, and:
#   seed_hub               make and fill the hub
#   is_working DATE        0 when DATE is a working day of the seeded calendar
#   wd_between A B         working days d with A < d <= B
#   nth_after DATE N       the N-th working day after DATE
#   expect_deadlines N [WORKER]  sets exp_open exp_undated exp_overdue exp_due
#                          exp_horizon for as-of $AS_OF, N days ahead
#   expect_items N         prints "item overdue due" lines, by item, for the
#                          items with something overdue or due
#   expect_satisfaction KEYCOL   prints "key count sum s1 s2 s3 s4 s5" lines,
#                          KEYCOL 1 item, 2 worker, 3 month (- for none)

HUB="$T/hub"
AS_OF=2026-10-09
HOLIDAYS="2026-10-01 2026-10-02 2026-10-03 2026-10-04 2026-10-05 2026-10-06 2026-10-07"
WORKDAYS="2026-09-27 2026-10-10"
PERSONS=20000

# item responder status received promised(- none) resident(s: the script one, z: 张伟)
APPS="emp.unemployment_registration w-01 received 2026-09-16 2026-09-30 s
ss.resident_pension w-02 processing 2026-09-10 2026-09-25 z
emp.unemployment_registration w-01 accepted 2026-09-24 2026-10-09 z
ss.card_issuance w-02 materials_pending 2026-09-28 2026-10-10 s
ss.resident_pension w-02 received 2026-09-29 2026-10-13 z
ss.resident_pension w-02 received 2026-09-30 2026-10-14 s
emp.unemployment_registration w-01 completed 2026-09-01 2026-09-20 z
emp.job_referral w-01 received 2026-10-08 - z
ss.resident_pension w-01 received 2026-09-22 2026-10-08 s"

# application line (1-based, 0: none) visit(1: the visit, 0: none) score,
# then the keys the survey must fall under: item worker month
SURVEYS="1 0 5 emp.unemployment_registration w-01 2026-09
3 0 3 emp.unemployment_registration w-01 2026-09
2 0 4 ss.resident_pension w-02 2026-09
0 1 2 - w-02 2026-09
5 0 1 ss.resident_pension w-02 2026-09
1 1 4 emp.unemployment_registration w-02 2026-09"

# status feedback(1/0) response(1/0): open complaints have no "closed"
COMPLAINTS="received 0 0
closed 1 1
closed 0 1
closed 1 0
handling 0 1"

next_day() { date -u -d "$1 +1 day" +%F; }
daynum() { printf '%s' "$1" | tr -d -; }

is_working() {
	case " $HOLIDAYS " in *" $1 "*) return 1 ;; esac
	case " $WORKDAYS " in *" $1 "*) return 0 ;; esac
	[ "$(date -u -d "$1" +%u)" -lt 6 ]
}

wd_between() {
	n=0 d=$1
	while [ "$(daynum "$d")" -lt "$(daynum "$2")" ]; do
		d=$(next_day "$d")
		! is_working "$d" || n=$((n + 1))
	done
	echo "$n"
}

nth_after() {
	d=$1 n=$2
	while [ "$n" -gt 0 ]; do
		d=$(next_day "$d")
		! is_working "$d" || n=$((n - 1))
	done
	echo "$d"
}

expect_deadlines() {
	exp_horizon=$(nth_after "$AS_OF" "$1")
	exp_open=0 exp_undated=0 exp_overdue=0 exp_due=0
	while read -r item resp status recv prom who; do
		case $status in completed | rejected | referred) continue ;; esac
		[ -z "${2:-}" ] || [ "$2" = "$resp" ] || continue
		exp_open=$((exp_open + 1))
		if [ "$prom" = - ]; then
			exp_undated=$((exp_undated + 1))
		elif [ "$(daynum "$prom")" -lt "$(daynum "$AS_OF")" ]; then
			exp_overdue=$((exp_overdue + 1))
		elif [ "$(daynum "$prom")" -le "$(daynum "$exp_horizon")" ]; then
			exp_due=$((exp_due + 1))
		fi
	done <<EOF
$APPS
EOF
}

expect_items() {
	h=$(nth_after "$AS_OF" "$1")
	while read -r item resp status recv prom who; do
		case $status in completed | rejected | referred) continue ;; esac
		[ "$prom" != - ] || continue
		if [ "$(daynum "$prom")" -lt "$(daynum "$AS_OF")" ]; then
			echo "$item 1 0"
		elif [ "$(daynum "$prom")" -le "$(daynum "$h")" ]; then
			echo "$item 0 1"
		fi
	done <<EOF | awk '{o[$1] += $2; d[$1] += $3} END {for (k in o) print k, o[k], d[k]}' | sort
$APPS
EOF
}

expect_satisfaction() {
	printf '%s\n' "$SURVEYS" | awk -v k="$1" '{
		key = $(3 + k); n[key]++; s[key] += $3; c[key, $3]++
	} END {
		for (key in n)
			printf "%s %d %d %d %d %d %d %d\n", key, n[key], s[key],
			       c[key, 1], c[key, 2], c[key, 3], c[key, 4], c[key, 5]
	}' | sort
}

seed_hub() {
	ok ruhu hub init "$HUB" --centre-code 320102 --centre-name "梅园新村街道人社服务中心" >/dev/null
	ok ruhu -C "$HUB" worker use op-01 --name 李娜 >/dev/null
	ok ruhu -C "$HUB" add worker id=op-01 name=李娜 role=operator >/dev/null
	ok ruhu -C "$HUB" add worker id=w-01 name=王芳 >/dev/null
	ok ruhu -C "$HUB" add worker id=w-02 name=赵磊 >/dev/null
	ok ruhu -C "$HUB" add worker id=w-09 name=钱进 active=0 >/dev/null
	for d in $HOLIDAYS; do ok ruhu -C "$HUB" add holiday date="$d" kind=holiday name=国庆节 >/dev/null; done
	for d in $WORKDAYS; do ok ruhu -C "$HUB" add holiday date="$d" kind=workday name=调休上班 >/dev/null; done
	# the registered residents, in one save
	ok ruhu -C "$HUB" sql -m "register the township's residents" "WITH RECURSIVE k(i) AS
		(SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $PERSONS)
		INSERT INTO person (id, name) SELECT printf('%08x-0000-7000-8000-%012x', i, i),
		'resident ' || i FROM k" >/dev/null
	HH=$(ok ruhu -C "$HUB" add household address="梅园新村 12 号")
	PS=$(ok ruhu -C "$HUB" add person household_id="$HH" name="<script>alert(1)</script>")
	PZ=$(ok ruhu -C "$HUB" add person household_id="$HH" name=张伟)
	V=$(ok ruhu -C "$HUB" add visit household_id="$HH" worker_id=w-02 device_id=tab-02 \
		purpose=intake started_at=2026-09-03T10:00:00+08:00)
	APP_IDS=""
	while read -r item resp status recv prom who; do
		[ "$who" = s ] && p=$PS || p=$PZ
		[ "$prom" = - ] && prom=
		a=$(ok ruhu -C "$HUB" add application person_id="$p" item="$item" first_responder="$resp" \
			status="$status" received_at="${recv}T09:00:00+08:00" promised_by="$prom")
		APP_IDS="$APP_IDS $a"
	done <<EOF
$APPS
EOF
	while read -r app visit score rest; do
		set -- $APP_IDS
		a=
		[ "$app" -eq 0 ] || eval "a=\${$app}"
		[ "$visit" -eq 0 ] && v= || v=$V
		ok ruhu -C "$HUB" add survey application_id="$a" visit_id="$v" score="$score" >/dev/null
	done <<EOF
$SURVEYS
EOF
	n=0
	while read -r status feedback response; do
		n=$((n + 1))
		[ "$feedback" = 1 ] && fb=2026-09-05T10:00:00+08:00 || fb=
		[ "$response" = 1 ] && rs="已答复" || rs=
		subject="办理慢 $n"
		[ $n -ne 1 ] || subject='"><img src=x onerror=alert(2)> & 态度'
		ok ruhu -C "$HUB" add complaint person_id="$PS" channel=phone subject="$subject" \
			received_at=2026-09-0${n}T09:00:00+08:00 status="$status" response="$rs" feedback_at="$fb" >/dev/null
	done <<EOF
$COMPLAINTS
EOF
}
