#!/usr/bin/env bats
# Grid Engine: docs/scale-out.md's recipe (score.sge: qsub -t 1-4 running
# kanx predict --shard auto), run as written, in a cell of our own
# (sge_qmaster and sge_execd from the Debian packages; SGE_ROOT, spool and
# ports private to the test; tests/engines.bash). The gathered output
# equals one kanx predict over the 200,000 rows byte for byte; a bad row
# fails its array task with kanx's exit status and message, and qsub
# -sync y exits with it.
#
# Installs nothing: .ci/packages lists gridengine-master, gridengine-exec
# and gridengine-client. Skips only when the engine cannot start here (not
# installed, not root, daemons that do not come up), with the reason;
# KANX_REQUIRE_ENGINES=1 (set by .ci/run) makes that a failure instead.
load helpers
load engines

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export PATH="$(dirname "$KANX"):$PATH"
	engine_start "Grid Engine" sge_up sge_down "$d/sge" 2 || return 1
	engine_up || return 0
	env | grep '^SGE_' > "$d/sge.env"
	engine_inputs "$d" ln
	engine_recipes "$d" sge-job score.sge sge-run run.sh
}

teardown_file() {
	[ -s "$BATS_FILE_TMPDIR/sge.env" ] && set -a && . "$BATS_FILE_TMPDIR/sge.env" && set +a
	export PATH="/usr/lib/gridengine:$PATH"
	sge_down "$BATS_FILE_TMPDIR/sge"
}

setup() {
	engine_skip
	set -a
	. "$BATS_FILE_TMPDIR/sge.env"
	set +a
	export PATH="$(dirname "$KANX"):/usr/lib/gridengine:$PATH"
}

@test "qsub -t 1-4 of kanx predict --shard auto over 200,000 rows: the parts, gathered, are one run's output byte for byte" {
	cd "$BATS_FILE_TMPDIR/good"
	run timeout 300 bash run.sh
	echo "$output"
	[ "$status" -eq 0 ]
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
	for k in 1 2 3 4; do
		[[ "$output" == *"Job "*".$k exited with exit code 0."* ]]
		rows=$(wc -l < out/part.$k.csv)
		[ "$rows" -ge 49000 ] && [ "$rows" -le 51001 ] || { echo "part $k: $rows lines"; false; }
		[ ! -s out/part.$k.err ]
	done
	[ "$(head -n 1 out/part.1.csv)" = y0 ]
	[ "$(head -n 1 out/part.2.csv)" != y0 ]
}

@test "a bad row in shard 3 fails task 3 with kanx's exit status 5 and message; qsub -sync y exits 5" {
	cd "$BATS_FILE_TMPDIR/bad"
	run timeout 300 bash run.sh
	echo "$output"
	[ "$status" -eq 5 ]
	[ ! -e predictions.csv ]
	[[ "$output" == *"Job "*".3 exited with exit code 5."* ]]
	for k in 1 2 4; do
		[[ "$output" == *"Job "*".$k exited with exit code 0."* ]]
		[ ! -s out/part.$k.err ]
	done
	[[ "$(cat "$BATS_FILE_TMPDIR/bad.err")" == 'kanx: big.csv:120001:'*': field 2 ("f1"): expected a plain decimal number, got "abc"' ]]
	cmp out/part.3.err "$BATS_FILE_TMPDIR/bad.err"
	cat out/part.[123].csv | cmp - <(head -n 120000 "$BATS_FILE_TMPDIR/one.csv")
}
