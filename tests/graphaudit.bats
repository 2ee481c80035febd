#!/usr/bin/env bats
# The graph audit (issue 13): models the other fixtures do not cover, written
# by real Keras 3.3, 3.8 and 3.16 (tests/fixtures/graphaudit, made by
# tests/fixtures/layers/make_graph_audit.py): shared layers, diamonds,
# merges of the input and of one tensor with itself, width-1 broadcasts,
# outputs out of layer order, as a dict or a nested list, the input as an
# output, deep chains, wide merges at and past KX_MAX_INPUTS, nesting six
# deep, lazily built (a KAN or a Functional first) and frozen nested
# models, residuals around nested models, a nested model called with
# training=False, names repeated across
# models, LoRA and int8 Dense layers, KANLinear options. Every model kanx
# runs matches Keras on every kernel within 1e-4 (1 + |keras|) and inspect
# gives Keras's outputs and trainable count; what the manifest marks
# must_refuse is refused alike by predict, validate and serve-stdin.
load helpers

AUD="$FIX/graphaudit"

setup() {
	T="$BATS_TEST_TMPDIR"
}

@test "every audit model of every Keras version matches Keras on every kernel" {
	local v
	for v in 3.3 3.8 3.16; do
		LAYER_FIX=$AUD run layer_fixtures "$v" .
		echo "$output"
		[ "${lines[-1]% bad}" != "${lines[-1]}" ]
		[[ "${lines[-1]}" == *" runs, 0 bad" ]]
		# 3.3 cannot build a nested output list nor run int8 Dense layers
		[ "${lines[-1]%% *}" -ge 80 ]
	done
}

@test "inspect: Keras's outputs (names, widths, in flattened order) and trainable, non-trainable and total counts" {
	local v n bad=0 got want
	for v in 3.3 3.8 3.16; do
		for n in $(jq -r '.fixtures[] | select(.must_refuse | not) | .name' "$AUD/keras-$v/manifest.json"); do
			kanx inspect --json "$AUD/keras-$v/$n.keras" >"$T/j"
			got=$(jq -c '[.params, .non_trainable_params, .total_params, [.outputs[] | {name, width}]]' "$T/j")
			want=$(jq -c --arg n "$n" '.fixtures[] | select(.name == $n) |
				[.params.trainable, .params.non_trainable, .params.total, .outputs]' \
				"$AUD/keras-$v/manifest.json")
			[ "$got" = "$want" ] || { echo "$v $n: kanx $got, Keras $want"; bad=$((bad + 1)); }
		done
	done
	[ "$bad" -eq 0 ]
}

@test "what kanx cannot compute as Keras does is refused alike by predict, validate and serve-stdin" {
	local v n why m c=0
	for v in 3.3 3.8 3.16; do
		while IFS=$'\t' read -r n why; do
			m="$AUD/keras-$v/$n.keras"
			run kanx predict -m "$m" "$AUD/keras-$v/${n}_input.csv"
			[ "$status" -eq 4 ] && [[ "$output" == "kanx: $m:config.json: "*"$why"* ]] ||
				{ echo "$v $n: predict $status: $output"; false; }
			run kanx validate -m "$m"
			[ "$status" -eq 1 ] && [[ "$output" == *"$why"* ]] || { echo "$v $n: validate $status: $output"; false; }
			run kanx serve-stdin -m "$m" </dev/null
			[ "$status" -eq 4 ] && [[ "$output" == *"$why"* ]] || { echo "$v $n: serve $status: $output"; false; }
			c=$((c + 1))
		done < <(jq -r '.fixtures[] | select(.must_refuse) | "\(.name)\t\(.refuse_reason)"' "$AUD/keras-$v/manifest.json")
	done
	# shared layer, shared submodel, 65 merged tensors, a nested model's
	# second output, Model(x, x), BatchNormalization(training=True): 6 a
	# version; int8 Dense in 3.8 and 3.16
	[ "$c" -eq 20 ]
}

@test "outputs given as a dict or a nested list: flattened as Keras flattens (dict keys sorted)" {
	local d="$AUD/keras-3.16"
	# Model(x, {"zeta": za, "alpha": ab}): Keras's outputs are ab, then za
	run kanx predict -m "$d/graph_outputs_dict.keras" "$d/graph_outputs_dict_input.csv"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ab_0,ab_1,ab_2,za_0,za_1" ]
	# Model(x, [a, [b, c]])
	run kanx predict -m "$d/graph_outputs_nested.keras" "$d/graph_outputs_nested_input.csv"
	[ "${lines[0]}" = "a_0,a_1,b_0,b_1,b_2,c" ]
	# an output given twice, and the input itself as an output
	run kanx predict -m "$d/graph_output_twice.keras" "$d/graph_output_twice_input.csv"
	[ "${lines[0]}" = "y_0,y_1,z,y_0,y_1" ]
	run kanx predict -m "$d/graph_output_is_input.keras" "$d/graph_output_is_input_input.csv"
	[ "${lines[0]}" = "k_0,k_1,x_0,x_1,x_2" ]
	# names with a comma or a quote stay one CSV field each
	run kanx predict -m "$d/graph_odd_names.keras" "$d/graph_odd_names_input.csv"
	[ "${lines[0]}" = '"out,a_0","out,a_1","q""b",ü.c' ]
}

@test "trainable: false (a layer, a nested model, the whole model) and LoRA: counted as Keras counts" {
	local d="$AUD/keras-3.16"
	# only the live Dense(3 -> 2) is trainable
	[ "$(kanx inspect --json "$d/nest_frozen_layers.keras" | jq -c '[.params, [.layers[].params]]')" = \
	  '[8,[0,0,0,8,0]]' ]
	[ "$(kanx inspect --json "$d/nest_top_frozen.keras" | jq .params)" -eq 0 ]
	# LoRA rank 2 on Dense(3 -> 4): the adapters 2*(3+4) and the bias
	[ "$(kanx inspect --json "$d/graph_dense_lora.keras" | jq '.layers[0].params')" -eq 18 ]
}

@test "a legacy HDF5 model (model.save('x.h5')), a weights file, a directory: refused, naming what it is" {
	local v m
	for v in 3.3 3.8 3.16; do
		m="$AUD/keras-$v/legacy_model.h5"
		run kanx predict -m "$m" "$AUD/keras-$v/graph_diamond_input.csv"
		[ "$status" -eq 4 ]
		[ "$output" = "kanx: $m: not a .keras (zip) archive: an HDF5 file (Keras's legacy .h5 model, or weights alone); kanx reads what model.save('NAME.keras') writes" ]
		run kanx validate -m "$m"
		[ "$status" -eq 1 ]
		[[ "$output" == *"an HDF5 file (Keras's legacy .h5 model"* ]]
	done
	# the weights member of a .keras archive, alone
	unzip -p "$AUD/keras-3.16/graph_diamond.keras" model.weights.h5 >"$T/w.weights.h5"
	run kanx inspect "$T/w.weights.h5"
	[ "$status" -eq 4 ]
	[[ "$output" == *"w.weights.h5: not a .keras (zip) archive: an HDF5 file"* ]]
	# Keras 3.16's model.save(DIR, zipped=False) writes a directory
	mkdir "$T/unzipped"
	run kanx inspect "$T/unzipped"
	[ "$status" -ne 0 ]
	[ "$output" = "kanx: $T/unzipped: is a directory" ]
}
