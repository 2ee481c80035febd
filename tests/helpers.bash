# Shared bats setup: $KANX is the binary under test (set by make check).
: "${KANX_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${KANX:=$KANX_SRCDIR/kanx}"
FIX="$KANX_SRCDIR/tests/fixtures"
kanx() { "$KANX" "$@"; }

# The kernels this CPU can run: blis and portable always, avx2 when it has
# AVX2 and FMA.
kernels() { echo blis; echo portable; KANX_KERNEL=avx2 kanx --version >/dev/null 2>&1 && echo avx2; return 0; }

# Compare two CSV files numerically: |a-b| <= 1e-4*(1+|b|) per value,
# same shape, same header. Prints the first mismatch.
csv_close() {
	awk -F, -v tol="${3:-1e-4}" '
		NR == FNR { a[FNR] = $0; n = FNR; next }
		{
			m = FNR
			if (FNR == 1) { if ($0 != a[1]) { print "header differs: " a[1] " vs " $0; bad = 1; exit } ; next }
			k = split(a[FNR], x, ",")
			if (k != NF) { print "line " FNR ": " k " fields vs " NF; bad = 1; exit }
			for (i = 1; i <= NF; i++) {
				d = x[i] - $i; if (d < 0) d = -d
				ab = $i < 0 ? -$i : $i
				if (d > tol * (1 + ab)) { print "line " FNR " col " i ": got " x[i] " want " $i; bad = 1; exit }
			}
		}
		END { if (!bad && m != n) { print "rows: got " n " want " m; bad = 1 } ; exit bad }
	' "$1" "$2"
}

# Run the fixtures of tests/fixtures/layers/keras-$1 (of $LAYER_FIX/keras-$1
# when set; $3-$1 instead of keras-$1 when $3 is given: audit-keras-3.16
# for make_audit_fixtures.py's) whose names match the regex $2 (from the manifest), but those
# marked must_refuse, on every kernel against Keras's outputs (its float32
# ones where the manifest names them: kanx computes float16 in float32);
# several outputs are compared by value (Keras's CSV is headed y0..). Print
# each failure, then "N runs, M bad" on the last line.
layer_fixtures() {
	local v=$1 d="${LAYER_FIX:-$FIX/layers}/${3:-keras}-$1" n w k e st runs=0 bad=0 msg names
	while read -r n w k e; do
		names=()
		[ "$k" -gt 1 ] && names=(--output-names "$(seq -s, -f 'y%g' 0 $((w - 1)))")
		for k in $(kernels); do
			st=0
			KANX_KERNEL=$k kanx predict "${names[@]}" -m "$d/$n.keras" "$d/${n}_input.csv" \
				>"$BATS_TEST_TMPDIR/got.csv" 2>"$BATS_TEST_TMPDIR/err" || st=$?
			if [ "$st" -ne 0 ]; then
				echo "$v $n $k: exit $st: $(head -c 300 "$BATS_TEST_TMPDIR/err")"
				bad=$((bad + 1))
			elif ! msg=$(csv_close "$BATS_TEST_TMPDIR/got.csv" "$d/$e"); then
				echo "$v $n $k: $msg"
				bad=$((bad + 1))
			fi
			runs=$((runs + 1))
		done
	done < <(jq -r --arg re "$2" '.fixtures[] | select((.name | test($re)) and (.must_refuse | not))
		| "\(.name) \(.n_out) \(.outputs | length) \(.expected_float32 // .expected)"' "$d/manifest.json")
	echo "$runs runs, $bad bad"
}
