# lib.sh — shared helpers for ruhu's end-to-end tests (POSIX sh).
#
# Source it first: `. "$(dirname "$0")/lib.sh"`.  It makes a temporary folder
# $T (removed on exit unless RUHU_TEST_KEEP=1), sets RUHU_PASSPHRASE and the
# fast test KDF, and defines:
#   ruhu ARGS...            run the binary under test
#   ok CMD...               run CMD, fail the test unless it exits 0
#   fails CODE TEXT CMD...  run CMD, fail unless it exits CODE and its stderr
#                           contains TEXT
#   eq EXPECTED ACTUAL WHAT, contains HAYSTACK NEEDLE WHAT
#   json_get JSON KEY       the value of a top-level string/number key (sed)
#   pass                    print a summary and exit 0
set -u
: "${RUHU_BIN:?RUHU_BIN must name the ruhu binary (run through ctest)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ruhu-e2e-XXXXXX")
[ "${RUHU_TEST_KEEP:-0}" = 1 ] || trap 'rm -rf "$T"' EXIT
export RUHU_PASSPHRASE="correct horse battery staple"
export RUHU_TEST_KDF=fast
unset RUHU_DIR RUHU_NEW_PASSPHRASE
checks=0

ruhu() { "$RUHU_BIN" "$@"; }

die() { echo "FAIL: $*" >&2; exit 1; }

ok() {
	"$@" >"$T/.out" 2>"$T/.err" || { cat "$T/.out" "$T/.err" >&2; die "command failed: $*"; }
	checks=$((checks + 1))
	cat "$T/.out"
}

fails() {
	code=$1 text=$2; shift 2
	set +e; "$@" >"$T/.out" 2>"$T/.err"; rc=$?; set -e
	[ "$rc" -eq "$code" ] || { cat "$T/.out" "$T/.err" >&2; die "expected exit $code, got $rc: $*"; }
	grep -qF -- "$text" "$T/.err" || { cat "$T/.err" >&2; die "stderr lacks '$text': $*"; }
	# a runtime error is one line (a warning may precede it); usage errors add the usage
	[ "$code" -ne 1 ] || [ "$(wc -l <"$T/.err")" -le 2 ] || { cat "$T/.err" >&2; die "error is more than a short message: $*"; }
	checks=$((checks + 1))
}

eq() { [ "$1" = "$2" ] || die "$3: expected '$1', got '$2'"; checks=$((checks + 1)); }

contains() {
	case "$1" in *"$2"*) ;; *) die "$3: '$2' not found in: $1" ;; esac
	checks=$((checks + 1))
}

json_get() {
	printf '%s' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1
}

pass() { echo "ok: $(basename "$0"): $checks checks"; exit 0; }
