#!/usr/bin/env bats
# Dask distributed: docs/scale-out.md's kanx_dask.py, run as written, on a
# scheduler and two one-thread workers over loopback TCP (free ports, their
# own directories; tests/engines.bash). Each task runs kanx predict --shard
# K/N as a subprocess; over 200,000 rows the output is one run's byte for
# byte, with one shard per worker and with more shards than workers; a bad
# row fails its task, and the error, with kanx's status and message, comes
# back to the client.
#
# Installs nothing: .ci/packages lists python3-distributed. Skips only when
# Dask cannot start here (not installed, the cluster does not come up),
# with the reason; KANX_REQUIRE_ENGINES=1 (set by .ci/run) makes that a
# failure instead.
load helpers
load engines

setup_file() {
	local d=$BATS_FILE_TMPDIR
	# the workers run kanx from their PATH; Debian's python3 first
	export PATH="$(dirname "$KANX"):/usr/bin:$PATH"
	engine_start Dask dask_up dask_down "$d/dask" 2 || return 1
	engine_up || return 0
	echo "$DASK_SCHEDULER" > "$d/scheduler"
	engine_inputs "$d" ln
	engine_recipes "$d" dask-script kanx_dask.py dask-run run.sh
}

teardown_file() {
	dask_down "$BATS_FILE_TMPDIR/dask"
}

setup() {
	engine_skip
	export PATH="$(dirname "$KANX"):/usr/bin:$PATH"
	export DASK_SCHEDULER=$(cat "$BATS_FILE_TMPDIR/scheduler")
}

@test "kanx_dask.py: one shard per worker (2), then 5 shards on 2 workers: one run's output, byte for byte" {
	cd "$BATS_FILE_TMPDIR/good"
	run timeout 300 bash run.sh
	echo "$output"
	[ "$status" -eq 0 ]
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
	# N defaults to the cluster's worker threads: two parts
	[ -s out/part.00001.csv ] && [ -s out/part.00002.csv ] && [ ! -e out/part.00003.csv ]
	rm -r out predictions.csv
	mkdir out
	timeout 300 python3 kanx_dask.py "$DASK_SCHEDULER" "$PWD/model.keras" "$PWD/big.csv" "$PWD/out" 5 > predictions.csv
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
	[ "$(ls out | wc -l)" -eq 5 ]
}

@test "a bad row fails its task; the client exits with kanx's status 5 and message" {
	cd "$BATS_FILE_TMPDIR/bad"
	run timeout 300 bash run.sh
	echo "$output"
	[ "$status" -eq 5 ]
	# one run's message, the input named as the task names it
	want=$(sed "s|^kanx: big.csv:|kanx: $PWD/big.csv:|" "$BATS_FILE_TMPDIR/bad.err")
	[[ "$want" == "kanx: $PWD/big.csv:120001:"* ]]
	# (Dask may add warnings of its own, as when closing the client times
	# out on a loaded machine)
	[ "$(printf '%s\n' "$output" | grep '^kanx_dask:')" = "kanx_dask: shard 2/2: exit 5: $want" ]
	# shard 1's part is written before the failure: the start of one run's
	# output; the failed shard left no part (-o)
	cmp predictions.csv out/part.00001.csv
	[ ! -e out/part.00002.csv ]
	[ "$(wc -l < predictions.csv)" -gt 90000 ]
	head -c "$(wc -c < predictions.csv)" "$BATS_FILE_TMPDIR/one.csv" | cmp - predictions.csv
}
