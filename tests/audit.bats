#!/usr/bin/env bats
# The audit of issue 13's layer kinds: tests/fixtures/layers/audit-keras-*,
# written by make_audit_fixtures.py with Keras 3.3, 3.8 and 3.16 - corners
# the layer fixtures do not reach (mean/variance as ints, NumPy arrays and
# tensors, arrays of shape (1, n), zero variance, invert, axis as a tuple,
# BatchNormalization with renorm, every ReLU parameter combination, every
# activation name on edge inputs: 0, -0, 1e30, 3e38, 1e-30, subnormals,
# Masking rows, identities with extreme rates) - on every kernel against
# Keras's outputs, and the one kanx refuses, refused alike by validate and
# predict.

load helpers

AUD="$FIX/layers"

# The audit fixtures of Keras $1 kanx must compute: no failure, at least
# $2 fixtures per kernel.
check_version() {
	run layer_fixtures "$1" '' audit-keras
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^[0-9]+\ runs,\ 0\ bad$ ]]
	[ "${lines[-1]%% *}" -ge $(($2 * $(kernels | wc -l))) ]
}

@test "audit: every audit fixture of Keras 3.3 on every kernel" {
	check_version 3.3 92
}

@test "audit: every audit fixture of Keras 3.8 on every kernel" {
	check_version 3.8 100
}

@test "audit: every audit fixture of Keras 3.16 on every kernel" {
	check_version 3.16 109
}

@test "audit: the manifests record the Keras version that wrote them, and every check passed" {
	local v
	for v in 3.3 3.8 3.16; do
		m="$AUD/audit-keras-$v/manifest.json"
		[[ "$(jq -r .keras_version "$m")" == "$v".* ]] || { echo "$m: $(jq -r .keras_version "$m")"; false; }
		[ "$(jq -r .generator "$m")" = tests/fixtures/layers/make_audit_fixtures.py ]
		[ "$(jq '[.fixtures[] | select(.checks_ok | not)] | length' "$m")" -eq 0 ]
	done
}

@test "audit: a PReLU activation object (Keras 3.16 saves its alpha under activation/vars) runs as a node of its own; counts are Keras's" {
	local d="$AUD/audit-keras-3.16" n
	for n in obj_dense_prelu obj_dense_prelu_alpha; do
		run kanx validate -m "$d/$n.keras"
		[ "$status" -eq 0 ]
		kanx inspect "$d/$n.keras" | grep -Eq '^ +1 +dense/activation +PReLU +'
		[ "$(kanx inspect --json "$d/$n.keras" | jq -c '[.params, .non_trainable_params, .total_params]')" = \
		  "$(jq -c --arg n "$n" '.fixtures[] | select(.name == $n) | [.params.trainable, .params.non_trainable, .params.total]' "$d/manifest.json")" ]
	done
	# its five alphas, one per unit, are the PReLU node's parameters
	[ "$(kanx inspect --json "$d/obj_dense_prelu_alpha.keras" | jq '.layers[1].params')" -eq 5 ]
	run kanx predict -m "$d/obj_dense_prelu_alpha.keras" "$d/obj_dense_prelu_alpha_input.csv"
	[ "$status" -eq 0 ]
}
