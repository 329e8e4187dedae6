#!/bin/sh
# t0530-log-main.sh — `ruhu log --main`: on a tablet, the hub's main as far
# as the tablet has pulled (the hub's merges, enrolments and resolutions),
# beside `ruhu log`, which shows the tablet's own saves; on a hub, the same
# as `ruhu log`.
. "$(dirname "$0")/lib.sh"
set -e

H="$T/hub" D="$T/tab-01"
ok ruhu hub init "$H" --centre-code 320102 --centre-name 梅园新村街道人社服务中心 >/dev/null
ok ruhu -C "$H" worker use op-01 --name 李娜 >/dev/null
ok ruhu device init "$D" --device tab-01 >/dev/null
ok ruhu -C "$H" hub enrol "$D/tab-01.request" --worker w-01 --worker-name 王芳 --out "$T/enrol" >/dev/null
ok ruhu -C "$D" join "$T/enrol" >/dev/null
ok ruhu -C "$D" add household address=一 >/dev/null

own=$(ok ruhu -C "$D" log)
main=$(ok ruhu -C "$D" log --main)
contains "$own" "add 1 household" "log: the tablet's own save"
contains "$main" "enrol w-01 for tab-01" "log --main: the hub's enrolment commit"
case "$main" in *"add 1 household"*) die "log --main shows a save the hub has not taken" ;; esac
eq 1 "$(printf '%s\n' "$main" | wc -l | tr -d ' ')" "main holds one commit so far"
eq "$(ruhu -C "$H" log --json)" "$(ruhu -C "$H" log --main --json)" "on a hub, log --main is log"
out=$(ok ruhu -C "$D" log --main --json -n 1)
contains "$out" '"device":"hub-320102"' "log --main --json"
pass
