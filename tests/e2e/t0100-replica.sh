#!/bin/sh
# t0100-replica.sh — the replica commands end to end: init, sql, check,
# passwd, rekey, wrong passphrase, refusals, usage errors.
set -u
: "${RUHU_BIN:?RUHU_BIN must name the ruhu binary}"
export RUHU_TEST_KDF=fast
unset RUHU_DIR RUHU_NEW_PASSPHRASE
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ruhu-t0100.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
# expect CODE DESCRIPTION -- command...: run, compare the exit code
expect() {
	want=$1 what=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		fail "$what: exit $got, wanted $want"; cat "$tmp/err" >&2; fi
}
has() { # has FILE TEXT DESCRIPTION
	if grep -qF -- "$2" "$1"; then ok; else fail "$3: '$2' not in $(cat "$1")"; fi
}

R="$tmp/tab-07"
export RUHU_PASSPHRASE='correct horse'
expect 0 "init" -- "$RUHU_BIN" replica init "$R"
has "$tmp/out" "created replica $R" "init output"
[ -f "$R/replica.db" ] && [ -f "$R/replica.key" ] && ok || fail "replica files missing"
expect 1 "init twice" -- "$RUHU_BIN" replica init "$R"
has "$tmp/err" "already holds a replica" "init twice message"

expect 0 "sql write" -- "$RUHU_BIN" -C "$R" sql "CREATE TABLE person(id TEXT PRIMARY KEY, name TEXT); INSERT INTO person VALUES ('p1', '张三'), ('p2', 'Li Si')"
expect 0 "sql read" -- "$RUHU_BIN" -C "$R" sql "SELECT id, name FROM person ORDER BY id"
has "$tmp/out" "p1|张三" "sql rows"
RUHU_DIR="$R" expect 0 "sql via RUHU_DIR --json" -- "$RUHU_BIN" sql --json "SELECT count(*) AS n FROM person"
has "$tmp/out" '[{"n":2}]' "sql json"
expect 1 "sql error" -- "$RUHU_BIN" -C "$R" sql "SELEC 1"
has "$tmp/err" "syntax error" "sql error message"
if grep -qF "张三" "$R/replica.db" "$R/replica.key" "$R"/replica.db-* 2>/dev/null; then
	fail "a name is on disk in clear"; else ok; fi

expect 0 "check" -- "$RUHU_BIN" -C "$R" replica check
has "$tmp/out" "ok" "check output"
expect 0 "check --json" -- "$RUHU_BIN" -C "$R" replica check --json
has "$tmp/out" '"ok":true' "check json"
has "$tmp/out" '"pages_failed":0' "check json pages"

RUHU_PASSPHRASE=wrong expect 1 "wrong passphrase" -- "$RUHU_BIN" -C "$R" sql "SELECT 1"
has "$tmp/err" "ruhu: wrong passphrase for replica $R" "wrong passphrase message"

RUHU_NEW_PASSPHRASE='battery staple' expect 0 "passwd" -- "$RUHU_BIN" -C "$R" replica passwd
expect 1 "old passphrase after passwd" -- "$RUHU_BIN" -C "$R" sql "SELECT 1"
has "$tmp/err" "wrong passphrase" "old passphrase refused"
export RUHU_PASSPHRASE='battery staple'
expect 0 "new passphrase" -- "$RUHU_BIN" -C "$R" sql "SELECT count(*) FROM person"
has "$tmp/out" "2" "data after passwd"

cp "$R/replica.key" "$tmp/old.key"
expect 0 "rekey" -- "$RUHU_BIN" -C "$R" replica rekey
expect 0 "read after rekey" -- "$RUHU_BIN" -C "$R" sql "SELECT name FROM person WHERE id = 'p1'"
has "$tmp/out" "张三" "data after rekey"
expect 0 "check after rekey" -- "$RUHU_BIN" -C "$R" replica check
cp "$tmp/old.key" "$R/replica.key"
expect 1 "old key file after rekey" -- "$RUHU_BIN" -C "$R" sql "SELECT 1"
has "$tmp/err" "belongs to another replica" "old key file refused"

# damage is named, not a crash
D="$tmp/del"
expect 0 "init delete mode" -- "$RUHU_BIN" replica init --journal delete "$D"
expect 0 "fill" -- "$RUHU_BIN" -C "$D" sql "CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000) INSERT INTO t SELECT hex(randomblob(50)) FROM n"
printf 'X' | dd of="$D/replica.db" bs=1 seek=20580 conv=notrunc 2>/dev/null
expect 1 "damaged page" -- "$RUHU_BIN" -C "$D" sql "SELECT count(*), sum(length(x)) FROM t"
has "$tmp/err" "page 6 failed authentication" "damage message"
expect 1 "check damaged" -- "$RUHU_BIN" -C "$D" replica check --json
has "$tmp/out" '"ok":false' "check json damaged"

# refusals
expect 1 "no such folder" -- "$RUHU_BIN" -C "$tmp/none" sql "SELECT 1"
has "$tmp/err" "the folder does not exist" "missing folder message"
expect 1 "not a replica" -- "$RUHU_BIN" -C "$tmp" sql "SELECT 1"
has "$tmp/err" "is not a replica folder" "not a replica message"

# usage errors exit 2
expect 2 "no -C" -- "$RUHU_BIN" sql "SELECT 1"
expect 2 "init without DIR" -- "$RUHU_BIN" replica init
expect 2 "unknown option" -- "$RUHU_BIN" -C "$R" replica check --bogus
expect 2 "bad journal" -- "$RUHU_BIN" replica init --journal fast "$tmp/x"
expect 2 "sql without text" -- "$RUHU_BIN" -C "$R" sql
expect 2 "unknown subcommand" -- "$RUHU_BIN" replica frobnicate

echo "t0100-replica: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
