#!/usr/bin/env bats
# The activation layer classes (ReLU, LeakyReLU, ELU, PReLU, Softmax), the
# layers that are identities at inference (and Masking) and the
# normalisation layers (Normalization, BatchNormalization,
# LayerNormalization, UnitNormalization, RMSNormalization): their fixtures
# in tests/fixtures/layers, written by Keras 3.3, 3.8 and 3.16, on every
# kernel; inspect's classes and parameter counts against Keras's. The
# configs of these layers Keras cannot build are refused by
# tests/activations.bats (tests/fixtures/activations/refused).

load helpers

KINDS='^(relu_|leaky_relu_|elu_layer$|prelu|softmax_layer$|id_|norm_|batchnorm|layernorm|unitnorm$|rmsnorm$)'

# The fixtures of Keras $1, expecting no failure and at least $2 of them.
check_version() {
	run layer_fixtures "$1" "$KINDS"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^[0-9]+\ runs,\ 0\ bad$ ]]
	[ "${lines[-1]%% *}" -ge $(($2 * $(kernels | wc -l))) ]
}

@test "layer classes: every fixture of Keras 3.3 on every kernel" {
	check_version 3.3 30
}

@test "layer classes: every fixture of Keras 3.8 on every kernel" {
	check_version 3.8 31
}

@test "layer classes: every fixture of Keras 3.16 on every kernel" {
	check_version 3.16 32
}

@test "layer classes: inspect counts parameters as Keras counts trainable ones, and names each class" {
	local v n d want got bad=
	for v in 3.3 3.8 3.16; do
		d="$FIX/layers/keras-$v"
		for n in $(jq -r --arg re "$KINDS" '.fixtures[] | select(.name | test($re)) | .name' "$d/manifest.json"); do
			want=$(jq -r --arg n "$n" '.fixtures[] | select(.name == $n) | .params.trainable' "$d/manifest.json")
			got=$(kanx inspect --json "$d/$n.keras" | jq .params)
			[ "$want" = "$got" ] || bad="$bad $v:$n($got, keras $want)"
		done
	done
	echo "params differ:$bad"
	[ -z "$bad" ]
	run kanx inspect --json "$FIX/layers/keras-3.16/batchnorm_variants.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | .class]' <<<"$output")" = \
		'["BatchNormalization","BatchNormalization","BatchNormalization","KANLinear"]' ]
	run kanx inspect --json "$FIX/layers/keras-3.16/relu_max_slope_threshold.keras"
	[ "$(jq -c '[.layers[] | [.class, .activation]]' <<<"$output")" = \
		'[["ReLU","relu(max_value=6, negative_slope=0.1, threshold=0.5)"]]' ]
	run kanx inspect "$FIX/layers/keras-3.16/norm_invert_adapted.keras"
	[ "$status" -eq 0 ]
	[[ "$output" == *"adapted per feature, inverted"* ]]
}

@test "layer classes: Masking zeroes a row equal to mask_value in every feature, and only that row" {
	local d="$FIX/layers/keras-3.16"
	printf 'f0,f1,f2\n2,2,2\n2,2,2.5\n' >"$BATS_TEST_TMPDIR/in.csv"
	run kanx predict -m "$d/id_masking.keras" "$BATS_TEST_TMPDIR/in.csv"
	[ "$status" -eq 0 ]
	# the masked row is what the rest of the model gives for zeros
	printf 'f0,f1,f2\n0,0,0\n' >"$BATS_TEST_TMPDIR/zero.csv"
	zero=$(kanx predict -m "$d/id_masking.keras" "$BATS_TEST_TMPDIR/zero.csv" | sed -n 2p)
	[ "${lines[1]}" = "$zero" ]
	[ "${lines[2]}" != "$zero" ]
}
