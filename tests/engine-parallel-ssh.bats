#!/usr/bin/env bats
# GNU parallel over ssh: docs/scale-out.md's two recipes, run as written,
# against sshd started by hand on 127.0.0.1 and 127.0.0.2 (a free port, a
# host key of its own, root by key only; tests/engines.bash), two "hosts"
# of one job slot each: --pipepart sends each host a part of the file
# through ssh; --shard has each host read its shard of the shared file.
# Both ship the kanx binary and the model with --basefile into a remote
# working directory. Over 200,000 rows the output is one run's byte for
# byte; a bad row fails its job, and parallel exits with kanx's status.
#
# Installs nothing: .ci/packages lists openssh-server, openssh-client,
# rsync and parallel. Skips only when sshd cannot start here (not
# installed, not root), with the reason; KANX_REQUIRE_ENGINES=1 (set by
# .ci/run) makes that a failure instead.
load helpers
load engines

# parallel and rsync (for --basefile) here, and sshd up
parallel_ssh_up() {
	command -v parallel >/dev/null && command -v rsync >/dev/null ||
		{ engine_fail "GNU parallel and rsync are needed (Debian: parallel rsync)"; return 1; }
	sshd_up "$1"
}

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export PATH="$(dirname "$KANX"):$PATH"
	engine_start "GNU parallel over ssh" parallel_ssh_up sshd_down "$d/sshd" || return 1
	engine_up || return 0
	# a copy of the model, not a link: --basefile must carry the bytes
	engine_inputs "$d" cp
	engine_recipes "$d" parallel-ssh-pipepart pipepart.sh parallel-ssh-shard shard.sh
}

teardown_file() {
	sshd_down "$BATS_FILE_TMPDIR/sshd"
}

setup() {
	local d=$BATS_FILE_TMPDIR
	engine_skip
	export PATH="$(dirname "$KANX"):$PATH"
	export SSH="ssh -F $d/sshd/ssh_config" HOSTS=1/127.0.0.1,1/127.0.0.2
	export WD="$d/remote-$BATS_TEST_NUMBER"
}

@test "sshd listens on loopback and takes the key only" {
	local d=$BATS_FILE_TMPDIR/sshd port
	port=$(sed -n 's/^  Port //p' "$d/ssh_config")
	run ssh -F "$d/ssh_config" 127.0.0.2 'echo $USER'
	[ "$status" -eq 0 ]
	[ "$output" = root ]
	# without the key: publickey is the only method offered, and it fails
	run ssh -F /dev/null -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityFile=/dev/null \
		-o PreferredAuthentications=password,keyboard-interactive,publickey 127.0.0.1 true
	[ "$status" -eq 255 ]
	[[ "$output" == *"Permission denied (publickey)"* ]]
	# and on no other address of this machine
	addr=$(hostname -I 2>/dev/null | awk '{ print $1 }')
	if [ -n "$addr" ]; then
		run timeout 10 ssh -F "$d/ssh_config" -o ConnectTimeout=5 -p "$port" "$addr" true
		[ "$status" -eq 255 ]
		[[ "$output" == *"Connection refused"* ]]
	fi
}

@test "parallel --pipepart over ssh, kanx and the model as --basefile: one run's output, byte for byte" {
	cd "$BATS_FILE_TMPDIR/good"
	run timeout 300 bash pipepart.sh
	echo "$output"
	[ "$status" -eq 0 ]
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
	# jobs ran on both addresses, each after a login with the key
	grep -q "on 127.0.0.1 port" "$BATS_FILE_TMPDIR/sshd/sshd.log"
	grep -q "on 127.0.0.2 port" "$BATS_FILE_TMPDIR/sshd/sshd.log"
	# --cleanup took the basefiles away again
	[ ! -e "$WD/kanx" ]
}

@test "parallel over ssh, each job kanx predict --shard K/4 of the shared file: one run's output, byte for byte" {
	cd "$BATS_FILE_TMPDIR/good"
	run timeout 300 bash shard.sh
	echo "$output"
	[ "$status" -eq 0 ]
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
}

@test "a bad row fails its job: parallel exits with kanx's status 5 and kanx's message (--pipepart and --shard)" {
	cd "$BATS_FILE_TMPDIR/bad"
	run timeout 300 bash pipepart.sh
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *'kanx: <stdin>:'*': field 2 ("f1"): expected a plain decimal number, got "abc"'* ]]
	[[ "$output" == *"parallel: This job failed:"* ]]
	# the rows before it are written, in order (then, maybe, the output of
	# jobs that were running already: --halt soon lets them finish)
	head -n 120000 predictions.csv | cmp - <(head -n 120000 "$BATS_FILE_TMPDIR/one.csv")
	run timeout 300 bash shard.sh
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"kanx: $PWD/big.csv:120001:"*': field 2 ("f1"): expected a plain decimal number, got "abc"'* ]]
	head -n 120000 predictions.csv | cmp - <(head -n 120000 "$BATS_FILE_TMPDIR/one.csv")
}
