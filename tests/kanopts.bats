#!/usr/bin/env bats
# KANLinear options (spline order 0, trainable grids) and training-only
# metadata (compile_config), on the fixtures real Keras wrote (tests/fixtures/layers/keras-*), every
# version, every kernel.

load helpers

LAY="$FIX/layers"

setup() {
	T="$BATS_TEST_TMPDIR"
}

@test "every kan_* and compiled_custom fixture, every Keras version, every kernel, within 1e-4 of Keras" {
	for v in 3.3 3.8 3.16; do
		run layer_fixtures "$v" '^(kan_|compiled_)'
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "${lines[-1]}" == *" runs, 0 bad" ]]
		runs=${lines[-1]%% runs*}
		# kan_order0, kan_dict_mixed (orders 2, 0, 5) and the others: many
		[ "$runs" -ge 30 ]
	done
}

@test "spline order 0: Keras's steps, 1 where t_i <= x < t_{i+1}, 0 at the right end and outside" {
	m="$LAY/keras-3.16/kan_order0.keras"
	# on the knots, at the right end (1), just outside, NaN: every kernel
	# gives the reference's numbers
	printf 'f0,f1,f2\n1,1,1\n1.00000012,-1.00000012,0.99999994\n-1,-1,-1\n-0.600000024,0.2,0.600000024\n1e30,-1e30,3e38\n' >"$T/in.csv"
	for k in $(kernels); do
		KANX_KERNEL=$k kanx predict -m "$m" "$T/in.csv" >"$T/$k.csv" 2>/dev/null
	done
	for k in $(kernels); do csv_close "$T/$k.csv" "$T/blis.csv"; done
	# no NaN from an overflow that order 0 cannot have (no division)
	! grep -qi nan "$T/blis.csv"
	run kanx inspect --json "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"grid_size":5,"spline_order":0,'* ]]
	run kanx validate -m "$m"
	[ "$status" -eq 0 ]
}

@test "inspect --json params is Keras's trainable count for every kan_* fixture of every version" {
	n=0
	for v in 3.3 3.8 3.16; do
		d="$LAY/keras-$v"
		for f in $(jq -r '.fixtures[] | select(.name | test("^kan_")) | .name' "$d/manifest.json"); do
			want=$(jq -r --arg n "$f" '.fixtures[] | select(.name == $n) | .params.trainable' "$d/manifest.json")
			got=$(kanx inspect --json "$d/$f.keras" | jq -r .params)
			[ "$got" = "$want" ] || { echo "$v $f: params $got, Keras $want"; false; }
			n=$((n + 1))
		done
	done
	[ "$n" -ge 90 ]
	# a trainable grid is a parameter: in*(G+1) more
	run kanx inspect --json "$LAY/keras-3.16/kan_trainable_grid.keras"
	[[ "$output" == *'"params":72'* ]]
}

@test "compiled_custom: a custom loss and metric are shown by inspect and block nothing" {
	for v in 3.3 3.8 3.16; do
		m="$LAY/keras-$v/compiled_custom.keras"
		run kanx inspect "$m"
		[ "$status" -eq 0 ]
		[[ "$output" == *"training    loss "*"scaled_mse; metrics "*"max_abs_err, mae; optimizer Adam (training only: not used)"* ]]
		run kanx inspect --json "$m"
		[ "$status" -eq 0 ]
		echo "$output" | jq -e '.compile.optimizer == "Adam" and (.compile.loss | endswith("scaled_mse"))
			and (.compile.metrics | length) == 2 and .compile.metrics[1] == "mae"'
		run kanx validate -m "$m"
		[ "$status" -eq 0 ]
		[[ "$output" == *"sound: 0 errors"* ]]
		kanx predict -m "$m" "$LAY/keras-$v/compiled_custom_input.csv" >"$T/out.csv"
		csv_close "$T/out.csv" "$LAY/keras-$v/compiled_custom_expected.csv"
		run bash -c "printf '{\"op\": \"predict\", \"id\": 1, \"x\": [[0.5, -0.25, 1.5]]}\n' | '$KANX' serve-stdin -m '$m'"
		[ "$status" -eq 0 ]
		[[ "$output" == '{"id": 1, "output": [['* ]]
	done
	# a model without compile_config: "compile" is null, no training line
	run kanx inspect --json "$LAY/keras-3.16/kan_order1.keras"
	[[ "$output" == *'"compile":null'* ]]
}

@test "odd and hostile compile_configs (generated) never block predict, validate or serve-stdin, nor crash inspect" {
	m="$LAY/keras-3.16/compiled_custom.keras"
	in="$LAY/keras-3.16/compiled_custom_input.csv"
	kanx predict -m "$m" "$in" >"$T/ref.csv"
	names=$(python3 "$KANX_SRCDIR/tests/gen_compile_configs.py" "$m" "$T")
	[ "$(echo "$names" | wc -l)" -ge 12 ]
	for n in $names; do
		f="$T/cc_$n.keras"
		run kanx predict -m "$f" "$in"
		[ "$status" -eq 0 ] || { echo "$n: predict $status: $output"; false; }
		kanx predict -m "$f" "$in" 2>/dev/null | cmp - "$T/ref.csv"
		run kanx validate -m "$f"
		[ "$status" -eq 0 ] || { echo "$n: validate $status: $output"; false; }
		run kanx inspect "$f"
		[ "$status" -eq 0 ] || { echo "$n: inspect $status: $output"; false; }
		# no control character of the config reaches the terminal
		! printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]'
		run kanx inspect --json "$f"
		[ "$status" -eq 0 ]
		echo "$output" | jq -e '.compile == null or (.compile | type) == "object"' >/dev/null
	done
	# the hostile checks of the model's own config are as strict as ever:
	# the same lambda in a layer is refused
	python3 - "$m" "$T/layer_lambda.keras" <<'PY'
import json, sys, zipfile
src, dst = sys.argv[1:3]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as o:
    for i in z.infolist():
        d = z.read(i.filename)
        if i.filename == "config.json":
            c = json.loads(d)
            c["config"]["base_activation"] = {"module": "builtins", "class_name": "__lambda__",
                                              "config": {"code": "AAAA"}, "registered_name": None}
            d = json.dumps(c).encode()
        o.writestr(i, d)
PY
	for cmd in "predict -m $T/layer_lambda.keras $in" "validate -m $T/layer_lambda.keras" "inspect $T/layer_lambda.keras"; do
		run kanx $cmd
		# validate: 1 (problems found); predict, inspect: 4
		[ "$status" -eq 4 ] || { [ "$status" -eq 1 ] && [[ "$cmd" == validate* ]]; } || { echo "$cmd: $status"; false; }
		[[ "$output" == *"a Python lambda (marshalled bytecode) is refused"* ]]
	done
}
