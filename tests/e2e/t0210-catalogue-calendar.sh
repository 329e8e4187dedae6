#!/bin/sh
# t0210 — with -C DIR, `catalogue show` counts the promised date on the
# centre's own calendar: its holiday records (here the National Day week)
# push the date back; without a replica, weekends alone count.
. "$(dirname "$0")/lib.sh"
set -e

ok ruhu hub init "$T/hub" --centre-code 320102 --centre-name 梅园新村街道人社服务中心 >/dev/null
for d in 2026-10-01 2026-10-02 2026-10-05 2026-10-06 2026-10-07; do
	ok ruhu -C "$T/hub" add holiday date=$d kind=holiday name=国庆节 >/dev/null
done

# emp.assistance takes 10 working days, counted from the next working day
out=$(ok ruhu catalogue show emp.assistance --date 2026-09-30)
contains "$out" "承诺办结日期 Promised by: 2026-10-14" "weekends only"
contains "$out" "not counted" "says the calendar was not used"

out=$(ok ruhu -C "$T/hub" catalogue show emp.assistance --date 2026-09-30)
contains "$out" "承诺办结日期 Promised by: 2026-10-21" "the centre's calendar"
case "$out" in *"not counted"*) die "the calendar note shows with a replica" ;; esac

out=$(ok ruhu -C "$T/hub" catalogue show emp.assistance --date 2026-09-30 --json)
contains "$out" '"promised":"2026-10-21"' "json"
pass
