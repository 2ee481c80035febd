# tests/engines.bash - batch engines on one machine, private to the caller,
# for tests/engine-*.bats and bench/scale-out.sh (bash; source it).
#
# Each ENGINE_up DIR starts the engine's daemons with their sockets, ports,
# keys, state, spool and logs under DIR (ports: free ones on 127.0.0.1 and
# .2), so a system daemon that a package started (munge, sshd on port 22)
# neither helps nor hinders; ENGINE_down DIR stops them (TERM, then KILL
# after a timeout) and can be called whatever state up left. up returns 0,
# or 1 with the reason in $ENGINE_WHY (a log tail included).
#
# recipe NAME prints the block marked "<!-- recipe: NAME -->" in
# docs/scale-out.md: the tests and the benchmark run the documented
# commands themselves, so the page cannot drift from what is run.

: "${KANX_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
ENGINE_WHY=

# A free TCP port on the loopback address.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# recipe NAME: the fenced block after "<!-- recipe: NAME -->".
recipe() {
	awk -v name="$1" '
		$0 == "<!-- recipe: " name " -->" { want = 1; next }
		want && /^```/ { if (inb) exit; inb = 1; next }
		inb { print; found = 1 }
		END { if (!found) { print "no recipe " name " in docs/scale-out.md" > "/dev/stderr"; exit 1 } }
	' "$KANX_SRCDIR/docs/scale-out.md"
}

# make_rows FILE ROWS: ROWS random rows of 16 features in [-1, 1] (the
# bench16 model's input), with a header; the same bytes every time.
make_rows() {
	awk -v n="$2" 'BEGIN { srand(7); printf "f0"; for (j = 1; j < 16; j++) printf ",f%d", j; print ""
		for (i = 0; i < n; i++) { for (j = 0; j < 16; j++) printf "%s%.5f", (j ? "," : ""), 2 * rand() - 1; print "" } }' > "$1"
}

# stop_pid FILE [SECONDS]: TERM the process whose id FILE holds, wait up
# to SECONDS (default 10) for it to go, then KILL it.
stop_pid() {
	local pid i
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$1"
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# engine_fail MESSAGE LOG...: set ENGINE_WHY to MESSAGE and the logs' tails.
engine_fail() {
	local f
	ENGINE_WHY=$1
	shift
	for f in "$@"; do
		[ -s "$f" ] && ENGINE_WHY+=$'\n'"--- $f:"$'\n'"$(tail -n 8 "$f")"
	done
	return 1
}

# ---- Slurm: munged, slurmctld and slurmd, one node "localhost" ------------

# slurm_up DIR [CPUS]: a single-node cluster whose node has CPUS (default
# 2) CPUs, so as many array tasks run at once. Exports SLURM_CONF.
slurm_up() {
	local d=$1 cpus=${2:-2} sock c
	for c in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
		command -v "$c" >/dev/null || command -v "/usr/sbin/$c" >/dev/null ||
			{ engine_fail "$c is not installed (Debian: munge slurmctld slurmd slurm-client)"; return 1; }
	done
	mkdir -p "$d/state" "$d/spool" "$d/log"
	# munged wants every directory above its socket world-searchable
	# (bats' temporary directories are 0700): a directory of its own in /tmp
	sock=$(mktemp -d /tmp/kanx-munge.XXXXXX) && chmod 755 "$sock" && echo "$sock" > "$d/munge.dir"
	dd if=/dev/urandom of="$d/munge.key" bs=1024 count=1 2>/dev/null
	chmod 400 "$d/munge.key"
	/usr/sbin/munged --force --socket="$sock/munge.socket" --key-file="$d/munge.key" \
		--log-file="$d/log/munged.log" --pid-file="$d/munged.pid" --seed-file="$d/munged.seed" 3>&- ||
		{ engine_fail "munged did not start" "$d/log/munged.log"; return 1; }
	wait_for 10 test -S "$sock/munge.socket" || { engine_fail "munged made no socket" "$d/log/munged.log"; return 1; }
	cat > "$d/slurm.conf" <<-EOF
	ClusterName=kanx
	SlurmctldHost=localhost
	SlurmctldPort=$(free_port)
	SlurmdPort=$(free_port)
	SlurmUser=root
	SlurmdUser=root
	AuthType=auth/munge
	CredType=cred/munge
	AuthInfo=socket=$sock/munge.socket
	StateSaveLocation=$d/state
	SlurmdSpoolDir=$d/spool
	SlurmctldPidFile=$d/slurmctld.pid
	SlurmdPidFile=$d/slurmd.pid
	SlurmctldLogFile=$d/log/slurmctld.log
	SlurmdLogFile=$d/log/slurmd.log
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	SelectType=select/cons_tres
	SelectTypeParameters=CR_CPU
	SchedulerParameters=batch_sched_delay=0
	MpiDefault=none
	ReturnToService=2
	MailProg=/bin/true
	JobCompType=jobcomp/none
	AccountingStorageType=accounting_storage/none
	NodeName=localhost CPUs=$cpus
	PartitionName=debug Nodes=ALL Default=YES State=UP
	EOF
	export SLURM_CONF=$d/slurm.conf
	/usr/sbin/slurmctld -f "$SLURM_CONF" 3>&- || { engine_fail "slurmctld did not start" "$d/log/slurmctld.log"; return 1; }
	/usr/sbin/slurmd -f "$SLURM_CONF" -N localhost 3>&- || { engine_fail "slurmd did not start" "$d/log/slurmd.log"; return 1; }
	wait_for 30 slurm_idle || { engine_fail "the node did not come up idle" "$d/log/slurmctld.log" "$d/log/slurmd.log"; return 1; }
}

slurm_idle() { [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; }

slurm_down() {
	local d=$1
	stop_pid "$d/slurmd.pid" 10
	stop_pid "$d/slurmctld.pid" 10
	stop_pid "$d/munged.pid" 5
	[ -s "$d/munge.dir" ] && rm -rf "$(cat "$d/munge.dir")" "$d/munge.dir"
	return 0
}

# ---- sshd on 127.0.0.1 and 127.0.0.2, key-only -------------------------------

# sshd_up DIR: sshd on a free port of both addresses, root by key only,
# with a host key, a client key and a client config (DIR/ssh_config, for
# ssh -F) of its own. Sets SSH_PORT.
sshd_up() {
	local d=$1
	[ -x /usr/sbin/sshd ] || { engine_fail "sshd is not installed (Debian: openssh-server)"; return 1; }
	command -v ssh >/dev/null || { engine_fail "ssh is not installed (Debian: openssh-client)"; return 1; }
	[ "$(id -u)" = 0 ] || { engine_fail "sshd needs root here"; return 1; }
	mkdir -p "$d"
	# sshd's privilege separation directory (made by its service at boot)
	[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
	rm -f "$d/hostkey" "$d/userkey"
	ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$d/userkey"
	cp "$d/userkey.pub" "$d/authorized_keys"
	SSH_PORT=$(free_port)
	cat > "$d/sshd_config" <<-EOF
	ListenAddress 127.0.0.1:$SSH_PORT
	ListenAddress 127.0.0.2:$SSH_PORT
	HostKey $d/hostkey
	PidFile $d/sshd.pid
	AuthorizedKeysFile $d/authorized_keys
	PermitRootLogin prohibit-password
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	MaxStartups 50
	LogLevel VERBOSE
	EOF
	cat > "$d/ssh_config" <<-EOF
	Host 127.0.0.1 127.0.0.2
	  Port $SSH_PORT
	  IdentityFile $d/userkey
	  IdentitiesOnly yes
	  UserKnownHostsFile $d/known_hosts
	  StrictHostKeyChecking accept-new
	  BatchMode yes
	  LogLevel ERROR
	EOF
	/usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" 3>&- || { engine_fail "sshd did not start" "$d/sshd.log"; return 1; }
	wait_for 10 ssh -F "$d/ssh_config" 127.0.0.1 true &&
		wait_for 10 ssh -F "$d/ssh_config" 127.0.0.2 true ||
		{ engine_fail "no ssh login to 127.0.0.1 and 127.0.0.2 on port $SSH_PORT" "$d/sshd.log"; return 1; }
}

sshd_down() {
	stop_pid "$1/sshd.pid" 5
	return 0
}

# ---- Dask distributed: a scheduler and workers over loopback TCP ----------

# dask_up DIR WORKERS: a scheduler and WORKERS workers of one thread each,
# started with the caller's environment (PATH: where they find kanx). Sets
# DASK_SCHEDULER (tcp://127.0.0.1:PORT).
dask_up() {
	local d=$1 n=$2 w port
	[ -x /usr/bin/dask ] && /usr/bin/python3 -c 'import distributed' 2>/dev/null ||
		{ engine_fail "Dask distributed is not installed (Debian: python3-distributed)"; return 1; }
	mkdir -p "$d"
	port=$(free_port)
	DASK_SCHEDULER=tcp://127.0.0.1:$port
	/usr/bin/dask scheduler --host 127.0.0.1 --port "$port" --no-dashboard \
		> "$d/scheduler.log" 2>&1 3>&- &
	echo $! > "$d/scheduler.pid"
	for ((w = 1; w <= n; w++)); do
		/usr/bin/dask worker "$DASK_SCHEDULER" --name "w$w" --nthreads 1 --nworkers 1 \
			--host 127.0.0.1 --no-dashboard --local-directory "$d/w$w" \
			> "$d/worker$w.log" 2>&1 3>&- &
		echo $! > "$d/worker$w.pid"
	done
	/usr/bin/python3 - "$DASK_SCHEDULER" "$n" > "$d/wait.log" 2>&1 <<-'EOF' ||
	import sys
	from dask.distributed import Client
	with Client(sys.argv[1], timeout=60) as c:
	    c.wait_for_workers(int(sys.argv[2]), timeout=60)
	EOF
		{ engine_fail "the scheduler and $n workers did not come up" "$d/wait.log" "$d/scheduler.log" "$d/worker1.log"; return 1; }
}

dask_down() {
	local d=$1 f
	# the workers first (all at once), then the scheduler: the nanny of a
	# worker whose scheduler is gone waits for it
	for f in "$d"/worker*.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for f in "$d"/worker*.pid; do
		[ -e "$f" ] && stop_pid "$f" 10
	done
	stop_pid "$d/scheduler.pid" 10
	return 0
}
