#!/usr/bin/env bats
# The fault matrix (issue 11): kanx predict under each fault that can
# cut a run short. For each: the output holds no partial line, a message
# says what happened (standard error permitting), the exit status is the
# documented one, and no row is lost: the rows written are counted
# against the input's, and are the first rows of an uninterrupted run.
#   stdout to /dev/full, closed stdout, closed stderr, `ulimit -f`,
#   SIGTERM / SIGINT / SIGHUP / SIGPIPE mid-stream with a slow reader,
#   a stop while reading a stalled pipe, input cut mid-line, the input
#   file removed while it is read; serve-stdin stopped mid-session.
load helpers
bats_require_minimum_version 1.5.0

Q="$FIX/models/quickstart.keras"   # 2 features in, 1 out
N=120000                            # input rows: a second or more for a slow reader

setup_file() {
	local d="$BATS_FILE_TMPDIR"
	awk -v n=$N 'BEGIN { srand(11); print "f0,f1"; for (i = 0; i < n; i++) printf "%.6f,%.6f\n", 2 * rand() - 1, 2 * rand() - 1 }' >"$d/big.csv"
	"$KANX" predict -m "$Q" "$d/big.csv" >"$d/full.csv"
}

setup() {
	T="$BATS_TEST_TMPDIR"
	B="$BATS_FILE_TMPDIR/big.csv"
	FULL="$BATS_FILE_TMPDIR/full.csv"
	unset KANX_CHECKPOINT KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS
}

# whole FILE: empty, or ends with a newline, and every line is "y0" or a number.
whole() {
	[ ! -s "$1" ] && return 0
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || { echo "$1 does not end with a newline"; return 1; }
	awk 'NR == 1 && $0 == "y0" { next } $0 !~ /^-?[0-9.]+(e[-+][0-9]+)?$/ && $0 !~ /^-?(nan|inf)$/ { print "bad line " NR ": " $0; bad = 1 } END { exit bad }' "$1"
}

# first_rows FILE N: FILE is the header and the first N rows of the full
# run, and N is what the message said the output holds.
first_rows() {
	[ "$(($(wc -l <"$1") - 1))" -eq "$2" ] || { echo "$1: $(wc -l <"$1") lines for $2 rows"; return 1; }
	head -n $(($2 + 1)) "$FULL" | cmp - "$1"
}

# held MESSAGE: the N of "the output holds the first N rows".
held() { sed -n 's/.*the output holds the first \([0-9]*\) rows.*/\1/p' <<<"$1"; }

# slow_reader OUT: copy standard input to OUT, 4 KiB every 10 ms.
slow_reader() {
	: >"$1"
	while head -c 4096 >"$1.chunk" && [ -s "$1.chunk" ]; do
		cat "$1.chunk" >>"$1"
		sleep 0.01
	done
	rm -f "$1.chunk"
}

# stop_mid_stream SIG [OPTIONS]: predict into a slow reader through a
# FIFO, signal it after a while; sets $st, $err, and $T/out.
stop_mid_stream() {
	local sig=$1 k r
	shift
	mkfifo "$T/fifo"
	slow_reader "$T/out" <"$T/fifo" &
	r=$!
	# (a background job of a script starts with SIGINT ignored, a run
	# under nohup with SIGHUP ignored, and kanx keeps a signal ignored as
	# it found it: give every signal its default first)
	env --default-signal "$KANX" predict -m "$Q" "$@" "$B" >"$T/fifo" 2>"$T/err" &
	k=$!
	sleep 0.7
	kill -"$sig" $k
	st=0
	wait $k || st=$?
	wait $r
	err=$(cat "$T/err")
}

# stop_while_reading SIG FILE LINES CMD...: CMD reads the first LINES
# lines of FILE from a pipe that then stalls, and gets SIG; sets $st and
# $err (its standard error). Standard output is the caller's to redirect.
stop_while_reading() {
	local sig=$1 file=$2 n=$3 w k
	shift 3
	mkfifo "$T/in"
	{ head -n "$n" "$file"; sleep 10; } >"$T/in" &
	w=$!
	env --default-signal "$@" <"$T/in" 2>"$T/err" &
	k=$!
	sleep 1
	kill -"$sig" $k
	st=0
	wait $k || st=$?
	kill $w 2>/dev/null || true
	err=$(cat "$T/err")
}

@test "SIGTERM, SIGINT, SIGHUP, SIGPIPE mid-stream with a slow reader: whole lines, the count, 128+signal" {
	for s in TERM:143 INT:130 HUP:129 PIPE:141; do
		for t in 1 2; do
			rm -f "$T/fifo" "$T/out"
			stop_mid_stream ${s%:*} -t $t
			[ "$st" -eq ${s#*:} ] || { echo "SIG${s%:*} -t $t: status $st: $err"; false; }
			n=$(held "$err")
			[ "$err" = "kanx: predict: stopped by SIG${s%:*}; the output holds the first $n rows" ] ||
				{ echo "SIG${s%:*} -t $t: $err"; false; }
			[ "$n" -gt 0 ] && [ "$n" -lt $N ] || { echo "not mid-stream: $n"; false; }
			whole "$T/out"
			first_rows "$T/out" "$n"
		done
	done
}

@test "a reader that reads nothing: SIGTERM ends the run at once, the pipe holds whole lines" {
	mkfifo "$T/fifo"
	exec 7<>"$T/fifo"   # open, and never read until kanx is gone (bats owns fd 3)
	env --default-signal "$KANX" predict -m "$Q" "$B" >"$T/fifo" 2>"$T/err" &
	k=$!
	sleep 1
	kill -TERM $k
	st=0
	wait $k || st=$?
	[ "$st" -eq 143 ]
	n=$(held "$(cat "$T/err")")
	[ "$(cat "$T/err")" = "kanx: predict: stopped by SIGTERM; the output holds the first $n rows" ]
	timeout 2 cat <&7 >"$T/out" || true
	exec 7<&-
	whole "$T/out"
	first_rows "$T/out" "$n"
}

@test "JSON lines and API output stop on a whole record too" {
	for f in jsonl api; do
		rm -f "$T/fifo" "$T/out"
		stop_mid_stream TERM -f $f --max-batch 100
		[ "$st" -eq 143 ]
		n=$(held "$err")
		[ "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" = '\n' ]
		jq -e . "$T/out" >/dev/null   # every line parses
		if [ $f = api ]; then
			[ "$(jq -s 'map(.shape[0]) | add' "$T/out")" -eq "$n" ]
		else
			[ "$(wc -l <"$T/out")" -eq "$n" ]
		fi
	done
}

@test "a stop while waiting for input on a stalled pipe: the rows read so far, whole" {
	stop_while_reading TERM "$B" 1001 "$KANX" predict -m "$Q" >"$T/out"
	[ "$st" -eq 143 ]
	[ "$err" = "kanx: predict: stopped by SIGTERM; the output holds the first 1000 rows" ]
	first_rows "$T/out" 1000
}

@test "-o FILE stopped by a signal: FILE is left as it was, no temporary file" {
	echo precious >"$T/out.csv"
	stop_while_reading INT "$B" 5001 "$KANX" predict -m "$Q" -o "$T/out.csv"
	[ "$st" -eq 130 ]
	[ "$err" = "kanx: predict: stopped by SIGINT; $T/out.csv is left as it was" ]
	[ "$(cat "$T/out.csv")" = precious ]
	[ "$(ls -A "$T" | grep -c kanx-)" -eq 0 ]
}

@test "a signal ignored at start stays ignored (nohup): the run completes" {
	mkfifo "$T/fifo"
	slow_reader "$T/out" <"$T/fifo" &
	r=$!
	( trap '' HUP; exec "$KANX" predict -m "$Q" "$B" >"$T/fifo" 2>"$T/err" ) &
	k=$!
	sleep 0.5
	kill -HUP $k
	st=0
	wait $k || st=$?
	wait $r
	[ "$st" -eq 0 ]
	[ ! -s "$T/err" ]
	cmp "$T/out" "$FULL"
}

@test "stdout to /dev/full: exit 7, a message, nothing written" {
	run --separate-stderr kanx predict -m "$Q" "$B" >/dev/full
	run --separate-stderr bash -c '"$0" predict -m "$1" "$2" >/dev/full' "$KANX" "$Q" "$B"
	[ "$status" -eq 7 ]
	[ "$stderr" = "kanx: write error on standard output: No space left on device; the output holds the first 0 rows" ]
}

@test "closed stdout: exit 7, a message; a file opened later does not take its place" {
	run --separate-stderr bash -c '"$0" predict -m "$1" -t 1 --rejects "$3" "$2" >&-' "$KANX" "$Q" "$B" "$T/rej"
	[ "$status" -eq 7 ]
	[ "$stderr" = "kanx: write error on standard output: Bad file descriptor; the output holds the first 0 rows" ]
	[ ! -s "$T/rej" ]
}

@test "closed stderr: every row written whole, exit 0; with a bad row, exit 5 and the rows around it" {
	run bash -c '"$0" predict -m "$1" "$2" 2>&-' "$KANX" "$Q" "$B"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | cmp - "$FULL"
	{ head -n 101 "$B"; echo "0.1,oops"; tail -n +102 "$B"; } >"$T/in.csv"
	run bash -c '"$0" predict -m "$1" --on-error skip --rejects "$3" "$2" 2>&-' "$KANX" "$Q" "$T/in.csv" "$T/rej"
	[ "$status" -eq 5 ]
	printf '%s\n' "$output" | cmp - "$FULL"
	[ "$(cat "$T/rej")" = "$(printf 'f0,f1\n0.1,oops')" ]   # the header first
}

@test "ulimit -f: exit 7, a message with the count, the file ends with a whole line" {
	for t in 1 2; do
		run --separate-stderr bash -c 'ulimit -f 64; exec "$0" predict -m "$1" -t "$3" "$2" >"$4"' \
			"$KANX" "$Q" "$B" $t "$T/out"
		[ "$status" -eq 7 ]
		n=$(held "$stderr")
		[ "$stderr" = "kanx: write error on standard output: File too large; the output holds the first $n rows" ]
		[ "$n" -gt 0 ]
		whole "$T/out"
		first_rows "$T/out" "$n"
	done
	# with -o, the file is left as it was
	echo precious >"$T/y.csv"
	run --separate-stderr bash -c 'ulimit -f 64; exec "$0" predict -m "$1" -o "$3" "$2"' "$KANX" "$Q" "$B" "$T/y.csv"
	[ "$status" -eq 7 ]
	[ "$stderr" = "kanx: write error on $T/y.csv: File too large; $T/y.csv is left as it was" ]
	[ "$(cat "$T/y.csv")" = precious ]
	[ "$(ls -A "$T" | grep -c kanx-)" -eq 0 ]
}

@test "input cut mid-line: the cut row is refused (exit 5), every whole row before it is written" {
	head -c 100000 "$B" >"$T/cut.csv"
	whole_rows=$(( $(wc -l <"$T/cut.csv") - 1 ))
	run --separate-stderr kanx predict -m "$Q" "$T/cut.csv"
	[ "$status" -eq 5 ]
	[[ "$stderr" == "kanx: $T/cut.csv:$((whole_rows + 2)):"*": the last line has no newline: the input looks cut off here (end the line if it is whole)" ]]
	printf '%s\n' "$output" >"$T/out"
	first_rows "$T/out" $whole_rows
	# JSON lines and API documents cut off are refused too
	tail -n +2 "$B" | head -n 50 | sed 's/.*/[&]/' | head -c 1000 >"$T/cut.jsonl"
	run --separate-stderr kanx predict -m "$Q" "$T/cut.jsonl"
	[ "$status" -eq 5 ]
	[ "${#lines[@]}" -eq "$(( $(wc -l <"$T/cut.jsonl") + 1 ))" ]  # the header and every whole line
	[[ "$stderr" == "kanx: $T/cut.jsonl:$(( $(wc -l <"$T/cut.jsonl") + 1 )):"* ]]
	printf '{"x": [[0.1, 0.2],\n[0.3, 0.' >"$T/cut.json"
	run --separate-stderr kanx predict -m "$Q" "$T/cut.json"
	[ "$status" -eq 5 ]
	[ "$stderr" = "kanx: $T/cut.json:1:1: unexpected end of input in the JSON document that starts here" ]
}

@test "the input file removed while it is read: every row still scored, a warning, exit 0" {
	cp "$B" "$T/in.csv"
	mkfifo "$T/fifo"
	slow_reader "$T/out" <"$T/fifo" &
	r=$!
	"$KANX" predict -m "$Q" -t 1 "$T/in.csv" >"$T/fifo" 2>"$T/err" &
	k=$!
	sleep 0.3
	rm "$T/in.csv"
	st=0
	wait $k || st=$?
	wait $r
	[ "$st" -eq 0 ]
	[ "$(cat "$T/err")" = "kanx: warning: $T/in.csv was removed while it was being read (an open file is still read whole)" ]
	cmp "$T/out" "$FULL"
}

@test "the reader going away: quiet, ended by SIGPIPE as other filters are" {
	run --separate-stderr bash -c 'env --default-signal=PIPE "$0" predict -m "$1" "$2" | head -n 1; exit ${PIPESTATUS[0]}' "$KANX" "$Q" "$B"
	[ "$status" -eq 141 ]
	[ "$output" = y0 ]
	[ -z "$stderr" ]
}

@test "serve-stdin stopped mid-session: whole response lines, 128+signal, a message" {
	for i in $(seq 50); do echo '{"x": [[0.1, 0.2], [0.3, 0.4]]}'; done >"$T/req"
	stop_while_reading TERM "$T/req" 50 "$KANX" serve-stdin -m "$Q" >"$T/out"
	[ "$st" -eq 143 ]
	[ "$err" = "kanx: serve-stdin: stopped by SIGTERM" ]
	[ "$(wc -l <"$T/out")" -eq 50 ]
	[ "$(jq -c .shape "$T/out" | sort -u)" = "[2,1]" ]
}
