#!/usr/bin/env bats
# Dtype policies (issue 13): float64 layers computed in double precision
# as Keras computes them (each layer casting its input to its compute
# dtype), float16 / bfloat16 / mixed policies computed in float32 with a
# note of how far that is from Keras's reduced precision, and the refusal
# of what a policy cannot hold. Fixtures: tests/fixtures/layers/keras-*/
# dtype_* and tests/fixtures/dtypes/keras-*/ (both written by Keras; the
# generators beside them), tests/dtype/ (hostile: tests/gen_dtype_models.py).
load helpers
bats_require_minimum_version 1.5.0

LAY="$FIX/layers"
DT="$FIX/dtypes"
HOST="$KANX_SRCDIR/tests/dtype"

setup() {
	T="$BATS_TEST_TMPDIR"
}

# Run fixture $2 of folder $1 on every kernel against $3 (its expected
# CSV); print each failure; "N runs, M bad" on the last line. A fixture
# kanx refuses for nesting or a graph (another branch adds those) is
# reported "refused-structure: MESSAGE" and not counted.
run_fixture() {
	local d=$1 n=$2 exp=$3 k runs=0 bad=0 msg
	for k in $(kernels); do
		if ! KANX_KERNEL=$k kanx predict -m "$d/$n.keras" "$d/${n}_input.csv" >"$T/got.csv" 2>"$T/err"; then
			if grep -q -e "unsupported layer class 'kanx>KAN'" -e "single-chain" "$T/err"; then
				echo "refused-structure: $(head -c 300 "$T/err")"
				return 0
			fi
			echo "$n $k: exit $?: $(head -c 300 "$T/err")"
			bad=$((bad + 1))
		elif ! msg=$(csv_close "$T/got.csv" "$d/$exp"); then
			echo "$n $k: $msg"
			bad=$((bad + 1))
		fi
		runs=$((runs + 1))
	done
	echo "$runs runs, $bad bad"
}

# Every fixture of folder $1/keras-VERSION (each version) the jq filter $2
# names from its manifest, but those $3 (a regex) matches, each against
# its _expected_float32.csv where it has one, else its _expected.csv;
# they must all pass, and be $4 in all.
run_folder() {
	local v d n exp out total=0
	for v in 3.3 3.8 3.16; do
		d="$1/keras-$v"
		for n in $(jq -r "$2" "$d/manifest.json"); do
			[[ "$n" =~ $3 ]] && continue
			exp=${n}_expected.csv
			[ -f "$d/${n}_expected_float32.csv" ] && exp=${n}_expected_float32.csv
			out=$(run_fixture "$d" "$n" "$exp")
			echo "$v $out"
			[[ "${out##*$'\n'}" == *" runs, 0 bad" ]]
			[[ "$out" != refused-structure* ]]
			total=$((total + 1))
		done
	done
	[ "$total" -eq "$4" ]
}

# The dtype fixtures of tests/fixtures/layers that need neither nesting
# nor a graph, per version: float64 against Keras's float64 result, the
# reduced-precision ones against Keras computing the same file in float32.
@test "float64 and reduced-precision fixtures, every Keras version, every kernel" {
	# 3.3 and 3.8: layers, float16, mixed_float16, mixed_bfloat16; 3.16 narrowed too
	run_folder "$LAY" '.fixtures[] | select(.kind == "dtype") | .name' \
		'^dtype_float64_(global|functional)$' 13
}

# Nested kanx>KAN (dtype_float64_global) and a Functional DAG with Add
# (dtype_float64_functional): listed here, skipped only while kanx refuses
# them for the nesting or the graph itself, run for real once it does not.
structural_fixture() {
	local v out all=""
	for v in 3.3 3.8 3.16; do
		out=$(run_fixture "$LAY/keras-$v" "$1" "$1_expected.csv")
		if [[ "$out" == refused-structure* ]]; then
			all+="$v: ${out#refused-structure: }"$'\n'
			continue
		fi
		echo "$v $out"
		[[ "${out##*$'\n'}" == *" runs, 0 bad" ]]
	done
	if [ -n "$all" ]; then
		skip "kanx refuses the model's structure, not its dtypes: ${all%%$'\n'*}"
	fi
}

@test "dtype_float64_global: a kanx>KAN nested in a float64 Sequential (needs nesting)" {
	structural_fixture dtype_float64_global
}

@test "dtype_float64_functional: a float64 Functional DAG with Add (needs graphs)" {
	structural_fixture dtype_float64_functional
}

@test "more float64 members: non-float32 weights, a non-uniform grid, every layer kind, casts, a KAN built under the float64 policy" {
	run_folder "$DT" '.fixtures[].name' '^$' 15
}

@test "float64 weights are used unrounded: kernel 1e8+1 against -1e8 (float32 would lose the 1)" {
	local d="$DT/keras-3.16"
	kanx predict -m "$d/dtype64_cancel.keras" "$d/dtype64_cancel_input.csv" >"$T/got.csv"
	csv_close "$T/got.csv" "$d/dtype64_cancel_expected.csv"
	# the same file with the kernel's policy float32 (and the kernel rounded):
	# far from Keras's float64 numbers
	python3 - "$d/dtype64_cancel.keras" "$T/f32.keras" <<'PY'
import json, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as o:
    for i in z.infolist():
        data = z.read(i.filename)
        if i.filename == "config.json":
            cfg = json.loads(data)
            for lo in cfg["config"]["layers"]:
                lo["config"]["dtype"] = "float32"
            data = json.dumps(cfg).encode()
        o.writestr(i, data)
PY
	run kanx predict -m "$T/f32.keras" "$d/dtype64_cancel_input.csv"
	# refused: the float64 weights are not float32 values
	[ "$status" -eq 4 ]
	[[ "$output" == *"layers/dense/vars/0 (kernel): float64 value 100000001 at index 0 is not exactly a float32"* ]]
}

@test "a float64 model gives the same bits on every kernel and thread count" {
	local d="$DT/keras-3.16" n k first=""
	for n in dtype64_kinds dtype64_kan_nonuniform dtype64_casts; do
		first=""
		for k in $(kernels); do
			for th in 1 3; do
				KANX_KERNEL=$k KANX_THREADS=$th kanx predict -m "$d/$n.keras" --batch-size 7 "$d/${n}_input.csv" >"$T/$k.$th.csv"
				[ -n "$first" ] || first="$T/$k.$th.csv"
				cmp "$first" "$T/$k.$th.csv"
			done
		done
	done
}

# The bound the note states, "up to about X*(1+|y|)".
note_bound() {
	sed -n 's/.*differ from Keras.s by up to about \([0-9.e+-]*\)\*(1+|y|).*/\1/p' <<<"$1" | head -1
}

@test "reduced precision: one note on stderr, a warning in validate and inspect, and Keras's results within its bound" {
	local v n d m bound checked=0
	for v in 3.3 3.8 3.16; do
		d="$LAY/keras-$v"
		for n in dtype_float16 dtype_mixed_float16 dtype_mixed_bfloat16; do
			m="$d/$n.keras"
			run --separate-stderr kanx predict -m "$m" "$d/${n}_input.csv"
			[ "$status" -eq 0 ]
			printf '%s\n' "$output" >"$T/got.csv"
			# exactly one note, naming the model, the policy and the bound
			[ "$(grep -c . <<<"$stderr")" -eq 1 ]
			[[ "$stderr" == "kanx: warning: $m: Keras computes 3 layers (first 'pre', policy '${n#dtype_}') in reduced precision"* ]]
			bound=$(note_bound "$stderr")
			[ -n "$bound" ]
			# kanx matches Keras in float32 ...
			csv_close "$T/got.csv" "$d/${n}_expected_float32.csv"
			# ... and Keras's reduced-precision output (where it could compute
			# one) is within the bound the note states, but not within 1e-4
			if [ -f "$d/${n}_expected.csv" ]; then
				csv_close "$T/got.csv" "$d/${n}_expected.csv" "$bound"
				run ! csv_close "$T/got.csv" "$d/${n}_expected.csv"
				checked=$((checked + 1))
			fi
			# validate: sound, the same note as a warning
			run kanx validate -m "$m"
			[ "$status" -eq 0 ]
			[[ "$output" == *"kanx: warning: $m: Keras computes 3 layers"* ]]
			[[ "$output" == *"sound: 0 errors, 1 warning"* ]]
			run kanx inspect "$m"
			[ "$status" -eq 0 ]
			[[ "$output" == *"  note        $m: Keras computes 3 layers"* ]]
		done
	done
	[ "$checked" -eq 6 ]
	# a float32 or float64 model has no note
	run --separate-stderr kanx predict -m "$DT/keras-3.16/dtype64_kinds.keras" "$DT/keras-3.16/dtype64_kinds_input.csv"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "serve-stdin: the note at start-up, and the float64 path for its predictions" {
	local d="$DT/keras-3.16" m row want
	m="$LAY/keras-3.16/dtype_float16.keras"
	run --separate-stderr kanx serve-stdin -m "$m" </dev/null
	[ "$status" -eq 0 ]
	[[ "$stderr" == "kanx: warning: $m: Keras computes 3 layers"* ]]
	row=$(sed -n 2p "$d/dtype64_cancel_input.csv")
	want=$(sed -n 2p "$d/dtype64_cancel_expected.csv")
	run --separate-stderr kanx serve-stdin -m "$d/dtype64_cancel.keras" <<<"{\"op\": \"predict\", \"x\": [[$row]], \"id\": 1}"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	jq -r '.output[0] | map(tostring) | join(",")' <<<"$output" >"$T/got.csv"
	printf 'y0,y1\n' | cat - "$T/got.csv" >"$T/got2.csv"
	printf 'y0,y1\n%s\n' "$want" >"$T/want.csv"
	csv_close "$T/got2.csv" "$T/want.csv"
}

@test "inspect: each layer's policy, the path, and --json's dtype keys" {
	local m="$LAY/keras-3.16/dtype_float64_layers.keras"
	run kanx inspect "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"  dtypes      model float32, input float64"* ]]
	[[ "$output" == *"float32         dense32"* ]]
	[[ "$output" == *"float64         kan64, dense64"* ]]
	[[ "$output" == *"  path        double-precision reference"* ]]
	run kanx inspect --json "$m"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.layers[].dtype] | join(",")' <<<"$output")" = "float64,float64,float32" ]
	[ "$(jq -r .path <<<"$output")" = reference64 ]
	[ "$(jq -r .input_dtype <<<"$output")" = float64 ]
	[ "$(jq -r .dtype_note <<<"$output")" = null ]
	# a float32 model: no dtypes section, the float32 path
	run kanx inspect "$FIX/keras-3.16/kan_a.keras"
	[[ "$output" != *"  dtypes      "* ]]
	run kanx inspect --json "$FIX/keras-3.16/kan_a.keras"
	[ "$(jq -r .path <<<"$output")" = float32 ]
	# a KAN whose config names no policy, with float64 weights: float64
	run kanx inspect --json "$DT/keras-3.16/dtype64_kan_global.keras"
	[ "$(jq -r '[.layers[].dtype] | join(",")' <<<"$output")" = "float64,float64" ]
}

@test "hostile dtypes: each refused naming member and tensor, exit 4, validate agreeing, serve-stdin too" {
	local f st where n=0
	while IFS=$'\t' read -r f st where; do
		[[ "$f" == "#"* ]] && continue
		n=$((n + 1))
		run --separate-stderr kanx predict -m "$HOST/$f" </dev/null
		echo "$f: predict exit $status: $stderr"
		[ "$status" -eq "$st" ]
		if [ "$st" -eq 0 ]; then
			run kanx validate -m "$HOST/$f"
			[ "$status" -eq 0 ]
			continue
		fi
		[[ "$stderr" == "kanx: $HOST/$f:$where: "* ]]
		local msg=$stderr
		run kanx validate -m "$HOST/$f"
		echo "validate exit $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$msg"* ]]
		run --separate-stderr kanx serve-stdin -m "$HOST/$f" </dev/null
		[ "$status" -eq 4 ]
		[ "$stderr" = "$msg" ]
	done <"$HOST/cases.tsv"
	[ "$n" -eq 9 ]
}

@test "hostile dtypes: the messages say what the policy holds" {
	run kanx predict -m "$HOST/f64_data_f32_policy.keras" </dev/null
	[[ "$output" == *"float64 value "*" is not exactly a float32 (the layer's dtype policy 'float32' keeps its variables in float32)" ]]
	run kanx predict -m "$HOST/f32_data_f16_policy.keras" </dev/null
	[[ "$output" == *"float32 value "*" is not exactly a float16 (the layer's dtype policy 'float16' keeps its variables in float16)" ]]
	run kanx predict -m "$HOST/int_data_float_weight.keras" </dev/null
	[[ "$output" == *"(bias): an integer dataset; a float weight needs a float dataset"* ]]
	run kanx predict -m "$HOST/unknown_policy_name.keras" </dev/null
	[[ "$output" == *"layer 'dense64': dtype policy 'float8_e4m3fn' is not supported (kanx knows float32, float64, float16, bfloat16, mixed_float16, mixed_bfloat16)" ]]
	run kanx predict -m "$HOST/quantized_policy.keras" </dev/null
	[[ "$output" == *"layer 'dense32': dtype policy 'QuantizedDTypePolicy' is not supported"* ]]
}
