#!/usr/bin/env bats
# kanx validate: is this checkpoint sound, and would the API accept this
# batch for it? (Config-only checks are in yamlcfg.bats.)
load helpers
bats_require_minimum_version 1.5.0

CFG="$KANX_SRCDIR/tests/configs"
BRK="$KANX_SRCDIR/tests/broken"
KA="$FIX/keras-3.16/kan_a.keras"

doc() { printf '%s' "$2" > "$BATS_TEST_TMPDIR/$1"; }

@test "every fixture checkpoint is sound (exit 0, no errors)" {
	for f in "$FIX"/*/*.keras; do
		run kanx validate -m "$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; false; }
		[[ "${lines[-1]}" == "kanx: validate: sound: 0 errors, "* ]]
	done
}

@test "a trained, non-uniform grid (kan_e) is sound: moved grid ends are only warnings" {
	run kanx validate -m "$FIX/keras-3.16/kan_e.keras"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kanx: warning: $FIX/keras-3.16/kan_e.keras:model.weights.h5: layers/kan_linear: layer 'kan_in': 3 of 3 features have grid ends other than the configured grid_range [-1, 1] (feature 0: [-1.2, 1.3]); the grid is non-uniform, as after update_grid_from_samples" ]
	[ "${lines[-1]}" = "kanx: validate: sound: 0 errors, 2 warnings" ]
}

@test "NaN and infinite weights: every tensor named, with the first bad index" {
	run kanx validate -m "$BRK/nan_weights.keras"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BRK/nan_weights.keras:model.weights.h5: layers/kan_linear/vars/0 (base_weight): 1 of 16 values are NaN or infinite (the first at [0, 3]: nan)" ]
	[ "${lines[1]}" = "kanx: $BRK/nan_weights.keras:model.weights.h5: layers/kan_linear_1/vars/1 (spline_weight): 1 of 64 values are NaN or infinite (the first at [5, 0, 2]: inf)" ]
	[ "${lines[2]}" = "kanx: validate: problems found: 2 errors, 0 warnings" ]
}

@test "a decreasing grid names the layer, feature and knots" {
	run kanx validate -m "$BRK/decreasing_grid.keras"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BRK/decreasing_grid.keras:model.weights.h5: layers/kan_linear/vars/2 (grid): feature 1: knots decrease (grid[1][2] = 0.2 > grid[1][3] = -0.2)" ]
}

@test "a zero-span grid names the layer and feature" {
	run kanx validate -m "$BRK/zero_span_grid.keras"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BRK/zero_span_grid.keras:model.weights.h5: layers/kan_linear_1/vars/2 (grid): feature 2: the grid has zero span (every knot is 0.5)" ]
	[ "${lines[1]}" = "kanx: validate: problems found: 1 error, 0 warnings" ]
}

@test "all problems of one checkpoint are reported, not only the first" {
	run kanx validate -m "$BRK/many_problems.keras"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "kanx: validate: problems found: 4 errors, 0 warnings" ]
	[[ "$output" == *"vars/0 (base_weight): 1 of 16 values are NaN"* ]]
	[[ "$output" == *"vars/2 (grid): feature 1: knots decrease"* ]]
	[[ "$output" == *"vars/1 (spline_weight): 1 of 64 values are NaN or infinite"* ]]
	[[ "$output" == *"kan_linear_1/vars/2 (grid): feature 2: the grid has zero span"* ]]
}

@test "what the loader refuses is reported with its message, one line per layer" {
	run kanx validate -m "$BRK/gk_mismatch.keras"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BRK/gk_mismatch.keras:model.weights.h5: layers/kan_linear: weights give grid_size 5 and spline_order 3, but the config says 6 and 3" ]
	[ "${lines[1]}" = "kanx: $BRK/gk_mismatch.keras:model.weights.h5: layers/kan_linear_1: weights give grid_size 5 and spline_order 3, but the config says 6 and 3" ]
	run kanx validate -m "$BRK/missing_tensor.keras"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "kanx: $BRK/missing_tensor.keras:model.weights.h5: layers/kan_linear_1: "* ]]
	run kanx validate -m "$BRK/not_a_zip.keras"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "kanx: $BRK/not_a_zip.keras: not a .keras (zip) archive"* ]]
}

@test "a missing model exits 3 (404 class) with the API's message" {
	run kanx validate -m "$BATS_TEST_TMPDIR/none.keras"
	[ "$status" -eq 3 ]
	[ "$output" = "kanx: Checkpoint not found: $BATS_TEST_TMPDIR/none.keras" ]
}

@test "checkpoint and matching config: sound" {
	for c in kan_a kan_b kan_c kan_d; do
		for v in keras-3.3 keras-3.8 keras-3.16; do
			run kanx validate -m "$FIX/$v/$c.keras" --config "$CFG/$c.yaml"
			[ "$status" -eq 0 ] || { echo "$v/$c: $output"; false; }
			[ "$output" = "kanx: validate: sound: 0 errors, 0 warnings" ]
		done
	done
	run kanx validate -m "$FIX/models/quickstart.keras" --config "$CFG/quickstart.yaml"
	[ "$status" -eq 0 ]
}

@test "checkpoint against another config: widths, G, k, activation and grid range, at the config's lines" {
	run kanx validate -m "$FIX/keras-3.16/kan_b.keras" --config "$CFG/kan_a.yaml"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $CFG/kan_a.yaml:3:11: model.layers is [2, 8, 1] but the checkpoint's widths are [4, 16, 16, 3]" ]
	[ "${lines[1]}" = "kanx: $CFG/kan_a.yaml:4:14: model.grid_size is 5 but layer 'kan_linear' has grid_size 8 (from its weights)" ]
	run kanx validate -m "$FIX/keras-3.16/kan_c.keras" --config "$CFG/kan_d.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"model.spline_order is 3 (the default) but layer 'kan_linear' has spline_order 1 (from its weights)"* ]]
	[[ "$output" == *"model.base_activation is 'tanh' but layer 'kan_linear' uses 'silu'"* ]]
	[[ "$output" == *"kanx: $CFG/kan_d.yaml:2:1: model.grid_size is 5 (the default) but layer 'kan_linear' has grid_size 3"* ]]
	[[ "$output" == *"model.grid_range is [-1, 1] (the default) but layer 'kan_linear' has 3 of 3 features with other grid ends (feature 0: [-2, 3])"* ]]
}

@test "grid ends vs grid_range: uniform over other ends is an error, a trained grid a warning" {
	run kanx validate -m "$BRK/wide_grid.keras" --config "$CFG/kan_a.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kanx: $CFG/kan_a.yaml:7:15: model.grid_range is [-1, 1] but layer 'kan_linear' has 2 of 2 features with other grid ends (feature 0: [-2, 2])"* ]]
	printf 'model:\n  layers: [3, 4, 2]\n  grid_size: 4\n  spline_order: 2\n' > "$BATS_TEST_TMPDIR/e.yaml"
	run kanx validate -m "$FIX/keras-3.16/kan_e.keras" --config "$BATS_TEST_TMPDIR/e.yaml"
	# layer 2 has G=5, k=3 and relu: errors; the trained grids only warn
	[[ "$output" == *"kanx: warning: $BATS_TEST_TMPDIR/e.yaml:1:1: model.grid_range is [-1, 1] (the default) but layer 'kan_in' has 3 of 3 features with other grid ends"*"non-uniform"* ]]
	[[ "$output" == *"model.grid_size is 4 but layer 'kan_out' has grid_size 5"* ]]
}

@test "a Dense layer does not match a config that builds a KAN" {
	printf 'model:\n  layers: [6, 16, 8, 4]\n' > "$BATS_TEST_TMPDIR/d.yaml"
	run kanx validate -m "$FIX/keras-3.16/dense_f.keras" --config "$BATS_TEST_TMPDIR/d.yaml"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"the config builds a KAN of KANLinear layers, but the checkpoint has layer 'dense' (Dense)" ]]
}

@test "request document: sound for the model" {
	doc ok.json '{"x": [[0.1, 0.2], [0.3, 0.4]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/ok.json"
	[ "$status" -eq 0 ]
	[ "$output" = "kanx: validate: sound: 0 errors, 0 warnings" ]
	doc one.json '{"x": [0.5, -0.5]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/one.json"
	[ "$status" -eq 0 ]
}

@test "request document: 400 Expected N features per sample, got M" {
	doc f.json '{"x": [[1, 2, 3]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/f.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/f.json:1:8: x[0]: Expected 2 features per sample, got 3 (the API answers 400)" ]
	# without a model, the config's first width is the expected count
	run kanx validate --config "$CFG/kan_b.yaml" "$BATS_TEST_TMPDIR/f.json"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/f.json:1:8: x[0]: Expected 4 features per sample, got 3 (the API answers 400)" ]
}

@test "request document: 400 x must be 1-D or 2-D; got shape [..]" {
	doc r3.json '{"x": [[[1, 2]]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/r3.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/r3.json:1:7: x must be 1-D or 2-D; got shape [1, 1, 2] (the API answers 400)" ]
	doc r0.json '{"x": 7}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/r0.json"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/r0.json:1:7: x must be 1-D or 2-D; got shape [] (the API answers 400)" ]
	doc rg.json '{"x": [[1, 2],
 [3]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/rg.json"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/rg.json:2:2: x[1]: Expected 2 features per sample, got 1 (the API answers 400)" ]
}

@test "request document: 413 over the max batch (--max-batch, KANX_MAX_BATCH)" {
	doc b.json '{"x": [[0, 0], [0, 0], [0, 0]]}'
	run kanx validate -m "$KA" --max-batch 2 "$BATS_TEST_TMPDIR/b.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/b.json:1:7: batch of 3 rows exceeds the max batch of 2 (the API answers 413)" ]
	KANX_MAX_BATCH=3 run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/b.json"
	[ "$status" -eq 0 ]
	KANX_MAX_BATCH=1 run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/b.json"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"batch of 3 rows exceeds the max batch of 1 (the API answers 413)" ]]
}

@test "request document: 422 for a body that does not parse, with line and column" {
	doc t.json '{"x": [1, 2'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/t.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/t.json:1:1: unexpected end of input in the JSON document that starts here (the API answers 422)" ]
	doc n.json '{"x": [[0.1, 0.2],
  [0.3, "a"]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/n.json"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/n.json:2:9: x[1][1]: expected a number, got a string (the API answers 422)" ]
	doc nox.json '{"y": [1, 2]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/nox.json"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/nox.json:1:1: missing \"x\" (the API answers 422)" ]
	doc nan.json '{"x": [NaN, 1]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/nan.json"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/nan.json:1:8: x[0]: expected a plain decimal number, got \"NaN\" (the API answers 422)" ]
}

@test "request document: values beyond float32 are not finite (400)" {
	doc big.json '{"x": [[1e39, 0]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/big.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/big.json:1:9: x[0][0]: \"1e39\" is out of the float32 range (the API answers 400)" ]
}

@test "request document: inputs outside the grid are a warning with counts" {
	doc o.json '{"x": [[5, 0.2], [-3, 0.1], [0, 0], [0, 1.5]]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/o.json"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kanx: warning: $BATS_TEST_TMPDIR/o.json: x: 3 of 8 values are outside the grid of layer 'kan_linear' (1 below, 2 above) in 2 of 2 features, e.g. feature 0 outside [-1, 1]; the splines extrapolate there" ]
}

@test "several inputs: each one checked, problems from all of them" {
	doc a.json '{"x": [[1, 2, 3]]}'
	doc b.json '{"x": [0.1, 0.2]}'
	doc c.json '[1, 2]'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json" "$BATS_TEST_TMPDIR/c.json"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"a.json:1:8: x[0]: Expected 2 features per sample, got 3"* ]]
	[[ "${lines[1]}" == *"c.json:1:1: expected an object {\"x\": ...}, got \"[1, 2]\" (the API answers 422)" ]]
	[ "${lines[2]}" = "kanx: validate: problems found: 2 errors, 0 warnings" ]
}

@test "an unreadable input is an I/O failure (exit 7) after the other checks" {
	doc ok.json '{"x": [0.1, 0.2]}'
	run kanx validate -m "$KA" "$BATS_TEST_TMPDIR/missing.json" "$BATS_TEST_TMPDIR/ok.json"
	[ "$status" -eq 7 ]
	[[ "$output" == *"kanx: $BATS_TEST_TMPDIR/missing.json: cannot open: No such file or directory"* ]]
}

@test "--json: one object with every problem, its severity, location, API status and message" {
	doc f.json '{"x": [[1, 2, 3]]}'
	run kanx validate --json -m "$BRK/nan_weights.keras" --config "$CFG/kan_a.yaml" "$BATS_TEST_TMPDIR/f.json"
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.sound, .errors, .checked.model, .checked.config]' <<<"$output")" = \
	  "[false,3,\"$BRK/nan_weights.keras\",\"$CFG/kan_a.yaml\"]" ]
	[ "$(jq -c '.problems[0] | [.severity, .member, .location, .line, .status]' <<<"$output")" = \
	  '["error","model.weights.h5","layers/kan_linear/vars/0 (base_weight)",null,null]' ]
	[ "$(jq -c '.problems[2] | [.line, .column, .status, .message]' <<<"$output")" = \
	  '[1,8,400,"x[0]: Expected 2 features per sample, got 3"]' ]
}

@test "KANX_CHECKPOINT names the model when -m is absent" {
	KANX_CHECKPOINT="$BRK/zero_span_grid.keras" run kanx validate
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"feature 2: the grid has zero span"* ]]
}

@test "usage errors exit 2: nothing to check, unknown option, bad --max-batch, stdin twice" {
	KANX_CHECKPOINT= KANX_CONFIG= run kanx validate
	[ "$status" -eq 2 ]
	[[ "$output" == *"nothing to check"* ]]
	run kanx validate --max-bacth 3 -m "$KA"
	[ "$status" -eq 2 ]
	[[ "$output" == *"did you mean '--max-batch'?"* ]]
	run kanx validate --max-batch 0 -m "$KA"
	[ "$status" -eq 2 ]
	run kanx validate -m - -
	[ "$status" -eq 2 ]
	[[ "$output" == *"'-' is given 2 times, but <stdin> can be read only once"* ]]
}

@test "a model on standard input" {
	run bash -c "'$KANX' validate -m - < '$BRK/decreasing_grid.keras'"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "kanx: <stdin>:model.weights.h5: layers/kan_linear/vars/2 (grid): feature 1: knots decrease"* ]]
	run bash -c "'$KANX' validate -m - < '$BRK/not_a_zip.keras'"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "kanx: <stdin>: not a .keras (zip) archive"* ]]
}

@test "the report (the summary line, or --json) goes to stdout; each problem is a diagnostic on stderr" {
	local in="$BATS_TEST_TMPDIR/in.csv"
	printf 'f0,f1\n0.1,0.2\n0.1,zz\n5,5\n' >"$in"
	run --separate-stderr kanx validate -m "$KA" "$in"
	[ "$status" -eq 1 ]
	[ "$output" = "kanx: validate: problems found: 1 error, 1 warning" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ "${stderr_lines[0]}" == "kanx: $in:3:5: field 2 (\"f1\"): expected a plain decimal number, got \"zz\" (the API answers 400)" ]]
	[[ "${stderr_lines[1]}" == "kanx: warning: $in: "*"outside the grid"* ]]
	# sound: the summary alone on stdout, nothing on stderr
	run --separate-stderr kanx validate -m "$KA"
	[ "$status" -eq 0 ]
	[ "$output" = "kanx: validate: sound: 0 errors, 0 warnings" ]
	[ -z "$stderr" ]
	# a broken checkpoint: its problems on stderr
	run --separate-stderr kanx validate -m "$BRK/nan_weights.keras"
	[ "$status" -eq 1 ]
	[ "$output" = "kanx: validate: problems found: 2 errors, 0 warnings" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ "${stderr_lines[0]}" == "kanx: $BRK/nan_weights.keras:model.weights.h5: "* ]]
	# --json: the whole report, problems included, on stdout; stderr empty
	run --separate-stderr kanx validate --json -m "$KA" "$in"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$(jq -c '[.errors, .warnings, (.problems | length)]' <<<"$output")" = '[1,1,2]' ]
	# a usage error is a diagnostic, not a report
	run --separate-stderr kanx validate
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"nothing to check"* ]]
}

@test "input rows without a width to check them against (no model, or one that fails to load): read as the first record sets the width" {
	local d="$BATS_TEST_TMPDIR" bad="$KANX_SRCDIR/tests/fixtures/layers/keras-3.16/graph_multi_input.keras"
	printf 'a,b,c\n1,2,3\n4,5,6\n' >"$d/h.csv"
	printf '1,2,3\n4,5,6\n7,8,9\n' >"$d/n.csv"
	printf '[1,2,3]\n[4,5,6]\n' >"$d/r.jsonl"
	printf '1\t2\t3\n4\t5\t6\n' >"$d/t.tsv"
	for f in h.csv n.csv r.jsonl t.tsv; do
		run --separate-stderr kanx validate "$d/$f"
		[ "$status" -eq 0 ]
		[ "$output" = "kanx: validate: sound: 0 errors, 0 warnings" ]
		# a model that is refused: its error, and the rows read all the same
		# (under ASan this read overflowed a batch of width 0)
		run --separate-stderr kanx validate -m "$bad" "$d/$f"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"the model has 2 inputs ('xa', 'xb')"* ]]
		[[ "$stderr" != *"Sanitizer"* ]]
	done
	# a later row of another width is a problem of that row
	printf 'a,b,c\n1,2,3\n4,5\n' >"$d/w.csv"
	run --separate-stderr kanx validate "$d/w.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"w.csv:3:"* ]]
}
