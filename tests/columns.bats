#!/usr/bin/env bats
# predict (and validate) over the CSV files people have: other delimiters
# (';', '|', tab: given or sniffed), other quoting, extra columns picked by
# --columns (by name in any order, by number, ranges, drops), input columns
# copied through with --keep / --keep-all / --row-number in every output
# format (aligned when --on-error skip drops a row), output column names,
# and a --rejects file that reads back as input. The inputs are generated
# here from share/quickstart_input.csv; every expectation is against
# kanx's own output on the plain comma-separated file.
load helpers
bats_require_minimum_version 1.5.0

M="$KANX_SRCDIR/share/quickstart.keras"   # 2 features in, 1 out
Q="$KANX_SRCDIR/share/quickstart_input.csv"   # header f0,f1; 256 rows

setup() {
	T="$BATS_TEST_TMPDIR"
	unset KANX_CHECKPOINT KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS
	head -n 41 "$Q" >"$T/plain.csv"        # f0,f1 and 40 rows
	kanx predict -m "$M" "$T/plain.csv" >"$T/want.csv"
	tail -n +2 "$T/want.csv" >"$T/want.body"
}

# delim_file CHAR OUT: plain.csv with CHAR between the fields
delim_file() { tr ',' "$1" <"$T/plain.csv" >"$2"; }

@test "';' and '|' files are sniffed, on a .csv name and on standard input; the predictions are the comma file's" {
	local d
	for d in ';' '|'; do
		delim_file "$d" "$T/in.csv"
		run -0 kanx predict -m "$M" "$T/in.csv"
		[ "$output" = "$(cat "$T/want.csv")" ]
		run -0 kanx predict -m "$M" - <"$T/in.csv"
		[ "$output" = "$(cat "$T/want.csv")" ]
		run -0 kanx validate -m "$M" "$T/in.csv"
	done
}

@test "--delimiter gives it: ';', '|', tab (as tab or \\t), any one character; -i tsv is tab" {
	local d
	for d in ';' '|' ':'; do
		delim_file "$d" "$T/in.txt"
		run -0 kanx predict -m "$M" -i csv --delimiter "$d" "$T/in.txt"
		[ "$output" = "$(cat "$T/want.csv")" ]
		run -0 kanx predict -m "$M" -i csv -d "$d" --shard 2/3 "$T/in.txt"
	done
	delim_file '\t' "$T/in.txt"
	for d in tab '\t'; do
		run -0 kanx predict -m "$M" -i csv --delimiter "$d" "$T/in.txt"
		[ "$output" = "$(cat "$T/want.csv")" ]
	done
	run -0 kanx predict -m "$M" -i tsv "$T/in.txt"
	[ "$output" = "$(cat "$T/want.csv")" ]
	run -2 kanx predict -m "$M" --delimiter ';;' "$T/in.txt"
	[[ "$output" == *"invalid value ';;' for --delimiter"* ]]
}

@test "a wrong delimiter says which one the line seems to use; counts are singular when they are 1" {
	delim_file ';' "$T/in.txt"
	run -5 kanx predict -m "$M" -i csv --delimiter , "$T/in.txt"
	[[ "$output" == *"the header has 1 feature column; Expected 2 features per sample (1 column found: is the delimiter ';'?)"* ]]
	tail -n +2 "$T/in.txt" | tr ';' '|' >"$T/nohdr.txt"
	run -5 kanx predict -m "$M" -i csv --delimiter , "$T/nohdr.txt"
	[[ "$output" == *"nohdr.txt:1:1: field 1: expected a plain decimal number, got "*" (1 column found: is the delimiter '|'?)"* ]]
	delim_file '\t' "$T/in.txt"
	run -5 kanx predict -m "$M" -i csv --delimiter , "$T/in.txt"
	[[ "$output" == *"is the delimiter a tab (-i tsv)?"* ]]
}

@test "--columns picks the features by name from a header in any order, by number, by range, by drops" {
	# columns shuffled, with an id and a label around them
	awk -F, -v OFS=, 'NR == 1 { print "label", "f1", "id", "f0"; next } { print "L" NR, $2, "r" NR, $1 }' \
		"$T/plain.csv" >"$T/shuf.csv"
	run -0 kanx predict -m "$M" --columns f0,f1 "$T/shuf.csv"
	[ "$output" = "$(cat "$T/want.csv")" ]
	run -0 kanx predict -m "$M" --columns 4,2 "$T/shuf.csv"
	[ "$output" = "$(cat "$T/want.csv")" ]
	awk -F, -v OFS=, 'NR == 1 { print "id", "f0", "f1", "label"; next } { print "r" NR, $1, $2, "L" NR }' \
		"$T/plain.csv" >"$T/around.csv"
	for spec in '!id,!label' '2-3' 'f0,f1' '2,3' '!1,!4'; do
		run -0 kanx predict -m "$M" --columns "$spec" "$T/around.csv"
		[ "$output" = "$(cat "$T/want.csv")" ] || { echo "--columns $spec"; false; }
	done
	run -0 kanx validate -m "$M" --columns f0,f1 "$T/shuf.csv"
	# without a header: numbers only
	tail -n +2 "$T/around.csv" >"$T/nohdr.csv"
	run -0 kanx predict -m "$M" --no-header --columns 2-3 "$T/nohdr.csv"
	[ "$output" = "$(cat "$T/want.csv")" ]
	run -5 kanx predict -m "$M" --no-header --columns f0,f1 "$T/nohdr.csv"
	[[ "$output" == *'--columns names a column, "f0", but the input has no header'* ]]
	# mistakes name the column and the option
	run -5 kanx predict -m "$M" --columns f0,f9 "$T/shuf.csv"
	[[ "$output" == *'shuf.csv:1:1: no column named "f9" in the header (--columns)'* ]]
	run -5 kanx predict -m "$M" --columns 2,7 "$T/shuf.csv"
	[[ "$output" == *"no column 7: the header has 4 columns (--columns)"* ]]
	run -5 kanx predict -m "$M" --columns f0 "$T/shuf.csv"
	[[ "$output" == *"--columns selects 1 column; Expected 2 features per sample"* ]]
	# JSON has no columns to pick
	run -2 kanx predict -m "$M" --columns f0 "$KANX_SRCDIR/share/quickstart_requests.jsonl"
	[[ "$output" == *"--columns and --keep pick CSV and TSV columns; this input is JSON lines"* ]]
}

@test "--keep with --on-error skip: every output row carries its own input's id, a refused row has none" {
	awk -F, -v OFS=, 'NR == 1 { print "id", $0, "label"; next }
		NR == 4 || NR == 9 { print "r" NR, "oops", $2, "bad"; next }
		{ print "r" NR, $0, "L" NR }' "$T/plain.csv" >"$T/in.csv"
	run -0 --separate-stderr kanx predict -m "$M" --keep id,label --on-error skip --max-errors 2 "$T/in.csv"
	# the ids are those of the good rows, and each sits beside the
	# prediction of its own row
	local got want
	got=$(printf '%s\n' "$output" | tail -n +2)
	want=$(awk -F, 'NR > 1 && NR != 4 && NR != 9 { print NR }' "$T/plain.csv" | while read -r n; do
		printf 'r%s,L%s,%s\n' "$n" "$n" "$(sed -n "${n}p" "$T/want.csv")"; done)
	[ "$got" = "$want" ]
	[ "$(printf '%s\n' "$output" | head -n 1)" = "id,label,y0" ]
	# the row number: data rows from 1, refused ones counted
	run -0 --separate-stderr kanx predict -m "$M" --row-number --columns f0,f1 --on-error skip --max-errors 2 "$T/in.csv"
	[ "$(printf '%s\n' "$output" | head -n 1)" = "row,y0" ]
	[ "$(printf '%s\n' "$output" | sed -n '2,4p' | cut -d, -f1 | paste -sd' ')" = "1 2 4" ]
	# the same in JSON lines and in API responses
	run -0 --separate-stderr kanx predict -m "$M" --keep id --columns f0,f1 --on-error skip --max-errors 2 -f jsonl "$T/in.csv"
	[[ "$(printf '%s\n' "$output" | head -n 1)" == '{"id":"r2","y":['* ]]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 38 ]
	run -0 --separate-stderr kanx predict -m "$M" --keep id,label --on-error skip --max-errors 2 -f api "$T/in.csv"
	[[ "$output" == *'"keep":[{"id":"r2","label":"L2"},{"id":"r3","label":"L3"},{"id":"r5","label":"L5"}'* ]]
}

@test "--keep-all copies every column (they stay features); --id is --keep with the key id" {
	run -0 kanx predict -m "$M" --keep-all "$T/plain.csv"
	[ "$(printf '%s\n' "$output" | head -n 1)" = "f0,f1,y0" ]
	[ "$(printf '%s\n' "$output" | tail -n +2 | cut -d, -f3)" = "$(cat "$T/want.body")" ]
	[ "$(printf '%s\n' "$output" | tail -n +2 | cut -d, -f1,2)" = "$(tail -n +2 "$T/plain.csv")" ]
	awk -F, -v OFS=, 'NR == 1 { print "name", $0; next } { print "n" NR, $0 }' "$T/plain.csv" >"$T/in.csv"
	run -0 kanx predict -m "$M" --id name --keep '#' -f jsonl "$T/in.csv"
	[[ "$(printf '%s\n' "$output" | head -n 1)" == '{"id":"n2","row":"1","y":['* ]]
}

@test "quoting: --quote gives the character, --no-quote makes it data" {
	awk -F, -v OFS=, 'NR == 1 { print "id", $0; next } { print "'"'"'a,b" NR "'"'"'", $0 }' "$T/plain.csv" >"$T/sq.csv"
	run -0 kanx predict -m "$M" --quote "'" --keep id --columns f0,f1 "$T/sq.csv"
	[[ "$(printf '%s\n' "$output" | sed -n 2p)" == '"a,b2",'* ]]
	awk -F, -v OFS=';' 'NR == 1 { print "id", $1, $2; next } { print "say \"hi" NR, $1, $2 }' "$T/plain.csv" >"$T/dq.csv"
	run -5 kanx predict -m "$M" --columns f0,f1 --keep id "$T/dq.csv"
	run -0 kanx predict -m "$M" --no-quote --columns f0,f1 --keep id "$T/dq.csv"
	[[ "$(printf '%s\n' "$output" | sed -n 2p)" == '"say ""hi2",'* ]]
}

@test "--output-names names the output columns; one per output" {
	run -0 kanx predict -m "$M" --output-names score "$T/plain.csv"
	[ "$(printf '%s\n' "$output" | head -n 1)" = "score" ]
	[ "$(printf '%s\n' "$output" | tail -n +2)" = "$(cat "$T/want.body")" ]
	run -2 kanx predict -m "$M" --output-names a,b "$T/plain.csv"
	[[ "$output" == *"--output-names gives 2 names; the model has 1 output"* ]]
}

@test "--rejects starts with the input's header, so the file reads back as input" {
	awk -F, -v OFS=, 'NR == 5 { print "x", $2; next } { print }' "$T/plain.csv" >"$T/in.csv"
	run -0 kanx predict -m "$M" --rejects "$T/rej.csv" --max-errors 1 "$T/in.csv"
	[ "$(cat "$T/rej.csv")" = "$(printf 'f0,f1\nx,%s' "$(sed -n 5p "$T/plain.csv" | cut -d, -f2)")" ]
	run -5 kanx predict -m "$M" "$T/rej.csv"
	[[ "$output" == *"rej.csv:2:1: field 1 (\"f0\"): expected a plain decimal number, got \"x\""* ]]
	# no header in the input: none in the file
	tail -n +2 "$T/in.csv" >"$T/nohdr.csv"
	run -0 kanx predict -m "$M" --rejects "$T/rej2.csv" --max-errors 1 "$T/nohdr.csv"
	[ "$(cat "$T/rej2.csv")" = "x,$(sed -n 5p "$T/plain.csv" | cut -d, -f2)" ]
}

@test "a forgotten -m and -f json are answered with what was meant" {
	run -2 kanx predict "$M" "$T/plain.csv"
	[[ "$output" == *"did you mean '-m $M'?"* ]]
	run -2 kanx predict -m "$M" -f json "$T/plain.csv"
	[[ "$output" == *"expected one of csv, tsv, jsonl, api"* ]]
	[[ "$output" == *"did you mean -f jsonl (one JSON value per line) or -f api (API responses)?"* ]]
	run -2 kanx predict -m "$M" -i json "$T/plain.csv"
	[[ "$output" == *"did you mean -i jsonl"* ]]
}
