#!/usr/bin/env bats
# Every row accounted for, every output whole (issue 11): one test or more
# per class: the header rule, the error budget, -o FILE, standard
# descriptors closed at start, serve-stdin's named model, write errors
# reported the one way by every command, API batches that depend on the
# input alone, validate reading what predict reads. Faults (signals, full
# disks, file size limits, cut input) are in faults.bats.
load helpers
bats_require_minimum_version 1.5.0

Q="$FIX/models/quickstart.keras"   # 2 features in, 1 out
QIN="$FIX/models/quickstart_input.csv"

setup() {
	T="$BATS_TEST_TMPDIR"
	unset KANX_CHECKPOINT KANX_CONFIG KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS
}

# rows N [SEED]: N rows of two features in [-1, 1], no header.
rows() {
	awk -v n="$1" -v seed="${2:-1}" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.6f,%.6f\n", 2 * rand() - 1, 2 * rand() - 1 }'
}

# The predictions for good rows alone: what a run that refuses some rows
# must write for the rest.
scored() { kanx predict -m "$Q" --no-header "$@"; }

# ---- 1. the header rule ---------------------------------------------------

@test "header: a first line mixing numbers and names is a bad row, never the header" {
	for first in '0.5,abc' 'abc,0.5' '1e5,x1' 'f0,,'; do
		printf '%s\n0.1,0.2\n' "$first" >"$T/in.csv"
		run --separate-stderr kanx predict -m "$Q" "$T/in.csv"
		[ "$status" -eq 5 ] || { echo "$first: status $status"; false; }
		[ "$output" = y0 ]
		[[ "$stderr" == "kanx: $T/in.csv:1:"*"; the first line is not a header: a header has a name in every column" ]] ||
			{ echo "$first: $stderr"; false; }
	done
	printf '0.5,abc\n0.1,0.2\n' >"$T/in.csv"
	run --separate-stderr kanx predict -m "$Q" "$T/in.csv"
	[ "$stderr" = "kanx: $T/in.csv:1:5: field 2: expected a plain decimal number, got \"abc\"; the first line is not a header: a header has a name in every column" ]
	# skipped, it is a refused record like any other, and the next line is data
	run --separate-stderr kanx predict -m "$Q" --max-errors 1 "$T/in.csv"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.1,0.2\n' | scored)" ]
}

@test "header: nan, inf and other number spellings make a data row (refused), not a header" {
	for first in 'nan,1' 'NaN,1' '0.5,inf' '-Infinity,0' '0x1p3,0.5' 'nan,nan'; do
		printf '%s\n0.1,0.2\n' "$first" >"$T/in.csv"
		run --separate-stderr kanx predict -m "$Q" "$T/in.csv"
		[ "$status" -eq 5 ] || { echo "$first: status $status"; false; }
		[ "$output" = y0 ]
		[[ "$stderr" == "kanx: $T/in.csv:1:"*": expected a plain decimal number, got "* ]] || { echo "$first: $stderr"; false; }
		[[ "$stderr" != *"header"* ]]
	done
}

@test "header: a JSON array line read as CSV or TSV is a bad row, not a header" {
	printf '[0.5,0.2]\n[0.1,0.2]\n' >"$T/in.txt"
	run --separate-stderr kanx predict -m "$Q" -i csv "$T/in.txt"
	[ "$status" -eq 5 ]
	[ "$output" = y0 ]
	[ "$stderr" = "kanx: $T/in.txt:1:1: field 1: expected a plain decimal number, got \"[0.5\"" ]
	printf '[0.5\t0.2]\n' >"$T/in.tsv"
	run --separate-stderr kanx predict -m "$Q" "$T/in.tsv"
	[ "$status" -eq 5 ]
	[ "$stderr" = "kanx: $T/in.tsv:1:1: field 1: expected a plain decimal number, got \"[0.5\"" ]
}

@test "header: a line of names is the header (CSV and TSV); --header and --no-header decide instead" {
	rows 5 >"$T/r.csv"
	scored "$T/r.csv" >"$T/want"
	for h in 'f0,f1' 'x,y' 'temp_c,Größe' '"a, b",c' '_1,_2'; do
		{ echo "$h"; cat "$T/r.csv"; } >"$T/in.csv"
		run kanx predict -m "$Q" "$T/in.csv"
		[ "$status" -eq 0 ] || { echo "$h: $output"; false; }
		[ "$output" = "$(cat "$T/want")" ] || { echo "$h: $output"; false; }
	done
	{ printf 'f0\tf1\n'; tr , '\t' <"$T/r.csv"; } >"$T/in.tsv"
	[ "$(kanx predict -m "$Q" "$T/in.tsv")" = "$(cat "$T/want")" ]
	# numeric column names need --header
	{ echo "0,1"; cat "$T/r.csv"; } >"$T/in.csv"
	[ "$(kanx predict -m "$Q" --header "$T/in.csv")" = "$(cat "$T/want")" ]
	[ "$(kanx predict -m "$Q" --header "$T/in.csv" | wc -l)" -eq 6 ]
	run kanx predict -m "$Q" --no-header "$T/r.csv"
	[ "$output" = "$(cat "$T/want")" ]
}

@test "a CSV or TSV line cut off at the end (no newline) is refused; a JSON line shows its end" {
	rows 3 >"$T/r.csv"
	for cut in '0.25,0.' '0.25,0.2' '0.25' '0.3,0.4\r'; do
		{ echo f0,f1; cat "$T/r.csv"; printf "$cut"; } >"$T/in.csv"
		run --separate-stderr kanx predict -m "$Q" "$T/in.csv"
		[ "$status" -eq 5 ] || { echo "$cut: $status"; false; }
		[ "$output" = "$(scored "$T/r.csv")" ]
		[[ "$stderr" == "kanx: $T/in.csv:5:"*": the last line has no newline: the input looks cut off here (end the line if it is whole)" ||
		   "$stderr" == "kanx: $T/in.csv:5:"*"Expected 2 features per sample, got 1" ]] || { echo "$stderr"; false; }
	done
	printf 'f0\tf1\n0.1\t0.2' >"$T/in.tsv"
	run --separate-stderr kanx predict -m "$Q" "$T/in.tsv"
	[ "$status" -eq 5 ]
	[ "$stderr" = "kanx: $T/in.tsv:2:8: the last line has no newline: the input looks cut off here (end the line if it is whole)" ]
	# JSON needs no final newline: its brackets say where it ends
	printf '[0.1,0.2]' | kanx predict -m "$Q" -f jsonl >"$T/j"
	[ "$(cat "$T/j")" = "$(printf '[0.1,0.2]\n' | kanx predict -m "$Q" -f jsonl)" ]
	printf '{"x": [0.1, 0.2]}' | kanx predict -m "$Q" -i api -f jsonl >/dev/null
	# a header alone without its newline is no row
	printf 'f0,f1' | kanx predict -m "$Q" >"$T/h"
	[ "$(cat "$T/h")" = y0 ]
}

# ---- 2. the error budget ---------------------------------------------------

@test "skip: any refused record fails the run by default, after every good row is written" {
	printf 'f0,f1\n0.1,0.2\n0.1,x\n0.3,0.4\n0.5\n' >"$T/in.csv"
	printf '0.1,0.2\n0.3,0.4\n' >"$T/good.csv"
	run --separate-stderr kanx predict -m "$Q" --on-error skip --rejects "$T/rej" "$T/in.csv"
	[ "$status" -eq 5 ]
	[ "$output" = "$(scored "$T/good.csv")" ]
	[ "$(cat "$T/rej")" = "$(printf 'f0,f1\n0.1,x\n0.5')" ]   # the header first
	[ "$stderr" = "kanx: $T/in.csv:3:5: field 2 (\"f1\"): expected a plain decimal number, got \"x\"
kanx: $T/in.csv:5:4: Expected 2 features per sample, got 1
kanx: predict: 2 of 4 records refused: over the error budget (none allowed by default: see --max-errors)" ]
}

@test "skip: --max-errors N and --max-error-rate R set the budget; the summary names the counts" {
	printf '0.1,0.2\n0.1,x\n0.3,0.4\n0.5\n0.6,0.7\n' >"$T/in.csv"   # 2 of 5 refused
	printf '0.1,0.2\n0.3,0.4\n0.6,0.7\n' >"$T/good.csv"
	budget() {
		run --separate-stderr kanx predict -m "$Q" "$@" "$T/in.csv"
		[ "$output" = "$(scored "$T/good.csv")" ] || { echo "output: $output"; return 1; }
		last=${stderr##*$'\n'}
	}
	budget --max-errors 2
	[ "$status" -eq 0 ]
	[ "$last" = "kanx: warning: 2 of 5 records refused (within the error budget: --max-errors 2)" ]
	budget --max-errors 1
	[ "$status" -eq 5 ]
	[ "$last" = "kanx: predict: 2 of 5 records refused: over the error budget (--max-errors 1)" ]
	budget --max-error-rate 0.4
	[ "$status" -eq 0 ]
	[ "$last" = "kanx: warning: 2 of 5 records refused (within the error budget: --max-error-rate 0.4)" ]
	budget --max-error-rate 0.39
	[ "$status" -eq 5 ]
	[ "$last" = "kanx: predict: 2 of 5 records refused: over the error budget (--max-error-rate 0.39)" ]
	# both: within both
	budget --max-errors 5 --max-error-rate 0.1
	[ "$status" -eq 5 ]
	[ "$last" = "kanx: predict: 2 of 5 records refused: over the error budget (--max-errors 5, --max-error-rate 0.1)" ]
	budget --max-errors 2 --max-error-rate 1
	[ "$status" -eq 0 ]
	# JSON lines and a 413 record count the same way
	printf '[0.1,0.2]\n[[0,0],[0,0],[0,0]]\n[0.3,0.4]\n' >"$T/in.jsonl"
	run --separate-stderr kanx predict -m "$Q" --max-batch 2 --max-errors 0 "$T/in.jsonl"
	[ "$status" -eq 5 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *"1 of 3 records refused: over the error budget (--max-errors 0)" ]]
	# nothing refused: no summary line
	run --separate-stderr kanx predict -m "$Q" --on-error skip "$T/good.csv"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "skip: budget options are checked (exit 2)" {
	for bad in "--max-errors -1" "--max-errors x" "--max-error-rate 1.5" "--max-error-rate -0.1" \
	           "--max-error-rate abc" "--max-error-rate nan" "--max-error-rate ''"; do
		eval "run kanx predict -m \"\$Q\" $bad /dev/null"
		[ "$status" -eq 2 ] || { echo "$bad: $status"; false; }
	done
}

# ---- 3. -o FILE --------------------------------------------------------------

@test "-o FILE: written whole on success, with FILE's permissions; the same bytes as standard output" {
	kanx predict -m "$Q" "$QIN" >"$T/want"
	kanx predict -m "$Q" -o "$T/out.csv" "$QIN"
	cmp "$T/out.csv" "$T/want"
	echo old >"$T/out.csv"
	chmod 640 "$T/out.csv"
	kanx predict -m "$Q" -o "$T/out.csv" -f csv "$QIN"
	cmp "$T/out.csv" "$T/want"
	[ "$(stat -c %a "$T/out.csv")" = 640 ]
	[ "$(ls -A "$T" | grep -c kanx-)" -eq 0 ]
	# through a symbolic link: the file it points to is replaced, the link kept
	ln -s out.csv "$T/link.csv"
	echo old >"$T/out.csv"
	kanx predict -m "$Q" -o "$T/link.csv" "$QIN"
	[ -L "$T/link.csv" ]
	cmp "$T/out.csv" "$T/want"
	# -o - is standard output
	[ "$(kanx predict -m "$Q" -o - "$QIN")" = "$(cat "$T/want")" ]
}

@test "-o FILE: a failed run leaves FILE as it was (or absent) and no temporary file" {
	printf 'f0,f1\n0.1,0.2\n0.3,x\n' >"$T/bad.csv"
	echo precious >"$T/out.csv"
	run --separate-stderr kanx predict -m "$Q" -o "$T/out.csv" "$T/bad.csv"
	[ "$status" -eq 5 ]
	[ "$(cat "$T/out.csv")" = precious ]
	[ "$(ls -A "$T" | grep -c kanx-)" -eq 0 ]
	# over the error budget is a failed run too
	run --separate-stderr kanx predict -m "$Q" -o "$T/out.csv" --on-error skip "$T/bad.csv"
	[ "$status" -eq 5 ]
	[ "$(cat "$T/out.csv")" = precious ]
	run --separate-stderr kanx predict -m "$Q" -o "$T/new.csv" "$T/bad.csv"
	[ "$status" -eq 5 ]
	[ ! -e "$T/new.csv" ]
	[ "$(ls -A "$T" | grep -c kanx-)" -eq 0 ]
	# a directory that cannot hold it: exit 7, nothing written
	run --separate-stderr kanx predict -m "$Q" -o "$T/no/such/dir/out.csv" "$QIN"
	[ "$status" -eq 7 ]
	[ "$stderr" = "kanx: $T/no/such/dir/out.csv: cannot create a file next to it: No such file or directory" ]
	run --separate-stderr kanx predict -m "$Q" -o "$T" "$QIN"
	[ "$status" -eq 7 ]
	[ "$stderr" = "kanx: $T: is a directory" ]
}

# ---- 4. standard descriptors closed at start --------------------------------------

@test "closed stdout: a write error (exit 7); --rejects never receives the predictions" {
	printf 'f0,f1\n0.1,0.2\n0.3,x\n0.5,0.6\n' >"$T/in.csv"
	run --separate-stderr bash -c '"$0" predict -m "$1" --rejects "$2" --max-errors 1 "$3" >&-' \
		"$KANX" "$Q" "$T/rej" "$T/in.csv"
	[ "$status" -eq 7 ]
	[ "$(cat "$T/rej")" = "$(printf 'f0,f1\n0.3,x')" ]
	[[ "$stderr" == *"kanx: write error on standard output: Bad file descriptor; the output holds the first 0 rows" ]]
}

@test "closed stderr: messages are lost, not written to --rejects; the status still tells" {
	printf 'f0,f1\n0.1,0.2\n0.3,x\n0.5,0.6\n' >"$T/in.csv"
	run bash -c '"$0" predict -m "$1" --rejects "$2" "$3" 2>&-' "$KANX" "$Q" "$T/rej" "$T/in.csv"
	[ "$status" -eq 5 ]
	[ "$(cat "$T/rej")" = "$(printf 'f0,f1\n0.3,x')" ]
	[ "$output" = "$(printf '0.1,0.2\n0.5,0.6\n' | scored)" ]
	run bash -c '"$0" predict -m "$1" -o "$2" "$3" 2>&-' "$KANX" "$Q" "$T/out.csv" "$QIN"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/out.csv")" -eq 257 ]
}

@test "closed stdin: reading it is an I/O error (exit 7), not the end of the input" {
	run --separate-stderr bash -c '"$0" predict -m "$1" <&-' "$KANX" "$Q"
	[ "$status" -eq 7 ]
	[ "$stderr" = "kanx: <stdin>: read error: Bad file descriptor" ]
}

# ---- 5. serve-stdin's named model --------------------------------------------

@test "serve-stdin -m MODEL must load at start-up: a typo is exit 3, a broken model exit 4" {
	cp "$Q" "$T/quickstart.keras"
	run --separate-stderr kanx serve-stdin -m "$T/quickstrat.keras" <<<'{"op": "health"}'
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "kanx: Checkpoint not found: $T/quickstrat.keras; did you mean '$T/quickstart.keras'?" ]
	run --separate-stderr kanx serve-stdin -m "$T/none.keras" </dev/null
	[ "$status" -eq 3 ]
	[ "$stderr" = "kanx: Checkpoint not found: $T/none.keras" ]
	head -c 100 "$Q" >"$T/cut.keras"
	run --separate-stderr kanx serve-stdin -m "$T/cut.keras" </dev/null
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	# -m wins over KANX_CHECKPOINT and KANX_CONFIG: no fresh model for a typo
	KANX_CONFIG="$KANX_SRCDIR/tests/configs/kan_a.yaml" KANX_CHECKPOINT="$Q" \
		run --separate-stderr kanx serve-stdin -m "$T/quickstrat.keras" </dev/null
	[ "$status" -eq 3 ]
}

@test "serve-stdin without -m: a missing \$KANX_CHECKPOINT is the API's fresh start" {
	KANX_CHECKPOINT="$T/none.keras" run --separate-stderr kanx serve-stdin <<<'{"x": [0.1, 0.2]}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"status": 503, "detail": "Model not initialised"}' ]
	[[ "$stderr" == *"checkpoint not found: $T/none.keras"* ]]
	# but one that exists must load
	head -c 100 "$Q" >"$T/cut.keras"
	KANX_CHECKPOINT="$T/cut.keras" run --separate-stderr kanx serve-stdin </dev/null
	[ "$status" -eq 4 ]
}

# ---- 7. write errors: every command, the same way ------------------------------------

@test "every command reports a failed write to standard output the same way (exit 7)" {
	printf '{"op": "health"}\n' >"$T/req"
	for cmd in "inspect $Q" "inspect --json $Q" "inspect --edges 0 $Q" "inspect --plot $Q" "inspect --plot --edges 1 $Q" \
	           "validate -m $Q" "validate --json -m $Q" "predict -m $Q $QIN" "predict -m $Q -f api $QIN" \
	           "serve-stdin -m $Q" "--help" "--version" "help predict" "predict --help"; do
		for out in /dev/full closed; do
			if [ $out = closed ]; then
				run --separate-stderr bash -c '"$0" $1 <"$2" >&-' "$KANX" "$cmd" "$T/req"
				want="kanx: write error on standard output: Bad file descriptor"
			else
				run --separate-stderr bash -c '"$0" $1 <"$2" >/dev/full' "$KANX" "$cmd" "$T/req"
				want="kanx: write error on standard output: No space left on device"
			fi
			[ "$status" -eq 7 ] || { echo "$cmd >$out: status $status: $stderr"; false; }
			case $cmd in
			predict\ -m*) want="$want; the output holds the first 0 rows" ;;
			esac
			[ "$stderr" = "$want" ] || { echo "$cmd >$out: $stderr"; false; }
		done
	done
}

@test "a failed write of inspect -o FILE or --rejects FILE names the file (exit 7)" {
	[ -w /dev/full ] || skip "no /dev/full"
	for a in "" "--plot" "--edges 0"; do
		run --separate-stderr kanx inspect $a -o /dev/full "$Q"
		[ "$status" -eq 7 ]
		[ "$stderr" = "kanx: write error on /dev/full: No space left on device; /dev/full holds what was written before" ]
	done
	printf '0.1,x\n' >"$T/in.csv"
	run --separate-stderr kanx predict -m "$Q" --rejects /dev/full --max-errors 1 "$T/in.csv"
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"kanx: write error on /dev/full: No space left on device" ]]
	# inspect -o FILE is replaced whole, or left as it was
	echo old >"$T/p.svg"
	run kanx inspect --edges 9 --plot -o "$T/p.svg" "$Q"
	[ "$status" -eq 2 ]
	[ "$(cat "$T/p.svg")" = old ]
	kanx inspect --plot -o "$T/p.svg" "$Q"
	[ "$(tail -n 1 "$T/p.svg")" = "</svg>" ]
}

# ---- 8. API batches: a function of the input alone -------------------------------------

# feed MODE FILE: FILE through a pipe, whole, in small chunks, or with pauses.
feed() {
	case $1 in
	whole) cat "$2" ;;
	chunks) dd if="$2" bs=333 status=none ;;
	pauses) split -l 700 --filter='cat; sleep 0.05' "$2" ;;
	esac
}

@test "-f api: responses of exactly --max-batch rows, the same bytes whatever the pipe's timing" {
	{ echo f0,f1; rows 5000 7; } >"$T/in.csv"
	for mode in whole chunks pauses; do
		for t in 1 2 3; do
			feed $mode "$T/in.csv" | kanx predict -m "$Q" -f api --max-batch 1024 -b 100 -t $t |
				sed 's/"inference_ms":[0-9.]*/"inference_ms":0/' >"$T/out.$mode.$t"
			cmp "$T/out.whole.1" "$T/out.$mode.$t" || { echo "$mode -t $t differs"; false; }
		done
	done
	[ "$(jq -c '.shape[0]' "$T/out.whole.1" | paste -sd' ' -)" = "1024 1024 1024 1024 904" ]
	# the rows are those of CSV output, in order
	jq -r '.output[][0]' "$T/out.whole.1" >"$T/api.y"
	kanx predict -m "$Q" --no-output-header "$T/in.csv" >"$T/csv.y"
	cmp "$T/api.y" "$T/csv.y"
	# JSON lines of 2-D records: rows straddle responses, still exactly 1024
	tail -n +2 "$T/in.csv" | awk '{ printf "%s[%s]", (NR % 3 == 1 ? "" : ","), $0 } NR % 3 == 0 { print "" }
	                              END { if (NR % 3) print "" }' | sed 's/^\(.*\)$/[\1]/' >"$T/in.jsonl"
	feed pauses "$T/in.jsonl" | kanx predict -m "$Q" -f api --max-batch 1024 | jq -c '.shape[0]' | paste -sd' ' - >"$T/shapes"
	[ "$(cat "$T/shapes")" = "1024 1024 1024 1024 904" ]
}

@test "-f api: each API request document gets one response, whatever it is read with" {
	for n in 1 3 2000 5; do
		rows $n $n | awk 'BEGIN { printf "{\"x\": [" } { printf "%s[%s]", (NR > 1 ? ",\n" : ""), $0 } END { print "]}" }'
	done >"$T/docs.json"
	for mode in whole chunks pauses; do
		feed $mode "$T/docs.json" | kanx predict -m "$Q" -i api -f api --max-batch 4096 -b 64 |
			jq -c '.shape[0]' | paste -sd' ' - >"$T/shapes"
		[ "$(cat "$T/shapes")" = "1 3 2000 5" ] || { echo "$mode: $(cat "$T/shapes")"; false; }
	done
}

# ---- 9. validate reads what predict reads ------------------------------------------------

@test "validate: CSV, TSV, JSON lines and API documents that predict takes are sound" {
	rows 10 >"$T/r.csv"
	{ echo f0,f1; cat "$T/r.csv"; } >"$T/in.csv"
	tr , '\t' <"$T/in.csv" >"$T/in.tsv"
	sed 's/.*/[&]/' "$T/r.csv" >"$T/in.jsonl"
	awk 'BEGIN { printf "{\"x\": [" } { printf "%s[%s]", (NR > 1 ? ",\n" : ""), $0 } END { print "]}" }' "$T/r.csv" >"$T/in.json"
	for f in in.csv in.tsv in.jsonl in.json; do
		kanx predict -m "$Q" "$T/$f" >/dev/null
		run kanx validate -m "$Q" "$T/$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; false; }
		[ "$output" = "kanx: validate: sound: 0 errors, 0 warnings" ]
		# sniffed from standard input too
		run bash -c '"$0" validate -m "$1" - <"$2"' "$KANX" "$Q" "$T/$f"
		[ "$status" -eq 0 ] || { echo "stdin $f: $output"; false; }
	done
	run kanx validate -m "$Q" -i csv "$T/in.csv" --id 1 --no-header
	[ "$status" -eq 1 ]  # 1 feature left: the wrong width
}

@test "validate: 413 above the max batch, for CSV, TSV, JSON lines (the whole input) and an API document" {
	rows 5 >"$T/r.csv"
	{ echo f0,f1; cat "$T/r.csv"; } >"$T/in.csv"
	tr , '\t' <"$T/in.csv" >"$T/in.tsv"
	sed 's/.*/[&]/' "$T/r.csv" >"$T/in.jsonl"
	awk 'BEGIN { printf "{\"x\": [" } { printf "%s[%s]", (NR > 1 ? ", " : ""), $0 } END { print "]}" }' "$T/r.csv" >"$T/in.json"
	for f in in.csv in.tsv in.jsonl; do
		run kanx validate -m "$Q" --max-batch 4 "$T/$f"
		[ "$status" -eq 1 ]
		[ "${lines[0]}" = "kanx: $T/$f: Batch size 5 > MAX_BATCH=4: the whole input is one request (the API answers 413)" ] ||
			{ echo "$f: ${lines[0]}"; false; }
		KANX_MAX_BATCH=5 run kanx validate -m "$Q" "$T/$f"
		[ "$status" -eq 0 ]
	done
	run kanx validate -m "$Q" --max-batch 4 "$T/in.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $T/in.json:1:7: batch of 5 rows exceeds the max batch of 4 (the API answers 413)" ]
	# predict refuses the same document
	run kanx predict -m "$Q" --max-batch 4 "$T/in.json"
	[ "$status" -eq 6 ]
}

@test "validate: 400 on the width and the rank, bad values with line and column, in every format" {
	printf 'f0,f1\n0.1,0.2\n0.3\n0.4,x\n' >"$T/in.csv"
	run kanx validate -m "$Q" "$T/in.csv"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $T/in.csv:3:4: Expected 2 features per sample, got 1 (the API answers 400)" ]
	[ "${lines[1]}" = "kanx: $T/in.csv:4:5: field 2 (\"f1\"): expected a plain decimal number, got \"x\" (the API answers 400)" ]
	[ "${lines[2]}" = "kanx: validate: problems found: 2 errors, 0 warnings" ]
	tr , '\t' <"$T/in.csv" >"$T/in.tsv"
	run kanx validate -m "$Q" "$T/in.tsv"
	[ "${lines[0]}" = "kanx: $T/in.tsv:3:4: Expected 2 features per sample, got 1 (the API answers 400)" ]
	printf '[0.1,0.2]\n[0.1,0.2,0.3]\n[[[1,2]]]\n' >"$T/in.jsonl"
	run kanx validate -m "$Q" "$T/in.jsonl"
	[ "${lines[0]}" = "kanx: $T/in.jsonl:2:1: record 2: Expected 2 features per sample, got 3 (the API answers 400)" ]
	[ "${lines[1]}" = "kanx: $T/in.jsonl:3:1: record 3: x must be 1-D or 2-D; got shape [1, 1, 2] (the API answers 400)" ]
	printf '{"x": [[0.1, 0.2],\n  [0.3]]}\n{"x": [0.1, 0.2]}\n' >"$T/in.json"
	run kanx validate -m "$Q" "$T/in.json"
	[ "${lines[0]}" = "kanx: $T/in.json:2:3: x[1]: Expected 2 features per sample, got 1 (the API answers 400)" ]
	[ "${lines[1]}" = "kanx: validate: problems found: 1 error, 0 warnings" ]
	# one rule everywhere: predict refuses each of them at the same place
	run --separate-stderr kanx predict -m "$Q" "$T/in.csv"
	[ "$stderr" = "kanx: $T/in.csv:3:4: Expected 2 features per sample, got 1" ]
	run --separate-stderr kanx predict -m "$Q" "$T/in.json"
	[ "$stderr" = "kanx: $T/in.json:2:3: x[1]: Expected 2 features per sample, got 1" ]
	# without a model or config, the first record gives the width
	run kanx validate "$T/in.jsonl"
	[ "${lines[0]}" = "kanx: $T/in.jsonl:2:1: record 2: Expected 2 features per sample, got 3 (the API answers 400)" ]
}

@test "validate: a model, its weights or a config given as a batch is told apart" {
	printf 'x' >"$T/w.h5"
	printf '\x89HDF\r\n\x1a\n' >"$T/w.h5"
	cp "$KANX_SRCDIR/tests/configs/kan_a.yaml" "$T/cfg"
	run kanx validate -m "$Q" "$Q" "$T/w.h5" "$KANX_SRCDIR/tests/configs/kan_a.yaml" "$T/cfg"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "kanx: $Q: this is a zip archive, as a .keras model is, not input rows; did you mean -m $Q?" ]
	[ "${lines[1]}" = "kanx: $T/w.h5: this is an HDF5 file, as model weights are, not input rows; the weights of a model are inside its .keras file: did you mean -m MODEL.keras?" ]
	[ "${lines[2]}" = "kanx: $KANX_SRCDIR/tests/configs/kan_a.yaml: this looks like a YAML config, not input rows; did you mean --config $KANX_SRCDIR/tests/configs/kan_a.yaml?" ]
	[ "${lines[3]}" = "kanx: $T/cfg: this looks like a YAML config, not input rows; did you mean --config $T/cfg?" ]
	# predict says so too (exit 5)
	run --separate-stderr kanx predict -m "$Q" "$Q"
	[ "$status" -eq 5 ]
	[ "$stderr" = "kanx: $Q: this is a zip archive, as a .keras model is, not input rows; the model is given with -m MODEL" ]
}
