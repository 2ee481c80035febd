#!/usr/bin/env bash
# bench/scale-out.sh - time docs/scale-out.md's recipes on the engines of
# tests/engine-*.bats, on this machine: the engines' set-up (daemons up),
# each job with 1 and 2 workers, and where a job's time goes. Run by hand
# (as root, the engines installed: .ci/packages), never by make check.
# Uses tests/engines.bash to start the engines privately and to take the
# recipes from the page, so what it times is what the page says and the
# tests run. Prints a Markdown report, also written to $OUT/scale-out.md.
#
# "1 worker": the job in 1 shard on 1 job slot; "2 workers": 2 shards on 2
# slots (Slurm: --array=1-1 / 1-2 on a node of 2 CPUs; Grid Engine: -t 1-1
# / 1-2 on a queue of 2 slots; parallel: 1 or 2 ssh "hosts" 127.0.0.1 and
# .2 of one slot; Dask: a cluster of 1 or 2 one-thread workers). Overhead: the 1-worker job's time minus kanx alone
# (kanx predict -t 1 on the same file, no engine).
#
# Settings (environment):
#   KANX    the binary (default: the source tree's kanx)
#   MODEL   default tests/fixtures/models/bench16.keras (16 features)
#   ROWS    rows of the input (default 200000, as the tests)
#   REPEAT  runs of each job; the report gives min-max (default 3)
#   ENGINES which to time (default "slurm parallel-ssh dask gridengine")
#   OUT     output directory (default bench/out)
set -euo pipefail
LC_ALL=C
export LC_ALL

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
KANX=${KANX:-$SRCDIR/kanx}
MODEL=${MODEL:-$SRCDIR/tests/fixtures/models/bench16.keras}
ROWS=${ROWS:-200000}
REPEAT=${REPEAT:-3}
ENGINES=${ENGINES:-"slurm parallel-ssh dask gridengine"}
OUT=${OUT:-$SRCDIR/bench/out}
KANX_SRCDIR=$SRCDIR
# shellcheck source=../tests/engines.bash
. "$SRCDIR/tests/engines.bash"

KANX=$(cd "$(dirname "$KANX")" && pwd)/$(basename "$KANX")
export PATH="$(dirname "$KANX"):/usr/bin:$PATH"
work=$(mktemp -d /tmp/kanx-scale-out.XXXXXX)
cleanup() {
	slurm_down "$work/slurm" 2>/dev/null || :
	sshd_down "$work/sshd" 2>/dev/null || :
	dask_down "$work/dask1" 2>/dev/null || :
	dask_down "$work/dask2" 2>/dev/null || :
	sge_down "$work/sge" 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$OUT"
report=$OUT/scale-out.md

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# range V...: "min-max" (or one value)
range() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (v[1] == v[NR]) print v[1]; else print v[1] "–" v[NR] }'; }
minof() { printf '%s\n' "$@" | sort -n | head -n 1; }
say() { printf '%s\n' "$*" | tee -a "$report"; }

# timed CMD...: run CMD (must succeed), print its wall seconds
timed() {
	local t0 t1
	t0=$(now)
	"$@" > /dev/null
	t1=$(now)
	secs "$t0" "$t1"
}

: > "$report"
say "# docs/scale-out.md recipes, timed by bench/scale-out.sh"
say ""
say "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)),"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $("$KANX" --version | head -n 1),"
say "$ROWS rows of 16 features, $(basename "$MODEL"); $REPEAT runs each, min–max seconds."
say ""

cd "$work"
make_rows big.csv "$ROWS"
cp "$MODEL" model.keras
"$KANX" predict -m model.keras -t 1 big.csv > one.csv
alone=()
for ((i = 0; i < REPEAT; i++)); do alone+=("$(timed "$KANX" predict -m model.keras -t 1 big.csv)"); done
say "kanx alone (\`kanx predict -t 1\`, no engine): $(range "${alone[@]}") s"
say ""
say "| engine | set-up (daemons up) | job, 1 worker | job, 2 workers | overhead (1 worker − kanx alone) |"
say "|---|---|---|---|---|"
base=$(minof "${alone[@]}")
notes=()
declare -A job=() job2=() dup=() ddown=()

# check FILE: the job's output is one run's
check() { cmp -s "$1" "$work/one.csv" || { echo "bench: $1 differs from one run's output" >&2; exit 1; }; }

# enter NAME: a directory of the job's own with the model and the input
enter() {
	mkdir -p "$work/$1" && cd "$work/$1"
	cp ../model.keras . && ln -sf ../big.csv big.csv
}

# up FUNC DIR [ARGS]: start an engine; UP: the seconds it took
up() {
	local t0
	t0=$(now)
	"$@" || { echo "bench: $ENGINE_WHY" >&2; exit 1; }
	UP=$(secs "$t0" "$(now)")
}

# down FUNC DIR: stop an engine; DOWN: the seconds it took
down() {
	local t0
	t0=$(now)
	"$@"
	DOWN=$(secs "$t0" "$(now)")
}

# runs SCRIPT [ENV...]: run the job REPEAT times with ENV set, each from
# scratch, checking its output; RANGE: min-max seconds, MIN: the least,
# T0/T1: when the last run started and ended
runs() {
	local script=$1 ts=() i
	shift
	for ((i = 0; i < REPEAT; i++)); do
		rm -rf out predictions.csv
		T0=$(now)
		env "$@" bash "$script" > /dev/null
		T1=$(now)
		check predictions.csv
		ts+=("$(secs "$T0" "$T1")")
		[ -z "${AFTER:-}" ] || "$AFTER"
	done
	RANGE=$(range "${ts[@]}") MIN=$(minof "${ts[@]}")
}

# after each Slurm run: an .err file is made when its task starts (and
# stays empty but for the one-task array's warning); a part is last
# written when its task ends
slurm_phases() {
	local first last
	first=$(stat -c '%.9W %.9Y' out/*.err | awk '{ print ($1 > 0 ? $1 : $2) }' | sort -n | head -n 1)
	last=$(stat -c %.9Y out/*.csv | sort -n | tail -n 1)
	launch+=("$(secs "$T0" "$first")") run+=("$(secs "$first" "$last")") waitt+=("$(secs "$last" "$T1")")
}

for engine in $ENGINES; do
	case $engine in
	slurm)
		enter sl
		recipe slurm-job > score.sbatch
		recipe slurm-run > run.sh
		up slurm_up "$work/slurm" 2
		for w in 1 2; do
			launch=() run=() waitt=()
			AFTER=slurm_phases runs run.sh SBATCH_ARRAY_INX=1-$w
			job[$w]=$RANGE
			[ $w = 1 ] && one=$MIN
			notes+=("Slurm, $w worker(s): submit to the first task's start $(range "${launch[@]}") s; first start to last end $(range "${run[@]}") s; last end to \`sbatch --wait\` returning $(range "${waitt[@]}") s.")
		done
		down slurm_down "$work/slurm"
		say "| Slurm, \`sbatch --wait --array\` | $UP | ${job[1]} | ${job[2]} | $(secs "$base" "$one") |"
		notes+=("Slurm daemons down: $DOWN s.")
		;;
	parallel-ssh)
		enter ps
		recipe parallel-ssh-pipepart > pipepart.sh
		recipe parallel-ssh-shard > shard.sh
		up sshd_up "$work/sshd"
		export SSH="ssh -F $work/sshd/ssh_config" WD="$work/remote"
		for w in 1 2; do
			hosts=1/127.0.0.1
			[ $w = 2 ] && hosts+=,1/127.0.0.2
			sed "s/^shards=.*/shards=$w/" shard.sh > shard$w.sh
			runs pipepart.sh HOSTS=$hosts
			job[$w]=$RANGE
			[ $w = 1 ] && one=$MIN
			runs shard$w.sh HOSTS=$hosts
			job2[$w]=$RANGE
			[ $w = 1 ] && one2=$MIN
		done
		login=() base2=()
		for ((i = 0; i < REPEAT; i++)); do
			login+=("$(timed ssh -F "$work/sshd/ssh_config" 127.0.0.1 true)")
			# relative basefiles: --cleanup removes them at the same path on
			# each host, which here is this machine
			base2+=("$(timed parallel --ssh "$SSH" -S 1/127.0.0.1,1/127.0.0.2 --wd "$WD" --basefile kanx \
				--basefile model.keras --cleanup true ::: 1 2)")
		done
		down sshd_down "$work/sshd"
		say "| GNU parallel over ssh, \`--pipepart\` | $UP | ${job[1]} | ${job[2]} | $(secs "$base" "$one") |"
		say "| GNU parallel over ssh, \`--shard\` | (the same) | ${job2[1]} | ${job2[2]} | $(secs "$base" "$one2") |"
		notes+=("parallel over ssh: one ssh login (\`ssh host true\`) $(range "${login[@]}") s; logging in to both hosts and copying kanx ($(( $(stat -c %s kanx) / 1024 )) KiB) and the model ($(( $(stat -c %s model.keras) / 1024 )) KiB) with --basefile, then removing them, with no job: $(range "${base2[@]}") s. sshd down: $DOWN s.")
		;;
	dask)
		enter dk
		recipe dask-script > kanx_dask.py
		recipe dask-run > run.sh
		for w in 1 2; do
			up dask_up "$work/dask$w" "$w"
			dup[$w]=$UP
			runs run.sh DASK_SCHEDULER="$DASK_SCHEDULER"
			job[$w]=$RANGE
			[ $w = 1 ] && one=$MIN
			down dask_down "$work/dask$w"
			ddown[$w]=$DOWN
		done
		imp=()
		for ((i = 0; i < REPEAT; i++)); do imp+=("$(timed /usr/bin/python3 -c 'import dask.distributed')"); done
		say "| Dask distributed, \`kanx_dask.py\` | ${dup[1]} (1 worker), ${dup[2]} (2) | ${job[1]} | ${job[2]} | $(secs "$base" "$one") |"
		notes+=("Dask: \`import dask.distributed\` alone takes $(range "${imp[@]}") s of the client's time. Cluster down: ${ddown[1]} s (1 worker), ${ddown[2]} s (2).")
		;;
	gridengine)
		enter ge
		recipe sge-job > score.sge
		recipe sge-run > run.sh
		up sge_up "$work/sge" 2
		for w in 1 2; do
			sed "s/^#\$ -t .*/#$ -t 1-$w/" score.sge > score$w.sge
			sed "s/score.sge/score$w.sge/" run.sh > run$w.sh
			runs run$w.sh
			job[$w]=$RANGE
			[ $w = 1 ] && one=$MIN
		done
		down sge_down "$work/sge"
		say "| Grid Engine, \`qsub -sync y -t\` | $UP | ${job[1]} | ${job[2]} | $(secs "$base" "$one") |"
		notes+=("Grid Engine daemons down: $DOWN s.")
		;;
	*)
		echo "bench/scale-out.sh: unknown engine $engine" >&2
		exit 2
		;;
	esac
	cd "$work"
done
say ""
for n in "${notes[@]}"; do say "- $n"; done
say ""
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
