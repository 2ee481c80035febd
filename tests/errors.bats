#!/usr/bin/env bats
# kanx predict on bad input: every class of bad record is refused with
# exit 5 (400 class) or 6 (413 class) and a message "kanx: FILE:LINE:COL:
# ..." (COL in characters; CSV messages name the field); --on-error skip
# and --rejects account for every record.
load helpers
bats_require_minimum_version 1.5.0

Q="$FIX/models/quickstart.keras"   # 2 features in, 1 out

setup() {
	T="$BATS_TEST_TMPDIR"
	unset KANX_CHECKPOINT KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS
}

# on EXT CONTENT [OPTIONS]: write CONTENT (a printf format) to $T/in.EXT,
# run predict on it; sets $status, $output (stdout) and $stderr.
on() {
	local ext=$1 content=$2
	shift 2
	printf "$content" >"$T/in.$ext"
	run --separate-stderr kanx predict -m "$Q" "$@" "$T/in.$ext"
}

# refused STATUS MESSAGE: the run failed with STATUS and exactly MESSAGE.
refused() {
	[ "$status" -eq "$1" ] || { echo "status $status, want $1; stderr: $stderr"; return 1; }
	[ "$stderr" = "kanx: $2" ] || { echo "stderr: $stderr"; echo "want:   kanx: $2"; return 1; }
}

@test "CSV: a non-numeric field" {
	on csv 'f0,f1\n0.1,0.2\n0.1,abc\n'
	refused 5 "$T/in.csv:3:5: field 2 (\"f1\"): expected a plain decimal number, got \"abc\""
	# the row before it is already written
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = y0 ]
}

@test "CSV: an empty field" {
	on csv 'f0,f1\n0.1, \n'
	refused 5 "$T/in.csv:2:5: field 2 (\"f1\"): empty field; expected a number"
	on csv '0.1,0.2\n,0.2\n'
	refused 5 "$T/in.csv:2:1: field 1: empty field; expected a number"
}

@test "CSV and JSON: NaN and infinity spellings are not numbers" {
	for v in NaN nan inf -inf Infinity; do
		on csv "f0,f1\n0.5,$v\n"
		refused 5 "$T/in.csv:2:5: field 2 (\"f1\"): expected a plain decimal number, got \"$v\""
	done
	on jsonl '[0.5, NaN]\n'
	refused 5 "$T/in.jsonl:1:7: record 1: x[1]: expected a plain decimal number, got \"NaN\""
	on jsonl '{"x": [-Infinity, 0.5]}\n'
	refused 5 "$T/in.jsonl:1:8: record 1: x[0]: expected a plain decimal number, got \"-Infinity\""
}

@test "CSV and JSON: hex floats and locale commas are not numbers" {
	on csv 'f0,f1\n0x1p3,0.5\n'
	refused 5 "$T/in.csv:2:1: field 1 (\"f0\"): expected a plain decimal number, got \"0x1p3\""
	on tsv 'f0\tf1\n0,5\t0.5\n'
	refused 5 "$T/in.tsv:2:1: field 1 (\"f0\"): expected a plain decimal number, got \"0,5\""
	on jsonl '[0x10, 0.5]\n'
	refused 5 "$T/in.jsonl:1:2: record 1: x[0]: expected a plain decimal number, got \"0x10\""
}

@test "CSV and JSON: a number overflowing float32 (1e39)" {
	on csv 'f0,f1\n0.5,1e39\n'
	refused 5 "$T/in.csv:2:5: field 2 (\"f1\"): \"1e39\" is out of the float32 range"
	on jsonl '[[0.5, 0.5], [0.5, -1e39]]\n'
	refused 5 "$T/in.jsonl:1:20: record 1: x[1][1]: \"-1e39\" is out of the float32 range"
}

@test "CSV: the wrong number of features" {
	on csv 'f0,f1\n0.1,0.2,0.3\n'
	refused 5 "$T/in.csv:2:9: Expected 2 features per sample, got 3"
	on csv 'f0,f1\n0.1\n'
	refused 5 "$T/in.csv:2:4: Expected 2 features per sample, got 1"
	on csv 'a,b,c\n0.1,0.2,0.3\n'
	refused 5 "$T/in.csv:1:1: the header has 3 feature columns; Expected 2 features per sample"
}

@test "JSON: the wrong number of features, 1-D and 2-D" {
	on jsonl '[0.1, 0.2]\n[0.1, 0.2, 0.3]\n'
	refused 5 "$T/in.jsonl:2:1: record 2: Expected 2 features per sample, got 3"
	on jsonl '{"x": [[0.1, 0.2], [0.3]]}\n'
	refused 5 "$T/in.jsonl:1:20: record 1: x[1]: Expected 2 features per sample, got 1"
	on json '{"x": []}\n'
	refused 5 "$T/in.json:1:7: Expected 2 features per sample, got 0"
}

@test "JSON: x of rank 0 or 3, or ragged, is refused like the API's 400" {
	on jsonl '{"x": [[[0.1, 0.2]], [[0.3, 0.4]]]}\n'
	refused 5 "$T/in.jsonl:1:7: record 1: x must be 1-D or 2-D; got shape [2, 1, 2]"
	on json '{"x": 0.5}\n'
	refused 5 "$T/in.json:1:7: x must be 1-D or 2-D; got shape []"
	on jsonl '[0.1, [0.2]]\n'
	refused 5 "$T/in.jsonl:1:1: record 1: x must be 1-D or 2-D; got a ragged array"
	on json '{"x": "0.5"}\n'
	refused 5 "$T/in.json:1:7: x must be an array of numbers"
	on jsonl '{"id": 1}\n'
	refused 5 "$T/in.jsonl:1:1: record 1: missing \"x\""
}

@test "over the max batch: exit 6, like the API's 413" {
	doc='{"x": [[0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]]}\n'
	on json "$doc" --max-batch 4
	refused 6 "$T/in.json:1:7: batch of 5 rows exceeds the max batch of 4 (413)"
	KANX_MAX_BATCH=4 on jsonl "$doc"
	refused 6 "$T/in.jsonl:1:7: record 1: batch of 5 rows exceeds the max batch of 4 (413)"
	on json "$doc" --max-batch 5 -f api
	[ "$status" -eq 0 ]
	[ "$(jq -c .shape <<<"$output")" = '[5,1]' ]
	# the default is 4096
	python3 -c 'print("{\"x\": [" + ",".join(["[0.1,0.2]"] * 4097) + "]}")' >"$T/big.json"
	run --separate-stderr kanx predict -m "$Q" "$T/big.json"
	refused 6 "$T/big.json:1:7: batch of 4097 rows exceeds the max batch of 4096 (413)"
}

@test "JSON: duplicate keys, at the top and nested" {
	on jsonl '{"x": [0.1, 0.2], "x": [0.3, 0.4]}\n'
	refused 5 "$T/in.jsonl:1:19: record 1: duplicate key \"x\""
	on jsonl '{"x": [0.1, 0.2], "id": {"a": 1, "b": 2, "a": 3}}\n'
	refused 5 "$T/in.jsonl:1:42: record 1: duplicate key \"a\""
	# escapes are compared decoded
	on jsonl '{"x": [0.1, 0.2], "\\u0078": [0.3, 0.4]}\n'
	refused 5 "$T/in.jsonl:1:19: record 1: duplicate key \"x\""
	# a large object (sorted check)
	keys=$(for i in $(seq 40); do printf '"k%d": %d, ' "$i" "$i"; done)
	on jsonl "{\"x\": [0.1, 0.2], \"id\": {$keys \"k7\": 0}}\n"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"record 1: duplicate key \"k7\"" ]]
}

@test "JSON: trailing garbage after a document or a line" {
	on jsonl '[0.1, 0.2] x\n'
	refused 5 "$T/in.jsonl:1:12: record 1: trailing characters after the JSON value"
	on json '{"x": [0.1, 0.2]}}\n'
	refused 5 "$T/in.json:1:18: trailing characters after the JSON value"
	on json '{"x": [0.1, 0.2]}\nhello\n'
	refused 5 "$T/in.json:2:1: expected an object {\"x\": ...}, got \"hello\""
}

@test "invalid UTF-8 in CSV and JSON" {
	on csv 'key,f0,f1\nab\xff,0.1,0.2\n' --id key
	refused 5 "$T/in.csv:2:1: field 1 (\"key\"): invalid UTF-8"
	on csv 'f0,f1\n0.1,\xc3\x28\n'
	refused 5 "$T/in.csv:2:5: field 2 (\"f1\"): invalid UTF-8"
	on jsonl '{"x": [0.1, 0.2], "id": "a\xed\xa0\x80"}\n'
	refused 5 "$T/in.jsonl:1:27: record 1: invalid UTF-8"
	on jsonl '[0.1, \xff]\n'
	refused 5 "$T/in.jsonl:1:7: record 1: invalid UTF-8"
}

@test "NUL bytes in CSV and JSON" {
	on csv 'f0,f1\n0.1,0.2\x00\n'
	refused 5 "$T/in.csv:2:5: field 2 (\"f1\"): NUL byte in input"
	on jsonl '{"x": [0.1, 0.2], "id": "a\x00"}\n'
	refused 5 "$T/in.jsonl:1:27: record 1: NUL byte in input"
	on jsonl '[0.1, 0.2]\x00\n'
	refused 5 "$T/in.jsonl:1:11: record 1: NUL byte in input"
}

@test "a line longer than KANX_MAX_LINE" {
	long=$(printf '1%.0s' $(seq 100))
	KANX_MAX_LINE=64 on csv "f0,f1\n0.1,0.2\n0.1,$long\n0.3,0.4\n"
	refused 5 "$T/in.csv:3:1: line longer than the limit of 64 bytes (KANX_MAX_LINE)"
	[ "${#lines[@]}" -eq 2 ]
	KANX_MAX_LINE=64 on jsonl "[0.1,0.2]\n[0.1,$long]\n"
	refused 5 "$T/in.jsonl:2:1: line longer than the limit of 64 bytes (KANX_MAX_LINE)"
	# skipped, the next line is read normally
	KANX_MAX_LINE=64 on csv "f0,f1\n0.1,0.2\n0.1,$long\n0.3,0.4\n" --max-errors 1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "CSV: an unterminated or malformed quoted field" {
	on csv 'f0,f1\n0.1,0.2\n0.3,"0.4\n'
	refused 5 "$T/in.csv:3:5: unterminated quoted field"
	on csv 'f0,f1\n"0.1"x,0.2\n'
	refused 5 "$T/in.csv:2:6: malformed quoted field: a closing quote must be followed by a comma or the end of the line"
}

@test "JSON: nesting deeper than the limit, an unterminated document" {
	deep=$(printf '[%.0s' $(seq 70); printf ']%.0s' $(seq 70))
	on jsonl "{\"x\": [0.1, 0.2], \"id\": $deep}\n"
	refused 5 "$T/in.jsonl:1:88: record 1: nested deeper than 64 levels"
	on json '{"x": [[0.1, 0.2],\n'
	refused 5 "$T/in.json:1:1: unexpected end of input in the JSON document that starts here"
	on jsonl '{"x": [0.1, 0.2], "id": "abc}\n'
	refused 5 "$T/in.jsonl:1:25: record 1: unterminated string"
}

@test "standard input is named <stdin>" {
	printf 'f0,f1\n0.1,zz\n' >"$T/in"
	run --separate-stderr kanx predict -m "$Q" <"$T/in"
	refused 5 '<stdin>:2:5: field 2 ("f1"): expected a plain decimal number, got "zz"'
}

# stdin_named WANT CMD...: CMD (stdin from $T/in) fails, its stderr names
# standard input "<stdin>" as WANT says, and never "-" or a bare "stdin".
stdin_named() {
	local want=$1 err
	shift
	"$@" <"$T/in" >"$T/out" 2>"$T/err" && { echo "$* succeeded"; return 1; }
	err=$(cat "$T/err")
	[[ "$err" == *"$want"* ]] || { echo "$*: want '$want' in: $err"; return 1; }
	if grep -E '(^kanx: |: )-(:|$)|(^|[^<-])stdin([^>]|$)' "$T/err"; then
		echo "$*: standard input named otherwise"
		return 1
	fi
}

@test "standard input is <stdin> in every command's messages, in every input format" {
	local f
	# a bad record on line 2 in each format, for predict and validate alike
	for f in csv tsv jsonl api; do
		case $f in
		csv) printf '0.1,0.2\n0.1,zz\n' >"$T/in" ;;
		tsv) printf '0.1\t0.2\n0.1\tzz\n' >"$T/in" ;;
		jsonl) printf '[0.1, 0.2]\n[0.1, zz]\n' >"$T/in" ;;
		api) printf '{"x": [[0.1, 0.2]]}\n{"x": [[0.1, zz]]}\n' >"$T/in" ;;
		esac
		stdin_named '<stdin>:2:' kanx predict -m "$Q" -i $f
		stdin_named '<stdin>:2:' kanx predict -m "$Q" -i $f -
		stdin_named '<stdin>:2:' kanx validate -m "$Q" -i $f -
		stdin_named '<stdin>:2:' kanx validate -i $f -
		# --json: the report names it too
		run kanx validate --json -i $f - <"$T/in"
		[ "$status" -eq 1 ]
		[ "$(jq -r '.problems[0] | "\(.file):\(.line)"' <<<"$output")" = '<stdin>:2' ]
	done
	# a model that is not one, on standard input
	printf 'not a zip archive\n' >"$T/in"
	stdin_named '<stdin>: not a .keras' kanx predict -m - "$FIX/../../share/quickstart_input.csv"
	stdin_named '<stdin>: not a .keras' kanx validate -m -
	stdin_named '<stdin>: not a .keras' kanx inspect -
	stdin_named '<stdin>: not a .keras' kanx inspect --json -
	# a config that is not one, on standard input
	printf 'model:\n  layers: [2, 1]\n  spline_order: 0\n' >"$T/in"
	stdin_named '<stdin>:3:' kanx validate -c -
	# standard input asked for twice; serve-stdin's model cannot come on it
	stdin_named '<stdin> can be read only once' kanx validate -m - -
	stdin_named 'cannot both be <stdin>' kanx predict -m - -
	stdin_named 'cannot both be <stdin>' kanx predict -m -
	stdin_named 'the requests come on <stdin>, so the model cannot' kanx serve-stdin -m -
}

@test "--on-error skip: each bad record is reported with its line, the rest scored, exit 5 over the budget" {
	printf 'f0,f1\n0.1,0.2\n0.1,x\n0.3,0.4\n0.1,0.2,0.3\n\n0.5,"0.6"\n1e39,0\n' >"$T/in.csv"
	run --separate-stderr kanx predict -m "$Q" --on-error skip "$T/in.csv"
	[ "$status" -eq 5 ]
	[ "${#lines[@]}" -eq 4 ]  # header + 3 good rows
	[ "$stderr" = "kanx: $T/in.csv:3:5: field 2 (\"f1\"): expected a plain decimal number, got \"x\"
kanx: $T/in.csv:5:9: Expected 2 features per sample, got 3
kanx: $T/in.csv:8:1: field 1 (\"f0\"): \"1e39\" is out of the float32 range
kanx: predict: 3 of 6 records refused: over the error budget (none allowed by default: see --max-errors)" ]
	# JSON lines and API documents too
	printf '[0.1,0.2]\n[0.1]\n{"x":[[0.1,0.2],[0.1,0.2],[0.1,0.2]]}\n[0.3,0.4]\n' >"$T/in.jsonl"
	run --separate-stderr kanx predict -m "$Q" --max-errors 2 --max-batch 2 "$T/in.jsonl"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *"in.jsonl:2:1: record 2: Expected 2 features per sample, got 1"* ]]
	[[ "$stderr" == *"in.jsonl:3:6: record 3: batch of 3 rows exceeds the max batch of 2 (413)"* ]]
}

@test "--rejects FILE: every refused record, as it was; accepted + refused = all" {
	for i in $(seq 300); do
		case $((i % 7)) in
		0) echo "0.1,bad$i" ;;
		3) echo "0.1,0.2,$i" ;;
		*) echo "0.$((i % 10)),0.5" ;;
		esac
	done >"$T/in.csv"
	grep -e bad -e ',.*,' "$T/in.csv" >"$T/want.rej"
	run --separate-stderr kanx predict -m "$Q" --batch-size 16 --rejects "$T/rej" "$T/in.csv"
	[ "$status" -eq 5 ]
	cmp "$T/rej" "$T/want.rej"
	[ $(( ${#lines[@]} - 1 + $(wc -l <"$T/rej") )) -eq 300 ]
	[ "$(grep -c '^kanx: .*in.csv:' <<<"$stderr")" -eq "$(wc -l <"$T/want.rej")" ]
	[[ "$stderr" == *"kanx: predict: $(wc -l <"$T/want.rej") of 300 records refused: over the error budget"* ]]
	# a multi-line quoted record is copied whole
	printf 'k,f0,f1\n"a\nb",0.1,x\nc,0.1,0.2\n' >"$T/q.csv"
	kanx predict -m "$Q" --id k --rejects "$T/rej2" --max-errors 1 "$T/q.csv" 2>/dev/null >/dev/null
	[ "$(cat "$T/rej2")" = "$(printf 'k,f0,f1\n"a\nb",0.1,x')" ]   # the header first
}

@test "bad option values are usage errors (exit 2)" {
	run kanx predict -m "$Q" --on-error ignore /dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"stop, skip"* ]]
	run kanx predict -m "$Q" --format xml /dev/null
	[ "$status" -eq 2 ]
	run kanx predict -m "$Q" --id name --no-header /dev/null
	[ "$status" -eq 2 ]
	run kanx predict -m "$Q" --max-batch 0 /dev/null
	[ "$status" -eq 2 ]
	run kanx predict -m - -
	[ "$status" -eq 2 ]
}

@test "--id naming a column that is not there" {
	on csv 'f0,f1\n0.1,0.2\n' --id key
	refused 5 "$T/in.csv:1:1: no column named \"key\" in the header (--id)"
	on csv 'f0,f1\n0.1,0.2\n' --id 5
	refused 5 "$T/in.csv:1:1: no column 5: the header has 2 columns (--id)"
}
