#!/bin/sh
# t0710-overview-html.sh — `ruhu report overview --html`: one self-contained
# page for the hub operator, written 0600 with a warning that it holds
# personal data; every record value escaped (a resident named
# <script>alert(1)</script>, a complaint subject that closes an attribute and
# opens an <img>); no reference to anything outside the file.  Headless
# Chromium renders it, and the numbers read from the rendered DOM are the
# ones worked out from the seed (report_seed.sh).  Without `chromium` the
# rendering checks are skipped with a message.  RUHU_SCREENSHOT=FILE keeps
# the screenshot (docs/overview.png is made so).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report_seed.sh"
set -e

seed_hub
# Tablets in the hub's register.  `_devices`, `_inbox` and `_review` are the
# hub's bookkeeping (docs/sync.md §1), written here with `ruhu sql` as
# enrolment, a held bundle and a merge would leave them: tab-01 merged 7
# saves and has a bundle waiting, tab-02 was revoked; one review item.
now_ms=$(($(date -u -d 2026-10-09T08:00:00 +%s) * 1000))
ok ruhu -C "$HUB" sql "INSERT INTO _devices (id, sign_key, box_key, worker, worker_name,
	enrolled_ms, revoked_ms, reason, last_seq, last_bundle_ms) VALUES
	('tab-01', zeroblob(32), zeroblob(32), 'w-01', '王芳', $now_ms - 864000000, NULL, NULL, 7, $now_ms),
	('tab-02', zeroblob(32), zeroblob(32), 'w-02', '赵磊', $now_ms - 864000000, $now_ms,
	 '<i>lost</i> on a visit', 3, $now_ms - 86400000);
	INSERT INTO _inbox (device, received_ms, envelope) VALUES ('tab-01', $now_ms, x'00');
	INSERT INTO _review (kind, type, record_id, base_set, device_id, opened_ms)
	 VALUES ('duplicate', 'person', '$PS', 0, 'tab-01', $now_ms)" >/dev/null

PAGE="$T/overview.html"
out=$(ok ruhu -C "$HUB" report overview --as-of $AS_OF --html "$PAGE")
contains "$out" "wrote the overview of $AS_OF to $PAGE" "overview --html says what it wrote"
contains "$(cat "$T/.err")" "holds personal data in clear" "the export is said on stderr"
eq 600 "$(stat -c %a "$PAGE")" "the page is readable by its owner only"
[ -z "$(ls "$T" | grep '^overview.html.')" ] || die "a temporary file was left"

# --- the file itself ---
html=$(cat "$PAGE")
contains "$html" '&lt;script&gt;alert(1)&lt;/script&gt;' "the name is escaped"
contains "$html" '&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; 态度' "the subject is escaped"
contains "$html" '&lt;i&gt;lost&lt;/i&gt; on a visit' "the revocation reason is escaped"
eq 0 "$(grep -c '<script' "$PAGE" || true)" "no script element"
eq 0 "$(grep -o '<[a-zA-Z][^>]*>' "$PAGE" | grep -Eci 'src=|href=|url\(|@import|<link|<img|<iframe|<object' || true)" "no tag loads anything"
eq 0 "$(grep -ci 'https\?://' "$PAGE" || true)" "no address at all"
contains "$html" "default-src 'none'" "a content policy that forbids fetching"
eq 2 "$(grep -o '<svg' "$PAGE" | wc -l | tr -d ' ')" "two inline charts"

# --- the same numbers as JSON ---
json=$(ok ruhu -C "$HUB" report overview --as-of $AS_OF --json)
contains "$json" '"review":{"open":1,"by_kind":{"duplicate":1}}' "review queue by kind"
contains "$json" '{"id":"tab-02","worker":"w-02","worker_name":"赵磊",' "tablets"
contains "$json" '"last_seq":7,"waiting":1,"revoked":false' "tab-01's sync state"
out=$(ok ruhu -C "$HUB" report overview --as-of $AS_OF)
contains "$out" "tablets        2 enrolled, 1 revoked, 1 bundles waiting" "human overview"
fails 2 "--html and --json cannot go together" ruhu -C "$HUB" report overview --html x --json

# --- a long list: the page shows the 200 most urgent, the counts cover all ---
BIG="$T/big"
ok ruhu hub init "$BIG" --centre-code 320103 --centre-name 大厂 >/dev/null
ok ruhu -C "$BIG" sql "INSERT INTO person (id, name) VALUES ('$PS', '某')" >/dev/null
ok ruhu -C "$BIG" sql "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 250)
	INSERT INTO application (id, person_id, item, received_at, promised_by, first_responder)
	SELECT printf('%08x-0000-7000-8000-%012x', i, i), '$PS', 'emp.job_referral',
	'2026-01-05T09:00:00+08:00', date('2026-02-01', '+' || i || ' days'), 'w-01' FROM k" >/dev/null
ok ruhu -C "$BIG" report overview --as-of 2027-01-01 --html "$T/big.html" >/dev/null
eq 250 "$(sed -n 's/.*id="deadlines-overdue">\([0-9]*\)<.*/\1/p' "$T/big.html")" "every overdue one counted"
eq 200 "$(grep -o '<tr class="overdue">' "$T/big.html" | wc -l | tr -d ' ')" "200 rows listed"
contains "$(cat "$T/big.html")" "and 50 more: <code>ruhu report deadlines</code> lists them all" "the rest is said"
contains "$(cat "$T/big.html")" "<td>2026-02-02</td>" "the most late first"
[ "$(grep -c '<td>2026-10-09</td>' "$T/big.html")" -eq 0 ] || die "the least late were listed"

# --- rendered by a browser ---
if ! command -v chromium >/dev/null 2>&1; then
	echo "skip: chromium is not installed: the page was not rendered (apt-get install chromium)"
	pass
fi
chrome() {
	profile=$(mktemp -d "$T/chromium-XXXXXX")
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" "$@"
}
chrome --dump-dom "file://$PAGE" >"$T/dom.html" 2>"$T/chromium.err" || {
	cat "$T/chromium.err" >&2; die "chromium could not render the page"; }
dom=$(cat "$T/dom.html")
contains "$dom" '<h1>梅园新村街道人社服务中心</h1>' "rendered"
# the numbers, read from the DOM by their ids
num() { printf '%s' "$dom" | sed -n "s/.*id=\"$1\">\([^<]*\)<.*/\1/p" | head -n 1; }
expect_deadlines 3
eq "$exp_overdue" "$(num deadlines-overdue)" "overdue on the page"
eq "$exp_due" "$(num deadlines-due)" "due on the page"
eq "$exp_open" "$(num deadlines-open)" "open on the page"
eq 1 "$(num review-open)" "review items on the page"
eq 2 "$(num tablets-count)" "tablets on the page"
eq "$(printf '%s\n' "$COMPLAINTS" | grep -vc '^closed')" "$(num complaints-open)" "open complaints on the page"
eq "$(printf '%s\n' "$COMPLAINTS" | grep -c '^closed \(0 .\|. 0\)$')" "$(num complaints-no-feedback)" "complaints without feedback on the page"
eq "$(printf '%s\n' "$SURVEYS" | awk '{n++} END {print n}')" "$(num satisfaction-count)" "ratings on the page"
eq "$(printf '%s\n' "$SURVEYS" | awk '{n++; s += $3} END {printf "%.2f", s / n}')" "$(num satisfaction-mean)" "mean rating on the page"
eq "not met" "$(num staffing-verdict)" "staffing verdict on the page"
eq $((PERSONS + 2)) "$(num staffing-residents)" "residents on the page"
eq 2 "$(num staffing-caseworkers)" "caseworkers on the page"
# the bars of the charts
for s in 1 2 3 4 5; do
	n=$(printf '%s\n' "$SURVEYS" | awk -v s=$s '$3 == s {n++} END {print n + 0}')
	contains "$dom" "data-score=\"$s\" data-count=\"$n\"" "bar of score $s"
done
expect_items 3 >"$T/items"
eq "$(wc -l <"$T/items" | tr -d ' ')" "$(printf '%s' "$dom" | grep -o 'class="item-bar"' | wc -l | tr -d ' ')" "a bar per item"
while read -r item o d; do
	contains "$dom" "data-item=\"$item\" data-overdue=\"$o\" data-due=\"$d\"" "bar of $item"
done <"$T/items"
# the hostile text stayed text in the browser too
eq 0 "$(printf '%s' "$dom" | grep -c '<script' || true)" "no script element in the DOM"
eq 0 "$(printf '%s' "$dom" | grep -c '<img' || true)" "no img element in the DOM"
eq 0 "$(printf '%s' "$dom" | grep -c '<i>' || true)" "no i element in the DOM"
contains "$dom" '&lt;script&gt;alert(1)&lt;/script&gt;' "the name is text in the DOM"
contains "$dom" '&lt;img src=x onerror=alert(2)&gt;' "the subject is text in the DOM"
contains "$dom" 'revoked 2026-10-09 16:00: &lt;i&gt;lost&lt;/i&gt; on a visit' "revocation in the centre's time"

chrome --window-size=1280,1360 --hide-scrollbars --screenshot="$T/overview.png" "file://$PAGE" \
	>/dev/null 2>"$T/chromium.err" || { cat "$T/chromium.err" >&2; die "no screenshot"; }
eq "89504e47" "$(od -An -tx1 -N4 "$T/overview.png" | tr -d ' \n')" "the screenshot is a PNG"
[ -z "${RUHU_SCREENSHOT:-}" ] || cp "$T/overview.png" "$RUHU_SCREENSHOT"
pass
