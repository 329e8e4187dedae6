#!/bin/sh
# t0320-sql.sh — `ruhu sql` on a tablet's replica: writes to records are one
# save (one signed commit, with changes.txt), a query that writes nothing
# makes none, and a text that fails part-way leaves nothing.
. "$(dirname "$0")/lib.sh"
set -e

R="$T/tab-07"
export RUHU_DIR="$R"
ok ruhu device init "$R" --device tab-07 >/dev/null
ok ruhu worker use w-0012 --name 王芳 >/dev/null
H=$(ok ruhu add household address="梅园新村 12 号")
P=$(ok ruhu add person household_id="$H" name=张伟 phone=13900000000)
commits() { ruhu log --json | grep -o '"id":"' | wc -l | tr -d ' '; }
eq 2 "$(commits)" "two saves"

# reads make no commit
out=$(ok ruhu sql "SELECT name, phone FROM person")
eq "张伟|13900000000" "$out" "sql read"
out=$(ok ruhu sql --json "SELECT count(*) AS n FROM household")
eq '[{"n":1}]' "$out" "sql read as json"
ok ruhu sql "UPDATE person SET phone = '13900000001' WHERE 0" >/dev/null
eq 2 "$(commits)" "reads and empty writes make no commit"

# a write is captured as one commit, with the subject given
ok ruhu sql -m "fix the phone number" "UPDATE person SET phone = '13900000002' WHERE id = '$P'; INSERT INTO household(id, address) VALUES ('0190e0e0-0000-7000-8000-000000000001', '梅园新村 14 号')" >/dev/null
grep -q "^saved commit [0-9a-f]\{12\} (save 3, 2 changes)$" "$T/.err" || die "sql reports its save on stderr: $(cat "$T/.err")"
eq 3 "$(commits)" "sql write made one commit"
log=$(ruhu log --json -n 1)
contains "$log" '"subject":"fix the phone number"' "sql -m subject"
contains "$log" '"worker":"w-0012"' "sql save by the worker"
contains "$log" '"signature":"G"' "sql save signed"
c=$(printf '%s' "$log" | sed 's/^\[{"id":"\([0-9a-f]*\)".*/\1/')
out=$(ok ruhu show "$c")
contains "$out" "person $P  phone: \"13900000000\" → \"13900000002\"" "changes.txt of the sql update"
contains "$out" "household 0190e0e0-0000-7000-8000-000000000001  inserted" "changes.txt of the sql insert"
eq 3 "$(json_get "$(ruhu status --json)" pending)" "the sql save waits for the hub like any other"

# json output stays a document when the text writes
out=$(ok ruhu sql --json "UPDATE person SET notes = 'a' WHERE id = '$P' RETURNING notes")
eq '[{"notes":"a"}]' "$out" "sql write with rows as json"
eq 4 "$(commits)" "write with RETURNING saved"

# a text that fails part-way: the whole save is undone
fails 1 "person.phone" ruhu sql "UPDATE person SET notes = 'b' WHERE id = '$P'; UPDATE person SET phone = '123' WHERE id = '$P'"
eq 4 "$(commits)" "failed sql makes no commit"
eq a "$(ruhu sql "SELECT notes FROM person WHERE id = '$P'")" "the first statement was undone"
fails 1 "syntax error" ruhu sql "DELETE FROM person; SELEC 1"
eq 1 "$(ruhu sql "SELECT count(*) FROM person")" "delete before a syntax error undone"
eq 4 "$(commits)" "no commit from a syntax error"

# the rules of saves hold for sql too
S=$(ok ruhu add survey visit_id=0190e0e0-0000-7000-8000-0000000000aa score=4)
fails 1 "a survey cannot be changed once saved" ruhu sql "UPDATE survey SET score = 1"
fails 1 "cannot start a transaction within a transaction" ruhu sql "BEGIN; DELETE FROM person; COMMIT"
eq 1 "$(ruhu sql "SELECT count(*) FROM person")" "BEGIN refused, nothing deleted"
eq 5 "$(commits)" "no commit from refused sql"
eq 4 "$(ruhu sql "SELECT score FROM survey WHERE id = '$S'")" "survey unchanged"

# a delete through sql is an event in the history
ok ruhu sql "DELETE FROM household WHERE id = '0190e0e0-0000-7000-8000-000000000001'" >/dev/null
out=$(ok ruhu show "$(ruhu log --json -n 1 | sed 's/^\[{"id":"\([0-9a-f]*\)".*/\1/')")
contains "$out" "household 0190e0e0-0000-7000-8000-000000000001  deleted" "delete recorded"
contains "$out" "household 0190e0e0-0000-7000-8000-000000000001  - address: \"梅园新村 14 号\"" "deleted row kept"

# bookkeeping tables are not records: writing them makes no commit
ok ruhu sql "INSERT INTO _meta(key, value) VALUES ('note', 'x')" >/dev/null
eq 6 "$(commits)" "a write outside the record tables is no save"
ok ruhu replica check >/dev/null
pass
