#!/usr/bin/env bats
# kanx predict --shard K/N: N processes each score one shard of a file, and
# the outputs, concatenated in shard order, are the bytes of one run. Over
# the inputs of tests/shard-inputs.sh (CRLF, a BOM, quoted newlines, JSON
# lines, headerless, fewer rows than shards, empty), every N from 1 to 7,
# in every output format that concatenates (csv, tsv, jsonl). Also: the
# shards' ranges tile the file (--stats), messages keep the whole file's
# line and record numbers, --header-out, --shard auto from the array-job
# environments, and the usage errors. The range logic itself (the cuts
# against a byte-by-byte reference) is unit-tested in tests/unit_shard.c.
load helpers
bats_require_minimum_version 1.5.0

M="$KANX_SRCDIR/share/quickstart.keras"   # 2 features in, 1 out

setup_file() {
	sh "$KANX_SRCDIR/tests/shard-inputs.sh" "$BATS_FILE_TMPDIR/in"
}

setup() {
	T="$BATS_TEST_TMPDIR"
	I="$BATS_FILE_TMPDIR/in"
	unset KANX_CHECKPOINT KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS
	unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_COUNT \
		SLURM_ARRAY_TASK_STEP SGE_TASK_ID SGE_TASK_FIRST SGE_TASK_LAST SGE_TASK_STEPSIZE \
		JOB_COMPLETION_INDEX
}

# every_n FILE [OPTIONS]: for N = 1..7, shards 1..N of FILE concatenated
# equal one run byte for byte; every shard exits 0.
every_n() {
	local f=$1 n k
	shift
	kanx predict -m "$M" "$@" "$f" >"$T/one" 2>/dev/null
	for n in 1 2 3 4 5 6 7; do
		for k in $(seq 1 "$n"); do
			kanx predict -m "$M" "$@" --shard "$k/$n" "$f" 2>"$T/err" ||
				{ echo "shard $k/$n of $f ($*): exit $?: $(cat "$T/err")" >&2; return 1; }
		done >"$T/cat"
		cmp "$T/one" "$T/cat" || { echo "N=$n: $f ($*) differs from one run" >&2; return 1; }
	done
}

@test "CSV with a header: every N from 1 to 7, csv, tsv and jsonl output, byte for byte" {
	every_n "$I/plain.csv"
	every_n "$I/plain.csv" -f tsv
	every_n "$I/plain.csv" -f jsonl
	every_n "$I/plain.csv" --header -p 4
}

@test "a BOM, CRLF line ends and blank lines: every N from 1 to 7" {
	every_n "$I/bom-crlf.csv"
	every_n "$I/bom-crlf.csv" -f jsonl
}

@test "quoted fields holding newlines, doubled quotes and record-like lines: every N from 1 to 7" {
	# the id column's quoted values hold LF and CRLF newlines, some before
	# lines such as "0.25,0.5" that would parse as records of their own
	grep -c '^0.25,0.5$' "$I/quoted.csv"
	[ "$(grep -c '^0.25,0.5$' "$I/quoted.csv")" -gt 100 ]
	every_n "$I/quoted.csv" --id id
	every_n "$I/quoted.csv" --id id -f jsonl
	every_n "$I/quoted.csv" --id 1 -f tsv
}

@test "TSV with quoted ids holding tabs and newlines: every N from 1 to 7" {
	every_n "$I/keyed.tsv" --id 1 -f tsv
	every_n "$I/keyed.tsv" --id key -f jsonl
}

@test "JSON lines (arrays, 2-D arrays, objects, blank and CRLF lines): every N from 1 to 7" {
	every_n "$I/rows.jsonl"
	every_n "$I/rows.jsonl" -f jsonl
	every_n "$I/tiny.jsonl" -f jsonl
}

@test "a headerless CSV (the first record is data, detected or --no-header): every N from 1 to 7" {
	every_n "$I/noheader.csv"
	every_n "$I/noheader.csv" --no-header -f jsonl
}

@test "fewer rows than shards, a header alone, an empty file: every N from 1 to 7" {
	every_n "$I/tiny.csv"
	every_n "$I/tiny.csv" -f jsonl
	every_n "$I/header-only.csv"
	every_n "$I/empty.csv"
	every_n "$I/empty.csv" -f jsonl
	# an empty shard writes nothing and succeeds; shard 1 writes the header
	# even when it is empty
	run --separate-stderr kanx predict -m "$M" --shard 7/7 --stats "$I/tiny.csv"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"0 records read"* ]]
	run --separate-stderr kanx predict -m "$M" --shard 1/7 "$I/header-only.csv"
	[ "$status" -eq 0 ]
	[ "$output" = y0 ]
}

@test "no final newline: one run refuses the last line (exit 5), and so does the last shard, after the same rows" {
	local n k fails
	run --separate-stderr kanx predict -m "$M" "$I/nofinal.csv"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"nofinal.csv:4:"*"the last line has no newline"* ]]
	one_err=$stderr
	printf '%s\n' "$output" > "$T/one"
	for n in 1 2 3 4 5 6 7; do
		fails=0
		: > "$T/cat"
		for k in $(seq 1 $n); do
			run --separate-stderr kanx predict -m "$M" --shard $k/$n "$I/nofinal.csv"
			[ -z "$output" ] || printf '%s\n' "$output" >> "$T/cat"
			if [ "$status" -ne 0 ]; then
				[ "$status" -eq 5 ] && [ "$stderr" = "$one_err" ] || { echo "shard $k/$n: $status: $stderr"; false; }
				fails=$((fails + 1))
			fi
		done
		[ $fails -eq 1 ]
		cmp "$T/one" "$T/cat"
	done
}

# stats_range FILE K/N [OPTIONS]: "LO HI ROWS" of a shard from --stats
stats_range() {
	local f=$1 kn=$2
	shift 2
	kanx predict -m "$M" "$@" --stats --shard "$kn" "$f" 2>&1 >/dev/null |
		awk '/records read/ { rows = $3 } / shard .*bytes/ {
			for (i = 1; i <= NF; i++) if ($i == "bytes") { split($(i + 1), b, "-") }
			print b[1], b[2], rows }'
}

@test "--stats: the shards' byte ranges tile the data in order, and their rows add up to the file's" {
	local n k lo hi rows prev size total
	size=$(wc -c < "$I/quoted.csv")
	for n in 1 3 7; do
		prev=$(head -n 1 "$I/quoted.csv" | wc -c)   # the data starts after the header
		total=0
		for k in $(seq 1 $n); do
			read -r lo hi rows < <(stats_range "$I/quoted.csv" "$k/$n" --id id)
			[ "$lo" -eq "$prev" ] || { echo "shard $k/$n starts at $lo, not $prev"; false; }
			[ "$hi" -ge "$lo" ]
			prev=$hi
			total=$((total + rows))
		done
		[ "$hi" -eq "$size" ]
		[ "$total" -eq 1500 ]
	done
	# the cuts are balanced: 4 shards of 3000 rows get 700 to 800 each
	for k in 1 2 3 4; do
		read -r lo hi rows < <(stats_range "$I/plain.csv" "$k/4")
		[ "$rows" -ge 700 ] && [ "$rows" -le 800 ] || { echo "shard $k/4: $rows rows"; false; }
	done
	# the whole line of a shard
	run --separate-stderr kanx predict -m "$M" --stats --shard 2/2 "$I/tiny.csv"
	[[ "$stderr" == *"kanx: stats: shard 2/2 (--shard 2/2): bytes 15-24 of 24 (data from byte 6), lines 3-4"* ]]
}

@test "a bad row: whole-file line and record numbers; the shards before it and its own part make one run's output" {
	local n=4 k bad
	# a bad field at line 2001 of plain.csv, and a bad JSON record
	awk 'NR == 2001 { print "0.5,abc"; next } { print }' "$I/plain.csv" > "$T/bad.csv"
	run --separate-stderr kanx predict -m "$M" "$T/bad.csv"
	[ "$status" -eq 5 ]
	[ "$stderr" = "kanx: $T/bad.csv:2001:5: field 2 (\"f1\"): expected a plain decimal number, got \"abc\"" ]
	printf '%s\n' "$output" > "$T/one"
	: > "$T/cat"
	bad=0
	for k in 1 2 3 4; do
		run --separate-stderr kanx predict -m "$M" --shard $k/$n "$T/bad.csv"
		[ -z "$output" ] || printf '%s\n' "$output" >> "$T/cat"
		if [ "$status" -ne 0 ]; then
			[ "$status" -eq 5 ]
			[ "$stderr" = "kanx: $T/bad.csv:2001:5: field 2 (\"f1\"): expected a plain decimal number, got \"abc\"" ]
			bad=$((bad + 1))
			break
		fi
		[ -z "$stderr" ]
	done
	[ $bad -eq 1 ]
	cmp "$T/one" "$T/cat"
	# JSON lines: the record number counts the records (not the blank
	# lines) of the whole file
	awk 'NR == 1501 { print "[1,\"x\"]"; next } { print }' "$I/rows.jsonl" > "$T/bad.jsonl"
	run --separate-stderr kanx predict -m "$M" "$T/bad.jsonl"
	[ "$status" -eq 5 ]
	want=$stderr
	[ "$want" = "kanx: $T/bad.jsonl:1501:4: record 1109: x[1]: expected a number, got a string" ]
	for k in 1 2 3; do
		run --separate-stderr kanx predict -m "$M" --shard $k/3 "$T/bad.jsonl"
		[ "$status" -eq 0 ] || break
	done
	[ "$status" -eq 5 ]
	[ "$stderr" = "$want" ]
}

@test "--on-error skip: the shards report the bad rows of one run, with the same line numbers, and write its output" {
	# bad rows after quoted newlines, in every part of the file: after
	# every 60th record of one line (an unquoted id)
	awk '{ print } /^r[0-9]+,/ && ++n % 60 == 0 { print "bad" NR ",1,x" }' "$I/quoted.csv" > "$T/bad.csv"
	kanx predict -m "$M" --id id --on-error skip --max-errors 100 "$T/bad.csv" > "$T/one" 2> "$T/one.err"
	grep -v 'records refused' "$T/one.err" | grep -v 'outside the grid' > "$T/one.rej"
	[ "$(wc -l < "$T/one.rej")" -ge 5 ]
	for k in 1 2 3 4 5; do
		kanx predict -m "$M" --id id --on-error skip --max-errors 100 --shard $k/5 "$T/bad.csv" 2>> "$T/cat.err"
	done > "$T/cat"
	cmp "$T/one" "$T/cat"
	grep -v 'records refused' "$T/cat.err" | grep -v 'outside the grid' > "$T/cat.rej"
	cmp "$T/one.rej" "$T/cat.rej"
}

@test "a bad header fails every shard with the same message" {
	printf 'f0,f1,f2\n1,2,3\n4,5,6\n' > "$T/h.csv"
	run --separate-stderr kanx predict -m "$M" "$T/h.csv"
	[ "$status" -eq 5 ]
	want=$stderr
	for k in 1 2 3; do
		run --separate-stderr kanx predict -m "$M" --shard $k/3 "$T/h.csv"
		[ "$status" -eq 5 ]
		[ "$stderr" = "$want" ]
	done
}

@test "--header-out: first (the default: shard 1 only), always, never; --no-output-header is never" {
	run kanx predict -m "$M" --shard 2/2 "$I/tiny.csv"
	[ "${lines[0]}" != y0 ]
	run kanx predict -m "$M" --shard 2/2 --header-out always "$I/tiny.csv"
	[ "${lines[0]}" = y0 ]
	[ "${#lines[@]}" -eq 3 ]
	run kanx predict -m "$M" --shard 1/2 --header-out never "$I/tiny.csv"
	[ "${lines[0]}" != y0 ]
	[ "${#lines[@]}" -eq 1 ]
	run kanx predict -m "$M" --shard 1/2 --no-output-header "$I/tiny.csv"
	[ "${#lines[@]}" -eq 1 ]
	run kanx predict -m "$M" --header-out never "$I/tiny.csv"
	[ "${#lines[@]}" -eq 3 ]
	run kanx predict -m "$M" --header-out first "$I/tiny.csv"
	[ "${lines[0]}" = y0 ]
	# with an id column: its name heads shard 1's output, read from the header
	run kanx predict -m "$M" --id id --shard 2/2 --header-out always "$I/quoted.csv"
	[ "${lines[0]}" = id,y0 ]
	run kanx predict -m "$M" --header-out sometimes "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid value 'sometimes' for --header-out: expected one of first, always, never"* ]]
}

@test "--shard auto: Slurm's, Grid Engine's and Kubernetes' array variables pick the shard" {
	local f="$I/plain.csv"
	kanx predict -m "$M" --shard 3/4 "$f" > "$T/want"
	# Slurm: --array=1-4 and --array=0-3 number the same shards
	SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4 SLURM_ARRAY_TASK_COUNT=4 \
		kanx predict -m "$M" --shard auto "$f" | cmp - "$T/want"
	SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_COUNT=4 \
		kanx predict -m "$M" --shard auto "$f" | cmp - "$T/want"
	# a task rerun alone: auto/N takes the task ID as K
	SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_COUNT=1 \
		kanx predict -m "$M" --shard auto/4 "$f" | cmp - "$T/want"
	# Grid Engine: qsub -t 1-4
	SGE_TASK_ID=3 SGE_TASK_FIRST=1 SGE_TASK_LAST=4 SGE_TASK_STEPSIZE=1 \
		kanx predict -m "$M" --shard auto "$f" | cmp - "$T/want"
	# Kubernetes: a 0-based index; the count comes with auto/N
	JOB_COMPLETION_INDEX=2 kanx predict -m "$M" --shard auto/4 "$f" | cmp - "$T/want"
	# a one-task array (one task of a larger array run again) is shard
	# 1/1 under plain auto: the whole file, with a warning
	run --separate-stderr env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_MAX=3 \
		"$KANX" predict -m "$M" --shard auto "$I/tiny.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "$stderr" = "kanx: warning: --shard auto: SLURM_ARRAY_TASK_ID=3 is an array of one task: shard 1/1, the whole input (to run shard K of N alone, give --shard K/N or auto/N)" ]
	# --stats says where K/N came from
	run --separate-stderr env JOB_COMPLETION_INDEX=2 "$KANX" predict -m "$M" --shard auto/4 --stats "$f"
	[[ "$stderr" == *"stats: shard 3/4 (JOB_COMPLETION_INDEX=2): bytes "* ]]
	run --separate-stderr env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4 \
		"$KANX" predict -m "$M" --shard auto --stats "$f"
	[[ "$stderr" == *"stats: shard 3/4 (SLURM_ARRAY_TASK_ID=3 of 1-4:1): bytes "* ]]
}

@test "--shard: bad values and missing variables are usage errors (exit 2) that say what is wrong" {
	local v
	for v in 0/4 5/4 4 1/0 x/2 1/2/3 '' auto/0 1/1000001; do
		run --separate-stderr kanx predict -m "$M" --shard "$v" "$I/tiny.csv"
		[ "$status" -eq 2 ] || { echo "--shard '$v': exit $status"; false; }
		[ "$stderr" = "kanx: invalid value '$v' for --shard: expected K/N (shard K of N, 1 <= K <= N <= 1000000), auto or auto/N" ]
		[ -z "$output" ]
	done
	run --separate-stderr kanx predict -m "$M" --shard auto "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not in an array job: none of SLURM_ARRAY_TASK_ID, SGE_TASK_ID and JOB_COMPLETION_INDEX is set"* ]]
	JOB_COMPLETION_INDEX=1 run --separate-stderr kanx predict -m "$M" --shard auto "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"JOB_COMPLETION_INDEX gives this shard's index but not the number of shards: give --shard auto/N"* ]]
	JOB_COMPLETION_INDEX=4 run --separate-stderr kanx predict -m "$M" --shard auto/4 "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"JOB_COMPLETION_INDEX=4 gives shard 5, not one of 1..4"* ]]
	SLURM_ARRAY_TASK_ID=x run --separate-stderr kanx predict -m "$M" --shard auto "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"SLURM_ARRAY_TASK_ID='x' is not a whole number"* ]]
	SLURM_ARRAY_TASK_ID=2 run --separate-stderr kanx predict -m "$M" --shard auto "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"SLURM_ARRAY_TASK_MIN is not set"* ]]
	SGE_TASK_ID=undefined run --separate-stderr kanx predict -m "$M" --shard auto "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not in an array job"* ]]
}

@test "--shard: a pipe, several inputs, API documents in or out are refused (exit 2)" {
	run --separate-stderr bash -c 'cat "$1" | "$KANX" predict -m "$2" --shard 1/2' _ "$I/tiny.csv" "$M"
	[ "$status" -eq 2 ]
	[ "$stderr" = "kanx: <stdin>: --shard needs a regular file, which it can seek in; this is a pipe" ]
	run --separate-stderr kanx predict -m "$M" --shard 1/2 "$I/tiny.csv" "$I/plain.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--shard takes one input file (2 given)"* ]]
	run --separate-stderr kanx predict -m "$M" --shard 1/2 -f api "$I/tiny.csv"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--shard and -f api: an API response groups rows and carries their timing"* ]]
	cp "$KANX_SRCDIR/share/quickstart_request.json" "$T/req.json"
	run --separate-stderr kanx predict -m "$M" --shard 1/2 "$T/req.json"
	[ "$status" -eq 2 ]
	[ "$stderr" = "kanx: $T/req.json: --shard splits CSV, TSV and JSON lines, not API request documents" ]
	[ -z "$output" ]
}

@test "--shard on standard input redirected from a file: read with pread, the shared offset is left alone" {
	kanx predict -m "$M" "$I/quoted.csv" --id id > "$T/one"
	{
		"$KANX" predict -m "$M" --id id --shard 1/2
		"$KANX" predict -m "$M" --id id --shard 2/2
		cat > "$T/rest"
	} < "$I/quoted.csv" > "$T/cat"
	cmp "$T/one" "$T/cat"
	# nothing was consumed: cat read the whole file
	cmp "$T/rest" "$I/quoted.csv"
}
