#!/bin/sh
# t0510-refusals.sh — what the hub and the tablets refuse, each with a clear
# one-line message, exit 1, and no change: a flipped byte (several places),
# a cut file, a bundle for another hub (another centre; the same centre id
# with other keys), a bundle from a device the hub never enrolled, from a
# revoked device, a reply given to the wrong tablet.  Then: a marker in the
# data appears in no bundle, reply or replica file, and does appear in what
# `bundle open` writes (read back with stock git).
. "$(dirname "$0")/lib.sh"
set -e

M="MARKER-7f3a9c-入户标记"
H="$T/hub" H2="$T/hub2" H3="$T/hub3"
A="$T/tab-01" B="$T/tab-02" C="$T/tab-03" X="$T/tab-09" D="$T/tab-04"
mkdir "$T/files"
F="$T/files"

hub_state() { # head, digest and review items of a hub
	st=$(ruhu -C "$1" status --json)
	printf '%s %s %s\n' "$(json_get "$st" head)" "$(json_get "$st" digest)" \
		"$(ruhu -C "$1" hub review --all --json | grep -o '"rid":' | wc -l | tr -d ' ')"
}
tab_state() {
	st=$(ruhu -C "$1" status --json)
	printf '%s %s %s %s\n' "$(json_get "$st" head)" "$(json_get "$st" main)" \
		"$(json_get "$st" digest)" "$(json_get "$st" pending)"
}
flip() { # flip FILE OFFSET OUT: a copy with one byte changed
	cp "$1" "$3"
	b=$(od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $(( (b ^ 1) & 255 )))" | dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
	cmp -s "$1" "$3" && die "flip did not change byte $2"
	return 0
}
refused() { # refused TEXT CMD...: exit 1, the reason on stderr, one line
	fails 1 "$@"
}
enrol_join() { # enrol_join HUB TABLET WORKER NAME
	ok ruhu -C "$1" hub enrol "$2/$(basename "$2").request" --worker "$3" --worker-name "$4" \
		--out "$F/$(basename "$2").$(basename "$1").enrol" >/dev/null
	ok ruhu -C "$2" join "$F/$(basename "$2").$(basename "$1").enrol" >/dev/null
}

# --- hubs and tablets ---
ok ruhu hub init "$H" --centre-code 320102 --centre-name 梅园新村街道人社服务中心 >/dev/null
ok ruhu hub init "$H2" --centre-code 320105 --centre-name 新街口街道人社服务中心 >/dev/null
ok ruhu hub init "$H3" --centre-code 320102 --centre-name 另一套钥匙 >/dev/null
for h in "$H" "$H2" "$H3"; do ok ruhu -C "$h" worker use op-01 --name 李娜 >/dev/null; done
for t in "$A" "$B" "$C" "$X" "$D"; do ok ruhu device init "$t" --device "$(basename "$t")" >/dev/null; done
enrol_join "$H" "$A" w-01 王芳
enrol_join "$H" "$B" w-02 张强
enrol_join "$H" "$C" w-03 刘洋
# tab-01 enrolled at two other hubs too (it joins only its own)
ok ruhu -C "$H2" hub enrol "$A/tab-01.request" --worker w-01 --worker-name 王芳 --out "$F/a.h2" >/dev/null
ok ruhu -C "$H3" hub enrol "$A/tab-01.request" --worker w-01 --worker-name 王芳 --out "$F/a.h3" >/dev/null
fails 1 "already joined hub-320102" ruhu -C "$A" join "$F/a.h2"
# tab-09 belongs to hub3, which has the same id as our hub, other keys
enrol_join "$H3" "$X" w-09 赵六

# --- the marked data travels once, everywhere ---
HH=$(ok ruhu -C "$A" add household address="梅园新村 12 号" notes="$M")
ok ruhu -C "$A" add person household_id="$HH" name="$M" >/dev/null
ok ruhu -C "$A" push --out "$F/a1.push" >/dev/null
ok ruhu -C "$H" hub ingest "$F/a1.push" >/dev/null
for t in "$A" "$B" "$C"; do
	n=$(basename "$t")
	ok ruhu -C "$H" hub reply --device "$n" --out "$F/$n.reply" >/dev/null
	ok ruhu -C "$t" pull "$F/$n.reply" >/dev/null
done
eq "$(json_get "$(ruhu -C "$H" status --json)" digest)" "$(json_get "$(ruhu -C "$B" status --json)" digest)" \
	"tab-02 has the hub's state"
enrol_join "$H" "$D" w-04 陈静     # its enrolment reply is a full bundle: the marker in it

# a second save of tab-01, the bundle every refusal below starts from
ok ruhu -C "$A" add household address="梅园新村 14 号" >/dev/null
ok ruhu -C "$A" push --out "$F/a2.push" >/dev/null
ok ruhu -C "$H" hub revoke tab-03 --reason "平板遗失 lost on the bus" >/dev/null
ok ruhu -C "$C" add household address="梅园新村 16 号" >/dev/null
ok ruhu -C "$C" push --out "$F/c.push" >/dev/null
ok ruhu -C "$X" add household address="别处" >/dev/null
ok ruhu -C "$X" push --out "$F/x.push" >/dev/null
before=$(hub_state "$H")
before2=$(hub_state "$H2")
before3=$(hub_state "$H3")

# --- damaged bytes: the envelope's header, its sealed key, the body, the signature ---
size=$(wc -c <"$F/a2.push" | tr -d ' ')
for off in 0 5 20 60 120 $((size / 2)) $((size - 70)) $((size - 1)); do
	flip "$F/a2.push" "$off" "$F/bad.push"
	refused "bad.push: refused: " ruhu -C "$H" hub ingest "$F/bad.push"
	refused "ruhu: " ruhu -C "$H" bundle verify "$F/bad.push"
done
head -c $((size - 100)) "$F/a2.push" >"$F/cut.push"
refused "cut.push: refused: " ruhu -C "$H" hub ingest "$F/cut.push"
head -c 10 "$F/a2.push" >"$F/cut10.push"
refused "cut10.push: refused: " ruhu -C "$H" hub ingest "$F/cut10.push"
: >"$F/empty.push"
refused "empty.push: refused: " ruhu -C "$H" hub ingest "$F/empty.push"

# --- addressed elsewhere, unknown, revoked ---
refused "addressed to hub-320102, not to this hub (hub-320105)" ruhu -C "$H2" hub ingest "$F/a2.push"
refused "addressed to another recipient" ruhu -C "$H3" hub ingest "$F/a2.push"
refused "tab-09, a device this hub has not enrolled" ruhu -C "$H" hub ingest "$F/x.push"
refused "device tab-03 was revoked" ruhu -C "$H" hub ingest "$F/c.push"
refused "平板遗失 lost on the bus" ruhu -C "$H" hub ingest "$F/c.push"
refused "tab-09, a device this hub has not enrolled" ruhu -C "$H" bundle verify "$F/x.push"

# --- through the folder: refused files stay, the good one goes in ---
mkdir "$T/usb"
cp "$F/cut.push" "$T/usb/tab-01.push"
cp "$F/c.push" "$T/usb/tab-03.push"
refused "tab-01.push: refused (left in the folder)" ruhu -C "$H" hub sync --via "$T/usb"
[ -f "$T/usb/tab-01.push" ] && [ -f "$T/usb/tab-03.push" ] || die "refused files are kept"
[ ! -e "$T/usb/tab-03.reply" ] || die "a revoked tablet gets no reply"
grep -q "tab-03.push: refused (left in the folder): device tab-03 was revoked" "$T/.err" ||
	die "hub sync names each refusal"

eq "$before" "$(hub_state "$H")" "the hub is unchanged by every refusal"
eq "$before2" "$(hub_state "$H2")" "the other centre's hub is unchanged"
eq "$before3" "$(hub_state "$H3")" "the hub with the same id is unchanged"
eq 0 "$(ruhu -C "$H" hub devices --json | grep -o '"waiting":[1-9]' | wc -l | tr -d ' ')" "nothing held"

# --- replies: to the wrong tablet, damaged, from another hub ---
ok ruhu -C "$H" hub reply --device tab-02 --out "$F/b.reply" >/dev/null
ok ruhu -C "$H2" hub reply --device tab-01 --out "$F/a.h2.reply" >/dev/null
ta=$(tab_state "$A")
refused "the file is addressed to tab-02, not to tab-01" ruhu -C "$A" pull "$F/b.reply"
rsize=$(wc -c <"$F/b.reply" | tr -d ' ')
for off in 3 40 $((rsize / 2)) $((rsize - 1)); do
	flip "$F/b.reply" "$off" "$F/bad.reply"
	refused "ruhu: " ruhu -C "$B" pull "$F/bad.reply"
done
refused "the file comes from hub-320105, but this tablet's hub is hub-320102" ruhu -C "$A" pull "$F/a.h2.reply"
refused "is a device bundle, not a hub reply" ruhu -C "$A" pull "$F/a2.push"
cp "$F/b.reply" "$T/usb/tab-01.reply"
refused "tab-01.reply refused (left in the folder): the file is addressed to tab-02" \
	ruhu -C "$A" sync --via "$T/usb"
[ -f "$T/usb/tab-01.reply" ] || die "a refused reply stays in the folder"
eq "$ta" "$(tab_state "$A")" "tab-01 is unchanged by the refused replies"
fails 1 "no review item 1" ruhu -C "$H" hub review show 1
fails 2 "a review item is a positive number" ruhu -C "$H" hub review show x

# --- the marker: nowhere in clear but in what `bundle open` writes ---
for f in "$F"/* "$T"/usb/*; do
	if grep -qF "$M" "$f"; then die "the marker is in clear in $f"; fi
	if grep -qF "# v2 git bundle" "$f"; then die "a plain git bundle in $f"; fi
done
for r in "$H" "$H2" "$H3" "$A" "$B" "$C" "$X" "$D"; do
	[ -z "$(grep -rlF "$M" "$r")" ] || die "the marker is in clear in $r"
done
[ -n "$(grep -rlF "梅园新村" "$T")" ] && die "an address is in clear under $T"
mkdir "$T/open"
ruhu -C "$D" bundle open "$F/tab-04.hub.enrol" --out "$T/open/enrol.bundle" >/dev/null 2>"$T/open.err" ||
	die "bundle open failed: $(cat "$T/open.err")"
contains "$(cat "$T/open.err")" "personal data in clear" "bundle open warns"
eq "# v2 git bundle" "$(head -n 1 "$T/open/enrol.bundle")" "bundle open writes a git bundle"
git clone -q --bare "$T/open/enrol.bundle" "$T/open/repo.git" 2>/dev/null || die "git clone of the opened bundle"
git -C "$T/open/repo.git" log -p main >"$T/open/log.txt"
grep -qF "$M" "$T/open/log.txt" || die "the marker is in the opened bundle"
pass
