#!/bin/sh
# t0610-archive.sh — `ruhu archive export|verify` through the command line:
# a hub with a completed application (with a photo), a closed complaint and
# an open application; the package checked by `archive verify` and by stock
# sha256sum; a changed byte, a missing file and an added file each found;
# the export an event in `audit log`; refusals.
. "$(dirname "$0")/lib.sh"
set -e

H="$T/hub"
export RUHU_DIR="$H"
ok ruhu hub init "$H" --centre-code 320102 --centre-name "梅园街道人社服务中心" >/dev/null
ok ruhu worker use op-01 --name 李娜 >/dev/null
HH=$(ok ruhu add household address="梅园新村 12 号")
P=$(ok ruhu add person household_id="$HH" name=张伟 phone=13800000000)
A=$(ok ruhu apply emp.unemployment_registration --person "$P" | head -n 1)
OPEN=$(ok ruhu apply ss.resident_pension --person "$P" | head -n 1)
printf '\377\330\377\340\000\020JFIF\000\001photo of the form' >"$T/form.jpg"
AT=$(ok ruhu attach application "$A" "$T/form.jpg" --caption 申请表)
ok ruhu set application "$A" status=completed >/dev/null
CP=$(ok ruhu add complaint person_id="$P" channel=window subject="窗口排队太久" \
	received_at=2026-03-02T10:00:00+08:00 status=closed)
AFTER=$(date -d '+2 days' +%Y-%m-%d)

# --- export ---
fails 2 "needs --closed-before" ruhu archive export "$T/pkg"
fails 1 "nothing to archive" ruhu archive export --closed-before 2000-01-01 "$T/pkg"
[ ! -e "$T/pkg" ] || die "a refused export left a folder"
ok ruhu archive export --closed-before "$AFTER" "$T/pkg" >"$T/export.txt"
contains "$(cat "$T/.err")" "holds personal data in clear" "export warns"
C=$(head -n 1 "$T/export.txt")
contains "$(cat "$T/export.txt")" "archived 2 cases (1 applications, 0 disputes, 1 complaints) with 1 attachment" \
	"export summary"
[ -f "$T/pkg/catalogue.csv" ] && [ -f "$T/pkg/catalogue.xml" ] && [ -f "$T/pkg/README.txt" ] || die "catalogues"
Y=$(date +%Y)
[ -f "$T/pkg/records/320102-$Y-application-0001.json" ] || die "application record file"
[ -f "$T/pkg/records/320102-$Y-complaint-0001.json" ] || die "complaint record file"
[ -f "$T/pkg/attachments/320102-$Y-application-0001/$AT.jpg" ] || die "attachment with its extension"
cmp -s "$T/form.jpg" "$T/pkg/attachments/320102-$Y-application-0001/$AT.jpg" || die "attachment bytes"
grep -q "$OPEN" "$T/pkg/catalogue.csv" && die "an open application was archived"
grep -q "^320102-$Y-complaint-0001,complaint,$CP,窗口排队太久,closed," "$T/pkg/catalogue.csv" || die "catalogue line"
checks=$((checks + 8))
fails 1 "is not empty" ruhu archive export --closed-before "$AFTER" "$T/pkg"

# --- the export is an event of the signed history ---
first=$(ok ruhu audit log -n 1)
contains "$first" "archive    hub-320102 op-01" "audit log shows the export"
contains "$(ok ruhu audit log --json -n 1)" "\"archive\":\"2 records, manifest " "Ruhu-Archive trailer"

# --- verify ---
out=$(ok ruhu archive verify "$T/pkg")
contains "$out" "6 files" "verify counts the files"
contains "$out" "2 cases in the catalogue" "verify counts the cases"
out=$(ok ruhu -C "$H" archive verify "$T/pkg")
contains "$out" "recorded by the hub in commit $C" "verify finds the event"
out=$(ok ruhu archive verify --json "$T/pkg")
contains "$out" '"ok":true' "verify --json"
if command -v sha256sum >/dev/null; then
	(cd "$T/pkg" && sha256sum -c --quiet manifest-sha256.txt) || die "stock sha256sum"
	checks=$((checks + 1))
fi

# --- a changed byte, a missing file, an added file ---
cp -R "$T/pkg" "$T/keep"
f="records/320102-$Y-complaint-0001.json"
printf 'X' | dd of="$T/pkg/$f" bs=1 seek=20 conv=notrunc 2>/dev/null
fails 1 "file $f has SHA-256" ruhu archive verify "$T/pkg"
cp "$T/keep/$f" "$T/pkg/$f"
ok ruhu archive verify "$T/pkg" >/dev/null
rm "$T/pkg/catalogue.xml"
fails 1 "file catalogue.xml, listed in the manifest, is missing" ruhu archive verify "$T/pkg"
cp "$T/keep/catalogue.xml" "$T/pkg/catalogue.xml"
printf 'note\n' >"$T/pkg/records/extra.txt"
fails 1 "file records/extra.txt is not listed in the manifest" ruhu archive verify "$T/pkg"
rm "$T/pkg/records/extra.txt"
printf 'x' >>"$T/pkg/manifest-sha256.txt"
fails 1 "manifest-sha256.txt" ruhu archive verify "$T/pkg"
cp "$T/keep/manifest-sha256.txt" "$T/pkg/manifest-sha256.txt"
ok ruhu archive verify "$T/pkg" >/dev/null
fails 1 "has no manifest-sha256.txt" ruhu archive verify "$T"
pass
