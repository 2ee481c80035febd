#!/usr/bin/env bats
# kanx inspect: what is in a checkpoint, as text and as JSON.
load helpers

# Params of a KAN layer as kanx counts them: in*out*(G+k+1).
kan_params() { echo $(( $1 * $2 * ($3 + $4 + 1) )); }

@test "inspect --json agrees with every fixture manifest (class, widths)" {
	for v in keras-3.3 keras-3.8 keras-3.16; do
		n=$(jq '.fixtures | length' "$FIX/$v/manifest.json")
		for i in $(seq 0 $((n - 1))); do
			name=$(jq -r ".fixtures[$i].name" "$FIX/$v/manifest.json")
			want=$(jq -c ".fixtures[$i] | [.model_class, .n_in, .n_out]" "$FIX/$v/manifest.json")
			run kanx inspect --json "$FIX/$v/$name.keras"
			[ "$status" -eq 0 ] || { echo "$v/$name: $output"; false; }
			got=$(jq -c '[.class, .in, .out]' <<<"$output")
			[ "$got" = "$want" ] || { echo "$v/$name: got $got want $want"; false; }
		done
	done
}

@test "inspect --json: KAN([4,16,16,3]) G=8 k=3 widths, grids and parameter counts" {
	run kanx inspect --json "$FIX/keras-3.16/kan_b.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | [.in, .out, .grid_size, .spline_order, .activation]]' <<<"$output")" = \
	  '[[4,16,8,3,"silu"],[16,16,8,3,"silu"],[16,3,8,3,"silu"]]' ]
	want=$(( $(kan_params 4 16 8 3) + $(kan_params 16 16 8 3) + $(kan_params 16 3 8 3) ))
	[ "$(jq .params <<<"$output")" -eq "$want" ]
	[ "$(jq -c '.layers[0].grid_range' <<<"$output")" = '[-1,1]' ]
	[ "$(jq .layers[0].uniform <<<"$output")" = true ]
}

@test "inspect --json: grid_range, order 1 and the activation come from the checkpoint" {
	run kanx inspect --json "$FIX/keras-3.3/kan_c.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | [.grid_size, .spline_order, .grid_range]]' <<<"$output")" = '[[3,1,[-2,3]],[3,1,[-2,3]]]' ]
	run kanx inspect --json "$FIX/keras-3.8/kan_d.keras"
	[ "$(jq -r '.layers[0].activation' <<<"$output")" = tanh ]
	run kanx inspect --json "$FIX/keras-3.8/kan_gelu.keras"
	[ "$(jq -r '.layers[1].activation' <<<"$output")" = gelu ]
}

@test "inspect --json: non-uniform trained grids are reported as such" {
	run kanx inspect --json "$FIX/keras-3.16/kan_e.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | [.grid_size, .spline_order, .activation, .uniform]]' <<<"$output")" = \
	  '[[4,2,"silu",false],[5,3,"relu",false]]' ]
}

@test "inspect: uniform is yes only for grids on the lattice the closed form assumes; near and no grids run on their knots" {
	N=$FIX/keras-3.16-numeric
	# text: the column before params, one word per KAN layer
	run kanx inspect "$N/mixed_gk.keras"
	[ "$status" -eq 0 ]
	[ "$(awk '$2 ~ /^kan_linear/ { printf "%s ", $(NF-1) }' <<<"$output")" = "yes yes near yes " ]
	run kanx inspect "$N/near_uniform_k3.keras"
	[ "$(awk '$2 ~ /^kan_linear/ { printf "%s ", $(NF-1) }' <<<"$output")" = "near near " ]
	run kanx inspect "$FIX/keras-3.16/kan_e.keras"
	[ "$(awk '$2 ~ /^kan_/ { printf "%s ", $(NF-1) }' <<<"$output")" = "no no " ]
	# JSON: uniform and how far the knots are from the lattice, in units of h
	run kanx inspect --json "$FIX/models/quickstart.keras"
	[ "$(jq -c '[.layers[] | [.uniform, .knot_deviation]]' <<<"$output")" = '[[true,2.24e-07],[true,2.24e-07],[true,2.24e-07]]' ]
	run kanx inspect --json "$N/nudged.keras"
	[ "$(jq -c '[.layers[] | [.uniform, .knot_deviation]]' <<<"$output")" = '[[false,0.0001],[false,0.0001]]' ]
	run kanx inspect --json "$N/g256_k1.keras"
	[ "$(jq -c '[.layers[] | [.uniform, .knot_deviation]]' <<<"$output")" = '[[true,0],[true,0]]' ]
	run kanx inspect --json "$N/g1000.keras"
	[ "$(jq -c '[.layers[] | .uniform]' <<<"$output")" = '[false,false]' ]
	run kanx inspect --json "$FIX/keras-3.16/dense_f.keras"
	[ "$(jq -c '[.layers[] | [.uniform, .knot_deviation]] | unique' <<<"$output")" = '[[null,null]]' ]
}

@test "inspect --json: per-layer dict specs fall back to the model-wide values" {
	run kanx inspect --json "$FIX/keras-3.16/kan_dictspec.keras"
	[ "$status" -eq 0 ]
	# layer 0 gives grid_size 4 (order falls back to 3); layer 1 gives order 2 (grid falls back to 5)
	[ "$(jq -c '[.layers[] | [.name, .grid_size, .spline_order]]' <<<"$output")" = \
	  '[["kan_linear",4,3],["kan_linear_1",5,2]]' ]
	[ "$(jq .params <<<"$output")" -eq $(( $(kan_params 2 3 4 3) + $(kan_params 3 1 5 2) )) ]
}

@test "inspect --json: Functional and mixed Dense models, Dense parameters with bias" {
	run kanx inspect --json "$FIX/keras-3.3/functional_i.keras"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.layers[] | [.class, .in, .out]]' <<<"$output")" = \
	  '[["KANLinear",2,5],["Dense",5,4],["KANLinear",4,1]]' ]
	[ "$(jq '.layers[1].params' <<<"$output")" -eq $((5 * 4 + 4)) ]
	[ "$(jq -c '.layers[2].grid_range' <<<"$output")" = '[-0.5,4]' ]
	run kanx inspect --json "$FIX/keras-3.16/dense_f.keras"
	[ "$(jq -c '[.layers[] | .activation]' <<<"$output")" = '["relu","sigmoid","linear","softmax"]' ]
}

@test "inspect: optimizer state and compile config are reported, not loaded" {
	for v in keras-3.8 keras-3.16; do
		run kanx inspect --json "$FIX/$v/compiled_h.keras"
		[ "$status" -eq 0 ]
		[ "$(jq -c '[.compiled, .optimizer]' <<<"$output")" = '[true,true]' ]
	done
	run kanx inspect --json "$FIX/keras-3.16/kan_a.keras"
	[ "$(jq -c '[.compiled, .optimizer]' <<<"$output")" = '[false,false]' ]
}

@test "inspect: size and SHA-256 match the file; Keras version and save date shown" {
	f="$FIX/keras-3.3/kan_a.keras"
	run kanx inspect --json "$f"
	[ "$(jq -r .sha256 <<<"$output")" = "$(sha256sum "$f" | cut -d' ' -f1)" ]
	[ "$(jq .size <<<"$output")" -eq "$(stat -c %s "$f")" ]
	[ "$(jq -r .keras_version <<<"$output")" = 3.3.3 ]
	[[ "$(jq -r .date_saved <<<"$output")" == 20*@* ]]
	run kanx inspect "$f"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sha256      $(sha256sum "$f" | cut -d' ' -f1)"* ]]
	[[ "$output" == *"keras       3.3.3, saved 20"* ]]
	[[ "$output" == *"trainable parameters: $(( $(kan_params 2 8 5 3) + $(kan_params 8 1 5 3) ))"* ]]
}

@test "inspect reads a model from stdin with '-'" {
	run bash -c "'$KANX' inspect --json - < '$FIX/models/quickstart.keras'"
	[ "$status" -eq 0 ]
	[ "$(jq -r .file <<<"$output")" = "<stdin>" ]
	[ "$(jq -c '[.layers[] | [.in, .out]]' <<<"$output")" = '[[2,64],[64,64],[64,1]]' ]
}

@test "inspect uses KANX_CHECKPOINT when no model is named" {
	KANX_CHECKPOINT="$FIX/models/quickstart.keras" run kanx inspect --json
	[ "$status" -eq 0 ]
	[ "$(jq .in <<<"$output")" -eq 2 ]
	KANX_CHECKPOINT= run kanx inspect
	[ "$status" -eq 2 ]
	[[ "$output" == *"no model given"* ]]
}

@test "inspect: a missing file is exit 3, a non-zip is exit 4, the rest are still described" {
	run kanx inspect /nonexistent/model.keras
	[ "$status" -eq 3 ]
	[[ "$output" == *"/nonexistent/model.keras"* ]]
	run kanx inspect "$FIX/README.md"
	[ "$status" -eq 4 ]
	[[ "$output" == *"not a .keras (zip) archive"* ]]
	run kanx inspect --json /nonexistent.keras "$FIX/keras-3.16/kan_a.keras"
	[ "$status" -eq 3 ]
	[[ "$output" == *'"class":"KAN"'* ]]
}

@test "inspect --edges writes every edge function of a layer as CSV" {
	run kanx inspect --edges 1 --samples 7 "$FIX/keras-3.16/kan_c.keras"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "layer,in,out,x,phi" ]
	# layer 1 of KAN([3,5,2]) has 5*2 edges, 7 samples each
	[ "${#lines[@]}" -eq $((1 + 5 * 2 * 7)) ]
	# x spans the grid [-2, 3] plus a 10% margin: first sample -2.5, last 3.5
	[[ "${lines[1]}" == "1,0,0,-2.5,"* ]]
	[[ "${lines[7]}" == "1,0,0,3.5,"* ]]
	run bash -c "'$KANX' inspect --edges 1 '$FIX/keras-3.16/kan_c.keras' | awk -F, 'NR > 1 && \$5 !~ /^-?[0-9.]+(e[-+][0-9]+)?\$/ { bad++ } END { exit bad }'"
	[ "$status" -eq 0 ]
}

@test "inspect --edges on a Dense layer or past the last layer is a usage error" {
	run kanx inspect --edges 1 "$FIX/keras-3.16/functional_i.keras"
	[ "$status" -eq 2 ]
	[[ "$output" == *"layer 1 ('dense_mid') is a Dense layer, not a KAN layer"* ]]
	run kanx inspect --edges 9 "$FIX/keras-3.16/functional_i.keras"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no layer 9"* ]]
}

@test "inspect --plot draws one panel per edge with its knots, as SVG that renders" {
	svg="$BATS_TEST_TMPDIR/edges.svg"
	run kanx inspect --plot "$svg" --edges 0 "$FIX/keras-3.16/kan_e.keras"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# KANLinear(3, 4, G=4): 12 panels, G+1 = 5 knots marked in each
	[ "$(grep -c 'class="panel"' "$svg")" -eq 12 ]
	[ "$(grep -c 'class="knot"' "$svg")" -eq $((12 * 5)) ]
	if command -v rsvg-convert >/dev/null; then
		rsvg-convert "$svg" -o "$BATS_TEST_TMPDIR/edges.png"
		[ -s "$BATS_TEST_TMPDIR/edges.png" ]
	elif [ -n "${CI:-}" ]; then
		echo "rsvg-convert missing on CI"; false
	fi
}
