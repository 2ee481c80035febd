#!/usr/bin/env bats
# kanx inspect of a model it cannot run (layers of classes it does not
# know: described, marked, refused with validate's message, exit 4), and
# parameter counts as Keras counts them: trainable, non-trainable and
# total, per layer and for the model, frozen layers and models included.
# Ground truth: tests/fixtures/describe/keras-*/manifest.json, Keras's own
# counts of each model as it reloads it from the file
# (make_describe_fixtures.py).
load helpers
bats_require_minimum_version 1.5.0

D="$FIX/describe"

fixtures() { jq -r --arg re "$2" '.fixtures[] | select(.name | test($re)) | .name' "$D/keras-$1/manifest.json"; }

# The layers of inspect --json of fixture $2 of Keras $1 against the
# manifest's, one per line when they differ (kanx's layers are Keras's,
# depth first, in the same order): class, name (a kanx>KAN's layers are
# named by Keras anew on each load: not compared), trainable, and the
# counts: a supported layer's three as Keras's; a layer kanx cannot run
# its total, its split only when it is frozen (all non-trainable), else
# null.
compare_layers() {
	local v=$1 n=$2
	kanx inspect --json "$D/keras-$v/$n.keras" 2>/dev/null |
		jq -r --slurpfile man "$D/keras-$v/manifest.json" --arg n "$n" --arg v "$v" '
			($man[0].fixtures[] | select(.name == $n) | .layers) as $want
			| if (.layers | length) != ($want | length) then
				"\($v) \($n): \(.layers | length) layers, Keras \($want | length)"
			  else
				[.layers, $want] | transpose[] | . as [$g, $w]
				| (if $g.supported then [$w.trainable_params, $w.non_trainable_params, $w.params]
				   elif $w.trainable then [null, null, $w.params]
				   else [0, $w.params, $w.params] end) as $counts
				| select($g.class != $w.class or ($w.in_kan | not) and $g.name != $w.name
				         or $g.trainable != $w.trainable
				         or [$g.params, $g.non_trainable_params, $g.total_params] != $counts)
				| "\($v) \($n) \($w.name): kanx \([$g.class, $g.name, $g.trainable, $g.params, $g.non_trainable_params, $g.total_params])" +
				  ", Keras \([$w.class, $w.name, $w.trainable] + $counts)"
			  end'
}

# The model's counts against Keras's: the total in full; trainable and
# non-trainable without the layers kanx cannot split (their Keras counts
# taken off).
compare_model() {
	local v=$1 n=$2
	kanx inspect --json "$D/keras-$v/$n.keras" 2>/dev/null |
		jq -r --slurpfile man "$D/keras-$v/manifest.json" --arg n "$n" --arg v "$v" '
			($man[0].fixtures[] | select(.name == $n)) as $f
			| [.layers[] | select(.supported | not) | .name] as $unsup
			| [$f.layers[] | select(.trainable and (.name | IN($unsup[])))] as $unsplit
			| [$f.params.trainable - ([$unsplit[].trainable_params] | add // 0),
			   $f.params.non_trainable - ([$unsplit[].non_trainable_params] | add // 0),
			   $f.params.total] as $want
			| select([.params, .non_trainable_params, .total_params] != $want)
			| "\($v) \($n): kanx \([.params, .non_trainable_params, .total_params]), Keras \($want)"'
}

@test "describe: the fixtures were written by Keras 3.3, 3.8 and 3.16: five with unsupported layers, six frozen" {
	local v
	for v in 3.3 3.8 3.16; do
		[ "$(jq -r .keras_version "$D/keras-$v/manifest.json")" = "$v$([ $v = 3.3 ] && echo .3 || echo .0)" ]
		[ "$(fixtures $v '^unsup_' | wc -l)" -eq 5 ]
		[ "$(fixtures $v '^frozen_' | wc -l)" -eq 6 ]
		[ "$(jq '[.fixtures[] | select(.checks_ok | not)] | length' "$D/keras-$v/manifest.json")" -eq 0 ]
	done
}

@test "describe: inspect of a model with unsupported layers describes every layer, marks them, exits 4 with validate's message" {
	local v n f msg
	for v in 3.3 3.8 3.16; do
		for n in $(fixtures $v '^unsup_'); do
			f="$D/keras-$v/$n.keras"
			# validate's errors, one a line, are the refusal everywhere
			msg=$(kanx validate -m "$f" 2>&1 | grep -v '^kanx: validate: ' | sed 's/^kanx: //' |
				awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
			[[ "$msg" == *"unsupported layer class"* ]]
			run --separate-stderr kanx inspect --json "$f"
			[ "$status" -eq 4 ]
			[ "$stderr" = "kanx: $msg" ]
			[ "$(jq -c '[.supported, (.unsupported | length)]' <<<"$output")" = \
			  "[false,$(jq --arg n "$n" '[.fixtures[] | select(.name == $n) | .layers[]
			     | select(.class | test("^(EinsumDense|GroupNormalization)$"))] | length' "$D/keras-$v/manifest.json")]" ]
			run --separate-stderr kanx inspect "$f"
			[ "$status" -eq 4 ]
			[ "$stderr" = "kanx: $msg" ]
			[[ "$output" == *"unsupported: kanx does not run class '"* ]]
			[[ "$output" == *"kanx cannot run this model"* ]]
			# predict, serve-stdin refuse it as before, with the same words
			run --separate-stderr kanx predict -m "$f" "$D/keras-$v/${n}_input.csv"
			[ "$status" -eq 4 ]
			[ "$stderr" = "kanx: $msg" ]
			[ -z "$output" ]
		done
	done
}

@test "describe: each layer's class, name and counts are Keras's (unsupported: the total the file holds)" {
	local v n out bad=
	for v in 3.3 3.8 3.16; do
		for n in $(fixtures $v .); do
			out=$(compare_layers $v "$n")
			[ -z "$out" ] || bad="$bad$out"$'\n'
		done
	done
	echo "$bad"
	[ -z "$bad" ]
}

@test "describe: the model's trainable, non-trainable and total parameters are Keras's" {
	local v n out bad=
	for v in 3.3 3.8 3.16; do
		for n in $(fixtures $v .); do
			out=$(compare_model $v "$n")
			[ -z "$out" ] || bad="$bad$out"$'\n'
		done
	done
	echo "$bad"
	[ -z "$bad" ]
	# the text says the same
	run kanx inspect "$D/keras-3.16/frozen_layers.keras"
	[ "$status" -eq 0 ]
	want=$(jq -r '.fixtures[] | select(.name == "frozen_layers") | .params |
		"  trainable parameters: \(.trainable)\n  non-trainable parameters: \(.non_trainable)\n  total parameters: \(.total)"' \
		"$D/keras-3.16/manifest.json")
	[[ "$output" == *"$want"* ]]
}

@test "describe: widths of layers after an unsupported one come from the configs; an unknown one is null" {
	local v
	for v in 3.3 3.8 3.16; do
		run kanx inspect --json "$D/keras-$v/unsup_seq.keras"
		[ "$status" -eq 4 ]
		[ "$(jq -c '[.in, .out, [.layers[] | [.name, .supported, .in, .out]]]' <<<"$output")" = \
		  '[3,2,[["pre",true,3,4],["einsum",false,4,5],["kan",true,5,2]]]' ]
		# the last layer of the model is unsupported: Keras records no output width
		run kanx inspect --json "$D/keras-$v/unsup_two.keras"
		[ "$status" -eq 4 ]
		[ "$(jq -c '[.in, .out, .outputs[0].width, [.layers[] | [.name, .supported, .in, .out]]]' <<<"$output")" = \
		  '[3,null,null,[["einsum_a",false,3,4],["kan",true,4,4],["groupnorm_last",false,4,null]]]' ]
		run kanx inspect "$D/keras-$v/unsup_two.keras"
		[[ "$output" == *"  output      width ?"* ]]
		[ "$(awk '$2 == "groupnorm_last" { print $4, $5 }' <<<"$output")" = "4 ?" ]
		# in a branch of a graph, read by a merge layer
		run kanx inspect --json "$D/keras-$v/unsup_dag.keras"
		[ "$(jq -c '[.layers[] | [.name, .in, .out, .inputs]]' <<<"$output")" = \
		  '[["a",3,4,["input"]],["b_einsum",3,4,["input"]],["add",4,4,["a","b_einsum"]],["c",3,4,["input"]],["cat",8,8,["add","c"]],["out",8,2,["cat"]]]' ]
		# two models deep
		run kanx inspect --json "$D/keras-$v/unsup_nested.keras"
		[ "$(jq -c '[.layers[] | [.name, .in, .out]]' <<<"$output")" = \
		  '[["pre",3,4],["inner_dense",4,4],["groupnorm",4,4],["deep_kan",4,4],["head",4,2]]' ]
	done
}

@test "describe: frozen layers and models run as Keras computes them" {
	local v n k msg bad=0
	for v in 3.3 3.8 3.16; do
		for n in $(fixtures $v '^frozen_'); do
			for k in $(kernels); do
				if ! KANX_KERNEL=$k kanx predict -m "$D/keras-$v/$n.keras" "$D/keras-$v/${n}_input.csv" \
					>"$BATS_TEST_TMPDIR/got.csv"; then
					echo "$v $n $k: refused"; bad=$((bad + 1))
				elif ! msg=$(csv_close "$BATS_TEST_TMPDIR/got.csv" "$D/keras-$v/${n}_expected.csv"); then
					echo "$v $n $k: $msg"; bad=$((bad + 1))
				fi
			done
		done
	done
	[ "$bad" -eq 0 ]
}

@test "describe: trainable=False as Keras reloads it: a layer's, the top Functional model's, not a nested model's" {
	# Keras's Sequential.from_config ignores a Sequential's trainable, and
	# Functional.from_config sets the model's before it tracks its layers:
	# a nested model's flag does not reach its layers (a kanx>KAN's config
	# has none of its own); the model at the top, frozen, trains nothing
	local v
	for v in 3.3 3.8 3.16; do
		[ "$(jq -c '.fixtures[] | select(.name == "frozen_kan_wrapped") | [.params_built.trainable > 0, .params.trainable > .params_built.trainable]' \
			"$D/keras-$v/manifest.json")" = '[true,true]' ]
		run kanx inspect --json "$D/keras-$v/frozen_kan_wrapped.keras"
		[ "$(jq -c '[.layers[] | .trainable]' <<<"$output")" = '[true,true,true]' ]
		run kanx inspect --json "$D/keras-$v/frozen_func_kan.keras"
		[ "$(jq -c '[.layers[] | .trainable]' <<<"$output")" = '[true,true,true,false]' ]
		run kanx inspect --json "$D/keras-$v/frozen_top_func.keras"
		[ "$(jq -c '[.params, [.layers[] | .trainable]]' <<<"$output")" = '[0,[false,false,false]]' ]
		[ "$(jq '.fixtures[] | select(.name == "frozen_top_func") | .params.trainable' "$D/keras-$v/manifest.json")" -eq 0 ]
	done
}

@test "describe: a corrupt file with an unsupported layer is refused as before, nothing described" {
	local t="$BATS_TEST_TMPDIR" f="$D/keras-3.16/unsup_seq.keras" msg
	msg="kanx: $t/bad.keras:config.json: layer 'einsum': unsupported layer class 'EinsumDense'"
	# the weights file replaced by garbage
	mkdir "$t/x" && (cd "$t/x" && unzip -q "$f" && printf 'not hdf5' >model.weights.h5 &&
		zip -q "$t/bad.keras" config.json metadata.json model.weights.h5)
	run --separate-stderr kanx inspect "$t/bad.keras"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[ "$stderr" = "$msg" ]
	# another layer's config is bad too: both errors, as validate gives them
	(cd "$t/x" && unzip -qo "$f" config.json &&
		jq -c '.config.layers[3].config.out_features = 0' config.json >c && mv c config.json &&
		rm -f "$t/bad.keras" && zip -q "$t/bad.keras" config.json metadata.json model.weights.h5)
	run --separate-stderr kanx inspect --json "$t/bad.keras"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[[ "$stderr" == "$msg; $t/bad.keras:config.json: layer 'kan': in_features and out_features must be"* ]]
	# the weights of a supported layer do not fit its config
	(cd "$t/x" && unzip -qo "$f" && jq -c '.config.layers[1].config.units = 5' config.json >c &&
		mv c config.json && rm -f "$t/bad.keras" && zip -q "$t/bad.keras" config.json metadata.json model.weights.h5)
	run --separate-stderr kanx inspect "$t/bad.keras"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[ "$stderr" = "$msg" ]
}

@test "describe: --edges and --plot evaluate nothing of a model kanx cannot run" {
	run --separate-stderr kanx inspect --edges 2 "$D/keras-3.16/unsup_seq.keras"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unsupported layer class 'EinsumDense'" ]]
	run --separate-stderr kanx inspect --plot -o "$BATS_TEST_TMPDIR/net.svg" "$D/keras-3.16/unsup_seq.keras"
	[ "$status" -eq 4 ]
	[ ! -e "$BATS_TEST_TMPDIR/net.svg" ]
}

@test "describe: valgrind-clean inspect of the fixtures" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	if [ -n "${ASAN_OPTIONS:-}" ] || nm "$KANX" 2>/dev/null | grep -q __asan_init; then
		skip "valgrind and ASan do not mix"
	fi
	run valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"$KANX" inspect "$D"/keras-*/*.keras
	[ "$status" -eq 4 ]
	if printf '%s\n' "$output" | grep '^==[0-9]*=='; then
		false
	fi
	run valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"$KANX" inspect --json "$D"/keras-3.16/unsup_*.keras
	[ "$status" -eq 4 ]
	if printf '%s\n' "$output" | grep '^==[0-9]*=='; then
		false
	fi
}

@test "describe: names from the file reach the text without their control characters" {
	local f="$KANX_SRCDIR/tests/hostile/cases/cfg-escape-name.keras"
	run --separate-stderr kanx inspect "$f"
	[ "$status" -eq 4 ]
	[[ "$output" == *"?]0;pwned??kanx: all good Conv2D"* ]]
	! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$output"
	[ "$(grep -c '^kanx: all good' <<<"$output")" -eq 0 ]
	# JSON keeps the name as it is, escaped
	run --separate-stderr kanx inspect --json "$f"
	[ "$(jq -r '.layers[2].name' <<<"$output")" = $'\e]0;pwned\a\nkanx: all good' ]
}
