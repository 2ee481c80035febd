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
	if [ "$(id -u)" != 0 ]; then
		echo "slurmd runs jobs as root here; not root" > "$d/skip"
	elif ! slurm_up "$d/slurm" 2; then
		echo "Slurm could not start: $ENGINE_WHY" > "$d/skip"
		slurm_down "$d/slurm"
	fi
	if [ -e "$d/skip" ]; then
		[ "${KANX_REQUIRE_ENGINES:-0}" = 1 ] && { cat "$d/skip"; return 1; }
		return 0
	fi
	mkdir -p "$d/good" "$d/bad"
	make_rows "$d/good/big.csv" 200000
	# a row of shard 3 (rows 100,001-150,000) with a bad field
	awk 'NR == 120001 { sub(/,[^,]*,/, ",abc,") } { print }' "$d/good/big.csv" > "$d/bad/big.csv"
	for w in good bad; do
		ln -s "$FIX/models/bench16.keras" "$d/$w/model.keras"
		recipe slurm-job > "$d/$w/score.sbatch"
		recipe slurm-run > "$d/$w/run.sh"
	done
	kanx predict -m "$FIX/models/bench16.keras" "$d/good/big.csv" > "$d/one.csv"
	# what one run says about the bad row
	(cd "$d/bad" && kanx predict -m model.keras big.csv > /dev/null 2> "$d/bad.err") || :
}

teardown_file() {
	slurm_down "$BATS_FILE_TMPDIR/slurm"
}

setup() {
	[ ! -e "$BATS_FILE_TMPDIR/skip" ] || skip "$(cat "$BATS_FILE_TMPDIR/skip")"
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
