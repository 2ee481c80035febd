#!/bin/sh
# bench/run.sh - benchmark kanx predict and the machine floors around it.
# Run by hand (never by make check); see bench/README.md. Everything it
# writes goes to bench/out/ (ignored by git). Results: bench/out/results.md.
#
# Settings (environment):
#   BUILDDIR     build tree holding kanx and bench/floors (default: the source tree)
#   KANX         the binary (default: $BUILDDIR/kanx)
#   MODEL        default tests/fixtures/models/bench16.keras (KAN [16,64,64,1], G=5, k=3)
#   ROWS         rows of the main inputs (default 200000, 16 float columns)
#   THREADS      thread counts to try (default "1 2")
#   REPEAT       runs per measurement, the best is kept (default 3)
#   COLD_RUNS    1-row runs for the cold start median (default 31)
#   SWEEP        1 to run the model-size sweep (default 1)
#   SWEEP_ROWS   rows for each sweep model (default 50000)
#   SERVE        1 to measure serve-stdin latency with bench/serve_latency.sh
#                (default 1; SERVE_N requests, default 5000)
#   LAYERS       1 to time single KAN layers with the AVX2 kernel's dense and
#                sparse paths (bench/layers; about a minute; default 0)
#   PY           Python with h5py and numpy for bench/make_models.py (default /usr/bin/python3)
#   OUT          output directory (default bench/out)
set -eu
LC_ALL=C
export LC_ALL

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BUILDDIR:-$SRCDIR}
KANX=${KANX:-$BUILDDIR/kanx}
MODEL=${MODEL:-$SRCDIR/tests/fixtures/models/bench16.keras}
ROWS=${ROWS:-200000}
THREADS=${THREADS:-"1 2"}
REPEAT=${REPEAT:-3}
COLD_RUNS=${COLD_RUNS:-31}
SWEEP=${SWEEP:-1}
SWEEP_ROWS=${SWEEP_ROWS:-50000}
LAYERS=${LAYERS:-0}
SERVE=${SERVE:-1}
SERVE_N=${SERVE_N:-5000}
PY=${PY:-/usr/bin/python3}
OUT=${OUT:-$SRCDIR/bench/out}
TIME=/usr/bin/time

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[ -x "$TIME" ] || die "$TIME is needed (Debian package time)"
mkdir -p "$OUT"
RES=$OUT/results.md
: > "$RES"
out() { printf '%s\n' "$*" | tee -a "$RES"; }

# nanoseconds since the epoch (GNU date), for runs of a second or so
ns() { date +%s%N; }
# a / b * scale with d decimals: div A B [D [SCALE]]
div() { awk -v a="$1" -v b="$2" -v d="${3:-0}" -v s="${4:-1}" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.*f\n", d, a / b * s }'; }

# ---- the floors program ----------------------------------------------------
note "building bench/floors"
make -s -C "$BUILDDIR" bench/floors >/dev/null || die "cannot build bench/floors (run ./configure first)"
FLOORS=$BUILDDIR/bench/floors

# ---- inputs ------------------------------------------------------------------
# ROWS rows of 16 values in [-1, 1] printed with %.9g (as a program printing
# float32 would), CSV with a header, and the same rows as JSON-lines arrays.
gen_csv() { # rows cols seed
	awk -v n="$1" -v c="$2" -v seed="$3" 'BEGIN {
		srand(seed)
		for (j = 0; j < c; j++) printf "%sf%d", (j ? "," : ""), j
		printf "\n"
		for (i = 0; i < n; i++) {
			for (j = 0; j < c; j++) printf "%s%.9g", (j ? "," : ""), 2 * rand() - 1
			printf "\n"
		}
	}'
}
to_jsonl() { tail -n +2 | sed 's/^/[/; s/$/]/'; }

IN_CSV=$OUT/in_${ROWS}x16.csv
IN_JSONL=$OUT/in_${ROWS}x16.jsonl
if [ ! -s "$IN_CSV" ]; then
	note "generating $IN_CSV"
	gen_csv "$ROWS" 16 1 > "$IN_CSV"
fi
[ -s "$IN_JSONL" ] || to_jsonl < "$IN_CSV" > "$IN_JSONL"
gen_csv 1 16 2 > "$OUT/one.csv"

# ---- predict through pipes ----------------------------------------------------
# run_pipe FILE THREADS ARGS...: cat FILE | kanx predict ... | wc -l, REPEAT
# times; prints "seconds peak_rss_kb output_lines" of the fastest run (wall
# time of the whole pipeline; peak RSS of kanx from /usr/bin/time).
run_pipe() {
	f=$1 t=$2
	shift 2
	best=""
	i=0
	while [ "$i" -lt "$REPEAT" ]; do
		i=$((i + 1))
		t0=$(ns)
		# shellcheck disable=SC2002 # the input must come through a pipe
		cat "$f" | "$TIME" -f '%M' -o "$OUT/time.txt" \
			"$KANX" predict -m "$MODEL" --threads "$t" "$@" 2>"$OUT/stderr.txt" \
			| wc -l > "$OUT/lines.txt" || true
		t1=$(ns)
		if grep -q 'non-zero\|terminated' "$OUT/time.txt" || ! grep -q '^[0-9]*$' "$OUT/time.txt"; then
			note "predict failed: $(head -c 300 "$OUT/stderr.txt")"
			echo "fail"
			return 0
		fi
		cur="$(div "$((t1 - t0))" 1e9 3) $(cat "$OUT/time.txt") $(cat "$OUT/lines.txt")"
		if [ -z "$best" ] || awk -v a="${cur%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
			best=$cur
		fi
	done
	echo "$best"
}

HAVE_PREDICT=1
if ! "$KANX" predict -m "$MODEL" "$OUT/one.csv" >/dev/null 2>"$OUT/stderr.txt"; then
	HAVE_PREDICT=0
	note "kanx predict does not run yet: $(head -c 300 "$OUT/stderr.txt")"
fi

out "# kanx benchmark results"
out ""
out "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $(uname -srm); CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"
out "- kanx: $KANX ($("$KANX" --version 2>/dev/null | head -1))"
out "- model: $(basename "$MODEL"); rows: $ROWS x 16 columns; best of $REPEAT runs"
out "- inputs: $(wc -c < "$IN_CSV") bytes CSV, $(wc -c < "$IN_JSONL") bytes JSON lines"
out ""
out "## predict through pipes"
out ""
out "| input -> output | threads | seconds | rows/s | input MB/s | peak RSS MB |"
out "|---|---|---|---|---|---|"
for fmt in csv jsonl; do
	if [ "$fmt" = csv ]; then f=$IN_CSV; args="-f csv"; label="CSV -> CSV"
	else f=$IN_JSONL; args="-i jsonl -f jsonl"; label="JSONL -> JSONL"; fi
	for t in $THREADS; do
		if [ "$HAVE_PREDICT" = 0 ]; then
			out "| $label | $t | n/a | n/a (predict not ready) | | |"
			continue
		fi
		# shellcheck disable=SC2086
		r=$(run_pipe "$f" "$t" $args)
		if [ "$r" = fail ]; then
			out "| $label | $t | failed | | | |"
			continue
		fi
		# shellcheck disable=SC2086 # split "seconds rss lines"
		set -- $r
		s=$1 rss=$2 lines=$3
		want=$ROWS
		[ "$fmt" = csv ] && want=$((ROWS + 1))
		[ "$lines" -eq "$want" ] || note "$label: $lines output lines, expected $want"
		out "| $label | $t | $s | $(div "$ROWS" "$s") | $(div "$(wc -c < "$f")" "$s" 1 1e-6) | $(div "$rss" 1024 1) |"
	done
done
out ""

# ---- where the time goes ------------------------------------------------------------
# kanx predict --stats: time in each stage, summed over the threads
if [ "$HAVE_PREDICT" = 1 ]; then
	out "## where the time goes (kanx predict --stats, CSV -> CSV, one run)"
	out ""
	out "| threads | reading + parsing s | forward pass s | formatting + writing s | parsing % | forward % | formatting % |"
	out "|---|---|---|---|---|---|---|"
	for t in $THREADS; do
		# shellcheck disable=SC2002 # through a pipe, as above
		cat "$IN_CSV" | "$KANX" predict -m "$MODEL" --threads "$t" --stats 2>"$OUT/stats.txt" >/dev/null || true
		line=$(grep 'reading and parsing' "$OUT/stats.txt" || true)
		if [ -z "$line" ]; then
			out "| $t | n/a | | | | | |"
			continue
		fi
		echo "$line" | awk -v t="$t" '{
			for (i = 1; i <= NF; i++) {
				if ($i == "parsing") rp = $(i + 1)
				if ($i == "pass") fw = $(i + 1)
				if ($i == "writing") fm = $(i + 1)
			}
			s = rp + fw + fm
			if (s <= 0) s = 1
			printf "| %s | %s | %s | %s | %.0f | %.0f | %.0f |\n", t, rp, fw, fm, 100 * rp / s, 100 * fw / s, 100 * fm / s
		}' | tee -a "$RES"
	done
	out ""
fi

# ---- cold start -----------------------------------------------------------------
# median wall time of whole processes (bench/floors -x forks and times them)
median_ms() { "$FLOORS" -x "$COLD_RUNS" "$@" || echo "failed"; }
out "## cold start (whole process, median of $COLD_RUNS)"
out ""
out "| what | ms |"
out "|---|---|"
out "| /bin/true (starting a process) | $(median_ms /bin/true) |"
out "| kanx --version (loading kanx and its shared libraries) | $(median_ms "$KANX" --version) |"
out "| kanx inspect $(basename "$MODEL") (reading the model) | $(median_ms "$KANX" inspect "$MODEL") |"
if [ "$HAVE_PREDICT" = 1 ]; then
	out "| kanx predict, 1 CSV row, $(basename "$MODEL") | $(median_ms "$KANX" predict -m "$MODEL" "$OUT/one.csv") |"
else
	out "| kanx predict, 1 CSV row | n/a (predict not ready) |"
fi
out ""

# ---- serve-stdin ------------------------------------------------------------------
if [ "$SERVE" = 1 ]; then
	out "## serve-stdin latency (bench/serve_latency.sh, $SERVE_N requests)"
	out ""
	out '```'
	sh "$SRCDIR/bench/serve_latency.sh" "$KANX" "$SERVE_N" 2>&1 | grep -v 'after .* requests' | tee -a "$RES" ||
		note "serve_latency.sh failed"
	out '```'
	out ""
fi

# ---- machine floors ---------------------------------------------------------------
out "## machine floors"
out ""
t0=$(ns)
dd if=/dev/zero bs=1M count=2000 2>/dev/null | cat > /dev/null
t1=$(ns)
out "- pipe bandwidth (dd bs=1M count=2000 | cat > /dev/null): $(div $((2000 * 1048576)) "$((t1 - t0))" 0 1000) MB/s"
out ""
out "\`bench/floors\` (BLIS sgemm at the model's shapes, batch 1024 rows; number text on %.9g fields):"
out ""
out '```'
"$FLOORS" -t 1 | tee -a "$RES"
for t in $THREADS; do
	[ "$t" = 1 ] && continue
	"$FLOORS" -t "$t" | tee -a "$RES"
done
out '```'
out ""

# ---- model-size sweep ---------------------------------------------------------------
if [ "$SWEEP" = 1 ]; then
	out "## model-size sweep ($SWEEP_ROWS rows, CSV -> CSV, 16 inputs, 1 output, k=3)"
	out ""
	if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
		out "skipped: $PY has no h5py/numpy (Debian: apt-get install python3-h5py)"
	else
		"$PY" "$SRCDIR/bench/make_models.py" "$OUT/models" > "$OUT/models.txt"
		SW_CSV=$OUT/in_${SWEEP_ROWS}x16.csv
		[ -s "$SW_CSV" ] || gen_csv "$SWEEP_ROWS" 16 3 > "$SW_CSV"
		hdr="| widths | G | GEMM floor rows/s (1 thread) |"
		sep="|---|---|---|"
		for t in $THREADS; do hdr="$hdr predict rows/s ($t thr) |"; sep="$sep---|"; done
		out "$hdr"
		out "$sep"
		while read -r m; do
			b=$(basename "$m" .keras)           # kan_16-64-64-1_g5_k3
			w=$(echo "$b" | sed 's/^kan_//; s/_g.*//')
			g=$(echo "$b" | sed 's/.*_g//; s/_k.*//')
			k=$(echo "$b" | sed 's/.*_k//')
			floor=$("$FLOORS" -t 1 -w "$(echo "$w" | tr - ,)" -G "$g" -k "$k" | awk '/^sgemm_rows/ { print $2 }')
			row="| $w | $g | $floor |"
			for t in $THREADS; do
				if [ "$HAVE_PREDICT" = 0 ]; then row="$row n/a |"; continue; fi
				save=$MODEL
				MODEL=$m
				r=$(run_pipe "$SW_CSV" "$t" -f csv)
				MODEL=$save
				if [ "$r" = fail ]; then row="$row failed |"; continue; fi
				row="$row $(div "$SWEEP_ROWS" "${r%% *}") |"
			done
			out "$row"
		done < "$OUT/models.txt"
	fi
	out ""
fi
# ---- dense or sparse, layer by layer -------------------------------------------------
if [ "$LAYERS" = 1 ]; then
	out "## one KAN layer: the AVX2 kernel's dense and sparse paths (1 thread, k=3)"
	out ""
	make -s -C "$BUILDDIR" bench/layers >/dev/null || die "cannot build bench/layers"
	"$BUILDDIR/bench/layers" | tee -a "$RES"
	out ""
fi
note "results in $RES"
