#!/usr/bin/env bats
# kanx inspect: what is in a checkpoint, as text and as JSON.
load helpers
bats_require_minimum_version 1.5.0

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
	# text: the column before params and non-train, one word per KAN layer
	run kanx inspect "$N/mixed_gk.keras"
	[ "$status" -eq 0 ]
	[ "$(awk '$2 ~ /^kan_linear/ { printf "%s ", $(NF-2) }' <<<"$output")" = "yes yes near yes " ]
	run kanx inspect "$N/near_uniform_k3.keras"
	[ "$(awk '$2 ~ /^kan_linear/ { printf "%s ", $(NF-2) }' <<<"$output")" = "near near " ]
	run kanx inspect "$FIX/keras-3.16/kan_e.keras"
	[ "$(awk '$2 ~ /^kan_/ { printf "%s ", $(NF-2) }' <<<"$output")" = "no no " ]
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

# The pictures: rendered with rsvg-convert where it is installed (CI
# installs it, .ci/packages).
have_rsvg() {
	command -v rsvg-convert >/dev/null && return 0
	[ -z "${CI:-}" ] || { echo "rsvg-convert missing on CI"; return 1; }
	skip "rsvg-convert is not installed (Debian: librsvg2-bin)"
}

# png_size FILE: "WIDTH HEIGHT" from the PNG's header.
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

# renders_within SVG MINH: rsvg-convert renders SVG to a PNG at least MINH
# and under 4,000 pixels tall, under 4,000 wide.
renders_within() {
	local w h
	rsvg-convert "$1" -o "${1%.svg}.png" || return 1
	read -r w h < <(png_size "${1%.svg}.png")
	echo "$1: $w x $h"
	[ "$h" -ge "$2" ] && [ "$h" -lt 4000 ] && [ "$w" -lt 4000 ]
}

# The panels of an edge picture in order, "IN OUT" a line.
panels() { grep -o 'class="panel" id="edge-[0-9]*-[0-9]*"' "$1" | sed 's/.*edge-\([0-9]*\)-\([0-9]*\)"/\1 \2/'; }

# edge_scores: from inspect --edges CSV sampled at 241 points (the grid
# plus a tenth on each side), each edge's mean |phi| over the 201 points of
# its grid (samples 20 to 220), "IN OUT SCORE" a line, most important first.
edge_scores() {
	awk -F, 'NR > 1 { k = $2 " " $3; s = n[k]++; if (s >= 20 && s <= 220) sum[k] += ($5 < 0 ? -$5 : $5) }
		END { for (k in sum) printf "%s %.9g\n", k, sum[k] / 201 }' | sort -k3,3gr -k1,1n -k2,2n
}

Q="$KANX_SRCDIR/share/quickstart.keras"

@test "inspect --plot --edges: quickstart layer 1 (64 x 64) renders with rsvg-convert under 4,000 px, with tick values and axis labels" {
	svg="$BATS_TEST_TMPDIR/e1.svg"
	run kanx inspect --plot --edges 1 -o "$svg" "$Q"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the default: the 24 most important of the 4096 edges, said in the picture
	[ "$(panels "$svg" | wc -l)" -eq 24 ]
	grep -q '24 of 4096 edges, most important first' "$svg"
	grep -q 'one scale per row of panels' "$svg"
	# tick values on both axes: the grid [-1, 1] plus a tenth each side
	for v in -1.0 -0.5 0.0 0.5 1.0; do
		grep -q "class=\"tick\"[^>]*>$v</text>" "$svg" || { echo "no x tick $v"; false; }
	done
	# y ticks on the first panel of each of the 4 rows, more than one each
	[ "$(grep -c 'class="tick"[^>]*text-anchor="end"' "$svg")" -ge 8 ]
	# G+1 knots marked in every panel
	[ "$(grep -c 'class="knot"' "$svg")" -eq $((24 * 6)) ]
	have_rsvg
	renders_within "$svg" 400
}

@test "inspect --plot: the whole network, one column of nodes per feature vector, renders" {
	svg="$BATS_TEST_TMPDIR/ov.svg"
	run kanx inspect --plot -o "$svg" "$Q"
	[ "$status" -eq 0 ]
	# KAN([2, 64, 64, 1]): 4 columns, 131 nodes, 3 layers labelled
	[ "$(grep -c 'class="column"' "$svg")" -eq 4 ]
	[ "$(grep -c 'class="node"' "$svg")" -eq 131 ]
	[ "$(grep -c 'class="layer-label"' "$svg")" -eq 3 ]
	grep -q '64 &#215; 64: 4,096 edges' "$svg"
	# the edges drawn, by layer: all of layers 0 and 2 (none is under 1% of
	# its layer's strongest), at most all of layer 1's
	for l in 0 1 2; do
		sed -n "/id=\"layer-$l\"/,/<\/g>/p" "$svg" | grep -c 'class="edge"'
	done >"$BATS_TEST_TMPDIR/n"
	[ "$(sed -n 1p "$BATS_TEST_TMPDIR/n")" -eq 128 ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/n")" -gt 2000 ] && [ "$(sed -n 2p "$BATS_TEST_TMPDIR/n")" -le 4096 ]
	[ "$(sed -n 3p "$BATS_TEST_TMPDIR/n")" -eq 64 ]
	# the same to standard output
	run kanx inspect --plot "$Q"
	[ "$output" = "$(cat "$svg")" ]
	have_rsvg
	renders_within "$svg" 300
}

@test "inspect --plot --edges: panels in order of importance, as computed from the values --edges prints" {
	svg="$BATS_TEST_TMPDIR/e.svg"
	for layer in 0 1 2; do
		kanx inspect --edges $layer --samples 241 "$Q" | edge_scores >"$BATS_TEST_TMPDIR/scores"
		kanx inspect --plot --edges $layer --top 30 -o "$svg" "$Q"
		n=$(wc -l <"$BATS_TEST_TMPDIR/scores")
		want=$((n < 30 ? n : 30))
		[ "$(panels "$svg" | wc -l)" -eq $want ]
		# the panels' edges, with the CSV's score of each, in the picture's order
		panels "$svg" | awk 'NR == FNR { s[$1 " " $2] = $3; next } { print $1, $2, s[$1 " " $2] }' \
			"$BATS_TEST_TMPDIR/scores" - >"$BATS_TEST_TMPDIR/got"
		# non-increasing, and none left out scores higher (up to float rounding)
		awk -v n="$want" 'NR == FNR { if (FNR > 1 && $3 > prev + 1e-6) { print "out of order at " FNR ": " $0; bad = 1 } prev = $3; last = $3; shown[$1 " " $2] = 1; next }
			!(($1 " " $2) in shown) && $3 > last + 1e-6 { print "left out: " $0 " above " last; bad = 1 }
			END { exit bad }' "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/scores"
		# the score each panel prints is that mean
		paste -d' ' "$BATS_TEST_TMPDIR/got" <(grep -o 'data-score="[^"]*"' "$svg" | sed 's/.*="\(.*\)"/\1/') |
			awk '{ d = $3 - $4; if (d < 0) d = -d; if (d > 1e-5 * (1 + $3)) { print "score " $0; bad = 1 } } END { exit bad }'
	done
}

@test "inspect --edges LAYER:IN:OUT and --top pick the same edges for the CSV and the picture" {
	svg="$BATS_TEST_TMPDIR/e.svg"
	# LAYER:IN: the edges out of one input, in output order
	run kanx inspect --edges 1:3 --samples 2 "$Q"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq $((1 + 64 * 2)) ]
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f2 | sort -u)" = 3 ]
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f3 | uniq | head -3 | tr '\n' ' ')" = "0 1 2 " ]
	kanx inspect --plot --edges 1:3 -o "$svg" "$Q"
	[ "$(panels "$svg" | wc -l)" -eq 24 ]
	[ "$(panels "$svg" | cut -d' ' -f1 | sort -u)" = 3 ]
	# LAYER::OUT: the edges into one output
	kanx inspect --plot --edges 1::5 --top 100 -o "$svg" "$Q"
	[ "$(panels "$svg" | wc -l)" -eq 64 ]
	[ "$(panels "$svg" | cut -d' ' -f2 | sort -u)" = 5 ]
	# LAYER:IN:OUT: one edge
	kanx inspect --plot --edges 2:7:0 -o "$svg" "$Q"
	[ "$(panels "$svg")" = "7 0" ]
	run kanx inspect --edges 2:7:0 --samples 5 "$Q"
	[ "${#lines[@]}" -eq 6 ]
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f1-3 | sort -u)" = "2,7,0" ]
	# --top N: the CSV holds the picture's first N edges, in its order
	kanx inspect --plot --edges 1 --top 5 -o "$svg" "$Q"
	[ "$(panels "$svg" | wc -l)" -eq 5 ]
	[ "$(kanx inspect --edges 1 --top 5 --samples 3 "$Q" | awk -F, 'NR > 1 && NR % 3 == 2 { print $2, $3 }')" = "$(panels "$svg")" ]
	# out of range, bad grammar, --top without --edges, too many panels: usage errors
	for a in "--edges 1:64" "--edges 1::64" "--edges 1:2:3:4" "--edges 1:" "--edges :1" "--top 3" \
	         "--plot --edges 1 --top 121" "--edges 1 --top 0"; do
		run kanx inspect $a "$Q"
		[ "$status" -eq 2 ] || { echo "$a: $status"; false; }
	done
	run kanx inspect --edges 1:64 "$Q"
	[[ "$output" == *"layer 1 has 64 inputs (0 to 63): no input 64"* ]]
}

@test "inspect --plot on quickstart layer 1's 4096 edges stays bounded whatever --top asks, and --plot FILE says how it is written now" {
	svg="$BATS_TEST_TMPDIR/e.svg"
	kanx inspect --plot --edges 1 --top 120 -o "$svg" "$Q"
	[ "$(panels "$svg" | wc -l)" -eq 120 ]
	[ "$(stat -c %s "$svg")" -lt 1000000 ]
	h=$(sed -n 's/^<svg [^>]* height="\([0-9]*\)".*/\1/p' "$svg")
	[ "$h" -lt 4000 ]
	if command -v rsvg-convert >/dev/null; then
		renders_within "$svg" 2000
	fi
	# the old form: a usage error that shows the new one
	run kanx inspect --edges 1 --plot "$BATS_TEST_TMPDIR/old.svg" "$Q"
	[ "$status" -eq 2 ]
	[[ "$output" == *"did you mean '--plot -o $BATS_TEST_TMPDIR/old.svg'?"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/old.svg" ]
	run kanx inspect --plot "$Q" "$Q"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--plot draws one model at a time"* ]]
}

@test "inspect -o FILE: the description, the JSON, the CSV and the pictures, the same as on standard output" {
	out="$BATS_TEST_TMPDIR/out"
	for a in "" "--json" "--edges 0 --samples 3" "--edges 1:2 --top 4" "--plot" "--plot --edges 2"; do
		run kanx inspect $a -o "$out" "$Q"
		[ "$status" -eq 0 ] && [ -z "$output" ]
		[ "$(kanx inspect $a "$Q")" = "$(cat "$out")" ] || { echo "differs: $a"; false; }
	done
	# several models into one file
	kanx inspect --json -o "$out" "$Q" "$FIX/keras-3.16/kan_c.keras"
	[ "$(wc -l <"$out")" -eq 2 ]
	# and nothing else left in the directory
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c kanx-)" -eq 0 ]
}

@test "inspect -o FILE is atomic: a failed run leaves FILE as it was, or absent" {
	out="$BATS_TEST_TMPDIR/out"
	for a in "--edges 9" "--edges 1 --top 999999 --plot" "--plot --edges 1:70"; do
		echo old >"$out"
		run kanx inspect $a -o "$out" "$Q"
		[ "$status" -eq 2 ] || { echo "$a: $status"; false; }
		[ "$(cat "$out")" = old ] || { echo "$a: replaced"; false; }
	done
	# a model missing among several: exit 3, the others described, FILE kept
	echo old >"$out"
	run --separate-stderr kanx inspect -o "$out" "$Q" "$BATS_TEST_TMPDIR/none.keras"
	[ "$status" -eq 3 ]
	[ "$(cat "$out")" = old ]
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/none.keras"* ]]
	# a model the gate refuses: exit 4, no picture
	run kanx inspect --plot -o "$out" "$KANX_SRCDIR/tests/broken/nan_weights.keras"
	[ "$status" -eq 4 ]
	[ "$(cat "$out")" = old ]
	rm "$out"
	run kanx inspect --plot -o "$out" "$BATS_TEST_TMPDIR/none.keras"
	[ "$status" -eq 3 ]
	[ ! -e "$out" ]
	# a directory cannot be replaced
	run kanx inspect -o "$BATS_TEST_TMPDIR" "$Q"
	[ "$status" -eq 7 ]
	[[ "$output" == *"is a directory"* ]]
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c kanx-)" -eq 0 ]
}

@test "inspect --plot --edges: one panel per edge of a small layer, its knots marked, as SVG that renders" {
	svg="$BATS_TEST_TMPDIR/edges.svg"
	run kanx inspect --plot --edges 0 -o "$svg" "$FIX/keras-3.16/kan_e.keras"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# KANLinear(3, 4, G=4): all 12 panels (fewer than --top's 24), G+1 = 5 knots marked in each
	[ "$(grep -c 'class="panel"' "$svg")" -eq 12 ]
	[ "$(grep -c 'class="knot"' "$svg")" -eq $((12 * 5)) ]
	have_rsvg
	rsvg-convert "$svg" -o "$BATS_TEST_TMPDIR/edges.png"
	[ -s "$BATS_TEST_TMPDIR/edges.png" ]
}

# Made with: kanx inspect --plot [--edges 1] -o docs/quickstart-{network,edges}.svg
# share/quickstart.keras, then rsvg-convert FILE.svg -o FILE.png.
@test "the pictures in docs/ and the README are what this build draws" {
	D="$KANX_SRCDIR/docs"
	kanx inspect --plot -o "$BATS_TEST_TMPDIR/network.svg" "$Q"
	kanx inspect --plot --edges 1 -o "$BATS_TEST_TMPDIR/edges.svg" "$Q"
	cmp "$BATS_TEST_TMPDIR/network.svg" "$D/quickstart-network.svg"
	cmp "$BATS_TEST_TMPDIR/edges.svg" "$D/quickstart-edges.svg"
	grep -q '](docs/quickstart-network.png)' "$KANX_SRCDIR/README.md"
	grep -q '](docs/quickstart-edges.png)' "$KANX_SRCDIR/README.md"
	have_rsvg
	for f in network edges; do
		rsvg-convert "$D/quickstart-$f.svg" -o "$BATS_TEST_TMPDIR/$f.png"
		[ "$(png_size "$BATS_TEST_TMPDIR/$f.png")" = "$(png_size "$D/quickstart-$f.png")" ]
	done
}

@test "inspect: the name and class columns are as wide as the longest, so every row's columns line up" {
	local m
	for m in "$FIX/layers/keras-3.16/batchnorm.keras" "$FIX/layers/keras-3.16/id_activity_regularization.keras" \
		"$FIX/models/quickstart.keras"; do
		# where the 5th field (out) ends, on the header and every layer row
		run bash -c 'set -o pipefail; "$1" inspect "$2" | grep -E "^    (#|[0-9]+) " |
			awk "{ p = 0; s = \$0; for (i = 1; i <= 5; i++) { match(s, /[^ ]+/); p += RSTART + RLENGTH - 1;
				s = substr(s, RSTART + RLENGTH) } print p }" | sort -u' _ "$KANX" "$m"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	kanx inspect "$FIX/layers/keras-3.16/batchnorm.keras" | grep -q ' BatchNormalization  '
}
