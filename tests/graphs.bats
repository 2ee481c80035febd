#!/usr/bin/env bats
# Nested models and Functional graphs (issue 13): every nest_*, graph_* and
# recipe fixture real Keras 3.3, 3.8 and 3.16 wrote runs on every kernel
# within |kanx - keras| <= 1e-4 (1 + |keras|); several outputs print side
# by side, named after the output layers; what the manifest marks
# must_refuse, and the hostile graphs of tests/graphs/cases (made by
# tests/graphs/gen.py), are refused alike by predict, validate and
# serve-stdin; inspect and validate agree with predict.
load helpers
bats_require_minimum_version 1.5.0

LAY="$FIX/layers"
G="$KANX_SRCDIR/tests/graphs"
RE='^(nest_|graph_|recipe_)'

setup() {
	T="$BATS_TEST_TMPDIR"
}

# The fixtures of version $1 matching $RE that Keras could run, one a line:
# NAME N_OUT (the width of all outputs together) N_OUTPUTS.
runnable() {
	jq -r --arg re "$RE" '.fixtures[] | select((.name | test($re)) and (.must_refuse | not))
		| "\(.name) \(.n_out) \(.outputs | length)"' "$LAY/keras-$1/manifest.json"
}

@test "every nested and graph fixture of every Keras version matches Keras on every kernel" {
	local v n w k names runs=0 bad=0 msg
	for v in 3.3 3.8 3.16; do
		while read -r n w k; do
			# several outputs: Keras's CSV is headed y0.. (named columns are tested below)
			names=()
			[ "$k" -gt 1 ] && names=(--output-names "$(seq -s, -f 'y%g' 0 $((w - 1)))")
			for kern in $(kernels); do
				if ! KANX_KERNEL=$kern kanx predict "${names[@]}" -m "$LAY/keras-$v/$n.keras" \
					"$LAY/keras-$v/${n}_input.csv" >"$T/got.csv" 2>"$T/err"; then
					echo "$v $n $kern: $(cat "$T/err")"
					bad=$((bad + 1))
				elif ! msg=$(csv_close "$T/got.csv" "$LAY/keras-$v/${n}_expected.csv"); then
					echo "$v $n $kern: $msg"
					bad=$((bad + 1))
				fi
				runs=$((runs + 1))
			done
		done < <(runnable "$v")
	done
	echo "$runs runs, $bad bad"
	[ "$bad" -eq 0 ]
	# 3 versions x 19 fixtures (7 nest, 11 graph, the recipe) x 2 or 3 kernels
	[ "$runs" -ge 114 ]
}

@test "the user recipe: Normalization adapted, then kanx>KAN nested in a Sequential, every version" {
	for v in 3.3 3.8 3.16; do
		m="$LAY/keras-$v/recipe_norm_kan.keras"
		run kanx inspect --json "$m"
		[ "$status" -eq 0 ]
		[ "$(jq -c '[.layers[].class]' <<<"$output")" = '["Normalization","KANLinear","KANLinear"]' ]
		for kern in $(kernels); do
			KANX_KERNEL=$kern kanx predict -m "$m" "$LAY/keras-$v/recipe_norm_kan_input.csv" >"$T/out.csv"
			csv_close "$T/out.csv" "$LAY/keras-$v/recipe_norm_kan_expected.csv"
		done
	done
}

@test "nested weights: the groups Keras names per container, layers/<outer>/layers/<inner>/..." {
	run kanx inspect "$LAY/keras-3.16/nest_deep.keras"
	[ "$status" -eq 0 ]
	# KAN in a Functional in a Sequential in a Functional in the Sequential: one flat list
	[[ "$output" == *"lvl2_kan "*"kan_linear "*"kan_linear_1 "*"lvl3_dense "*"lvl1_head "* ]]
	# a Dense of the nested Sequential whose weights are missing is named by its whole path
	run kanx predict -m "$G/cases/nest_group_missing.keras" "$LAY/keras-3.16/nest_seq_in_seq_input.csv"
	[ "$status" -eq 4 ]
	[[ "$output" == *"nest_group_missing.keras:model.weights.h5: layers/sequential/layers/dense: missing"* ]]
}

@test "multi-input models are refused by predict, validate and serve-stdin, naming the inputs" {
	local c=0
	for v in 3.3 3.8 3.16; do
		for n in $(jq -r --arg re "$RE" '.fixtures[] | select(.must_refuse and (.name | test($re))) | .name' "$LAY/keras-$v/manifest.json"); do
			m="$LAY/keras-$v/$n.keras"
			run kanx predict -m "$m" "$LAY/keras-$v/${n}_input.csv"
			[ "$status" -eq 4 ]
			[ "$output" = "kanx: $m:config.json: the model has 2 inputs ('xa', 'xb'); kanx runs models of one input tensor (batch, features)" ]
			run kanx validate -m "$m"
			[ "$status" -eq 1 ]
			[[ "$output" == *"$m:config.json: the model has 2 inputs ('xa', 'xb')"* ]]
			run kanx serve-stdin -m "$m" </dev/null
			[ "$status" -eq 4 ]
			[[ "$output" == *"the model has 2 inputs ('xa', 'xb')"* ]]
			c=$((c + 1))
		done
	done
	[ "$c" -eq 3 ]
}

@test "hostile graphs: cycles, dangling names, shared calls, bad merges, too deep: one rule for every command" {
	local n=0 bad=0 f st exp what m in
	in="$LAY/keras-3.16/graph_dag_input.csv"
	while IFS=$'\t' read -r f st exp what; do
		m="$G/cases/$f"
		n=$((n + 1))
		if [ "$st" -eq 0 ]; then
			run --separate-stderr kanx predict -m "$m" "$G/${exp%_expected.csv}_input.csv"
			if [ "$status" -ne 0 ] || ! csv_close <(printf '%s\n' "$output") "$G/$exp" >/dev/null; then
				echo "$f ($what): exit $status, not Keras's numbers"
				bad=$((bad + 1))
			fi
			continue
		fi
		run kanx predict -m "$m" "$in"
		if [ "$status" -ne "$st" ] || [[ "$output" != "kanx: $m:"*"$exp"* ]] || [ "${#lines[@]}" -ne 1 ]; then
			echo "$f ($what): predict exit $status: $output"
			bad=$((bad + 1))
		fi
		# validate calls it an error (its status 1), serve-stdin refuses to start
		run kanx validate -m "$m"
		if [ "$status" -ne 1 ] || [[ "$output" != *"$exp"* ]]; then
			echo "$f ($what): validate exit $status: $output"
			bad=$((bad + 1))
		fi
		run kanx serve-stdin -m "$m" </dev/null
		if [ "$status" -ne "$st" ] || [[ "$output" != *"$exp"* ]]; then
			echo "$f ($what): serve-stdin exit $status: $output"
			bad=$((bad + 1))
		fi
	done <"$G/cases.tsv"
	echo "$n cases, $bad bad"
	[ "$bad" -eq 0 ]
	[ "$n" -ge 15 ]
	# every file is in the manifest
	for f in "$G"/cases/*.keras; do
		grep -q "^$(basename "$f")	" "$G/cases.tsv"
	done
}

@test "several outputs: side by side, CSV/TSV columns named after the output layers" {
	local d="$LAY/keras-3.16" m
	m="$d/graph_multi_output.keras"
	run kanx predict -m "$m" "$d/graph_multi_output_input.csv"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "out_a_0,out_a_1,hidden_0,hidden_1,hidden_2,hidden_3,out_b" ]
	# the same numbers as Keras's, whose columns are out_a, hidden, out_b in order
	printf '%s\n' "$output" | sed 1d >"$T/got"
	sed 1d "$d/graph_multi_output_expected.csv" >"$T/want"
	csv_close <(echo h; cat "$T/got") <(echo h; cat "$T/want")
	run kanx predict -f tsv -m "$m" "$d/graph_multi_output_input.csv"
	[ "${lines[0]}" = "$(printf 'out_a_0\tout_a_1\thidden_0\thidden_1\thidden_2\thidden_3\tout_b')" ]
	# --output-names still overrides, and must give one name per column
	run kanx predict --output-names a,b,c,d,e,f,g -m "$m" "$d/graph_multi_output_input.csv"
	[ "${lines[0]}" = "a,b,c,d,e,f,g" ]
	run kanx predict --output-names a,b -m "$m" "$d/graph_multi_output_input.csv"
	[ "$status" -eq 2 ]
	# JSON lines and the API: one array of all the outputs
	run kanx predict -f jsonl -m "$m" "$d/graph_multi_output_input.csv"
	[ "$(jq -c length <<<"${lines[0]}")" = 7 ]
	run kanx predict -f api -m "$m" "$d/graph_multi_output_input.csv"
	[ "$(jq -c .shape <<<"${lines[0]}")" = "[$(($(wc -l <"$d/graph_multi_output_input.csv") - 1)),7]" ]
	run kanx serve-stdin -m "$m" <<<'{"op":"predict","x":[[0.1,0.2,0.3]]}'
	[ "$(jq -c .shape <<<"$output")" = "[1,7]" ]
}

@test "one output keeps y0, y1, ... (a graph, a nested model, a chain)" {
	local d="$LAY/keras-3.16" n
	for n in graph_dag nest_deep graph_list_io norm_adapt; do
		run kanx predict -m "$d/$n.keras" "$d/${n}_input.csv"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "y0,y1" ]
	done
}

@test "inspect: the outputs and each node's inputs, as Keras's manifest has them" {
	local v n
	for v in 3.3 3.8 3.16; do
		while read -r n _ _; do
			run kanx inspect --json "$LAY/keras-$v/$n.keras"
			[ "$status" -eq 0 ]
			[ "$(jq -c '[.outputs[] | {name, width}]' <<<"$output")" = \
			  "$(jq -c --arg n "$n" '.fixtures[] | select(.name == $n) | .outputs' "$LAY/keras-$v/manifest.json")" ] ||
				{ echo "$v $n: $(jq -c .outputs <<<"$output")"; false; }
		done < <(runnable "$v")
	done
	run kanx inspect --json "$LAY/keras-3.16/graph_dag.keras"
	[ "$(jq -c '[.layers[] | {(.name): .inputs}] | add' <<<"$output")" = \
	  '{"a":["input"],"b":["input"],"c":["input"],"add":["a","b"],"sub":["a","c"],"mul":["b","c"],"avg":["a","b","c"],"max":["add","sub"],"min":["mul","avg"],"cat":["max","min","input"],"out":["cat"]}' ]
	run kanx inspect "$LAY/keras-3.16/graph_residual.keras"
	[[ "$output" == *"blk1_add "*"        reads blk0_add, blk1_dense"* ]]
	run kanx inspect "$LAY/keras-3.16/graph_multi_output.keras"
	[[ "$output" == *"  output      width 7"$'\n'"    out_a        width 2, from out_a"$'\n'"    hidden       width 4, from hidden"* ]]
	# a chain shows no graph lines
	run kanx inspect "$LAY/keras-3.16/nest_seq_in_seq.keras"
	[[ "$output" != *"reads"* ]]
}

@test "validate agrees with predict: every nested and graph model it passes, predict runs" {
	local v n
	for v in 3.3 3.8 3.16; do
		while read -r n _ _; do
			run kanx validate -m "$LAY/keras-$v/$n.keras" "$LAY/keras-$v/${n}_input.csv"
			[ "$status" -eq 0 ] || { echo "$v $n: $output"; false; }
			run kanx predict -m "$LAY/keras-$v/$n.keras" "$LAY/keras-$v/${n}_input.csv"
			[ "$status" -eq 0 ]
		done < <(runnable "$v")
	done
}

@test "merge layers: one file and one table row each" {
	cd "$KANX_SRCDIR/src"
	for c in Add Subtract Multiply Average Maximum Minimum Concatenate; do
		f=layer_$(tr 'A-Z' 'a-z' <<<"$c").c
		grep -qE "(classes\[\] = \{ |^KX_MERGE_LAYER\(kx_layer_[a-z]*, )\"$c\"" "$f"
		grep -q "^	&kx_layer_$(tr 'A-Z' 'a-z' <<<"$c"),$" layers.c
	done
}

# tests/fixtures/deep (make_deep.py, Keras 3.16): graphs for the planner
# of model.c - runs of layers on the kernel inside a graph, and node
# buffers reused once their last reader has run.
DEEP="$FIX/deep"

@test "a residual KAN graph runs its KANLinear chains on every kernel: Keras's numbers, avx2 and portable the same bits" {
	local kern
	for kern in $(kernels); do
		KANX_KERNEL=$kern kanx predict --output-names "$(seq -s, -f 'y%g' 0 21)" \
			-m "$DEEP/residual_kan.keras" "$DEEP/residual_kan_input.csv" >"$T/$kern.csv" 2>/dev/null
		csv_close "$T/$kern.csv" "$DEEP/residual_kan_expected.csv"
		# the kernel named is the kernel that ran: not sent to BLIS for being a graph
		KANX_KERNEL=$kern kanx predict --stats -m "$DEEP/residual_kan.keras" \
			"$DEEP/residual_kan_input.csv" 2>"$T/err" >/dev/null
		grep -q "^kanx: stats: kernel $kern " "$T/err"
	done
	if [ -f "$T/avx2.csv" ]; then
		cmp "$T/avx2.csv" "$T/portable.csv"
	fi
}

@test "a graph keeps only the nodes later layers read: 600 layers of width 2048 in bounded memory" {
	# every node kept at once would be 400 x 2048 floats a row: 1 GiB for
	# these 320 rows; kanx needs three nodes at a time
	{ head -1 "$DEEP/residual_wide_input.csv"
	  for i in $(seq 40); do tail -n +2 "$DEEP/residual_wide_input.csv"; done; } >"$T/in.csv"
	for i in $(seq 40); do tail -n +2 "$DEEP/residual_wide_expected.csv"; done |
		sed "1i $(head -1 "$DEEP/residual_wide_expected.csv")" >"$T/exp.csv"
	if ldd "$KANX" 2>/dev/null | grep -q libasan; then
		# ASan reserves terabytes of shadow: bound one allocation instead
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=128" \
			run kanx predict -t 1 -m "$DEEP/residual_wide.keras" -o "$T/got.csv" "$T/in.csv"
	else
		run bash -c 'ulimit -v 400000; "$1" predict -t 1 -m "$2" -o "$3" "$4"' _ \
			"$KANX" "$DEEP/residual_wide.keras" "$T/got.csv" "$T/in.csv"
	fi
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/got.csv")" -eq 321 ]
	csv_close "$T/got.csv" "$T/exp.csv"
}
