#!/usr/bin/env bats
# Every Keras activation, as each Keras version saves it: the act_*,
# dense_act_*, kan_act_* and act_object_* fixtures of tests/fixtures/layers
# (an Activation layer, a Dense activation, a KANLinear base activation,
# serialized activation objects) on every kernel, against Keras's outputs;
# the activations kanx must refuse (tests/fixtures/activations/refused,
# written by make_refused.py there); the list in kanx-formats(5).

load helpers

LAYERS="$FIX/layers"

# The activation fixtures of Keras $1, expecting no failure and at least
# $2 fixtures per kernel.
check_version() {
	run layer_fixtures "$1" '^(act_|dense_act_|kan_act_)'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^[0-9]+\ runs,\ 0\ bad$ ]]
	[ "${lines[-1]%% *}" -ge $(($2 * $(kernels | wc -l))) ]
}

@test "activations: every activation fixture of Keras 3.3 on every kernel" {
	check_version 3.3 56
}

@test "activations: every activation fixture of Keras 3.8 on every kernel" {
	check_version 3.8 85
}

@test "activations: every activation fixture of Keras 3.16 on every kernel" {
	check_version 3.16 91
}

@test "activations: every name each Keras version accepts has its fixtures (threshold excepted: Keras cannot call it)" {
	local v name missing=
	for v in 3.3 3.8 3.16; do
		for name in $(jq -r '.activation_names[]' "$LAYERS/keras-$v/manifest.json"); do
			[ "$name" = threshold ] && continue
			[ -e "$LAYERS/keras-$v/act_$name.keras" ] || [ -e "$LAYERS/keras-$v/kan_act_$name.keras" ] ||
				missing="$missing $v:$name"
		done
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "activations: inspect names each activation with its parameters" {
	run kanx inspect --json "$LAYERS/keras-3.16/act_object_dense.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | .activation]' <<<"$output")" = \
		'["leaky_relu(negative_slope=0.1)","relu(max_value=3, negative_slope=0.05, threshold=0.5)"]' ]
	run kanx inspect --json "$LAYERS/keras-3.16/act_object_kan.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | .activation]' <<<"$output")" = '["leaky_relu","relu(max_value=1.5)"]' ]
	run kanx inspect --json "$LAYERS/keras-3.16/act_object_activation.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | .activation]' <<<"$output")" = '["elu(alpha=0.5)","softmax"]' ]
	run kanx inspect "$LAYERS/keras-3.8/kan_act_squareplus.keras"
	[ "$status" -eq 0 ]
	[[ "$output" == *" squareplus "* ]]
}

@test "activations: glu halves the width, as an Activation layer and as a Dense activation" {
	run kanx inspect --json "$LAYERS/keras-3.16/dense_act_glu.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | [.class, .in, .out, .activation, .params]]' <<<"$output")" = \
		'[["Dense",4,2,"glu",20]]' ]
	[ "$(jq -c '[.in, .out]' <<<"$output")" = '[4,2]' ]
	run kanx inspect --json "$LAYERS/keras-3.16/act_glu.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | [.class, .in, .out, .activation]]' <<<"$output")" = '[["Activation",4,2,"glu"]]' ]
}

@test "activations: a row-wise KAN base activation has no edge functions" {
	run kanx inspect --edges 0 "$LAYERS/keras-3.16/kan_act_softmax.keras"
	[ "$status" -eq 2 ]
	[[ "$output" == *"row-wise base activation 'softmax'"* ]]
}

@test "activations: the ones Keras cannot load are refused by predict and validate, naming layer and activation" {
	local d="$FIX/activations/refused" name msg n=0
	while IFS=$'\t' read -r name msg; do
		run kanx predict -m "$d/$name.keras" "$LAYERS/keras-3.16/act_relu_input.csv"
		echo "$name: $output"
		[ "$status" -eq 4 ]
		[[ "$output" == *"$d/$name.keras:config.json: "*"$msg"* ||
		   "$output" == *"$d/$name.keras:model.weights.h5: "*"$msg"* ]]
		run kanx validate -m "$d/$name.keras"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$msg"* ]]
		n=$((n + 1))
	done <"$d/cases.tsv"
	[ "$n" -ge 13 ]
}
