#!/usr/bin/env bats
# The kanx YAML training config reader, through `kanx validate --config`:
# the kanx library's rules and exact messages, at libyaml's line:column.
load helpers

CFG="$KANX_SRCDIR/tests/configs"

# One config, one problem: exit 1 and exactly "kanx: FILE:LINE:COL: MESSAGE".
one_problem() {
	run kanx validate --config "$CFG/$1"
	[ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
	[ "${lines[0]}" = "kanx: $CFG/$1:$2: $3" ] || { echo "got: ${lines[0]}"; echo "want: kanx: $CFG/$1:$2: $3"; return 1; }
	[ "${lines[1]}" = "kanx: validate: problems found: 1 error, 0 warnings" ]
}

@test "the configs matching the fixtures are sound" {
	for c in kan_a kan_b kan_c kan_d quickstart yaml11; do
		run kanx validate --config "$CFG/$c.yaml"
		[ "$status" -eq 0 ] || { echo "$c: $output"; false; }
		[ "$output" = "kanx: validate: sound: 0 errors, 0 warnings" ]
	done
}

@test "Config root must be a mapping" {
	one_problem root_list.yaml 1:1 "Config root must be a mapping"
}

@test "Config must contain a 'model' mapping: absent, or not a mapping" {
	one_problem no_model.yaml 1:1 "Config must contain a 'model' mapping"
	one_problem model_scalar.yaml 1:8 "Config must contain a 'model' mapping"
}

@test "an empty config is an empty mapping (yaml.safe_load(f) or {}): no model" {
	: > "$BATS_TEST_TMPDIR/empty.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/empty.yaml"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/empty.yaml:1:1: Config must contain a 'model' mapping" ]
}

@test "model.layers must be a list of >= 2 positive integers" {
	one_problem layers_missing.yaml 1:1 "model.layers must be a list of >= 2 positive integers"
	one_problem layers_short.yaml 2:11 "model.layers must be a list of >= 2 positive integers"
}

@test "model.layers entries must be positive ints, got REPR (Python repr of the value)" {
	one_problem layers_zero.yaml 2:15 "model.layers entries must be positive ints, got 0"
	one_problem layers_string.yaml 2:15 "model.layers entries must be positive ints, got '8'"
	one_problem layers_float.yaml 2:15 "model.layers entries must be positive ints, got 8.5"
}

@test "model.grid_range must be [low, high] with low < high" {
	one_problem grid_range_reversed.yaml 3:15 "model.grid_range must be [low, high] with low < high"
	one_problem grid_range_three.yaml 3:15 "model.grid_range must be [low, high] with low < high"
}

@test "model.grid_size must be > 0, and int() failures are Python's message" {
	one_problem grid_size_zero.yaml 3:14 "model.grid_size must be > 0"
	one_problem grid_size_word.yaml 3:14 "model.grid_size: invalid literal for int() with base 10: 'five'"
}

@test "model.spline_order must be >= 1" {
	one_problem spline_order_zero.yaml 3:17 "model.spline_order must be >= 1"
}

@test "an unknown base_activation is an error" {
	one_problem activation_unknown.yaml 3:20 "model.base_activation: unknown activation 'swishy'"
}

@test "training.lr, epochs, batch_size must be > 0; val_split in [0, 1)" {
	one_problem lr_zero.yaml 4:7 "training.lr must be > 0"
	one_problem epochs_negative.yaml 4:11 "training.epochs must be > 0"
	one_problem batch_size_zero.yaml 4:15 "training.batch_size must be > 0"
	one_problem val_split_one.yaml 4:14 "training.val_split must be in [0, 1)"
}

@test "every problem is reported, in document order" {
	run kanx validate --config "$CFG/many.yaml"
	[ "$status" -eq 1 ]
	want="kanx: $CFG/many.yaml:3:15: model.layers entries must be positive ints, got -8
kanx: $CFG/many.yaml:4:14: model.grid_size must be > 0
kanx: $CFG/many.yaml:5:17: model.spline_order must be >= 1
kanx: $CFG/many.yaml:6:15: model.grid_range must be [low, high] with low < high
kanx: $CFG/many.yaml:8:7: training.lr must be > 0
kanx: $CFG/many.yaml:9:11: training.epochs must be > 0
kanx: $CFG/many.yaml:10:15: training.batch_size must be > 0
kanx: $CFG/many.yaml:11:14: training.val_split must be in [0, 1)
kanx: validate: problems found: 8 errors, 0 warnings"
	[ "$output" = "$want" ] || { diff <(echo "$want") <(echo "$output"); false; }
}

@test "YAML syntax errors: libyaml's problem and position" {
	one_problem syntax_indent.yaml 3:2 "did not find expected key (while parsing a block mapping at line 1, column 1)"
	one_problem syntax_unclosed.yaml 3:1 "did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 11)"
	one_problem two_documents.yaml 3:1 "expected a single document in the stream, but found another document"
}

@test "invalid UTF-8 is a reader error with a position" {
	printf 'model:\n  layers: [2, 1]\n  base_activation: "\xff"\n' > "$BATS_TEST_TMPDIR/bad.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/bad.yaml"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "kanx: $BATS_TEST_TMPDIR/bad.yaml:3:"*"invalid"* ]]
}

@test "columns count characters, not bytes, in reader and parser errors alike (as in JSON messages)" {
	# the bad byte after two two-byte characters: column 12, not 14
	printf 'model:\n  layers: [2, 1]\n  name: "\xc3\xa9\xc3\xa9\xff"\n' > "$BATS_TEST_TMPDIR/r.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/r.yaml"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/r.yaml:3:12: invalid leading UTF-8 octet: #FF" ]
	# a parser error (libyaml's own mark) after the same characters, and after ASCII: one column
	printf 'model:\n  layers: [2, 1]\n  \xc3\xa9\xc3\xa9: "a" b\n' > "$BATS_TEST_TMPDIR/p.yaml"
	printf 'model:\n  layers: [2, 1]\n  ee: "a" b\n' > "$BATS_TEST_TMPDIR/a.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/p.yaml"
	[[ "${lines[0]}" == "kanx: $BATS_TEST_TMPDIR/p.yaml:3:11: did not find expected key"* ]]
	run kanx validate --config "$BATS_TEST_TMPDIR/a.yaml"
	[[ "${lines[0]}" == "kanx: $BATS_TEST_TMPDIR/a.yaml:3:11: did not find expected key"* ]]
}

@test "YAML 1.1 as PyYAML reads it: 1e-3 is a string that float() accepts, 0x8 is 8, yes is true" {
	run kanx validate --config "$CFG/yaml11.yaml"
	[ "$status" -eq 0 ]
	# ...and a !!str tag or quotes make an entry a string, refused for layers.
	printf 'model:\n  layers: [2, !!str 8, 1]\n' > "$BATS_TEST_TMPDIR/tag.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/tag.yaml"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/tag.yaml:2:15: model.layers entries must be positive ints, got '8'" ]
	# 1.0e3 without a signed exponent is not a YAML 1.1 float: a string
	printf 'model:\n  layers: [2, 1.0e3]\n' > "$BATS_TEST_TMPDIR/e.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/e.yaml"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/e.yaml:2:15: model.layers entries must be positive ints, got '1.0e3'" ]
}

@test "int(5.9) truncates: accepted with a warning" {
	printf 'model:\n  layers: [2, 1]\n  grid_size: 5.9\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/t.yaml"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kanx: warning: $BATS_TEST_TMPDIR/t.yaml:3:14: model.grid_size is 5.9; the library truncates it to 5" ]
}

@test "anchors, aliases and merge keys are followed" {
	printf 'base: &b {layers: [3, 4, 1], grid_size: 0}\nmodel:\n  <<: *b\n' > "$BATS_TEST_TMPDIR/m.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/m.yaml"
	[ "$status" -eq 1 ]
	# the problem is where the value is written: in the anchored mapping
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/m.yaml:1:41: model.grid_size must be > 0" ]
	printf 'model:\n  layers: *nowhere\n' > "$BATS_TEST_TMPDIR/u.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/u.yaml"
	[ "${lines[0]}" = "kanx: $BATS_TEST_TMPDIR/u.yaml:2:11: found undefined alias 'nowhere'" ]
}

@test "a billion-laughs config is read without expanding aliases" {
	{
		echo 'a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'
		for i in $(seq 1 30); do
			p=$((i - 1))
			echo "a$i: &a$i [*a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p]"
		done
		echo 'model:'
		echo '  layers: [2, 1]'
		echo '  grid_range: *a30'
	} > "$BATS_TEST_TMPDIR/lol.yaml"
	run timeout 10 "$KANX" validate --config "$BATS_TEST_TMPDIR/lol.yaml"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"model.grid_range must be [low, high] with low < high" ]]
}

@test "deep nesting is refused at the limit" {
	python_free_deep=$(printf '[%.0s' $(seq 1 100))
	printf 'model:\n  layers: %s\n' "$python_free_deep" > "$BATS_TEST_TMPDIR/deep.yaml"
	run kanx validate --config "$BATS_TEST_TMPDIR/deep.yaml"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"nesting deeper than 64 levels" ]]
}

@test "unknown keys are warnings with the nearest known key; the config stays sound" {
	run kanx validate --config "$CFG/typo.yaml"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kanx: warning: $CFG/typo.yaml:4:3: unknown key 'model.grid_sise' is ignored; did you mean 'grid_size'?" ]
	[ "${lines[1]}" = "kanx: warning: $CFG/typo.yaml:5:1: unknown key 'trainig' is ignored; did you mean 'training'?" ]
	[ "${lines[2]}" = "kanx: validate: sound: 0 errors, 2 warnings" ]
}

@test "KANX_CONFIG names the config when --config is absent" {
	KANX_CONFIG="$CFG/grid_size_zero.yaml" run kanx validate
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $CFG/grid_size_zero.yaml:3:14: model.grid_size must be > 0" ]
}

@test "a missing config is an I/O failure (exit 7) with the library's message" {
	run kanx validate --config "$BATS_TEST_TMPDIR/nope.yaml"
	[ "$status" -eq 7 ]
	[ "$output" = "kanx: Config file not found: $BATS_TEST_TMPDIR/nope.yaml" ]
}

@test "the config can come on standard input" {
	run bash -c "'$KANX' validate --config - < '$CFG/spline_order_zero.yaml'"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: <stdin>:3:17: model.spline_order must be >= 1" ]
}

@test "--json lists each problem with severity, file, line, column and message" {
	run kanx validate --json --config "$CFG/many.yaml"
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.sound, .errors, .warnings]' <<<"$output")" = '[false,8,0]' ]
	[ "$(jq -c '.problems[1] | [.severity, .file, .line, .column, .message]' <<<"$output")" = \
	  "[\"error\",\"$CFG/many.yaml\",4,14,\"model.grid_size must be > 0\"]" ]
	run kanx validate --json --config "$CFG/typo.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.sound, [.problems[].severity]]' <<<"$output")" = '[true,["warning","warning"]]' ]
}
