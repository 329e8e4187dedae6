#!/bin/sh
# t0200-schema-cli.sh — the schema and catalogue commands of the real binary:
# list the catalogue, print a one-time notification with its promised date,
# show the record types, check a centre's files, validate values.
set -eu
: "${RUHU_BIN:?RUHU_BIN must name the ruhu binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

fail() {
	echo "not ok $n - $*" >&2
	echo "--- stdout" >&2; cat "$tmp/out" >&2 2>/dev/null || true
	echo "--- stderr" >&2; cat "$tmp/err" >&2 2>/dev/null || true
	exit 1
}

# run CODE CMD...: run CMD, expect exit CODE; output in $tmp/out, $tmp/err
run() {
	want=$1
	shift
	n=$((n + 1))
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || fail "exit $rc, not $want: $*"
}

has() { grep -qF -- "$1" "$tmp/$2" || fail "no '$1' in $2"; }
lines() { [ "$(grep -c -- "$1" "$tmp/out")" -eq "$2" ] || fail "expected $2 lines matching '$1'"; }

# --- catalogue list ---
run 0 "$RUHU_BIN" catalogue list
lines '个工作日' 29
has 'emp.unemployment_registration' out
has '失业登记' out
has 'lab.contract_filing' out
has "ruhu's default catalogue" out
run 0 "$RUHU_BIN" catalogue list --json
has '"code":"ss.card_check"' out
has '"defaults":true' out
has '"limit":' out

# --- catalogue show: the one-time notification for a date ---
# Friday 10 May 2024 + 3 working days = Wednesday 15 May
run 0 "$RUHU_BIN" catalogue show emp.unemployment_registration --date 2024-05-10
has '一次性告知单' out
has '法规政策依据 Legal basis: 《中华人民共和国就业促进法》' out
has '1. 居民身份证 / resident identity card' out
has '3. 常住地居住证明' out
has '办理程序 Procedure:' out
has '办理时限 Time limit: 3 个工作日' out
has '受理日期 Received: 2024-05-10' out
has '承诺办结日期 Promised by: 2024-05-15' out
run 0 "$RUHU_BIN" catalogue show lab.inspection_complaint --json --date 2024-05-11
has '"promised":"2024-05-14"' out
has '"materials":[{"code":"id_card"' out
has '"default":true' out
run 0 "$RUHU_BIN" catalogue show ss.info_query
has '承诺办结日期 Promised by: ' out
run 1 "$RUHU_BIN" catalogue show emp.nothing
has "ruhu: no service item 'emp.nothing'" err
run 1 "$RUHU_BIN" catalogue show emp.assistance --date 2024-02-30
has 'ruhu: invalid date for --date: not a real calendar date' err
run 2 "$RUHU_BIN" catalogue show
run 2 "$RUHU_BIN" catalogue show a b

# --- a centre's own catalogue ---
run 0 "$RUHU_BIN" catalogue export
cp "$tmp/out" "$tmp/default.txt"
has 'format catalogue 1' out
sed -e 's/^defaults$/centre 高资街道人力资源和社会保障服务中心/' \
    -e '/^item emp.unemployment_registration/,/^item/s/^\tlimit 3$/\tlimit 2/' \
    "$tmp/default.txt" >"$tmp/gaozi.txt"
run 0 "$RUHU_BIN" schema check "$tmp/gaozi.txt"
has 'catalogue ok (29 items' out
run 0 "$RUHU_BIN" catalogue list --catalogue "$tmp/gaozi.txt"
has 'emp.unemployment_registration        2 个工作日' out
run 0 "$RUHU_BIN" catalogue show emp.unemployment_registration --catalogue "$tmp/gaozi.txt" --date 2024-05-10
has '高资街道人力资源和社会保障服务中心' out
has '承诺办结日期 Promised by: 2024-05-14' out
# a broken line is refused with file and line
sed -e 's/^\tlimit 20$/\tlimit twenty/' "$tmp/default.txt" >"$tmp/broken.txt"
line=$(grep -n 'limit twenty' "$tmp/broken.txt" | head -1 | cut -d: -f1)
run 1 "$RUHU_BIN" schema check "$tmp/broken.txt"
has "ruhu: $tmp/broken.txt:$line: 'limit' needs a number of working days" err
run 1 "$RUHU_BIN" catalogue list --catalogue "$tmp/broken.txt"
has "$tmp/broken.txt:$line:" err
printf 'format catalogue 1\nfee 10\n' >"$tmp/fee.txt"
run 1 "$RUHU_BIN" schema check "$tmp/fee.txt"
has "$tmp/fee.txt:2: unknown catalogue field 'fee'" err
run 1 "$RUHU_BIN" catalogue list --catalogue "$tmp/missing.txt"
has 'cannot open catalogue file' err

# --- schema show ---
run 0 "$RUHU_BIN" schema show
for t in worker holiday household person visit application dispute complaint survey attachment; do
	grep -q "^$t  " "$tmp/out" || fail "schema show lacks type $t"
done
has 'order(received<materials_pending<accepted<processing<completed; final=rejected,referred)' out
has 'immutable_after(ended_at IS NOT NULL)' out
has '公民身份号码 / resident identity number' out
version=$(sed -n '1s/^schema \([0-9a-f]*\) .*/\1/p' "$tmp/out")
[ ${#version} -eq 64 ] || fail "no schema version in '$(head -1 "$tmp/out")'"
run 0 "$RUHU_BIN" schema show person --json
has "\"version\":\"$version\"" out
has '"name":"person"' out
has '"duplicate":["id_number"]' out
has '"ref":"household"' out
run 0 "$RUHU_BIN" schema show application
has 'rejected             不予受理 / rejected' out
run 1 "$RUHU_BIN" schema show nobody
has "no record type 'nobody'" err

# --- schema check on schema files ---
printf -- '-- wechat ids\nALTER TABLE person ADD COLUMN wechat TEXT;\n' >"$tmp/0002-wechat.sql"
run 0 "$RUHU_BIN" schema check "$tmp/0002-wechat.sql"
has 'schema ok (10 types' out
printf 'CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT);\n' >"$tmp/0002-note.sql"
run 1 "$RUHU_BIN" schema check "$tmp/0002-note.sql"
has "$tmp/0002-note.sql:1: table note has no 'type note' in township.rules" err
printf 'format rules 1\ntype worker\n\tfield name lwx\n' >"$tmp/centre.rules"
run 1 "$RUHU_BIN" schema check "$tmp/centre.rules"
has "$tmp/centre.rules:3: unknown rule 'lwx'" err
printf 'hello\n' >"$tmp/notes.txt"
run 1 "$RUHU_BIN" schema check "$tmp/notes.txt"
has 'not a catalogue' err
# several files: each judged, the exit code says whether all passed
run 1 "$RUHU_BIN" schema check "$tmp/gaozi.txt" "$tmp/fee.txt"
has 'catalogue ok' out
has 'fee.txt:2:' err
run 2 "$RUHU_BIN" schema check

# --- validators ---
run 0 "$RUHU_BIN" schema validate id-number 11010519491231002X 440524188001010014
lines '^ok$' 2
run 1 "$RUHU_BIN" schema validate id-number 110105194912310021 --field person.id_number
has 'ruhu: invalid resident identity number for person.id_number: check character should be X' err
run 0 "$RUHU_BIN" schema validate credit-code 91350100M000100Y43
run 1 "$RUHU_BIN" schema validate mobile 12912345678
has 'invalid mobile number for mobile' err
run 0 "$RUHU_BIN" schema validate date 2024-02-29
run 1 "$RUHU_BIN" schema validate date 2023-02-29
run 2 "$RUHU_BIN" schema validate colour red

echo "ok - $n checks"
