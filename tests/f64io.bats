#!/usr/bin/env bats
# float64 models end to end: a float64 InputLayer's rows read into
# doubles (CSV, TSV, JSON lines, API documents, serve-stdin), float64
# outputs printed with every digit a double needs (Python's repr()), and
# float64 weights beyond FLT_MAX where a layer computes in float64.
# Ground truth: tests/fixtures/f64io/keras-*/ (real Keras, outputs as
# repr(); make_f64io_fixtures.py) and tests/f64io/ (edge cases made from
# them by tests/gen_f64io_models.py).
load helpers
bats_require_minimum_version 1.5.0

F64="$FIX/f64io"
EDGE="$KANX_SRCDIR/tests/f64io"

# What kanx reaches against Keras's float64 outputs, measured on these
# fixtures (every version, every kernel): |kanx - keras| / (1 + |keras|)
# at most 6.9e-16 in the float64 columns (a few units in the last place:
# a different summation order than NumPy's), 8.2e-8 in the float32 ones
# (f64io_mixed's float32 head). The bounds below leave about 15x.
TOL64=1e-14
TOL32=1e-6

# Compare kanx's CSV $1 with Keras's $2, column j float64 when the j-th
# word of $3 is float64: print the first value past its bound, exit 1.
close64() {
	awk -F, -v dts="$3" -v t64="$TOL64" -v t32="$TOL32" '
		BEGIN { nd = split(dts, dt, " ") }
		NR == FNR { a[FNR] = $0; n = FNR; next }
		FNR == 1 { next }  # several outputs: named after their layers
		{
			m = FNR
			k = split(a[FNR], x, ",")
			if (k != NF || k != nd) { print "line " FNR ": " k " fields vs " NF; bad = 1; exit }
			for (i = 1; i <= NF; i++) {
				d = x[i] - $i; if (d < 0) d = -d
				ab = $i < 0 ? -$i : $i
				t = dt[i] == "float64" ? t64 : t32
				if (!(d <= t * (1 + ab))) { print "line " FNR " col " i ": got " x[i] " want " $i; bad = 1; exit }
			}
		}
		END { if (!bad && m != n) { print "rows: got " n " want " m; bad = 1 } ; exit bad }
	' "$1" "$2"
}

dtypes_of() {  # manifest, fixture: its output columns' dtypes, space-separated
	jq -r --arg n "$2" '.fixtures[] | select(.name == $n) | .output_dtypes | join(" ")' "$1"
}

@test "float64 fixtures, every Keras version, every kernel: within 1e-14 of Keras (float32 columns 1e-6)" {
	local v d n k runs=0 msg
	for v in 3.3 3.8 3.16; do
		d="$F64/keras-$v"
		for n in $(jq -r '.fixtures[].name' "$d/manifest.json"); do
			for k in $(kernels); do
				run --separate-stderr env KANX_KERNEL=$k "$KANX" predict -m "$d/$n.keras" "$d/${n}_input.csv"
				[ "$status" -eq 0 ] || { echo "$v $n $k: exit $status: $stderr"; false; }
				printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/got.csv"
				msg=$(close64 "$BATS_TEST_TMPDIR/got.csv" "$d/${n}_expected.csv" "$(dtypes_of "$d/manifest.json" "$n")") ||
					{ echo "$v $n $k: $msg"; false; }
				runs=$((runs + 1))
			done
		done
	done
	# 6 fixtures x 3 versions x the kernels
	[ "$runs" -eq $((18 * $(kernels | wc -l))) ]
	# Keras 3.8 wrote f64io_mixed's autocast as a Cast op node, which ran above
	[ "$(jq -r '.fixtures[] | select(.name == "f64io_mixed") | .cast_node' "$F64/keras-3.8/manifest.json")" = true ]
	kanx inspect "$F64/keras-3.8/f64io_mixed.keras" | grep -Eq '^ +[0-9]+ +cast[_0-9]* +Cast '
}

@test "float64 columns print as Python's repr() of the double (less '.0'); float32 columns as float32" {
	local v d n same=0 long=0
	for v in 3.3 3.8 3.16; do
		d="$F64/keras-$v"
		for n in $(jq -r '.fixtures[].name' "$d/manifest.json"); do
			kanx predict -m "$d/$n.keras" "$d/${n}_input.csv" >"$BATS_TEST_TMPDIR/got.csv" 2>/dev/null
			# where kanx's double is Keras's, the text must be repr()'s;
			# a float32 column has at most 9 significant digits
			read -r s l < <(awk -F, -v dts="$(dtypes_of "$d/manifest.json" "$n")" '
				BEGIN { split(dts, dt, " ") }
				NR == FNR { a[FNR] = $0; next }
				FNR > 1 {
					split(a[FNR], x, ",")
					for (i = 1; i <= NF; i++) {
						w = $i; sub(/\.0$/, "", w); sub(/\.0e/, "e", w)
						g = x[i]; sig = g; sub(/e.*/, "", sig); gsub(/[-.]/, "", sig); sub(/^0+/, "", sig); sub(/0+$/, "", sig)
						if (dt[i] == "float32") { if (length(sig) > 9) { print "f32 " FNR " " g > "/dev/stderr"; bad = 1 } ; continue }
						if (length(sig) > 9) long++
						if (g + 0 == w + 0) { same++; if (g != w) { print "line " FNR ": kanx " g ", repr " w > "/dev/stderr"; bad = 1 } }
					}
				}
				END { print same + 0, long + 0; exit bad }
			' "$BATS_TEST_TMPDIR/got.csv" "$d/${n}_expected.csv")
			same=$((same + s))
			long=$((long + l))
		done
	done
	echo "bit-identical values checked: $same; with more than 9 digits: $long"
	[ "$same" -gt 500 ]
	[ "$long" -gt 1000 ]
}

@test "the float64 input is parsed as a double: 0.1, 1e-310 and 3e39 reach the model unrounded" {
	# the first rows of f64io_big hold 0.1, 1/3, 1e-310, 3e39, -4.5e38:
	# Keras's outputs for them, within 1e-14 (a float32 reader would get
	# inf or 0 and print nothing like them)
	local d="$F64/keras-3.16"
	run kanx predict -m "$d/f64io_big.keras" "$d/f64io_big_input.csv"
	[ "$status" -eq 0 ]
	grep -q '^1e-310,3e+39$' "$d/f64io_big_input.csv"
	# a float32 InputLayer in front of float64 layers rounds its rows to
	# float32 first, as Keras does (f64io_in32, checked above), and refuses
	# what float32 cannot hold
	printf 'f0,f1\n3e39,1\n' >"$BATS_TEST_TMPDIR/big.csv"
	run --separate-stderr kanx predict -m "$d/f64io_in32.keras" "$BATS_TEST_TMPDIR/big.csv"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *'"3e39" is out of the float32 range'* ]]
	run --separate-stderr kanx predict -m "$d/f64io_big.keras" "$BATS_TEST_TMPDIR/big.csv"
	[ "$status" -eq 0 ]
	printf 'f0,f1\n1e309,1\n' >"$BATS_TEST_TMPDIR/huge.csv"
	run --separate-stderr kanx predict -m "$d/f64io_big.keras" "$BATS_TEST_TMPDIR/huge.csv"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *'"1e309" is out of the float64 range'* ]]
}

@test "validate accepts and refuses a float64 model's rows as predict does" {
	local d="$F64/keras-3.16"
	printf 'f0,f1\n3e39,1e-310\n' >"$BATS_TEST_TMPDIR/big.csv"
	printf 'f0,f1\n1e309,1\n' >"$BATS_TEST_TMPDIR/huge.csv"
	run kanx validate -m "$d/f64io_big.keras" "$BATS_TEST_TMPDIR/big.csv"
	echo "$output"
	[ "$status" -eq 0 ]
	run kanx validate -m "$d/f64io_big.keras" "$BATS_TEST_TMPDIR/huge.csv"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"1e309" is out of the float64 range'* ]]
	run kanx validate -m "$d/f64io_in32.keras" "$BATS_TEST_TMPDIR/big.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"3e39" is out of the float32 range'* ]]
	# every fixture's own input passes validate, as predict takes it
	for f in "$F64"/keras-*/*_input.csv; do
		run kanx validate -m "${f%_input.csv}.keras" "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
	done
}

@test "TSV, JSON lines, API documents and serve-stdin read and print a float64 model as CSV does" {
	local d="$F64/keras-3.16" n t="$BATS_TEST_TMPDIR"
	for n in f64io_big f64io_kan f64io_mixed; do
		kanx predict -m "$d/$n.keras" "$d/${n}_input.csv" | tail -n +2 >"$t/csv.out"
		tr , '\t' <"$d/${n}_input.csv" >"$t/in.tsv"
		kanx predict -m "$d/$n.keras" "$t/in.tsv" | tail -n +2 >"$t/tsv.out"
		cmp "$t/csv.out" "$t/tsv.out"
		tail -n +2 "$d/${n}_input.csv" | sed 's/.*/[&]/' >"$t/in.jsonl"
		kanx predict -m "$d/$n.keras" -f jsonl "$t/in.jsonl" | tr -d '[]' >"$t/jsonl.out"
		cmp "$t/csv.out" "$t/jsonl.out"
		tail -n +2 "$d/${n}_input.csv" | sed 's/.*/{"x": [&]}/' >"$t/in.api"
		kanx predict -m "$d/$n.keras" -i api -f api "$t/in.api" | jq -c '.output[]' | tr -d '[]' >"$t/api.out"
		# jq prints numbers its own way: compare them as numbers
		paste -d' ' "$t/csv.out" "$t/api.out" | awk '{ n = split($1, a, ","); split($2, b, ","); for (i = 1; i <= n; i++) if (a[i] + 0 != b[i] + 0) { print; exit 1 } }'
		kanx predict -m "$d/$n.keras" -i api -f api "$t/in.api" | grep -o '"output":\[\[[^]]*\]\]' | sed 's/"output":\[\[//; s/\]\]//' >"$t/api.raw"
		cmp "$t/csv.out" "$t/api.raw"
		kanx serve-stdin -m "$d/$n.keras" <"$t/in.api" | sed 's/^{"output": \[\[//; s/\]\], "shape".*//; s/, /,/g' >"$t/serve.out"
		cmp "$t/csv.out" "$t/serve.out"
	done
}

@test "float64 weights beyond FLT_MAX run in a float64 layer; validate and inspect agree" {
	local d n
	for d in "$F64"/keras-*; do
		for n in f64io_big f64io_kan_big f64io_kan_wide; do
			run kanx validate -m "$d/$n.keras"
			echo "$d/$n: $output"
			[ "$status" -eq 0 ]
			run kanx inspect "$d/$n.keras"
			[ "$status" -eq 0 ]
			run kanx serve-stdin -m "$d/$n.keras" </dev/null
			[ "$status" -eq 0 ]
		done
	done
}

@test "edge cases: beyond FLT_MAX in a float32 layer, NaN/inf, grids only double precision sees: refused alike" {
	local f st where says n=0
	while IFS=$'\t' read -r f st where says; do
		[[ "$f" == "#"* ]] && continue
		n=$((n + 1))
		run --separate-stderr kanx predict -m "$EDGE/$f" </dev/null
		echo "$f: predict exit $status: $stderr"
		[ "$status" -eq "$st" ]
		[[ "$stderr" == "kanx: $EDGE/$f:$where: "*"$says"* ]]
		local msg=$stderr
		run kanx validate -m "$EDGE/$f"
		echo "validate exit $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$msg"* ]]
		run --separate-stderr kanx serve-stdin -m "$EDGE/$f" </dev/null
		[ "$status" -eq 4 ]
		[ "$stderr" = "$msg" ]
		run --separate-stderr kanx inspect "$EDGE/$f"
		[ "$status" -eq 4 ]
	done <"$EDGE/cases.tsv"
	[ "$n" -eq 5 ]
}

@test "a float64 model gives the same bytes on every kernel and thread count" {
	local d="$F64/keras-3.16" k n
	for n in f64io_kan f64io_mixed; do
		kanx predict -m "$d/$n.keras" "$d/${n}_input.csv" >"$BATS_TEST_TMPDIR/ref"
		for k in $(kernels); do
			KANX_KERNEL=$k kanx predict -t 2 -b 7 -m "$d/$n.keras" "$d/${n}_input.csv" | cmp - "$BATS_TEST_TMPDIR/ref"
		done
	done
}
