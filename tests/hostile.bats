#!/usr/bin/env bats
# Hostile and broken checkpoints: the loader refuses every one with a clear
# message and the right exit status, within bounded time and memory, with
# nothing from libhdf5 on the terminal; the driver is `kanx inspect FILE`,
# which loads a model exactly as every command does. The corpus and its manifest
# (tests/hostile/cases.tsv: file, status, message fragment, what) are made
# by tests/hostile/gen.py and committed.
#
# Bounds, per file: 10 s of wall time (timeout) and 128 MiB of virtual
# memory (ulimit -v; not under ASan, which reserves terabytes of shadow).
# Every case is refused in about 0.01 s with a peak RSS near 16 MiB.
load helpers

HOSTILE="$KANX_SRCDIR/tests/hostile"
: "${KANX_BUILDDIR:=$KANX_SRCDIR}"
VMEM_KB=131072
SECS=10
# Under ASan (no ulimit -v there), an allocation over 1 GiB fails as it
# would under the ulimit, instead of ASan poisoning gigabytes of shadow for
# libhdf5's speculative mallocs; libhdf5's own small leaks on corrupt
# object headers are suppressed (see fuzz/lsan.supp).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=1024"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$KANX_SRCDIR/fuzz/lsan.supp"

# 1 when kanx was built with AddressSanitizer.
asan() {
	ldd "$KANX" 2>/dev/null | grep -q libasan
}

# Run kanx inspect on one file under the bounds; sets rc, out, err.
bounded() {
	local lim=""
	asan || lim="ulimit -v $VMEM_KB;"
	if out=$(bash -c "$lim exec timeout $SECS \"\$0\" inspect \"\$@\" 2>\"$BATS_TEST_TMPDIR/err\"" "$KANX" "$@"); then
		rc=0
	else
		rc=$?
	fi
	# ASan's note that an allocation over the cap above failed (libhdf5's
	# speculative mallocs) is the sanitizer's, not ours
	err=$(grep -v '^==[0-9]*==WARNING: AddressSanitizer failed to allocate' "$BATS_TEST_TMPDIR/err" || true)
}

# A model refused only for layers of classes kanx does not know is
# described before the refusal (kanx-inspect(1)): stdout is that
# description, without a control character of the file's.
described() {
	[[ "$1" == *"unsupported layer class"* ]] && [[ "$2" == *"kanx cannot run this model"* ]] &&
		! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$2"
}

# Check every manifest line whose file starts with PREFIX; print each
# failure and fail at the end, so one run shows all broken cases.
check_cases() {
	local prefix=$1 n=0 bad=0 f st frag what
	while IFS=$'\t' read -r f st frag what; do
		case $f in "#"*|"") continue ;; esac
		case $f in "$prefix"*) ;; *) continue ;; esac
		n=$((n + 1))
		# ASan would catch libhdf5's SEGV in the reader process itself and
		# exit 1; let the signal through, as in a normal build.
		case $f in *-crash-*) ASAN_OPTIONS="$ASAN_OPTIONS:handle_segv=0" bounded "$HOSTILE/cases/$f" ;;
		*) bounded "$HOSTILE/cases/$f" ;;
		esac
		if [ "$rc" -ne "$st" ]; then
			echo "$f ($what): exit $rc, want $st: $err"
			bad=$((bad + 1))
			continue
		fi
		if [ "$st" -eq 0 ]; then
			if [ -n "$err" ] || [[ "$out" != *"parameters"* ]]; then
				echo "$f ($what): loaded but printed '$err', described as '$out'"
				bad=$((bad + 1))
			fi
			continue
		fi
		if [[ "$err" != "kanx: $HOSTILE/cases/$f"* ]] || [[ "$err" != *"$frag"* ]]; then
			echo "$f ($what): message '$err' lacks '$frag'"
			bad=$((bad + 1))
		elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [[ "$err" == *HDF5-DIAG* ]] ||
			{ [ -n "$out" ] && ! described "$err" "$out"; }; then
			echo "$f ($what): more than our one line: stdout '$out', stderr '$err'"
			bad=$((bad + 1))
		fi
	done <"$HOSTILE/cases.tsv"
	echo "$prefix: $n cases, $bad failed"
	[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
}

@test "the corpus has at least 40 hostile files, each in the manifest" {
	local n
	n=$(grep -v '^#' "$HOSTILE/cases.tsv" | awk -F'\t' '$2 != 0' | wc -l)
	[ "$n" -ge 40 ]
	for f in "$HOSTILE"/cases/*.keras; do
		grep -q "^$(basename "$f")	" "$HOSTILE/cases.tsv"
	done
	while IFS=$'\t' read -r f st frag what; do
		case $f in "#"*) continue ;; esac
		[ -f "$HOSTILE/cases/$f" ]
	done <"$HOSTILE/cases.tsv"
}

@test "zip level: encrypted, traversing, linked, duplicate, too many and bomb members are refused" {
	check_cases zip-
}

@test "config.json level: code, modules, URLs, unsupported classes and oversized shapes are refused" {
	check_cases cfg-
	check_cases meta-
}

@test "HDF5 level: links, external storage, virtual data, filters, bombs, bad shapes and grids are refused" {
	check_cases h5-
}

@test "controls: sound variants (deflate, shuffle, float64, big-endian) still load" {
	check_cases ok-
}

@test "sound HDF5 variants (fill values, built-in filters, user blocks) give the numbers h5py reads" {
	# refs/NAME holds the values h5py reads from cases/NAME, stored plain
	# (no filters, every byte written): both must print the same rows, on
	# every kernel
	local f n=0 a b k kernels=blis
	if KANX_KERNEL=avx2 "$KANX" --version >/dev/null 2>&1; then
		kernels="blis avx2"
	fi
	for f in "$HOSTILE"/refs/*.keras; do
		n=$((n + 1))
		for k in $kernels; do
			a=$(KANX_KERNEL=$k "$KANX" predict -m "$HOSTILE/cases/${f##*/}" "$FIX/keras-3.16/kan_a_input.csv")
			b=$(KANX_KERNEL=$k "$KANX" predict -m "$f" "$FIX/keras-3.16/kan_a_input.csv")
			if [ "$a" != "$b" ] || [ "$(wc -l <<<"$a")" -lt 10 ]; then
				echo "${f##*/} ($k): differs from its reference"; diff <(echo "$a") <(echo "$b") | head -5
				false
			fi
		done
	done
	[ "$n" -ge 15 ]
	# the fill-value cases are not the base model: the test can tell
	a=$("$KANX" predict -m "$HOSTILE/cases/ok-unwritten-chunked-fill-ifset.keras" "$FIX/keras-3.16/kan_a_input.csv")
	b=$("$KANX" predict -m "$FIX/keras-3.16/kan_a.keras" "$FIX/keras-3.16/kan_a_input.csv")
	[ "$a" != "$b" ]
}

@test "a missing checkpoint is exit 3, not found" {
	bounded "$BATS_TEST_TMPDIR/nope.keras"
	[ "$rc" -eq 3 ]
	[ "$err" = "kanx: Checkpoint not found: $BATS_TEST_TMPDIR/nope.keras" ]
}

@test "a directory is exit 3" {
	bounded "$BATS_TEST_TMPDIR"
	[ "$rc" -eq 3 ]
	[[ "$err" == *"is a directory"* ]]
}

@test "a file over the archive limit is refused by its size, before it is read" {
	truncate -s 1100M "$BATS_TEST_TMPDIR/big.keras" || skip "no sparse files here"
	bounded "$BATS_TEST_TMPDIR/big.keras"
	[ "$rc" -eq 4 ]
	[[ "$err" == *"big.keras: file of 1153433600 bytes exceeds the limit of 1073741824 bytes"* ]]
}

@test "sources that are not model files are refused without reading them whole (exit 4, never 8)" {
	bounded /dev/zero
	[ "$rc" -eq 4 ]
	[ "$err" = "kanx: /dev/zero: is a character device, not a file; kanx reads a model from a regular file or a pipe" ]
	bounded /dev/null
	[ "$rc" -eq 4 ]
	# a /proc file says it holds 0 bytes, then gives more
	bounded /proc/self/status
	[ "$rc" -eq 4 ]
	[ "$err" = "kanx: /proc/self/status: the file holds more than the 0 bytes it reports (a device or /proc file?); refused" ]
	# 600 MB of zeros: refused from its last 64 KiB (under the 128 MiB bound)
	truncate -s 600M "$BATS_TEST_TMPDIR/sparse.keras" || skip "no sparse files here"
	bounded "$BATS_TEST_TMPDIR/sparse.keras"
	[ "$rc" -eq 4 ]
	[ "$err" = "kanx: $BATS_TEST_TMPDIR/sparse.keras: not a .keras (zip) archive: no end of central directory record" ]
	# standard input that is a device
	run bash -c "timeout $SECS \"\$0\" inspect - </dev/zero" "$KANX"
	[ "$status" -eq 4 ]
	[ "$output" = "kanx: <stdin>: is a character device, not a file; kanx reads a model from a regular file or a pipe" ]
}

@test "a pipe or FIFO that does not end is refused after KANX_MODEL_TIMEOUT; one that ends loads" {
	local fifo="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$fifo"
	# nobody writes: opening does not hang, the wait is bounded
	KANX_MODEL_TIMEOUT=1 bounded "$fifo"
	[ "$rc" -eq 4 ]
	[ "$err" = "kanx: $fifo: the model did not end within 1 s (a pipe or FIFO that nobody finishes writing?); refused (KANX_MODEL_TIMEOUT)" ]
	# a writer that holds it open and never writes
	exec 8<>"$fifo"
	KANX_MODEL_TIMEOUT=1 bounded "$fifo"
	exec 8>&-
	[ "$rc" -eq 4 ]
	[[ "$err" == *"did not end within 1 s"* ]]
	# standard input held open by a writer that never finishes
	run bash -c "sleep 3 | KANX_MODEL_TIMEOUT=1 timeout $SECS \"\$0\" predict -m - /dev/null" "$KANX"
	[ "$status" -eq 4 ]
	[ "$output" = "kanx: <stdin>: the model did not end within 1 s (a pipe or FIFO that nobody finishes writing?); refused (KANX_MODEL_TIMEOUT)" ]
	# a FIFO that is written and closed is a model like any other
	cat "$FIX/keras-3.16/kan_a.keras" >"$fifo" &
	local writer=$!
	bounded "$fifo"
	wait "$writer"   # that writer only: bats's BATS_TEST_TIMEOUT watchdog is a job of this shell too
	[ "$rc" -eq 0 ]
	[[ "$out" == *"trainable parameters: 216"* ]]
	# the limit is an integer from 1 to 86400
	KANX_MODEL_TIMEOUT=0 run "$KANX" inspect "$FIX/keras-3.16/kan_a.keras"
	[ "$status" -eq 2 ]
	[ "$output" = "kanx: KANX_MODEL_TIMEOUT must be an integer from 1 to 86400" ]
}

@test "serve-stdin load of endless or special files answers 400 and the loop goes on" {
	local fifo="$BATS_TEST_TMPDIR/fifo" out
	mkfifo "$fifo"
	exec 8<>"$fifo"
	out=$(printf '%s\n' "{\"op\": \"load\", \"path\": \"$fifo\"}" '{"op": "load", "path": "/dev/zero"}' \
		'{"op": "load", "path": "/proc/self/status"}' '{"op": "load", "path": "/proc/kmsg"}' \
		"{\"op\": \"load\", \"path\": \"$FIX/keras-3.16/kan_a.keras\"}" '{"x": [0.5, 0.5]}' |
		KANX_MODEL_TIMEOUT=1 timeout $SECS "$KANX" serve-stdin 2>/dev/null)
	exec 8>&-
	[ "$(sed -n 1p <<<"$out")" = "{\"status\": 400, \"detail\": \"Failed to load: $fifo: not a regular file\"}" ]
	[ "$(sed -n 2p <<<"$out")" = '{"status": 400, "detail": "Failed to load: /dev/zero: not a regular file"}' ]
	[ "$(sed -n 3p <<<"$out")" = '{"status": 400, "detail": "Failed to load: /proc/self/status: the file holds more than the 0 bytes it reports (a device or /proc file?); refused"}' ]
	# /proc/kmsg: refused, as unreadable (404) or as a /proc file (400), never a hang
	[[ "$(sed -n 4p <<<"$out")" =~ ^\{\"status\":\ (400|404), ]]
	[ "$(jq -r .status <<<"$(sed -n 5p <<<"$out")")" = ok ]
	[ "$(jq -c .shape <<<"$(sed -n 6p <<<"$out")")" = '[1,1]' ]
}

@test "the isolated HDF5 reader fails closed: no descriptor for it is exit 8, never libhdf5 in-process" {
	local crash="$HOSTILE/cases/h5-found-weights-crash-9b3583e6.keras"
	# descriptors 0-2 in use (bats's own are closed), 3-4 for the
	# signal self-pipe, a sixth for the file, none for the reader's pipe
	few_fds() {
		bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
			ulimit -n 6; exec "$@"' kanx "$@"
	}
	run few_fds "$KANX" inspect "$crash"
	[ "$status" -eq 8 ]
	[ "$output" = "kanx: $crash:model.weights.h5: cannot start the isolated HDF5 reader (pipe: Too many open files); the file is not read in-process" ]
	run few_fds "$KANX" predict -m "$FIX/keras-3.16/kan_a.keras" /dev/null
	[ "$status" -eq 8 ]
	[[ "$output" == *"cannot start the isolated HDF5 reader (pipe: "* ]]
}

@test "the isolated HDF5 reader fails closed: no process to fork is exit 8" {
	local crash="$HOSTILE/cases/h5-found-weights-crash-9b3583e6.keras"
	# RLIMIT_NPROC binds only a user who is not root
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv to drop to nobody"
	asan && skip "ASan's own threads need processes"
	run setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "ulimit -u 1; exec \"\$0\" inspect \"\$1\"" "$KANX" "$crash"
	[ "$status" -eq 8 ]
	[[ "$output" == "kanx: $crash:model.weights.h5: cannot start the isolated HDF5 reader (fork: "*"); the file is not read in-process" ]]
}

@test "a crash of the HDF5 reader is reported as one whatever signal state kanx inherits" {
	local crash="$HOSTILE/cases/h5-found-weights-crash-9b3583e6.keras" want
	export ASAN_OPTIONS="$ASAN_OPTIONS:handle_segv=0"
	want="kanx: $crash:model.weights.h5: libhdf5 crashed reading the file (signal 11): it is corrupt or hostile"
	# SIGCHLD ignored: its children would be reaped unseen
	run bash -c "trap '' CHLD; exec \"\$0\" inspect \"\$1\"" "$KANX" "$crash"
	[ "$status" -eq 4 ]
	[ "$output" = "$want" ]
	run bash -c "trap '' CHLD ALRM PIPE; exec \"\$0\" predict -m \"\$1\" /dev/null" "$KANX" "$crash"
	[ "$status" -eq 4 ]
	[ "$output" = "$want" ]
	# blocked signals
	run perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD, SIGALRM, SIGSEGV, SIGPIPE)) or die; exec @ARGV' \
		"$KANX" inspect "$crash"
	[ "$status" -eq 4 ]
	[ "$output" = "$want" ]
	# and a sound model still loads under the same states
	run bash -c "trap '' CHLD; exec \"\$0\" inspect \"\$1\"" "$KANX" "$FIX/keras-3.16/kan_a.keras"
	[ "$status" -eq 0 ]
}

@test "a hostile model on standard input is refused the same way" {
	local lim=""
	asan || lim="ulimit -v $VMEM_KB;"
	run bash -c "$lim timeout $SECS \"\$0\" inspect - <\"\$1\"" "$KANX" "$HOSTILE/cases/zip-bomb-lying.keras"
	[ "$status" -eq 4 ]
	[[ "$output" == "kanx: <stdin>:model.weights.h5: member inflates past its declared size of 14112 bytes"* ]]
}

@test "valgrind: kanx inspect over the whole corpus and the fixtures, no errors and no leaks" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	if asan; then
		skip "valgrind and ASan do not mix"
	fi
	local files=() f
	for f in "$HOSTILE"/cases/*.keras; do
		# h5-found-*: inputs on which libhdf5 itself misbehaves (a NULL
		# read, a leak), contained by the child process; not our code.
		case ${f##*/} in h5-found-*) continue ;; esac
		files+=("$f")
	done
	# the HDF5 read runs in a forked child: valgrind follows it
	run valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"$KANX" inspect "${files[@]}" "$HOSTILE"/refs/*.keras "$FIX"/keras-3.16/*.keras
	[ "$status" -ne 99 ]
	[ "$status" -lt 128 ]
	if printf '%s\n' "$output" | grep '^==[0-9]*=='; then
		false
	fi
}

# The fuzz targets' corpora, replayed once through each target with the
# ordinary compiler (fuzz/replay.c): a crash or a sanitizer report fails.
# The targets read HDF5 in-process (for libFuzzer's coverage), so inputs
# that crash libhdf5 itself live in tests/hostile/found instead, where
# kanx inspect reads them isolated in a child process.
replay() {
	local prog="$KANX_BUILDDIR/fuzz/replay-$1"
	shift
	[ -x "$prog" ] || skip "fuzz/replay programs not built"
	run "$prog" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^[0-9]+\ inputs$ ]]   # after any sanitizer warnings
	[ "${lines[-1]%% *}" -ge 10 ]
	[[ "$output" != *"runtime error"* ]] && [[ "$output" != *"ERROR: "*"Sanitizer"* ]]
}

@test "fuzz corpus replay: model (fixtures, hostile cases, fuzz/corpus/model)" {
	local dirs=("$FIX"/*) f
	for f in "$HOSTILE"/cases/*.keras; do
		case ${f##*/} in *-crash-*) continue ;; esac   # crashes libhdf5 in-process
		dirs+=("$f")
	done
	[ -d "$KANX_SRCDIR/fuzz/corpus/model" ] && dirs+=("$KANX_SRCDIR/fuzz/corpus/model")
	replay model "${dirs[@]}"
}

@test "fuzz corpus replay: spec (config.json)" {
	replay spec "$KANX_SRCDIR/fuzz/corpus/spec"
}

@test "fuzz corpus replay: weights (model.weights.h5)" {
	replay weights "$KANX_SRCDIR/fuzz/corpus/weights"
}

@test "fuzz corpus replay: yamlcfg (tests/configs, fuzz/corpus/yamlcfg)" {
	local dirs=("$KANX_SRCDIR/tests/configs")
	[ -d "$KANX_SRCDIR/fuzz/corpus/yamlcfg" ] && dirs+=("$KANX_SRCDIR/fuzz/corpus/yamlcfg")
	replay yamlcfg "${dirs[@]}"
}

@test "fuzz corpus replay: rows (CSV, TSV, JSON lines, API documents)" {
	TMPDIR="$BATS_TEST_TMPDIR" replay rows "$KANX_SRCDIR/fuzz/corpus/rows"
}

@test "fuzz corpus replay: request (API request documents)" {
	replay request "$KANX_SRCDIR/fuzz/corpus/request"
}

@test "what the current directory holds never reaches the model: a file, a FIFO, a directory named model.weights.h5 or config.json" {
	local q="$FIX/models/quickstart.keras" qin="$FIX/models/quickstart_input.csv" d
	for kind in file fifo dir; do
		d="$BATS_TEST_TMPDIR/$kind"
		mkdir -p "$d"
		for n in model.weights.h5 config.json metadata.json; do
			case $kind in
			file) printf 'not this\n' >"$d/$n" ;;
			fifo) mkfifo "$d/$n" ;;
			dir) mkdir "$d/$n" ;;
			esac
		done
		# each run bounded: a FIFO opened by mistake would block
		(cd "$d" && timeout 20 "$KANX" predict -m "$q" "$qin") >"$BATS_TEST_TMPDIR/got.csv"
		csv_close "$BATS_TEST_TMPDIR/got.csv" "$FIX/models/quickstart_expected.csv"
		(cd "$d" && timeout 20 "$KANX" validate -m "$q")
		(cd "$d" && timeout 20 "$KANX" inspect "$q") | grep -q '^  layers'
		echo '{"op": "load", "path": "'"$q"'"}' | (cd "$d" && timeout 20 "$KANX" serve-stdin) 2>/dev/null | grep -q '"loaded": true'
	done
}
