#!/usr/bin/env bats
# The forward-pass kernels (KANX_KERNEL): each agrees with Keras on the
# numerically hard fixtures of tests/fixtures/keras-3.16-numeric (written
# by real Keras with the make.py beside them: large G, high k, layers
# mixing G and k, grids near but off a uniform lattice, random grids,
# extreme finite inputs through every activation), NaN and infinities
# where Keras gives them; avx2 and portable print the same bytes.
# tests/numeric.c holds every kernel to float64 over generated models.
load helpers

N="$FIX/keras-3.16-numeric"
Q="$FIX/models/quickstart.keras"

setup() {
	T="$BATS_TEST_TMPDIR"
	unset KANX_CHECKPOINT KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS KANX_KERNEL
}


# keras_close GOT WANT: as csv_close, and a NaN or an infinity (in either)
# must be the same text in both: awk's arithmetic lets a NaN through.
keras_close() {
	awk -F, '
		NR == FNR { a[FNR] = $0; n = FNR; next }
		{
			m = FNR
			if (FNR == 1) { if ($0 != a[1]) { print "header differs"; bad = 1; exit } ; next }
			k = split(a[FNR], x, ",")
			if (k != NF) { print "line " FNR ": " k " fields vs " NF; bad = 1; exit }
			for (i = 1; i <= NF; i++) {
				if (x[i] ~ /^-?(nan|inf)$/ || $i ~ /^-?(nan|inf)$/) {
					if (x[i] != $i) { print "line " FNR " col " i ": got " x[i] " want " $i; bad = 1; exit }
					continue
				}
				d = x[i] - $i; if (d < 0) d = -d
				ab = $i < 0 ? -$i : $i
				if (d > 1e-4 * (1 + ab)) { print "line " FNR " col " i ": got " x[i] " want " $i; bad = 1; exit }
			}
		}
		END { if (!bad && m != n) { print "rows: got " n " want " m; bad = 1 } ; exit bad }
	' "$1" "$2"
}

@test "numeric fixtures: every kernel agrees with Keras, with its NaN and infinities" {
	local k n kern bad=0 count=0
	for kern in $(kernels); do
		for k in "$N"/*.keras; do
			n=${k%.keras}
			count=$((count + 1))
			KANX_KERNEL=$kern kanx predict -m "$k" "${n}_input.csv" >"$T/out.csv" 2>"$T/err" ||
				{ echo "$(basename "$n") ($kern): exit $?: $(cat "$T/err")"; bad=1; continue; }
			keras_close "$T/out.csv" "${n}_expected.csv" || { echo "  in $(basename "$n") ($kern)"; bad=1; }
		done
	done
	[ "$count" -ge 52 ]
	[ "$bad" = 0 ]
}

@test "extreme finite inputs through quickstart: Keras's numbers, NaN past 1.7e38" {
	local kern
	for kern in $(kernels); do
		KANX_KERNEL=$kern run kanx predict -m "$Q" "$N/quickstart_extreme_input.csv"
		[ "$status" -eq 0 ]
		printf '%s\n' "$output" | grep -v '^kanx: warning' >"$T/out.csv"
		keras_close "$T/out.csv" "$N/quickstart_extreme_expected.csv" || { echo "($kern)"; false; }
		# silu(-5e37) is -0 as in Keras (x * sigmoid(x) = x * 0), not
		# -5e37 / (1 + e^88) = -0.30: Keras answers 0.466952562 for the
		# row; FLT_MAX makes Keras's B-spline recursion NaN
		KANX_KERNEL=$kern run kanx predict -m "$Q" --no-output-header <<<'f0,f1
-4.99999984e+37,0.82103765
3.40282347e+38,0.5'
		[ "$status" -eq 0 ]
		awk -v y="${lines[0]}" 'BEGIN { d = y - 0.466952562; exit !(d < 1e-6 && d > -1e-6) }'
		[ "${lines[1]}" = nan ]
	done
}

@test "avx2 and portable print the same bytes, on every fixture, in every output format" {
	KANX_KERNEL=avx2 kanx --version >/dev/null 2>&1 || skip "no AVX2 and FMA on this CPU"
	local k n f count=0
	for k in "$FIX"/*/*.keras; do
		n=${k%.keras}
		[ -f "${n}_input.csv" ] || continue
		count=$((count + 1))
		for f in csv jsonl; do
			KANX_KERNEL=avx2 kanx predict -m "$k" -f $f "${n}_input.csv" >"$T/a" 2>/dev/null
			KANX_KERNEL=portable kanx predict -m "$k" -f $f "${n}_input.csv" >"$T/p" 2>/dev/null
			cmp "$T/a" "$T/p" || { echo "$(basename "$n") -f $f differs"; false; }
		done
	done
	[ "$count" -ge 60 ]
}

@test "KANX_KERNEL=portable runs and is named; auto is avx2, or portable or blis without AVX2" {
	KANX_KERNEL=portable run kanx --version -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"kernel portable"* ]]
	KANX_KERNEL=auto run kanx --version -v
	[[ "$output" == *"kernel avx2"* || "$output" == *"kernel portable (no AVX2+FMA on this CPU)"* ||
	   "$output" == *"kernel blis (no AVX2+FMA on this CPU; KANX_KERNEL=portable gives"* ]]
	KANX_KERNEL=portable run kanx predict -m "$Q" "$FIX/models/quickstart_input.csv"
	[ "$status" -eq 0 ]
	keras_close <(printf '%s\n' "$output") "$FIX/models/quickstart_expected.csv"
	echo '{"op": "info"}' | KANX_KERNEL=portable kanx serve-stdin -m "$Q" >"$T/info"
	[ "$(jq -r .engine "$T/info")" = "kanx-c portable kernel, BLIS $(kanx --version -v | sed -n 's/^blis //p')" ]
	# --stats says which kernel made the numbers
	KANX_KERNEL=portable kanx predict -m "$Q" --stats "$FIX/models/quickstart_input.csv" 2>"$T/err" >/dev/null
	grep -qx 'kanx: stats: kernel portable (the same bits as avx2 and portable on any CPU)' "$T/err"
	KANX_KERNEL=blis kanx predict -m "$Q" --stats "$FIX/models/quickstart_input.csv" 2>"$T/err" >/dev/null
	grep -qx 'kanx: stats: kernel blis (not the bits of the avx2 and portable kernels)' "$T/err"
	KANX_KERNEL=bogus run kanx predict -m "$Q" "$FIX/models/quickstart_input.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"(auto, avx2, portable, blis;"* ]]
}
