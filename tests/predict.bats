#!/usr/bin/env bats
# kanx predict: agreement with Keras on every fixture, every input and
# output format, every option, streaming, and write errors.
# Bad input (exit 5/6 and its messages) is in errors.bats.
load helpers
bats_require_minimum_version 1.5.0

Q="$FIX/models/quickstart.keras"
QIN="$FIX/models/quickstart_input.csv"
QEXP="$FIX/models/quickstart_expected.csv"

setup() {
	T="$BATS_TEST_TMPDIR"
	unset KANX_CHECKPOINT KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS KANX_KERNEL
}


# The quickstart input without its header: 256 rows of 2 features.
rows() { tail -n +2 "$QIN"; }
# Output CSV from JSON lines of bare arrays [y0, ...].
jsonl_to_csv() { { echo y0; jq -r 'map(tostring) | join(",")'; } ; }

# Run predict on every fixture of a folder, comparing with Keras.
check_folder() {
	local d="$FIX/$1" n k kern bad=0
	for kern in $(kernels); do
		for k in "$d"/*.keras; do
			n=${k%.keras}
			KANX_KERNEL=$kern kanx predict -m "$k" "${n}_input.csv" >"$T/out.csv" 2>"$T/err" ||
				{ echo "$(basename "$n") ($kern): exit $?: $(cat "$T/err")"; bad=1; continue; }
			csv_close "$T/out.csv" "${n}_expected.csv" || { echo "  in $(basename "$n") ($kern)"; bad=1; }
		done
	done
	return $bad
}

@test "fixtures keras-3.3: every model agrees with Keras" { check_folder keras-3.3; }
@test "fixtures keras-3.8: every model agrees with Keras" { check_folder keras-3.8; }
@test "fixtures keras-3.16: every model agrees with Keras" { check_folder keras-3.16; }
@test "fixtures models (quickstart, bench16): agree with Keras" { check_folder models; }

@test "--help lists every option" {
	run kanx predict --help
	[ "$status" -eq 0 ]
	for o in --model --format --input-format --header --no-header --id --batch-size \
	         --max-batch --precision --no-output-header --on-error --rejects \
	         --strict-range --threads --help; do
		[[ "$output" == *"$o"* ]] || { echo "missing $o"; false; }
	done
}

@test "the model comes from KANX_CHECKPOINT; none is a usage error; a missing one exits 3" {
	KANX_CHECKPOINT="$Q" kanx predict "$QIN" >"$T/out.csv"
	csv_close "$T/out.csv" "$QEXP"
	run kanx predict "$QIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no model"* ]]
	run kanx predict -m "$T/nope.keras" "$QIN"
	[ "$status" -eq 3 ]
	[[ "$output" == *"nope.keras"* ]]
}

@test "stdin: no INPUT and '-' both read standard input; several inputs share one header" {
	kanx predict -m "$Q" <"$QIN" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
	rows | head -10 >"$T/part1.csv"
	rows | tail -n +11 | head -100 >"$T/part2.csv"
	rows | tail -n +111 | kanx predict -m "$Q" "$T/part1.csv" - "$T/part2.csv" >"$T/b.csv"
	[ "$(grep -c '^y0$' "$T/b.csv")" -eq 1 ]
	{ echo y0; sed -n 2,11p "$QEXP"; tail -n +112 "$QEXP"; sed -n 12,111p "$QEXP"; } >"$T/want.csv"
	csv_close "$T/b.csv" "$T/want.csv"
}

@test "a missing input file is an I/O error (exit 7) naming it" {
	run kanx predict -m "$Q" "$T/missing.csv"
	[ "$status" -eq 7 ]
	[[ "$output" == *"$T/missing.csv: cannot open"* ]]
}

@test "CSV header: detected when present and when absent; --header and --no-header" {
	rows | kanx predict -m "$Q" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
	# a numeric first line is data unless --header says otherwise
	kanx predict -m "$Q" --header <(rows) >"$T/b.csv"
	[ "$(wc -l <"$T/b.csv")" -eq 256 ]
	{ echo y0; tail -n +3 "$QEXP"; } >"$T/want.csv"
	csv_close "$T/b.csv" "$T/want.csv"
	# an empty field name (a pandas index column) still makes a header
	{ echo ",f0,f1"; rows | sed 's/^/7,/'; } >"$T/idx.csv"
	kanx predict -m "$Q" --id 1 "$T/idx.csv" | cut -d, -f2 >"$T/c.csv"
	csv_close "$T/c.csv" "$QEXP"
	# --no-header: a text first line is then a bad row
	run kanx predict -m "$Q" --no-header "$QIN"
	[ "$status" -eq 5 ]
	[[ "$output" == *"quickstart_input.csv:1:1: field 1: expected a plain decimal number, got \"f0\""* ]]
}

@test "CSV: quoted fields, spaces, CRLF line ends and a UTF-8 BOM" {
	{ printf '\xef\xbb\xbf"f0","f1"\r\n'; rows | awk -F, '{ printf "\"%s\", %s \r\n", $1, $2 }'; } >"$T/q.csv"
	kanx predict -m "$Q" "$T/q.csv" >"$T/out.csv"
	csv_close "$T/out.csv" "$QEXP"
}

@test "CSV: a quoted id may hold commas, quotes and a newline; it passes through" {
	printf 'key,f0,f1\n"a,b",0.1,0.2\n"say ""hi""",0.3,0.4\n"two\nlines",0.5,0.6\nplain,0.7,0.8\n' >"$T/id.csv"
	run kanx predict -m "$Q" --id key "$T/id.csv"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "key,y0" ]
	[[ "${lines[1]}" == '"a,b",'* ]]
	[[ "${lines[2]}" == '"say ""hi""",'* ]]
	[[ "${lines[3]}" == '"two' ]]
	[[ "${lines[4]}" == 'lines",'* ]]
	[[ "${lines[5]}" == plain,* ]]
	kanx predict -m "$Q" --id key -f jsonl "$T/id.csv" >"$T/out.jsonl"
	[ "$(jq -r .id "$T/out.jsonl" | head -2 | tail -1)" = 'say "hi"' ]
	[ "$(jq -c .id "$T/out.jsonl" | sed -n 3p)" = '"two\nlines"' ]
	[ "$(jq '.y | length' "$T/out.jsonl" | sort -u)" = 1 ]
}

@test "--id by number or name: the column is kept out of the features, named in the header" {
	{ echo "f0,name,f1"; rows | awk -F, '{ print $1 ",row" NR "," $2 }'; } >"$T/id.csv"
	kanx predict -m "$Q" --id name "$T/id.csv" >"$T/a.csv"
	kanx predict -m "$Q" --id 2 "$T/id.csv" >"$T/b.csv"
	cmp "$T/a.csv" "$T/b.csv"
	[ "$(head -1 "$T/a.csv")" = "name,y0" ]
	[ "$(sed -n 2p "$T/a.csv" | cut -d, -f1)" = row1 ]
	[ "$(tail -1 "$T/a.csv" | cut -d, -f1)" = row256 ]
	cut -d, -f2 "$T/a.csv" >"$T/y.csv"
	csv_close "$T/y.csv" "$QEXP"
	# without a header, a numbered id column is named "id"
	tail -n +2 "$T/id.csv" | kanx predict -m "$Q" --id 2 | head -1 | grep -qx 'id,y0'
}

@test "TSV: by --input-format, by extension, by sniffing; TSV output" {
	tr , '\t' <"$QIN" >"$T/in.tsv"
	kanx predict -m "$Q" "$T/in.tsv" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
	kanx predict -m "$Q" --input-format tsv <"$T/in.tsv" >"$T/b.csv"
	csv_close "$T/b.csv" "$QEXP"
	cp "$T/in.tsv" "$T/in.data"
	kanx predict -m "$Q" "$T/in.data" >"$T/c.csv"
	csv_close "$T/c.csv" "$QEXP"
	printf 'key\tf0\tf1\nk1\t0.1\t0.2\n' | kanx predict -m "$Q" --id key -f tsv >"$T/out.tsv"
	[ "$(head -1 "$T/out.tsv")" = "$(printf 'key\ty0')" ]
	[[ "$(tail -1 "$T/out.tsv")" == "$(printf 'k1\t')"* ]]
}

@test "JSON lines: one array per line is one sample; output [y..] per line" {
	rows | sed 's/.*/[&]/' >"$T/in.jsonl"
	kanx predict -m "$Q" "$T/in.jsonl" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
	kanx predict -m "$Q" -f jsonl "$T/in.jsonl" >"$T/out.jsonl"
	[ "$(wc -l <"$T/out.jsonl")" -eq 256 ]
	jsonl_to_csv <"$T/out.jsonl" >"$T/b.csv"
	csv_close "$T/b.csv" "$QEXP"
	# sniffed from stdin too
	kanx predict -m "$Q" -f jsonl <"$T/in.jsonl" | jsonl_to_csv >"$T/c.csv"
	csv_close "$T/c.csv" "$QEXP"
}

@test "JSON lines: a 2-D array line is a batch; output mirrors it" {
	rows | head -6 | awk '{ printf "%s[%s]", (NR % 3 == 1 ? "[" : ","), $0; if (NR % 3 == 0) print "]" }' >"$T/in.jsonl"
	[ "$(wc -l <"$T/in.jsonl")" -eq 2 ]
	run kanx predict -m "$Q" -f jsonl "$T/in.jsonl"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c 'length' <<<"${lines[0]}")" = 3 ]
	[ "$(jq -c '.[0] | length' <<<"${lines[0]}")" = 1 ]
	printf '%s\n' "${lines[@]}" | jq -r '.[] | map(tostring) | join(",")' | { echo y0; cat; } >"$T/a.csv"
	head -7 "$QEXP" >"$T/want.csv"
	csv_close "$T/a.csv" "$T/want.csv"
}

@test "JSON lines: objects with x and any id; the id is echoed" {
	cat >"$T/in.jsonl" <<-'EOF'
	{"x": [0.1, 0.2], "id": "a"}
	{"id": 7, "x": [[0.1, 0.2], [0.3, 0.4]]}
	{"x": [0.1, 0.2], "id": {"k": [1, "b"]}, "meta": null}
	{"x": [0.1, 0.2]}
	{"id": "caf\u00e9 \"q\"", "x": [0.1, 0.2]}
	EOF
	run kanx predict -m "$Q" -f jsonl "$T/in.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -c .id <<<"${lines[0]}")" = '"a"' ]
	[ "$(jq -c '.y | length' <<<"${lines[0]}")" = 1 ]
	[ "$(jq -c '[.id, (.y | length), (.y[0] | length)]' <<<"${lines[1]}")" = '[7,2,1]' ]
	[ "$(jq -c .id <<<"${lines[2]}")" = '{"k":[1,"b"]}' ]
	[ "$(jq -c 'keys' <<<"${lines[3]}")" = '["y"]' ]
	[ "$(jq -r .id <<<"${lines[4]}")" = 'café "q"' ]
	# CSV output: ids as a column when asked for
	run kanx predict -m "$Q" --id id "$T/in.jsonl"
	[ "${lines[0]}" = "id,y0" ]
	[[ "${lines[1]}" == a,* ]]
	[[ "${lines[2]}" == 7,* && "${lines[3]}" == 7,* ]]
	[[ "${lines[4]}" == '"{""k"":[1,""b""]}",'* ]]
	[[ "${lines[5]}" == ,* ]]
}

@test "API documents: one {\"x\": ..} per request, may span lines; --format api answers each" {
	{ echo '{"x": ['; rows | head -5 | sed 's/.*/[&]/' | paste -sd, -; echo ']}'; } >"$T/req"
	run kanx predict -m "$Q" -f api "$T/req"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c .shape <<<"$output")" = '[5,1]' ]
	jq -e '.inference_ms >= 0' <<<"$output" >/dev/null
	jq -r '.output[] | map(tostring) | join(",")' <<<"$output" | { echo y0; cat; } >"$T/a.csv"
	head -6 "$QEXP" >"$T/want.csv"
	csv_close "$T/a.csv" "$T/want.csv"
	# a 1-D x is one sample; several documents give several responses
	printf '{"x": [0.1, 0.2]}\n{"x":\n [[0.1, 0.2],\n  [0.3, 0.4]]\n}\n' >"$T/two.json"
	run kanx predict -m "$Q" -f api "$T/two.json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c .shape <<<"${lines[0]}")" = '[1,1]' ]
	[ "$(jq -c '.output | length' <<<"${lines[0]}")" = 1 ]
	[ "$(jq -c .shape <<<"${lines[1]}")" = '[2,1]' ]
}

@test "format detection: extension, sniffing, and --input-format overriding both" {
	printf '{"x": [[0.1, 0.2], [0.3, 0.4]]}\n' >"$T/one.json"
	# .json is an API document: one response
	[ "$(kanx predict -m "$Q" -f api "$T/one.json" | jq -c .shape)" = '[2,1]' ]
	# the same line on stdin is JSON lines: a 2-D record
	[ "$(kanx predict -m "$Q" -f jsonl <"$T/one.json" | jq -c '.y | length')" = 2 ]
	# a '{' document over several lines on stdin is an API request
	printf '{\n"x": [0.1, 0.2]\n}\n' | kanx predict -m "$Q" -f api | jq -e '.shape == [1,1]'
	# --input-format wins over the extension
	rows | sed 's/.*/[&]/' >"$T/rows.csv"
	kanx predict -m "$Q" --input-format jsonl "$T/rows.csv" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
	run kanx predict -m "$Q" --input-format xml "$T/rows.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"csv, tsv, jsonl, api"* ]]
}

@test "--format api for CSV input: one response per --max-batch rows, whatever the batch size" {
	run kanx predict -m "$Q" -f api --max-batch 100 --batch-size 7 "$QIN"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -c .shape | paste -sd' ' -)" = '[100,1] [100,1] [56,1]' ]
	printf '%s\n' "${lines[@]}" | jq -r '.output[] | map(tostring) | join(",")' | { echo y0; cat; } >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
}

@test "--precision N prints N significant digits; --no-output-header drops the header" {
	kanx predict -m "$Q" --precision 3 "$QIN" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP" 5e-3
	# no value has more than 3 significant digits (grep: 1 = no line matched)
	tail -n +2 "$T/a.csv" | sed 's/e.*//; s/[-.]//g; s/^0*//' >"$T/digits"
	[ -s "$T/digits" ]
	run grep -q '....' "$T/digits"
	[ "$status" -eq 1 ]
	kanx predict -m "$Q" --no-output-header "$QIN" >"$T/b.csv"
	[ "$(wc -l <"$T/b.csv")" -eq 256 ]
	{ echo y0; cat "$T/b.csv"; } >"$T/c.csv"
	csv_close "$T/c.csv" "$QEXP"
	run kanx predict -m "$Q" --precision 12 "$QIN"
	[ "$status" -eq 2 ]
}

@test "default output is short: at most 9 significant digits, no padding zeros" {
	kanx predict -m "$Q" "$QIN" >"$T/a.csv"
	# no more than 9 significant digits, and not padded (grep: 1 = no line matched)
	tail -n +2 "$T/a.csv" | sed 's/e.*//; s/[-.]//g; s/^0*//' >"$T/digits"
	[ "$(wc -l <"$T/digits")" -eq 256 ]
	run grep -q '..........' "$T/digits"
	[ "$status" -eq 1 ]
	run grep -q '\.[0-9]*0$' "$T/a.csv"
	[ "$status" -eq 1 ]
}

@test "empty input: CSV output is just the header; JSON lines output is empty" {
	run kanx predict -m "$Q" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = y0 ]
	run kanx predict -m "$Q" -f jsonl </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	printf 'f0,f1\n\n\n' | kanx predict -m "$Q" | grep -qx y0
}

@test "--batch-size: any size gives the same rows; over the max batch is a usage error" {
	for b in 1 7 256 1000; do
		kanx predict -m "$Q" --batch-size $b "$QIN" >"$T/a.csv"
		csv_close "$T/a.csv" "$QEXP" || { echo "batch $b"; false; }
	done
	run kanx predict -m "$Q" --batch-size 5000 "$QIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *"over the max batch of 4096"* ]]
	run kanx predict -m "$Q" --max-batch 10 --batch-size 11 "$QIN"
	[ "$status" -eq 2 ]
	KANX_MAX_BATCH=10 kanx predict -m "$Q" "$QIN" >"$T/b.csv"
	csv_close "$T/b.csv" "$QEXP"
}

@test "a long input crosses many reads and batches; every row comes out in order" {
	for i in $(seq 40); do rows; done >"$T/big.csv"
	for i in $(seq 40); do tail -n +2 "$QEXP"; done | { echo y0; cat; } >"$T/want.csv"
	kanx predict -m "$Q" --batch-size 333 <"$T/big.csv" >"$T/a.csv"
	csv_close "$T/a.csv" "$T/want.csv"
	sed 's/.*/[&]/' "$T/big.csv" | kanx predict -m "$Q" >"$T/b.csv"
	csv_close "$T/b.csv" "$T/want.csv"
}

@test "--threads and KANX_THREADS: same results; a bad value is a usage error" {
	kanx predict -m "$Q" --threads 2 "$QIN" >"$T/a.csv"
	csv_close "$T/a.csv" "$QEXP"
	KANX_THREADS=2 kanx predict -m "$Q" "$QIN" >"$T/b.csv"
	csv_close "$T/b.csv" "$QEXP"
	KANX_THREADS=0 run kanx predict -m "$Q" "$QIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *KANX_THREADS* ]]
	run kanx predict -m "$Q" --threads x "$QIN"
	[ "$status" -eq 2 ]
}

@test "values outside layer 0's grid: one warning with the count; --strict-range refuses them" {
	printf 'f0,f1\n0.5,0.5\n5,0.5\n-3,7\n' >"$T/out.csv"
	run kanx predict -m "$Q" "$T/out.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[4]}" = "kanx: warning: 3 values outside the grid range [-1, 1] of layer 0" ]
	run kanx predict -m "$Q" "$QIN"
	[[ "$output" != *warning* ]]
	run kanx predict -m "$Q" --strict-range "$T/out.csv"
	[ "$status" -eq 5 ]
	[[ "$output" == *"out.csv:3:1: field 1 (\"f0\"): 5 is outside the grid range [-1, 1] of layer 0 (--strict-range)"* ]]
	printf '[0.5, 0.5]\n[0.5, 1.5]\n' >"$T/in"
	run kanx predict -m "$Q" --strict-range <"$T/in"
	[ "$status" -eq 5 ]
	[[ "$output" == *"<stdin>:2:7: record 2: x[1]: 1.5 is outside"* ]]
}

@test "streaming: the first results come out while the input is still open" {
	mkfifo "$T/in" "$T/gate"
	: >"$T/out.csv"
	# writer: some rows, then wait at the gate before the rest
	{ rows | head -3; read -r _ <"$T/gate"; rows | tail -3; } >"$T/in" &
	kanx predict -m "$Q" <"$T/in" >"$T/out.csv" &
	pid=$!
	for i in $(seq 100); do
		[ "$(wc -l <"$T/out.csv")" -ge 4 ] && break
		sleep 0.05
	done
	n=$(wc -l <"$T/out.csv")
	timeout 10 bash -c 'echo go >"$1"' _ "$T/gate" || true
	wait $pid
	[ "$n" -eq 4 ]  # header + 3 rows before the input ended
	[ "$(wc -l <"$T/out.csv")" -eq 7 ]
}

@test "a failed write to stdout is exit 7 with a message" {
	run bash -c '"$0" predict -m "$1" "$2" >/dev/full' "$KANX" "$Q" "$QIN"
	[ "$status" -eq 7 ]
	[[ "$output" == *"write error on standard output"* ]]
}

@test "a reader that goes away: no message (SIGPIPE, or EPIPE when ignored)" {
	for i in $(seq 80); do rows; done >"$T/big.csv"
	run bash -c '"$0" predict -m "$1" "$2" 2>"$3" | head -1' "$KANX" "$Q" "$T/big.csv" "$T/err"
	[ "$output" = y0 ]
	[ ! -s "$T/err" ]
	run bash -c 'trap "" PIPE; "$0" predict -m "$1" "$2" 2>"$3" | head -1; exit ${PIPESTATUS[0]}' \
		"$KANX" "$Q" "$T/big.csv" "$T/err"
	[ "$output" = y0 ]
	[ "$status" -eq 7 ]
	[ ! -s "$T/err" ]
}

@test "a row's prediction does not depend on its batch or on the thread count" {
	m="$FIX/models/bench16.keras"; in="$FIX/models/bench16_input.csv"
	for kern in $(kernels); do
		export KANX_KERNEL=$kern
		kanx predict -m "$m" -t 1 -b 1 "$in" >"$BATS_TEST_TMPDIR/b1.csv"
		for opts in "-t 1 -b 7" "-t 1 -b 1024" "-t 2 -b 100" "-t 2 -b 4096" "-t 3 -b 33"; do
			kanx predict -m "$m" $opts "$in" >"$BATS_TEST_TMPDIR/o.csv"
			cmp "$BATS_TEST_TMPDIR/b1.csv" "$BATS_TEST_TMPDIR/o.csv" ||
				{ echo "differs with $opts ($kern)"; false; }
		done
	done
}

@test "KANX_KERNEL: blis and auto run; an unknown kernel is a usage error naming it" {
	KANX_KERNEL=blis run kanx predict -m "$Q" "$QIN"
	[ "$status" -eq 0 ]
	csv_close <(printf '%s\n' "$output") "$QEXP"
	KANX_KERNEL=auto run kanx --version -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"kernel "* ]]
	KANX_KERNEL=blis run kanx --version -v
	[[ "$output" == *"kernel blis"* ]]
	KANX_KERNEL=cuda run kanx predict -m "$Q" "$QIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *"KANX_KERNEL: 'cuda' is not a kernel here"* ]]
}

@test "--stats sums up on stderr; --progress draws on stderr; stdout is the same either way" {
	kanx predict -m "$Q" "$QIN" >"$BATS_TEST_TMPDIR/plain.csv"
	kanx predict -m "$Q" --stats --progress -b 50 "$QIN" >"$BATS_TEST_TMPDIR/with.csv" 2>"$BATS_TEST_TMPDIR/err"
	cmp "$BATS_TEST_TMPDIR/plain.csv" "$BATS_TEST_TMPDIR/with.csv"
	n=$(( $(wc -l <"$QIN") - 1 ))
	tr '\r' '\n' <"$BATS_TEST_TMPDIR/err" | grep -q "^kanx: stats: $n records read, 0 refused, $n rows scored in $(( (n + 49) / 50 )) batches, "
	# stderr is a file: no '\r' frames, the last line says how many rows
	run grep -c $'\r' "$BATS_TEST_TMPDIR/err"
	[ "$output" = 0 ]
	grep -Eqx "kanx: progress: $n rows in [0-9]+\.[0-9] s, [0-9,]+ rows/s" "$BATS_TEST_TMPDIR/err"
}

@test "--progress into a file or a pipe: plain lines, no '\r', counts with thousands separators" {
	awk 'BEGIN { print "f0,f1"; for (i = 0; i < 12345; i++) print (i % 100) / 100 "," (i % 37) / 37 }' >"$BATS_TEST_TMPDIR/in.csv"
	kanx predict -m "$Q" --progress "$BATS_TEST_TMPDIR/in.csv" >/dev/null 2>"$BATS_TEST_TMPDIR/err"
	# a short run: the final line alone (a long one adds a line every 10 s)
	run cat "$BATS_TEST_TMPDIR/err"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^kanx:\ progress:\ 12,345\ rows\ in\ [0-9]+\.[0-9]\ s,\ [0-9]{1,3}(,[0-9]{3})*\ rows/s$ ]]
	[[ "$output" != *$'\r'* ]]
	# into a pipe, from standard input, on two threads: the same
	kanx predict -m "$Q" --progress -t 2 <"$BATS_TEST_TMPDIR/in.csv" 2>&1 >/dev/null | cat >"$BATS_TEST_TMPDIR/err"
	run cat "$BATS_TEST_TMPDIR/err"
	[[ "$output" =~ ^kanx:\ progress:\ 12,345\ rows\ in ]]
	[ "${#lines[@]}" -eq 1 ]
	# no rows read: the final line says so, with no frame before it
	printf 'f0,f1\n' | kanx predict -m "$Q" --progress 2>"$BATS_TEST_TMPDIR/err" >/dev/null
	grep -Eqx 'kanx: progress: 0 rows in [0-9.]+ s, 0 rows/s' "$BATS_TEST_TMPDIR/err"
}

@test "--progress on a terminal: '\r' frames from the first rows on (never a '0 rows' frame), grouped counts, erased at the end" {
	command -v script >/dev/null || skip "no script(1)"
	# rows come in slowly through a pipe, so frames are drawn (every 200 ms)
	cat >"$BATS_TEST_TMPDIR/run.sh" <<SH
{ echo f0,f1; sleep 0.5; for i in 1 2 3 4; do for j in \$(seq 1500); do echo 0.5,0.2; done; sleep 0.4; done; } |
	"$KANX" predict -m "$Q" -b 1000 >/dev/null
SH
	script -qec "bash $BATS_TEST_TMPDIR/run.sh" /dev/null >"$BATS_TEST_TMPDIR/tty" </dev/null
	tr '\r' '\n' <"$BATS_TEST_TMPDIR/tty" | sed 's/ *$//' | grep . >"$BATS_TEST_TMPDIR/frames" || true
	cat "$BATS_TEST_TMPDIR/frames"
	# at least one frame, every one with rows, and a thousands separator
	# once past 999 rows; no bar for a pipe
	[ "$(wc -l <"$BATS_TEST_TMPDIR/frames")" -ge 1 ]
	run grep -Evx '[1-9][0-9]{0,2}(,[0-9]{3})* rows, [0-9]{1,3}(,[0-9]{3})* rows/s' "$BATS_TEST_TMPDIR/frames"
	[ "$status" -eq 1 ]
	run grep -E '^0 rows' "$BATS_TEST_TMPDIR/frames"
	[ "$status" -eq 1 ]
	grep -q ',' "$BATS_TEST_TMPDIR/frames"
	# erased at the end: the last thing written is a carriage return
	[ "$(tail -c 1 "$BATS_TEST_TMPDIR/tty" | od -An -c | tr -d ' ')" = '\r' ]
}

@test "--stats: the stage times are thread-seconds, told apart from the wall time" {
	kanx predict -m "$Q" --stats -t 2 "$QIN" 2>"$BATS_TEST_TMPDIR/err" >/dev/null
	grep -Eq '^kanx: stats: [0-9]+ records read, .* batches, [0-9.]+ s wall time, [0-9]+ rows/s$' "$BATS_TEST_TMPDIR/err"
	grep -Eqx 'kanx: stats: thread-seconds per stage \(summed over threads, as CPU seconds are\): reading and parsing [0-9.]+, forward pass [0-9.]+ on 2 threads, formatting and writing [0-9.]+' "$BATS_TEST_TMPDIR/err"
	kanx predict -m "$Q" --stats -t 1 "$QIN" 2>"$BATS_TEST_TMPDIR/err" >/dev/null
	grep -Eq 'forward pass [0-9.]+ on 1 thread, ' "$BATS_TEST_TMPDIR/err"
}

@test "no progress line unless asked when stderr is not a terminal; --no-progress wins" {
	run --separate-stderr kanx predict -m "$Q" "$QIN"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ] || [[ "$stderr" != *"rows/s"* ]]
	run --separate-stderr kanx predict -m "$Q" --progress --no-progress "$QIN"
	[[ "$stderr" != *"rows/s"* ]]
}

@test "--stats counts refused records" {
	printf 'f0,f1\n0.1,0.2\n0.1,x\n0.3,0.4\n' >"$BATS_TEST_TMPDIR/in.csv"
	run --separate-stderr kanx predict -m "$Q" --max-errors 1 --stats "$BATS_TEST_TMPDIR/in.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"stats: 3 records read, 1 refused, 2 rows scored in 1 batches"* ]]
}

# The one-pass fast path (compact lines) and the general path (the same
# values with blanks around them, which the fast path leaves alone) must
# give the same values, records, line numbers and refusals.
fast_slow_inputs() {
	# field shapes: plain, signed, exponents, no digit on one side of the
	# point, leading zeros, a surplus or missing field, bad text, overflow
	local v
	for v in 0.5,-0.25 -1e-3,2E+1 +0.75,1. .5,007 0,-0 1e,0.1 0.1,x 0.1,1e39 \
	         0.1 0.1,0.2,0.3 0.1,,0.2 0.3,0.4 123456789012345678901234,0.1; do
		printf '%s\n' "$v" >>"$T/fast.csv"
		printf '%s\n' "$v" | sed 's/,/ , /g; s/^/ /; s/$/ /' >>"$T/slow.csv"
		printf '[%s]\n' "$v" >>"$T/fast.jsonl"
		printf '[ %s ]\n' "$v" | sed 's/,/ , /g' >>"$T/slow.jsonl"
	done
	printf '0.5,0.5\r\n\n-0.5,0.5\n' >>"$T/fast.csv"
	printf ' 0.5,0.5\r\n\n-0.5 ,0.5\n' >>"$T/slow.csv"
	printf '[0.5,0.5]\r\n\n[-0.5,0.5]\n' >>"$T/fast.jsonl"
	printf '[0.5, 0.5]\r\n\n[-0.5,0.5 ]\n' >>"$T/slow.jsonl"
}

@test "compact lines and lines with blanks give the same rows and refusals (CSV, JSON lines)" {
	fast_slow_inputs
	for x in csv jsonl; do
		for t in 1 2; do
			kanx predict -m "$Q" -t $t --no-header -f jsonl --max-errors 100 "$T/fast.$x" >"$T/fast.out" 2>"$T/fast.err"
			kanx predict -m "$Q" -t $t --no-header -f jsonl --max-errors 100 "$T/slow.$x" >"$T/slow.out" 2>"$T/slow.err"
			cmp "$T/fast.out" "$T/slow.out" || { echo "$x -t $t: outputs differ"; false; }
			# the same records refused, on the same lines (columns differ)
			sed -E 's/.*[.](csv|jsonl):([0-9]+):[0-9]+: /\2 /; s/got "[^"]*"//' "$T/fast.err" >"$T/fast.lines"
			sed -E 's/.*[.](csv|jsonl):([0-9]+):[0-9]+: /\2 /; s/got "[^"]*"//' "$T/slow.err" >"$T/slow.lines"
			cmp "$T/fast.lines" "$T/slow.lines" || { echo "$x -t $t: refusals differ"; cat "$T/fast.err" "$T/slow.err"; false; }
		done
	done
	# JSON refuses the shapes that are not JSON numbers; CSV takes them
	grep -q 'fast.jsonl:3:2: ' "$T/fast.err"
	grep -q 'fast.jsonl:4:2: ' "$T/fast.err"
	run grep -q 'fast.jsonl:1:' "$T/fast.err"
	[ "$status" -eq 1 ]
	[ "$(wc -l <"$T/fast.out")" -eq 7 ]
}
