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

# ---- for tests/engine-*.bats ----------------------------------------------------

# engine_start WHAT UP DOWN DIR [ARGS]: in setup_file, start an engine
# (UP DIR ARGS). When it cannot start, stop what it started (DOWN DIR) and
# keep the reason for engine_skip, or, with KANX_REQUIRE_ENGINES=1 (set by
# .ci/run, where the engines are installed), fail; with KANX_ENGINES=0,
# skip without starting it. Returns 0 when the
# engine is up or is to be skipped, 1 when setup_file must fail.
engine_start() {
	local what=$1 up=$2 down=$3
	shift 3
	if [ "${KANX_ENGINES:-1}" = 0 ]; then
		echo "$what not started: KANX_ENGINES=0 (.ci/run runs the engines in its first pass only)" > "$BATS_FILE_TMPDIR/skip"
		return 0
	fi
	"$up" "$@" && return 0
	echo "$what could not start: $ENGINE_WHY" > "$BATS_FILE_TMPDIR/skip"
	"$down" "$1"
	if [ "${KANX_REQUIRE_ENGINES:-0}" = 1 ]; then
		cat "$BATS_FILE_TMPDIR/skip"
		return 1
	fi
}

# engine_up: the engine started (in setup_file, after engine_start)
engine_up() { [ ! -e "$BATS_FILE_TMPDIR/skip" ]; }

# engine_skip: in setup, skip with the reason when the engine is not up
engine_skip() {
	engine_up || skip "$(cat "$BATS_FILE_TMPDIR/skip")"
}

# engine_inputs DIR ln|cp: the tests' inputs. DIR/good/big.csv: 200,000
# rows; DIR/bad/big.csv: the same with a bad field in row 120,000 (line
# 120,001, in shard 3 of 4); the bench16 model as model.keras in both
# (linked, or copied where the bytes must travel); DIR/one.csv: one run's
# output for the good rows; DIR/bad.err: one run's message about the bad
# row (run in DIR/bad, on "big.csv").
engine_inputs() {
	local d=$1 w
	mkdir -p "$d/good" "$d/bad"
	make_rows "$d/good/big.csv" 200000
	awk 'NR == 120001 { sub(/,[^,]*,/, ",abc,") } { print }' "$d/good/big.csv" > "$d/bad/big.csv"
	for w in good bad; do
		"$2" "$KANX_SRCDIR/tests/fixtures/models/bench16.keras" "$d/$w/model.keras"
	done
	"$KANX" predict -m "$d/good/model.keras" "$d/good/big.csv" > "$d/one.csv"
	(cd "$d/bad" && "$KANX" predict -m model.keras big.csv > /dev/null 2> "$d/bad.err") || :
}

# engine_recipes DIR NAME FILE...: recipe NAME into FILE in DIR/good and
# DIR/bad, for each NAME FILE pair
engine_recipes() {
	local d=$1 w
	shift
	while [ $# -ge 2 ]; do
		for w in good bad; do
			recipe "$1" > "$d/$w/$2"
		done
		shift 2
	done
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
	[ "$(id -u)" = 0 ] || { engine_fail "slurmd runs jobs as root here; not root"; return 1; }
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

# ---- Grid Engine: sge_qmaster and sge_execd, one host "localhost" ----------

# sge_up DIR [SLOTS]: a cell of our own (SGE_ROOT=DIR/root, SGE_CELL=kanx:
# the Debian packages' binaries, our configuration, classic spooling under
# DIR, ports from SGE_QMASTER_PORT/SGE_EXECD_PORT), with one queue all.q
# of SLOTS (default 2) slots on localhost. Exports SGE_ROOT, SGE_CELL,
# SGE_QMASTER_PORT, SGE_EXECD_PORT and puts the client tools on PATH.
sge_up() {
	local d=$1 slots=${2:-2} r c
	for c in sge_qmaster sge_execd; do
		[ -x "/usr/sbin/$c" ] || { engine_fail "$c is not installed (Debian: gridengine-master gridengine-exec)"; return 1; }
	done
	[ -x /usr/lib/gridengine/qsub ] && [ -x /usr/lib/gridengine/spoolinit ] ||
		{ engine_fail "qsub is not installed (Debian: gridengine-client gridengine-common)"; return 1; }
	[ "$(id -u)" = 0 ] || { engine_fail "Grid Engine's daemons need root here"; return 1; }
	r=$d/root
	mkdir -p "$r/kanx/common" "$d/qmaster/job_scripts" "$d/execd" "$d/tmp"
	for c in bin lib utilbin util; do
		ln -sfn "/var/lib/gridengine/$c" "$r/$c"
	done
	export SGE_ROOT=$r SGE_CELL=kanx SGE_QMASTER_PORT=$(free_port) SGE_EXECD_PORT=$(free_port)
	export PATH="/usr/lib/gridengine:$PATH"
	cat > "$r/kanx/common/bootstrap" <<-EOF
	# Version: 8.1.9
	admin_user              none
	default_domain          none
	ignore_fqdn             true
	spooling_method         classic
	spooling_lib            libspoolc
	spooling_params         $r/kanx/common;$d/qmaster
	binary_path             /usr/sbin
	qmaster_spool_dir       $d/qmaster
	security_mode           none
	listener_threads        2
	worker_threads          2
	scheduler_threads       1
	EOF
	# the qmaster is "localhost", whatever this machine is called
	echo localhost > "$r/kanx/common/act_qmaster"
	echo "localhost $(hostname)" > "$r/kanx/common/host_aliases"
	# root's jobs allowed (min_uid 0), no login shell (it would reset PATH
	# from root's profile), no mail, no accounting file
	sed -e "s|^execd_spool_dir .*|execd_spool_dir        $d/execd|" \
		-e 's|^min_uid .*|min_uid                0|' -e 's|^min_gid .*|min_gid                0|' \
		-e 's|^login_shells .*|login_shells           none|' -e 's|^mailer .*|mailer                 /bin/true|' \
		-e 's|^reporting_params .*|reporting_params       accounting=false reporting=false flush_time=00:00:15 joblog=false sharelog=00:00:00|' \
		/usr/share/gridengine/default-configuration > "$d/global.conf"
	{
		/usr/lib/gridengine/spoolinit classic libspoolc "$r/kanx/common;$d/qmaster" init &&
		{ /usr/lib/gridengine/spooldefaults configuration "$d/global.conf" || [ -s "$r/kanx/common/configuration" ]; } &&
		/usr/lib/gridengine/spooldefaults complexes /usr/share/gridengine/util/resources/centry &&
		/usr/lib/gridengine/spooldefaults usersets /usr/share/gridengine/util/resources/usersets &&
		/usr/lib/gridengine/spooldefaults managers root
	} > "$d/init.log" 2>&1 || { engine_fail "the cell could not be made" "$d/init.log"; return 1; }
	/usr/sbin/sge_qmaster 3>&- || { engine_fail "sge_qmaster did not start" "$d/qmaster/messages"; return 1; }
	wait_for 30 qconf -sh || { engine_fail "sge_qmaster does not answer" "$d/qmaster/messages"; return 1; }
	# a scheduler run every second and right after a submit or an end
	# (else a job waits 15 s), the host, a queue without parallel envs
	qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
		-e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
		-e 's/^flush_finish_sec .*/flush_finish_sec                  1/' > "$d/sched.conf"
	printf 'hostname localhost\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' > "$d/host.conf"
	qconf -sq all.q 2>/dev/null > /dev/null && qconf -dq all.q > /dev/null
	/usr/bin/python3 - "$slots" "$d/tmp" > "$d/queue.conf" <<-'EOF'
	import sys
	q = dict(qname="all.q", hostlist="localhost", seq_no="0", load_thresholds="NONE",
	         suspend_thresholds="NONE", nsuspend="1", suspend_interval="00:05:00", priority="0",
	         min_cpu_interval="00:05:00", processors="UNDEFINED", qtype="BATCH INTERACTIVE",
	         ckpt_list="NONE", pe_list="NONE", rerun="FALSE", slots=sys.argv[1], tmpdir=sys.argv[2],
	         shell="/bin/sh", prolog="NONE", epilog="NONE", shell_start_mode="posix_compliant",
	         starter_method="NONE", suspend_method="NONE", resume_method="NONE",
	         terminate_method="NONE", notify="00:00:60", owner_list="NONE", user_lists="NONE",
	         xuser_lists="NONE", subordinate_list="NONE", complex_values="NONE", projects="NONE",
	         xprojects="NONE", calendar="NONE", initial_state="default")
	for lim in ("rt", "cpu", "fsize", "data", "stack", "core", "rss", "vmem"):
	    q["s_" + lim] = q["h_" + lim] = "INFINITY"
	for k, v in q.items():
	    print("%-21s %s" % (k, v))
	EOF
	{
		qconf -Msconf "$d/sched.conf" && qconf -as localhost && qconf -Ae "$d/host.conf" &&
		qconf -Aq "$d/queue.conf"
	} > "$d/setup.log" 2>&1 || { engine_fail "the queue could not be made" "$d/setup.log" "$d/qmaster/messages"; return 1; }
	/usr/sbin/sge_execd 3>&- || { engine_fail "sge_execd did not start" "$d/execd/localhost/messages"; return 1; }
	wait_for 30 sge_ready || { engine_fail "the queue did not come up" "$d/execd/localhost/messages" "$d/qmaster/messages"; return 1; }
}

# all.q@localhost has reported a load and is in no error/unknown state
sge_ready() {
	qstat -f -q all.q 2>/dev/null | awk '$1 == "all.q@localhost" { ok = $4 != "-NA-" && NF == 5 } END { exit !ok }'
}

sge_down() {
	local d=$1
	# asked (qconf), the execd stops in a second or two; the qmaster takes
	# about 9 s, asked or sent SIGTERM, for a cell that is thrown away next:
	# it gets 3 s, then SIGKILL
	if [ -s "$d/qmaster/qmaster.pid" ] && [ -n "${SGE_ROOT:-}" ]; then
		timeout 10 qconf -ke localhost > /dev/null 2>&1
		timeout 10 qconf -km > /dev/null 2>&1
	fi
	stop_pid "$d/execd/localhost/execd.pid" 10
	stop_pid "$d/qmaster/qmaster.pid" 3
	return 0
}
