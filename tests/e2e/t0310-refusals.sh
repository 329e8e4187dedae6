#!/bin/sh
# t0310-refusals.sh — bad input to the record and visit commands: each gets
# a clear one-line error and exit 1 (2 for usage), and leaves no commit and
# no partial row behind.
. "$(dirname "$0")/lib.sh"
set -e

R="$T/tab-07"
export RUHU_DIR="$R"
ok ruhu device init "$R" --device tab-07 >/dev/null

# nothing may be saved without a caseworker
fails 1 "no caseworker holds this tablet" ruhu add household address=x
fails 1 "worker w-0099 is not known here: give their name with --name" ruhu worker use w-0099
fails 1 "worker id 'bad id' may hold only letters" ruhu worker use "bad id" --name x
ok ruhu worker use w-0012 --name 王芳 >/dev/null
H=$(ok ruhu add household address="梅园新村 12 号")
P=$(ok ruhu add person household_id="$H" name=张伟)

# state: commits (status --json seq and log) and rows, compared after each refusal
state() {
	printf '%s %s %s %s\n' "$(json_get "$(ruhu status --json)" seq)" \
		"$(ruhu log --json | grep -o '"id":"' | wc -l | tr -d ' ')" \
		"$(ruhu sql "SELECT (SELECT count(*) FROM household) || '/' || (SELECT count(*) FROM person) || '/' || (SELECT count(*) FROM visit) || '/' || (SELECT count(*) FROM attachment) || '/' || (SELECT count(*) FROM application)")" \
		"$(ruhu sql "SELECT count(*) FROM _pending")"
}
before=$(state)
eq "2 2 1/1/0/0/0 2" "$before" "state before the refusals"
unchanged() { eq "$before" "$(state)" "no commit and no row after: $1"; }
NOID=0190e0e0-0000-7000-8000-000000000000

# unknown type, unknown field, refused values
fails 1 "unknown record type 'nosuch'" ruhu add nosuch name=x
unchanged "unknown type"
fails 1 "person has no field 'colour'" ruhu add person name=李四 colour=red
unchanged "unknown field"
fails 1 "person.id_number" ruhu add person name=李四 id_number=110105194912310021
unchanged "bad resident identity number"
fails 1 "person.phone" ruhu add person name=李四 phone=12345
unchanged "bad phone"
fails 1 "person.name is required" ruhu add person phone=13900000000
unchanged "missing required field"
fails 1 "person.gender" ruhu set person "$P" gender=unknown
unchanged "bad enum value"
fails 1 "the id of a person cannot change" ruhu set person "$P" id="$NOID"
unchanged "id change"
fails 1 "a household with id $H already exists" ruhu add household id="$H" address=y
unchanged "duplicate id"

# records that do not exist
fails 1 "no person with id $NOID" ruhu set person "$NOID" name=x
fails 1 "no person with id $NOID" ruhu delete person "$NOID"
fails 1 "no person with id $NOID" ruhu get person "$NOID"
printf 'scan' >"$T/scan.txt"
fails 1 "no person with id $NOID" ruhu attach person "$NOID" "$T/scan.txt"
fails 1 "no person with id $NOID" ruhu apply emp.unemployment_registration --person "$NOID"
fails 1 "no household with id $NOID" ruhu visit start --household "$NOID" --purpose intake
unchanged "missing records"
fails 1 "unknown record type 'nosuch'" ruhu list nosuch
fails 1 "person has no field 'colour'" ruhu list person --where colour=red

# visits and applications
fails 1 "no visit is open" ruhu visit close
fails 1 "visit.purpose" ruhu visit start --household "$H" --purpose party
unchanged "visit refusals"
fails 1 "unknown service item 'emp.nothing'" ruhu apply emp.nothing --person "$P"
unchanged "unknown item"
V=$(ok ruhu visit start --household "$H" --purpose intake)
fails 1 "visit $V is still open: close it first" ruhu visit start --household "$H" --purpose intake
A=$(ok ruhu apply emp.unemployment_registration --person "$P" | head -n 1)
before=$(state)
fails 1 "emp.unemployment_registration needs no material 'passport'" ruhu receive "$A" id_card passport
unchanged "unknown material, with a known one beside it"
fails 1 "no application with id $NOID" ruhu receive "$NOID" id_card
unchanged "receive for a missing application"

# attachments: over the limit (20 MB), missing file, a folder
dd if=/dev/zero of="$T/big.bin" bs=1000000 count=20 2>/dev/null
printf 'x' >>"$T/big.bin"
fails 1 "the file is 20000001 bytes, more than the attachment limit of 20000000 bytes" \
	ruhu attach person "$P" "$T/big.bin"
unchanged "attachment over the limit"
fails 1 "cannot open $T/none.png" ruhu attach person "$P" "$T/none.png"
fails 1 "$T is not a file" ruhu attach person "$P" "$T"
unchanged "attachment file refused"

# a wrong passphrase changes nothing
RUHU_PASSPHRASE=wrong fails 1 "wrong passphrase for replica $R" ruhu add household address=z
RUHU_PASSPHRASE=wrong fails 1 "wrong passphrase for replica $R" ruhu visit close
unchanged "wrong passphrase"

# a locked replica: another process holds a write transaction.  The holder
# inserts a household inside its save, prints a large row (its output
# reaches the file only once it holds the lock), then counts to 3e9 (far
# longer than the 5 s a writer waits; it is stopped once the waiter failed,
# or when this script exits).
"$RUHU_BIN" sql "INSERT INTO household(id, address) VALUES ('0190e0e0-0000-7000-8000-0000000000ff', 'held');
	SELECT hex(zeroblob(6000));
	WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000000)
	SELECT count(*) FROM c" >"$T/holder.out" 2>"$T/holder.err" &
holder=$!
trap 'kill "$holder" 2>/dev/null; [ "${RUHU_TEST_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
tries=0
while [ ! -s "$T/holder.out" ]; do
	tries=$((tries + 1))
	[ "$tries" -lt 600 ] || { kill "$holder"; die "the lock holder never started: $(cat "$T/holder.err")"; }
	kill -0 "$holder" 2>/dev/null || die "the lock holder ended: $(cat "$T/holder.err")"
	sleep 0.1
done
fails 1 "replica $R is in use by another process" ruhu add household address=waiting
kill "$holder"
wait "$holder" 2>/dev/null || true
trap '[ "${RUHU_TEST_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
unchanged "locked replica"
eq 0 "$(ruhu sql "SELECT count(*) FROM household WHERE address IN ('held', 'waiting')")" "no row of the holder or the waiter"

# usage errors exit 2 and save nothing
fails 2 "too few arguments" ruhu add person
fails 2 "'name' is not field=value" ruhu add person name
fails 2 "'=x' is not field=value" ruhu set person "$P" =x
fails 2 "too many arguments" ruhu delete person "$P" extra
fails 2 "visit start needs --household and --purpose" ruhu visit start --household "$H"
fails 2 "apply needs --person" ruhu apply emp.unemployment_registration
fails 2 "option -n expects a whole number" ruhu log -n many
fails 2 "unknown option '--colour'" ruhu get person "$P" --colour
fails 2 "device init needs --device ID" ruhu device init "$T/other"
fails 2 "hub init needs --centre-code and --centre-name" ruhu hub init "$T/hub" --centre-code 320102
fails 2 "no replica: give -C DIR or set RUHU_DIR" env -u RUHU_DIR "$RUHU_BIN" status
unchanged "usage errors"

# the replica is sound after all of it
ok ruhu replica check >/dev/null
ok ruhu visit close >/dev/null
pass
