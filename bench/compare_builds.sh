#!/bin/sh
# bench/compare_builds.sh KANX_BEFORE KANX_AFTER [SRCDIR] - are two builds
# of kanx byte for byte the same on every model under SRCDIR/tests (every
# fixture folder, the broken and hostile ones too), on every kernel the
# chooser accepts? For each build, bench/dump_outputs.sh writes predict's
# output, messages and exit status per model and kernel, and inspect
# (text and JSON) and validate per model; this compares the two folders
# file by file, lists the files that differ, and prints how many outputs
# it compared. Exit 0 when all are identical, 1 when one differs.
#
#   bench/compare_builds.sh /tmp/kanx-main ./kanx
#
# KERNELS: the kernels to run (default: every name the chooser accepts,
# "auto avx2 portable blis"; avx2 where the CPU has it). TMPDIR: where
# the two folders go (removed afterwards unless KEEP=1).
set -u
[ $# -ge 2 ] || { echo "usage: $0 KANX_BEFORE KANX_AFTER [SRCDIR]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${3:-$(cd "$HERE/.." && pwd)}
KERNELS=${KERNELS:-"auto avx2 portable blis"}
if ! grep -q avx2 /proc/cpuinfo 2>/dev/null; then
	KERNELS=$(echo "$KERNELS" | sed 's/avx2//')
fi
export KERNELS
OUT=$(mktemp -d "${TMPDIR:-/tmp}/kanx-compare.XXXXXX") || exit 2
"$HERE/dump_outputs.sh" "$1" "$OUT/before" "$SRC"
"$HERE/dump_outputs.sh" "$2" "$OUT/after" "$SRC"
n=$(find "$OUT/before" -type f | wc -l)
m=$(find "$OUT/after" -type f | wc -l)
models=$(find "$SRC/tests" -name '*.keras' -type f | wc -l)
status=0
if ! diff -rq "$OUT/before" "$OUT/after" >"$OUT/diff"; then
	cat "$OUT/diff"
	status=1
fi
differ=$(wc -l <"$OUT/diff")
echo "compare_builds: $models models, kernels: $KERNELS; $n outputs before, $m after; $differ differ"
[ "${KEEP:-0}" = 1 ] && echo "compare_builds: kept $OUT" || rm -rf "$OUT"
exit $status
