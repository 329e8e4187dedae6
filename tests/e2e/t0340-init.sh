#!/bin/sh
# t0340-init.sh — `ruhu device init` and `ruhu hub init`: the replicas they
# make, the key-derivation cost they take (RUHU_TEST_KDF=fast, --kdf-*), and
# what they refuse.
. "$(dirname "$0")/lib.sh"
set -e

# the Argon2id cost stored in a key file: passes and memory, big-endian
kdf() { od -A n -t x1 -j 16 -N 16 "$1/replica.key" | tr -d ' \n'; }

D="$T/tab-07"
out=$(ok ruhu device init "$D" --device tab-07)
contains "$out" "created device replica $D for tab-07" "device init"
eq 00000000000000010000000000002000 "$(kdf "$D")" "RUHU_TEST_KDF=fast: 1 pass, 8 KiB"
out=$(ok ruhu -C "$D" status --json)
eq device "$(json_get "$out" role)" "device role"
eq tab-07 "$(json_get "$out" id)" "device id"
eq 0 "$(json_get "$out" seq)" "no save yet"
fails 1 "already holds a replica" ruhu device init "$D" --device tab-08
fails 1 "device id" ruhu device init "$T/bad" --device "../tab"
[ ! -e "$T/bad/replica.db" ] || die "a refused device init left a replica"
checks=$((checks + 1))
RUHU_TEST_KDF= ok ruhu device init "$T/tab-09" --device tab-09 --kdf-ops 2 --kdf-mem 16 >/dev/null
eq 00000000000000020000000001000000 "$(kdf "$T/tab-09")" "--kdf-ops 2 --kdf-mem 16"
fails 2 "must be positive" ruhu device init "$T/tab-10" --device tab-10 --kdf-ops -1

HUB="$T/hub"
out=$(ok ruhu hub init "$HUB" --centre-code 320102 --centre-name "梅园街道人社服务中心")
contains "$out" "created hub replica $HUB for centre 320102 (梅园街道人社服务中心), hub id hub-320102" "hub init"
eq 00000000000000010000000000002000 "$(kdf "$HUB")" "hub init honours RUHU_TEST_KDF=fast"
out=$(ok ruhu -C "$HUB" status --json)
eq hub "$(json_get "$out" role)" "hub role"
eq hub-320102 "$(json_get "$out" id)" "hub id"
eq 320102 "$(json_get "$out" centre)" "hub centre"
# a hub's save goes to main and waits for nobody
ok ruhu -C "$HUB" worker use op-01 --name 李娜 >/dev/null
ok ruhu -C "$HUB" add worker id=w-0012 name=王芳 >/dev/null
out=$(ok ruhu -C "$HUB" status --json)
eq 0 "$(json_get "$out" pending)" "hub saves are not pending"
eq "$(json_get "$out" head)" "$(json_get "$out" main)" "hub saves are main"
# a device knows the worker from a record once it has one
ok ruhu -C "$D" worker use w-0012 --name 王芳 >/dev/null
ok ruhu -C "$D" add worker id=w-0013 name=李娜 >/dev/null
out=$(ok ruhu -C "$D" worker use w-0013)
contains "$out" "w-0013 (李娜)" "worker use takes the name from the record"

# a centre's own catalogue, checked before anything is made
ok ruhu catalogue export >"$T/catalogue.txt"
ok ruhu hub init "$T/hub2" --centre-code 320103 --centre-name 二号中心 --catalogue "$T/catalogue.txt" >/dev/null
printf 'format catalogue 1\nnonsense here\n' >"$T/bad-catalogue.txt"
fails 1 "bad-catalogue.txt" ruhu hub init "$T/hub3" --centre-code 320104 --centre-name x --catalogue "$T/bad-catalogue.txt"
[ ! -e "$T/hub3/replica.db" ] || die "a refused hub init left a replica"
checks=$((checks + 1))
fails 1 "already holds a replica" ruhu hub init "$HUB" --centre-code 320102 --centre-name x
fails 2 "hub init needs --centre-code and --centre-name" ruhu hub init "$T/hub4" --centre-name x
fails 2 "too few arguments" ruhu device init --device tab-11
pass
