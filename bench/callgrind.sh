#!/bin/sh
# bench/callgrind.sh KANX... - instructions executed by `kanx predict -t 1`
# (valgrind --tool=callgrind), for builds of kanx side by side: unlike
# wall time, the count does not move with the load of a shared machine.
# For each model and kernel: ROWS rows of uniform [-1, 1] columns
# (as wide as the model's input; fixed seed), the main process only (the
# HDF5 reader's child apart), load and SHA-256 included. Prints a
# Markdown table, one column per build, and the change of the last
# against the first.
#
#   bench/callgrind.sh /tmp/kanx-main ./kanx
#
# MODELS: .keras files (default: bench16, and bench/out/kan_16-64-64-1_g20_k3.keras
# when bench/make_models.py has written it); KERNELS (default "avx2
# blis"); ROWS (default 5000). Needs valgrind and jq.
set -u
[ $# -ge 1 ] || { echo "usage: $0 KANX..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind: valgrind is not installed" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
ROWS=${ROWS:-5000}
KERNELS=${KERNELS:-"avx2 blis"}
if [ -z "${MODELS:-}" ]; then
	MODELS=$SRC/tests/fixtures/models/bench16.keras
	[ -f "$HERE/out/kan_16-64-64-1_g20_k3.keras" ] && MODELS="$MODELS $HERE/out/kan_16-64-64-1_g20_k3.keras"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/kanx-callgrind.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT

# the instructions of the main process of one run
count() {
	KANX_KERNEL=$2 valgrind --tool=callgrind --callgrind-out-file="$T/cg.%p" \
		"$1" predict -t 1 -m "$3" "$4" >/dev/null 2>"$T/err" &
	pid=$!
	wait $pid || { echo "callgrind: $1 on $3 ($2) failed: $(tail -n 3 "$T/err")" >&2; echo "?"; return; }
	awk '/^(summary|totals):/ { print $2; exit }' "$T/cg.$pid"
	rm -f "$T"/cg.*
}

printf '| model | kernel |'
for k in "$@"; do printf ' %s |' "$k"; done
printf ' change |\n|---|---|'
for k in "$@"; do printf -- '---|'; done
printf -- '---|\n'
for m in $MODELS; do
	w=$("$1" inspect --json "$m" | jq -r .in)
	awk -v w="$w" -v n="$ROWS" 'BEGIN {
		s = 12345
		for (c = 0; c < w; c++) printf "%sx%d", c ? "," : "", c; print ""
		for (r = 0; r < n; r++) {
			line = ""
			for (c = 0; c < w; c++) {
				s = (s * 1103515245 + 12345) % 2147483648
				line = line sprintf("%s%.6f", c ? "," : "", 2 * s / 2147483648 - 1)
			}
			print line
		}
	}' >"$T/in.csv"
	for kern in $KERNELS; do
		printf '| %s | %s |' "$(basename "$m" .keras)" "$kern"
		first= last=
		for k in "$@"; do
			c=$(count "$k" "$kern" "$m" "$T/in.csv")
			[ -z "$first" ] && first=$c
			last=$c
			printf ' %s |' "$(awk -v c="$c" 'BEGIN { printf "%.2f M", c / 1e6 }')"
		done
		awk -v a="$first" -v b="$last" 'BEGIN { printf " %+.2f%% |\n", (b - a) * 100 / a }'
	done
done
