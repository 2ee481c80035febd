#!/usr/bin/env bats
# One gate for every command: what `kanx validate` calls an error in a
# checkpoint, `predict`, `inspect` and serve-stdin's load refuse, with
# exit 4 (3 when the file cannot be read) and the same message, and what
# validate passes they all accept. Checked over every .keras file under
# tests/ (fixtures, broken, hostile, generated).
load helpers
bats_require_minimum_version 1.5.0

# ASan would catch libhdf5's own SEGV in the isolated reader and exit 1:
# let the signal through, as in a normal build (see hostile.bats).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:allocator_may_return_null=1:max_allocation_size_mb=1024"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$KANX_SRCDIR/fuzz/lsan.supp"

# ASan's note that an allocation over the cap failed (libhdf5's
# speculative mallocs on corrupt files) is the sanitizer's, not kanx's.
quiet() {
	grep -v '^==[0-9]*==WARNING: AddressSanitizer failed to allocate' || true
}

models() {
	find "$KANX_SRCDIR/tests" -name '*.keras' -type f | LC_ALL=C sort
}

# validate's errors for one model, without "kanx: ", joined by "; " (the
# loader's one-line form), in $v; its exit status in $vrc.
validate_errors() {
	local out
	out=$("$KANX" validate -m "$1" 2>&1) && vrc=0 || vrc=$?
	v=$(quiet <<<"$out" | grep -v -e '^kanx: warning: ' -e '^kanx: validate: ' | sed 's/^kanx: //' |
		awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
	vw=$(grep '^kanx: warning: ' <<<"$out" || true)
}

# predict's stderr without the warnings validate gives too (the note that
# Keras computes the model in reduced precision): what is left must be
# nothing for a sound model.
unwarned() {
	local line
	while IFS= read -r line; do
		case $line in
		"kanx: warning: "*) grep -qxF -- "$line" <<<"$vw" && continue ;;
		esac
		printf '%s\n' "$line"
	done
}

# validate runs once per model for the whole file: each test reads its
# verdicts from $VERDICTS, one line a model, its fields PATH, STATUS,
# ERRORS and WARNINGS (lines joined by US) separated by RS (RS and US: no
# message holds them, and an empty field stays a field).
RS=$'\x1e'
US=$'\x1f'
setup_file() {
	local f v vrc vw
	export VERDICTS="$BATS_FILE_TMPDIR/verdicts"
	while IFS= read -r f; do
		validate_errors "$f"
		printf '%s\n' "$f$RS$vrc$RS$v$RS${vw//$'\n'/$US}"
	done < <(models) >"$VERDICTS"
}

# Each model with validate's verdict, for `while IFS=$RS read -r f vrc v
# vw` (vw: its warnings joined by US; warnings splits them again).
verdicts() {
	cat "$VERDICTS"
}

@test "the corpus: more than 200 model files under tests/" {
	[ "$(models | wc -l)" -gt 200 ]
}

@test "validate and predict agree on every model file under tests/" {
	local f v vrc p prc n=0 bad=0 refused=0
	while IFS=$RS read -r f vrc v vw; do
		n=$((n + 1))
		vw=${vw//$US/$'\n'}
		p=$("$KANX" predict -m "$f" </dev/null 2>&1 >/dev/null) && prc=0 || prc=$?
		p=$(quiet <<<"$p" | unwarned)
		case $vrc in
		0) if [ "$prc" -ne 0 ] || [ -n "$p" ]; then
			echo "$f: validate sound, predict exit $prc: $p"; bad=$((bad + 1)); fi ;;
		1) refused=$((refused + 1))
		   if [ "$prc" -ne 4 ] || [ "$p" != "kanx: $v" ]; then
			echo "$f: validate: $v"; echo "  predict exit $prc: $p"; bad=$((bad + 1)); fi ;;
		*) echo "$f: validate exit $vrc"; bad=$((bad + 1)) ;;
		esac
	done < <(verdicts)
	echo "$n models, $refused refused, $bad disagreements"
	[ "$n" -eq "$(models | wc -l)" ]
	[ "$bad" -eq 0 ]
	[ "$refused" -gt 130 ]
}

@test "inspect: a model the gate refuses is described, then refused with the same message (exit 4)" {
	local f v vrc p prc n=0 bad=0
	while IFS=$RS read -r f vrc v vw; do
		[ "$vrc" -eq 1 ] || continue
		n=$((n + 1))
		p=$("$KANX" inspect "$f" 2>&1 >/dev/null) && prc=0 || prc=$?
		p=$(quiet <<<"$p")
		if [ "$prc" -ne 4 ] || [ "$p" != "kanx: $v" ]; then
			echo "$f: validate: $v"; echo "  inspect exit $prc: $p"; bad=$((bad + 1))
		fi
	done < <(verdicts)
	[ "$n" -gt 130 ]
	[ "$bad" -eq 0 ]
	# NaN weights: the layers are listed, the refusal follows
	run --separate-stderr kanx inspect "$KANX_SRCDIR/tests/broken/nan_weights.keras"
	[ "$status" -eq 4 ]
	[[ "$output" == *"trainable parameters: 216"* ]]
	[[ "$stderr" == *"layers/kan_linear/vars/0 (base_weight): 1 of 16 values are NaN or infinite"* ]]
	# --edges evaluates nothing from a refused model
	run --separate-stderr kanx inspect --edges 0 "$KANX_SRCDIR/tests/broken/nan_weights.keras"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
}

@test "serve-stdin load: validate's errors are the load's 400, its sound models load (200)" {
	local f v vrc st d i=0 bad=0 files=() errs=() out
	while IFS=$RS read -r f vrc v vw; do
		files+=("$f")
		errs+=("$v|$vrc")
	done < <(verdicts)
	# one jq for the whole stream: status and detail of each answer, a line each
	out=$(printf '%s\n' "${files[@]}" | jq -Rc '{op: "load", path: .}' |
		"$KANX" serve-stdin 2>/dev/null | jq -r '"\(.status)\t\(.detail // "")"')
	while IFS=$'\t' read -r st d; do
		f=${files[$i]}
		v=${errs[$i]%|*}
		vrc=${errs[$i]##*|}
		i=$((i + 1))
		if [ "$vrc" -eq 0 ] && [ "$st" != ok ] && [ "$st" != 200 ]; then
			echo "$f: sound, load answered $st $d"; bad=$((bad + 1))
		elif [ "$vrc" -eq 1 ] && { [ "$st" != 400 ] || [ "$d" != "Failed to load: $v" ]; }; then
			echo "$f: validate: $v"; echo "  load: $st $d"; bad=$((bad + 1))
		fi
	done <<<"$out"
	[ "$i" -eq "${#files[@]}" ]
	[ "$bad" -eq 0 ]
}

@test "a fresh model built from a config passes the same gate (serve-stdin start-up and reset)" {
	local cfg="$BATS_TEST_TMPDIR/wide.yaml" out
	# a grid_range whose span overflows float32: the grid would be NaN
	printf 'model:\n  layers: [2, 3, 1]\n  grid_range: [-3.0e38, 3.0e38]\n' >"$cfg"
	KANX_CHECKPOINT= run kanx serve-stdin --config "$cfg" </dev/null
	[ "$status" -eq 4 ]
	[ "${lines[0]}" = "kanx: (fresh): layers/kan_linear/vars/2 (grid): 12 of 12 values are NaN or infinite (the first at [0, 0]: nan); (fresh): layers/kan_linear_1/vars/2 (grid): 18 of 18 values are NaN or infinite (the first at [0, 0]: nan)" ]
	out=$(printf '%s\n' '{"op": "reset"}' '{"op": "health"}' |
		"$KANX" serve-stdin -m "$FIX/keras-3.16/kan_a.keras" --config "$cfg" 2>/dev/null)
	[ "$(jq -r .status <<<"$(sed -n 1p <<<"$out")")" = 500 ]
	[[ "$(jq -r .detail <<<"$(sed -n 1p <<<"$out")")" == "Failed to build a fresh model: (fresh): layers/kan_linear/vars/2 (grid): 12 of 12 values are NaN"* ]]
	[ "$(jq -r .source <<<"$(sed -n 2p <<<"$out")")" = "checkpoint:$FIX/keras-3.16/kan_a.keras" ]
	# a range that fits float32 but not once extended by k knots
	printf 'model:\n  layers: [2, 1]\n  grid_size: 1\n  grid_range: [-1.5e38, 1.5e38]\n' >"$cfg"
	KANX_CHECKPOINT= run kanx serve-stdin --config "$cfg" </dev/null
	[ "$status" -eq 4 ]
	[ "$output" = "kanx: (fresh): layers/kan_linear/vars/2 (grid): feature 0: the grid overflows float32 when extended by 3 knots" ]
}
