#!/bin/sh
# bench/dump_outputs.sh KANX OUTDIR [SRCDIR] - what a build of kanx makes of
# every .keras under SRCDIR/tests, on every kernel: predict's output (on
# NAME_input.csv where there is one, else on rows made from the model's
# input width), its messages and exit status, and inspect (text and JSON)
# and validate of each model. Run it with two builds and diff the folders:
#
#   bench/dump_outputs.sh /work/wt/layers-base/kanx /tmp/out-before
#   bench/dump_outputs.sh ./kanx /tmp/out-after
#   diff -r /tmp/out-before /tmp/out-after && echo byte-identical
#
# The paths in messages are the models' paths relative to SRCDIR, the
# same for both builds. KERNELS="avx2 portable blis" by default.
set -u
KANX=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$2
SRC=${3:-$(cd "$(dirname "$0")/.." && pwd)}
KERNELS=${KERNELS:-"avx2 portable blis"}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$SRC" || exit 2

# rows for a model without an input file: values across and past [-1, 1],
# exact grid points, zeros, a large value
rows() {
	awk -v w="$1" 'BEGIN {
		split("-3 -1.5 -1 -0.999999 -0.5 -0.25 0 1e-07 0.123456789 0.25 0.5 0.75 0.9999999 1 1.5 3 40 -1e30", v, " ")
		for (r = 0; r < 40; r++) {
			line = ""
			for (c = 0; c < w; c++)
				line = line (c ? "," : "") v[1 + (r * 7 + c * 3) % 18]
			print line
		}
	}'
}

find tests -name '*.keras' -type f | LC_ALL=C sort | while read -r m; do
	key=$(printf '%s' "$m" | tr '/' '_')
	in=${m%.keras}_input.csv
	"$KANX" inspect "$m" >"$OUT/$key.inspect" 2>&1
	echo "exit $?" >>"$OUT/$key.inspect"
	"$KANX" inspect --json "$m" >"$OUT/$key.inspect-json" 2>&1
	echo "exit $?" >>"$OUT/$key.inspect-json"
	"$KANX" validate -m "$m" >"$OUT/$key.validate" 2>&1
	echo "exit $?" >>"$OUT/$key.validate"
	if [ ! -f "$in" ]; then
		w=$("$KANX" inspect --json "$m" 2>/dev/null | sed -n 's/.*"in":\([0-9]*\),"out".*/\1/p' | head -1)
		[ -n "$w" ] || continue
		mkdir -p "${TMPDIR:-/tmp}/kanx-dump-rows"
		in=${TMPDIR:-/tmp}/kanx-dump-rows/$key.csv
		rows "$w" >"$in"
	fi
	for k in $KERNELS; do
		KANX_KERNEL=$k "$KANX" predict -t 1 -m "$m" "$in" >"$OUT/$key.$k" 2>&1
		echo "exit $?" >>"$OUT/$key.$k"
	done
done
