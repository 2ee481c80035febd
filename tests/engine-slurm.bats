#!/usr/bin/env bats
# Slurm: docs/scale-out.md's recipe (score.sbatch: sbatch --array=1-4
# running kanx predict --shard auto), run as written on a one-node cluster
# of our own (munged, slurmctld, slurmd: private socket, ports, state,
# spool and logs under the test's temporary directory; tests/engines.bash).
# The gathered output equals one kanx predict over the 200,000 rows byte
# for byte; a bad row fails its array task with kanx's exit status and
# message, and sbatch --wait passes the status on.
#
# Installs nothing: .ci/packages lists munge, slurmctld, slurmd and
# slurm-client. Skips only when the engine cannot start here (not
# installed, not root, daemons that do not come up), with the reason;
# KANX_REQUIRE_ENGINES=1 (set by .ci/run) makes that a failure instead.
load helpers
load engines

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export PATH="$(dirname "$KANX"):$PATH"
	engine_start Slurm slurm_up slurm_down "$d/slurm" 2 || return 1
	engine_up || return 0
	engine_inputs "$d" ln
	engine_recipes "$d" slurm-job score.sbatch slurm-run run.sh
}

teardown_file() {
	slurm_down "$BATS_FILE_TMPDIR/slurm"
}

setup() {
	engine_skip
	export PATH="$(dirname "$KANX"):$PATH"
	export SLURM_CONF="$BATS_FILE_TMPDIR/slurm/slurm.conf"
}

# task_field JOBID TASK FIELD: FIELD=VALUE of the array task, from scontrol
task_field() {
	scontrol show job "$1_$2" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

@test "sbatch --array=1-4 of kanx predict --shard auto over 200,000 rows: the parts, gathered, are one run's output byte for byte" {
	cd "$BATS_FILE_TMPDIR/good"
	[ "$(wc -l < big.csv)" -eq 200001 ]
	run timeout 300 bash run.sh
	echo "$output"
	[ "$status" -eq 0 ]
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
	# four tasks, each its quarter of the rows (header: shard 1 only)
	jobid=$(printf '%s\n' "$output" | sed -n 's/^Submitted batch job \([0-9]*\)$/\1/p')
	[ -n "$jobid" ]
	for k in 1 2 3 4; do
		[ "$(task_field "$jobid" $k JobState)" = COMPLETED ]
		[ "$(task_field "$jobid" $k ExitCode)" = 0:0 ]
		rows=$(wc -l < out/part.000$k.csv)
		[ "$rows" -ge 49000 ] && [ "$rows" -le 51001 ] || { echo "part $k: $rows lines"; false; }
		[ ! -s out/part.000$k.err ]
	done
	[ "$(head -n 1 out/part.0001.csv)" = y0 ]
	[ "$(head -n 1 out/part.0002.csv)" != y0 ]
}

@test "a bad row in shard 3 fails task 3 with kanx's exit status 5 and message; sbatch --wait exits 5" {
	cd "$BATS_FILE_TMPDIR/bad"
	run timeout 300 bash run.sh
	echo "$output"
	[ "$status" -eq 5 ]
	[ ! -e predictions.csv ]
	jobid=$(printf '%s\n' "$output" | sed -n 's/^Submitted batch job \([0-9]*\)$/\1/p')
	[ -n "$jobid" ]
	[ "$(task_field "$jobid" 3 JobState)" = FAILED ]
	[ "$(task_field "$jobid" 3 ExitCode)" = 5:0 ]
	[[ "$(cat "$BATS_FILE_TMPDIR/bad.err")" == 'kanx: big.csv:120001:'*': field 2 ("f1"): expected a plain decimal number, got "abc"' ]]
	cmp out/part.0003.err "$BATS_FILE_TMPDIR/bad.err"
	for k in 1 2 4; do
		[ "$(task_field "$jobid" $k JobState)" = COMPLETED ]
		[ ! -s out/part.000$k.err ]
	done
	# the parts up to the failed task's are what one run writes before it stops
	cat out/part.000[123].csv | cmp - <(head -n 120000 "$BATS_FILE_TMPDIR/one.csv")
}
