#!/bin/sh
# bench/serve_latency.sh - measure kanx serve-stdin by hand.
#
#   bench/serve_latency.sh [KANX] [N]
#
# 1. lock-step round trips of one-row predicts (N of them) and of
#    4096-row predicts (N/50) (p50/p90/p99, throughput) for the quickstart
#    KAN [2,64,64,1] and bench16 KAN [16,64,64,1];
# 2. pipelined throughput: N one-row predicts written at once;
# 3. N mixed requests (valid, malformed, over the line limit, wrong width,
#    ragged, load of a bad file, load of a missing file, health, 8-row
#    predicts) answered one for one, with the server's RSS sampled.
# Builds bench/serve_latency.c with cc into a temporary directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kanx=${1:-$top/kanx}
n=${2:-100000}
fix=$top/tests/fixtures/models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -std=c11 -Wall -o "$tmp/serve_latency" "$here/serve_latency.c"
echo "kanx: $("$kanx" --version)  $(uname -m), $(nproc) CPUs, N=$n"
for m in quickstart bench16; do
	echo "== $m.keras"
	"$tmp/serve_latency" latency "$kanx" "$fix/$m.keras" "$n"
	"$tmp/serve_latency" latency "$kanx" "$fix/$m.keras" "$((n / 50 > 10 ? n / 50 : 10))" 4096
	in=$("$kanx" inspect --json "$fix/$m.keras" | jq .in)
	row=$(awk -v n="$in" 'BEGIN { for (i = 0; i < n; i++) printf "%s%.6f", (i ? ", " : ""), 0.25 + 0.01 * i }')
	awk -v n="$n" -v row="$row" 'BEGIN { for (i = 0; i < n; i++) print "{\"x\": [" row "]}" }' > "$tmp/req.jsonl"
	start=$(date +%s.%N)
	"$kanx" serve-stdin -m "$fix/$m.keras" < "$tmp/req.jsonl" > "$tmp/out.jsonl"
	end=$(date +%s.%N)
	ok=$(grep -c '^{"output"' "$tmp/out.jsonl" || true)
	[ "$ok" -eq "$n" ] || { echo "pipelined: only $ok of $n replies are predictions" >&2; exit 1; }
	echo "pipelined: $ok predictions in $(echo "$end - $start" | bc) s" \
	     "= $(echo "$n / ($end - $start)" | bc) requests/s"
done
echo "== mixed stream (quickstart.keras)"
"$tmp/serve_latency" mixed "$kanx" "$fix/quickstart.keras" "$n" "$top/tests/broken/not_a_zip.keras"
