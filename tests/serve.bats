#!/usr/bin/env bats
# kanx serve-stdin: the kanx REST API as JSON lines, one response per
# request line, in order; the API's status codes and messages.
load helpers
bats_require_minimum_version 1.5.0

CFG="$KANX_SRCDIR/tests/configs"
BRK="$KANX_SRCDIR/tests/broken"
KA="$FIX/keras-3.16/kan_a.keras"
KB="$FIX/keras-3.16/kan_b.keras"

# serve ARGS... <<< lines : stdout of serve-stdin in $out, stderr in $err
serve() {
	out=$("$KANX" serve-stdin "$@" 2>"$BATS_TEST_TMPDIR/err")
	rc=$?
	err=$(cat "$BATS_TEST_TMPDIR/err")
}

# The n-th (1-based) response line.
resp() { sed -n "${1}p" <<<"$out"; }

# A request document {"x": [[...], ...]} from a fixture input CSV.
csv_request() {
	awk -F, 'NR > 1 { printf "%s[%s]", (n++ ? "," : ""), $0 } BEGIN { printf "{\"x\": [" } END { print "]}" }' "$1"
}

@test "predict: 200 with the API body; outputs match Keras for every keras-3.16 fixture" {
	for f in "$FIX"/keras-3.16/*.keras; do
		b=${f%.keras}
		serve -m "$f" <<<"$(csv_request "${b}_input.csv")"
		[ "$rc" -eq 0 ]
		[ "$(jq -c '.shape' <<<"$out")" = "[$(($(wc -l <"${b}_input.csv") - 1)),$(head -1 "${b}_expected.csv" | awk -F, '{print NF}')]" ]
		[ "$(jq -r '.inference_ms | type' <<<"$out")" = number ]
		{ head -1 "${b}_expected.csv"; jq -r '.output[] | map(tostring) | join(",")' <<<"$out"; } > "$BATS_TEST_TMPDIR/got.csv"
		csv_close "$BATS_TEST_TMPDIR/got.csv" "${b}_expected.csv" || { echo "$f"; false; }
	done
}

@test "predict: a 1-D x is one sample; op may be left out when x is present; id is echoed" {
	serve -m "$KA" <<'EOF'
{"op": "predict", "x": [-1, -1], "id": 7}
{"x": [[-1, -1]], "id": "seven"}
{"x": [-1, -1], "id": {"a": [1, null]}}
EOF
	[ "$(jq -c '[.id, .shape]' <<<"$(resp 1)")" = '[7,[1,1]]' ]
	[ "$(jq -c '[.id, .shape]' <<<"$(resp 2)")" = '["seven",[1,1]]' ]
	[ "$(jq -c '.id' <<<"$(resp 3)")" = '{"a":[1,null]}' ]
	want=$(sed -n 2p "$FIX/keras-3.16/kan_a_expected.csv")
	[ "$(jq -r '.output[0][0]' <<<"$(resp 1)")" = "$(jq -r '.output[0][0]' <<<"$(resp 2)")" ]
	awk -v a="$(jq -r '.output[0][0]' <<<"$(resp 1)")" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }'
}

@test "an id with raw tabs or CRs between its tokens is echoed on one line" {
	out=$(printf '{"op": "health", "id": [1,\r\t2]}\n' | "$KANX" serve-stdin -m "$KA" | od -An -c)
	[[ "$out" != *'\r'* && "$out" != *'\t'* ]]
	out=$(printf '{"op": "health", "id": [1,\r\t2]}\n' | "$KANX" serve-stdin -m "$KA")
	[ "$(jq -c .id <<<"$out")" = '[1,2]' ]
}

@test "floats print as shortest round-trip float32, not %.17g" {
	serve -m "$KA" <<<'{"x": [0.3, 0.7]}'
	v=$(grep -o '"output": \[\[[^]]*\]\]' <<<"$out")
	[[ "$v" =~ ^\"output\":\ \[\[-?[0-9.e+-]+\]\]$ ]]
	digits=$(sed 's/[^0-9]//g' <<<"${v#*[[}")
	[ "${#digits}" -le 10 ]
}

@test "400 Expected N features per sample, got M" {
	serve -m "$KA" <<<'{"x": [[1, 2, 3]], "id": 1}'
	[ "$out" = '{"id": 1, "status": 400, "detail": "Expected 2 features per sample, got 3"}' ]
	serve -m "$KA" <<<'{"x": []}'
	[ "$out" = '{"status": 400, "detail": "Expected 2 features per sample, got 0"}' ]
}

@test "400 x must be 1-D or 2-D; got shape [..]" {
	serve -m "$KA" <<'EOF'
{"x": [[[1, 2]]]}
{"x": 3}
{"x": [[1, 2], [3]]}
EOF
	[ "$(resp 1)" = '{"status": 400, "detail": "x must be 1-D or 2-D; got shape [1, 1, 2]"}' ]
	[ "$(resp 2)" = '{"status": 400, "detail": "x must be 1-D or 2-D; got shape []"}' ]
	[ "$(resp 3)" = '{"status": 400, "detail": "x must be 1-D or 2-D; got a ragged list: x[1] has 1 elements where x[0] has 2"}' ]
}

@test "413 Batch size N > MAX_BATCH=M (KANX_MAX_BATCH and --max-batch)" {
	KANX_MAX_BATCH=2 serve -m "$KA" <<<'{"x": [[0, 0], [0, 0], [0, 0]]}'
	[ "$out" = '{"status": 413, "detail": "Batch size 3 > MAX_BATCH=2"}' ]
	serve -m "$KA" --max-batch 3 <<<'{"x": [[0, 0], [0, 0], [0, 0]]}'
	[ "$(jq -c .shape <<<"$out")" = '[3,1]' ]
}

@test "413 for a line over --max-line: read through, skipped, and the stream stays in sync" {
	long=$(printf '{"x": [%s0]}' "$(printf '0,%.0s' $(seq 1 5000))")
	serve -m "$KA" --max-line 1000 <<EOF
{"op": "health", "id": 1}
$long
{"op": "health", "id": 3}
EOF
	[ "$(wc -l <<<"$out")" -eq 3 ]
	[ "$(jq -c .id <<<"$(resp 1)")" = 1 ]
	[ "$(resp 2)" = '{"status": 413, "detail": "Request line longer than 1000 bytes"}' ]
	[ "$(jq -c '[.id, .status]' <<<"$(resp 3)")" = '[3,"ok"]' ]
	KANX_MAX_LINE=100 serve -m "$KA" <<<"$long"
	[ "$out" = '{"status": 413, "detail": "Request line longer than 100 bytes"}' ]
}

@test "422 for a body that does not parse, is not an object, or has a non-numeric x" {
	serve -m "$KA" <<'EOF'
{"x": [1, 2
[1, 2]

{"x": ["a", 1]}
{"x": "abc"}
{"x": [NaN, 1]}
{"op": 5}
{"id": 9}
EOF
	[ "$(wc -l <<<"$out")" -eq 8 ]
	[ "$(resp 1)" = '{"status": 422, "detail": "JSON decode error: Expecting '"','"' delimiter: line 1 column 12 (char 11)"}' ]
	[ "$(resp 2)" = '{"status": 422, "detail": "JSON decode error: The request must be a JSON object: line 1 column 1 (char 0)"}' ]
	[ "$(resp 3)" = '{"status": 422, "detail": "JSON decode error: Expecting value: line 1 column 1 (char 0)"}' ]
	[ "$(resp 4)" = '{"status": 422, "detail": "x[0] is not a number"}' ]
	[ "$(resp 5)" = '{"status": 422, "detail": "x must be a list of numbers or a list of lists of numbers"}' ]
	[ "$(jq .status <<<"$(resp 6)")" = 422 ]
	[ "$(resp 7)" = '{"status": 422, "detail": "op must be a string"}' ]
	[ "$(resp 8)" = '{"id": 9, "status": 422, "detail": "Field required: op (or x for predict)"}' ]
}

@test "503 Model not initialised: no checkpoint and no config; health is degraded" {
	KANX_CHECKPOINT= KANX_CONFIG= serve <<'EOF'
{"x": [1, 2]}
{"op": "health"}
{"op": "reset"}
EOF
	[ "$rc" -eq 0 ]
	[ "$(resp 1)" = '{"status": 503, "detail": "Model not initialised"}' ]
	[ "$(resp 2)" = '{"status": "degraded", "loaded": false, "source": "uninitialized", "in_features": null, "out_features": null, "loaded_at": 0.0}' ]
	[ "$(jq .status <<<"$(resp 3)")" = 500 ]
	[[ "$err" == *"no checkpoint and no config: predict answers 503 until a load"* ]]
}

@test "load: 200 replaces the model; 404 Checkpoint not found; 400 Failed to load keeps the current model" {
	serve -m "$KA" <<EOF
{"op": "load", "path": "$BATS_TEST_TMPDIR/none.keras"}
{"op": "load", "path": "$BRK/not_a_zip.keras"}
{"x": [0, 0]}
{"op": "load", "path": "$KB", "id": "l"}
{"x": [0, 0, 0, 0]}
{"op": "load"}
{"op": "load", "path": "$BATS_TEST_TMPDIR"}
EOF
	[ "$(resp 1)" = "{\"status\": 404, \"detail\": \"Checkpoint not found: $BATS_TEST_TMPDIR/none.keras\"}" ]
	[[ "$(jq -r .detail <<<"$(resp 2)")" == "Failed to load: $BRK/not_a_zip.keras: not a .keras (zip) archive"* ]]
	[ "$(jq .status <<<"$(resp 2)")" = 400 ]
	[ "$(jq -c .shape <<<"$(resp 3)")" = '[1,1]' ]
	[ "$(jq -c '[.id, .status, .loaded, .source, .in_features, .out_features]' <<<"$(resp 4)")" = \
	  "[\"l\",\"ok\",true,\"checkpoint:$KB\",4,3]" ]
	[ "$(jq -c .shape <<<"$(resp 5)")" = '[1,3]' ]
	[ "$(resp 6)" = '{"status": 422, "detail": "Field required: path"}' ]
	[ "$(resp 7)" = "{\"status\": 400, \"detail\": \"Failed to load: $BATS_TEST_TMPDIR: not a regular file\"}" ]
}

@test "load of \"-\" is a file named -, never standard input" {
	serve -m "$KA" <<'EOF'
{"op": "load", "path": "-"}
{"op": "health"}
EOF
	[ "$(resp 1)" = '{"status": 404, "detail": "Checkpoint not found: -"}' ]
	[ "$(jq -r .status <<<"$(resp 2)")" = ok ]
}

@test "reset rebuilds a fresh model from the config; startup falls back to it when the checkpoint is absent" {
	serve -m "$KB" --config "$CFG/kan_a.yaml" <<'EOF'
{"op": "reset"}
{"x": [0.5, 0.5]}
EOF
	[ "$(jq -c '[.status, .source, .in_features, .out_features]' <<<"$(resp 1)")" = "[\"ok\",\"fresh:$CFG/kan_a.yaml\",2,1]" ]
	[ "$(jq -c .shape <<<"$(resp 2)")" = '[1,1]' ]
	KANX_CHECKPOINT="$BATS_TEST_TMPDIR/none.keras" KANX_CONFIG="$CFG/kan_b.yaml" serve <<<'{"op": "health"}'
	[ "$(jq -c '[.status, .source, .in_features]' <<<"$out")" = "[\"ok\",\"fresh:$CFG/kan_b.yaml\",4]" ]
	[[ "$err" == *"checkpoint not found: $BATS_TEST_TMPDIR/none.keras; starting a fresh model from the config"* ]]
}

@test "a fresh model is Glorot/normal initialised and deterministic for the config's seed" {
	serve --config "$CFG/kan_b.yaml" <<<'{"x": [0.1, 0.2, 0.3, 0.4]}'
	a=$(jq -c .output <<<"$out")
	serve --config "$CFG/kan_b.yaml" <<<'{"x": [0.1, 0.2, 0.3, 0.4]}'
	[ "$(jq -c .output <<<"$out")" = "$a" ]
	[ "$a" != '[[0,0,0]]' ]
}

@test "a broken config refuses reset (500) and keeps the model" {
	serve -m "$KA" --config "$CFG/grid_size_zero.yaml" <<'EOF'
{"op": "reset"}
{"op": "health"}
EOF
	[ "$(resp 1)" = "{\"status\": 500, \"detail\": \"Failed to build a fresh model: $CFG/grid_size_zero.yaml:3:14: model.grid_size must be > 0\"}" ]
	[ "$(jq -r .source <<<"$(resp 2)")" = "checkpoint:$KA" ]
	[[ "$err" == *"warning: serve-stdin: reset will fail: $CFG/grid_size_zero.yaml:3:14: model.grid_size must be > 0"* ]]
}

@test "--no-admin: load and reset are 403" {
	serve -m "$KA" --config "$CFG/kan_a.yaml" --no-admin <<EOF
{"op": "load", "path": "$KB"}
{"op": "reset"}
{"x": [0, 0]}
EOF
	[ "$(resp 1)" = '{"status": 403, "detail": "load is disabled (--no-admin)"}' ]
	[ "$(resp 2)" = '{"status": 403, "detail": "reset is disabled (--no-admin)"}' ]
	[ "$(jq -c .shape <<<"$(resp 3)")" = '[1,1]' ]
}

@test "--model-dir: load only under DIR after realpath (.., symlinks out are 403)" {
	mkdir -p "$BATS_TEST_TMPDIR/models" "$BATS_TEST_TMPDIR/other"
	cp "$KB" "$BATS_TEST_TMPDIR/models/b.keras"
	cp "$KB" "$BATS_TEST_TMPDIR/other/b.keras"
	ln -s "$BATS_TEST_TMPDIR/other/b.keras" "$BATS_TEST_TMPDIR/models/link.keras"
	serve -m "$KA" --model-dir "$BATS_TEST_TMPDIR/models" <<EOF
{"op": "load", "path": "$BATS_TEST_TMPDIR/models/b.keras"}
{"op": "load", "path": "$BATS_TEST_TMPDIR/models/../other/b.keras"}
{"op": "load", "path": "$BATS_TEST_TMPDIR/models/link.keras"}
{"op": "load", "path": "$BATS_TEST_TMPDIR/models/none.keras"}
EOF
	[ "$(jq -r .status <<<"$(resp 1)")" = ok ]
	[ "$(resp 2)" = "{\"status\": 403, \"detail\": \"Checkpoint outside the model directory: $BATS_TEST_TMPDIR/models/../other/b.keras\"}" ]
	[ "$(jq .status <<<"$(resp 3)")" = 403 ]
	[ "$(jq .status <<<"$(resp 4)")" = 404 ]
}

@test "info: name, version, engine, the model and max_batch" {
	KANX_MAX_BATCH=64 serve -m "$KB" <<<'{"op": "info"}'
	[ "$(jq -c '[.name, .max_batch, .model.loaded, .model.in_features, .model.out_features, .model.class_name]' <<<"$out")" = \
	  '["kanx",64,true,4,3,"KAN"]' ]
	[[ "$(jq -r .engine <<<"$out")" == "kanx-c "*" kernel, BLIS "* ]]
	KANX_KERNEL=blis serve -m "$KB" <<<'{"op": "info"}'
	[[ "$(jq -r .engine <<<"$out")" == "kanx-c blis kernel, BLIS "* ]]
	[ "$(jq -r .version <<<"$out")" = "$("$KANX" --version | cut -d' ' -f2)" ]
	[ "$(jq '[.model.layers[].grid_size] | unique' -c <<<"$out")" = '[8]' ]
}

@test "health: the API's fields" {
	serve -m "$KA" <<<'{"op": "health"}'
	[ "$(jq -c '[.status, .loaded, .source, .in_features, .out_features]' <<<"$out")" = "[\"ok\",true,\"checkpoint:$KA\",2,1]" ]
	[ "$(jq '.loaded_at > 1e9' <<<"$out")" = true ]
}

@test "metrics: counts by op and status, latency by the API's batch-size buckets" {
	serve -m "$KA" <<'EOF'
{"x": [0, 0]}
{"x": [[0, 0]]}
{"x": [[0, 0], [1, 1], [0, 1]]}
{"x": [[0, 0, 0]]}
{"op": "health"}
nope
{"op": "metrics"}
EOF
	m=$(resp 7)
	[ "$(jq -c '.ops.predict' <<<"$m")" = '{"200":3,"400":1}' ]
	[ "$(jq -c '.ops.health' <<<"$m")" = '{"200":1}' ]
	[ "$(jq -c '.ops.invalid' <<<"$m")" = '{"422":1}' ]
	[ "$(jq .requests <<<"$m")" -eq 6 ]
	[ "$(jq -c '[.predict_latency_ms[] | .count]' <<<"$m")" = '[2,1,0,0]' ]
	[ "$(jq -c '.predict_latency_ms | keys_unsorted' <<<"$m")" = '["1","2-10","11-100","101+"]' ]
	[ "$(jq '.predict_latency_ms["1"].le["+Inf"]' <<<"$m")" -eq 2 ]
}

@test "a model that outputs NaN answers 500, not invalid JSON, and the loop goes on" {
	# finite weights near the float32 limit (NaN weights are refused at load)
	serve -m "$BRK/overflow_weights.keras" <<'EOF'
{"x": [0.5, 0.5]}
{"op": "health"}
EOF
	[ "$(jq .status <<<"$(resp 1)")" = 500 ]
	[[ "$(jq -r .detail <<<"$(resp 1)")" == "Out of range float values are not JSON compliant"* ]]
	[ "$(jq -r .status <<<"$(resp 2)")" = ok ]
}

@test "unknown op: 400, named" {
	serve -m "$KA" <<<'{"op": "train"}'
	[ "$out" = '{"status": 400, "detail": "Unknown op '"'train'"'; expected predict, health, info, load, reset or metrics"}' ]
}

@test "the last request needs no newline; EOF ends the loop with exit 0" {
	out=$(printf '{"op": "health"}\n{"op": "info"}' | "$KANX" serve-stdin -m "$KA")
	[ "$?" -eq 0 ]
	[ "$(wc -l <<<"$out")" -eq 2 ]
	[ "$(jq -r .name <<<"$(resp 2)")" = kanx ]
}

@test "startup failures: a bad checkpoint (4), -m - (2), --model-dir missing (2), a broken config without a model (4)" {
	run kanx serve-stdin -m "$BRK/not_a_zip.keras" </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == "kanx: $BRK/not_a_zip.keras: not a .keras (zip) archive"* ]]
	# the gate: NaN weights are refused at start-up with validate's message
	run kanx serve-stdin -m "$BRK/nan_weights.keras" </dev/null
	[ "$status" -eq 4 ]
	[ "$output" = "kanx: $BRK/nan_weights.keras:model.weights.h5: layers/kan_linear/vars/0 (base_weight): 1 of 16 values are NaN or infinite (the first at [0, 3]: nan); $BRK/nan_weights.keras:model.weights.h5: layers/kan_linear_1/vars/1 (spline_weight): 1 of 64 values are NaN or infinite (the first at [5, 0, 2]: inf)" ]
	run kanx serve-stdin -m - </dev/null
	[ "$status" -eq 2 ]
	run kanx serve-stdin --model-dir "$BATS_TEST_TMPDIR/none" </dev/null
	[ "$status" -eq 2 ]
	KANX_CHECKPOINT= run kanx serve-stdin --config "$CFG/many.yaml" </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"$CFG/many.yaml:3:15: model.layers entries must be positive ints, got -8"* ]]
	run kanx serve-stdin -m "$KA" extra </dev/null
	[ "$status" -eq 2 ]
}

@test "no request payload is logged: stderr stays empty while serving" {
	serve -m "$KA" <<'EOF'
{"x": [0.123456, 0.654321], "id": "secret-id"}
{"x": ["secret-value"]}
not json secret
EOF
	[ "$(wc -l <<<"$out")" -eq 3 ]
	[ -z "$err" ]
}

@test "co-process: predict, load (good, bad, missing), reset, health, info, metrics, one reply per request" {
	coproc SRV { "$KANX" serve-stdin -m "$KA" --config "$CFG/kan_b.yaml" 2>/dev/null; }
	# bash unsets SRV and SRV_PID once the co-process is reaped: keep copies
	pid=$SRV_PID
	exec {to}>&"${SRV[1]}" {from}<&"${SRV[0]}"
	ask() { printf '%s\n' "$1" >&"$to"; IFS= read -r -t 10 reply <&"$from"; }

	ask '{"op": "predict", "x": [[-1, -1]], "id": 1}'
	[ "$(jq -c '[.id, .shape]' <<<"$reply")" = '[1,[1,1]]' ]
	want=$(sed -n 2p "$FIX/keras-3.16/kan_a_expected.csv")
	awk -v a="$(jq -r '.output[0][0]' <<<"$reply")" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }'

	ask "{\"op\": \"load\", \"path\": \"$BRK/not_a_zip.keras\", \"id\": 2}"
	[ "$(jq -c '[.id, .status]' <<<"$reply")" = '[2,400]' ]
	ask "{\"op\": \"load\", \"path\": \"$BATS_TEST_TMPDIR/none.keras\", \"id\": 3}"
	[ "$(jq -c '[.id, .status]' <<<"$reply")" = '[3,404]' ]
	ask '{"op": "health", "id": 4}'
	[ "$(jq -r .source <<<"$reply")" = "checkpoint:$KA" ]

	ask "{\"op\": \"load\", \"path\": \"$KB\", \"id\": 5}"
	[ "$(jq -c '[.id, .status, .in_features]' <<<"$reply")" = '[5,"ok",4]' ]
	ask '{"x": [[0, 0, 0, 0], [1, 1, 1, 1]], "id": 6}'
	[ "$(jq -c '[.id, .shape]' <<<"$reply")" = '[6,[2,3]]' ]

	ask '{"op": "reset", "id": 7}'
	[ "$(jq -c '[.id, .status, .source]' <<<"$reply")" = "[7,\"ok\",\"fresh:$CFG/kan_b.yaml\"]" ]
	ask '{"op": "info", "id": 8}'
	[ "$(jq -c '[.id, .name, .model.source]' <<<"$reply")" = "[8,\"kanx\",\"fresh:$CFG/kan_b.yaml\"]" ]
	ask '{"x": [1, 2], "id": 9}'
	[ "$reply" = '{"id": 9, "status": 400, "detail": "Expected 4 features per sample, got 2"}' ]
	ask '{"op": "metrics", "id": 10}'
	[ "$(jq -c '[.id, .requests, .ops.load, .ops.predict, .ops.reset]' <<<"$reply")" = \
	  '[10,9,{"200":1,"400":1,"404":1},{"200":2,"400":1},{"200":1}]' ]

	exec {to}>&- {SRV[1]}>&-
	IFS= read -r -t 10 reply <&"$from" && { echo "a reply after EOF: $reply"; false; }
	wait "$pid"
}

@test "a mixed stream of 3000 requests is answered one for one, in order, each valid JSON" {
	for i in $(seq 1 500); do
		echo "{\"x\": [0.1, 0.2], \"id\": $((6 * i))}"
		echo "{\"x\": [1, 2, 3], \"id\": $((6 * i + 1))}"
		echo "not json $i"
		echo "{\"op\": \"load\", \"path\": \"$BRK/not_a_zip.keras\", \"id\": $((6 * i + 3))}"
		echo "{\"x\": [[1, 2], [3]], \"id\": $((6 * i + 4))}"
		echo "{\"op\": \"health\", \"id\": $((6 * i + 5))}"
	done > "$BATS_TEST_TMPDIR/mixed.jsonl"
	"$KANX" serve-stdin -m "$KA" < "$BATS_TEST_TMPDIR/mixed.jsonl" > "$BATS_TEST_TMPDIR/out.jsonl"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out.jsonl")" -eq 3000 ]
	jq -c '[.id, (.status | tostring)]' "$BATS_TEST_TMPDIR/out.jsonl" > "$BATS_TEST_TMPDIR/ids"
	[ "$(sed -n 1,6p "$BATS_TEST_TMPDIR/ids" | tr '\n' ' ')" = '[6,"null"] [7,"400"] [null,"422"] [9,"400"] [10,"400"] [11,"ok"] ' ]
	[ "$(grep -c '"ok"' "$BATS_TEST_TMPDIR/ids")" -eq 500 ]
	[ "$(jq -r 'select(.output) | .id' "$BATS_TEST_TMPDIR/out.jsonl" | awk '$1 % 6 != 0' | wc -l)" -eq 0 ]
}

# One rule for a JSON request document, whichever command reads it: a
# key repeated in one object (at the top, nested, written with escapes,
# in a large object) is refused at the same place by predict -i api,
# predict -i jsonl, validate and serve-stdin; the same key in different
# objects is no duplicate. The cases are generated here, one a line, '@'
# marking the key that must be reported (the first repeat in the text);
# no '@': no duplicate.
dup_cases() {
	local big40 big40b
	big40=$(for i in $(seq 40); do printf '"k%d": %d, ' "$i" "$i"; done)
	big40b=$(for i in $(seq 40 -1 1); do printf '"k%d": %d, ' "$i" "$i"; done)
	printf '%s\n' \
		'{"x": [[0.5, 0.2]], @"x": [[0.1, 0.1]]}' \
		'{"id": 1, "x": [0.5, 0.2], @"id": 2}' \
		'{"x": [0.5, 0.2], "meta": 1, @"meta": 1}' \
		'{"x": [0.5, 0.2], "id": {"a": 1, "b": 2, @"a": 3}}' \
		'{"x": [0.5, 0.2], "m": [{"a": 1}, {"b": {"c": 1, @"c": 1}}]}' \
		'{"x": [0.5, 0.2], @"\u0078": [0.1, 0.1]}' \
		'{"x": [0.5, 0.2], "m": {"\u00e9": 1, @"é": 2}}' \
		"{\"x\": [0.5, 0.2], \"m\": {$big40 @\"k7\": 0}}" \
		"{\"x\": [0.5, 0.2], \"m\": {$big40b @\"k9\": 0, \"k2\": 0}}" \
		'{"x": [0.5, 0.2], "id": {"x": 1}, "m": {"x": 2}}' \
		'{"x": [0.5, 0.2], "m": [{"k": 1}, {"k": 1}], "n": {"k": {"k": 1}}}'
}

@test "a repeated key in a request is refused alike by predict, validate and serve-stdin" {
	local doc col n=0 pcol scol line f
	while IFS= read -r doc; do
		n=$((n + 1))
		col=0
		if [[ $doc == *@* ]]; then
			col=${doc%%@*}
			col=$(( ${#col} + 1 ))
		fi
		printf '%s\n' "${doc/@/}" >"$BATS_TEST_TMPDIR/in.json"
		for f in api jsonl; do
			run --separate-stderr kanx predict -m "$KA" -i $f "$BATS_TEST_TMPDIR/in.json"
			if [ "$col" = 0 ]; then
				[ "$status" -eq 0 ] || { echo "case $n, predict -i $f: $stderr"; false; }
			else
				[ "$status" -eq 5 ] || { echo "case $n, predict -i $f: status $status"; false; }
				[[ "$stderr" =~ in.json:1:([0-9]+):\ (record\ 1:\ )?duplicate\ key ]] || { echo "case $n: $stderr"; false; }
				pcol=${BASH_REMATCH[1]}
				[ "$pcol" = "$col" ] || { echo "case $n, predict -i $f: column $pcol, want $col"; false; }
			fi
		done
		run kanx validate -m "$KA" -i api "$BATS_TEST_TMPDIR/in.json"
		if [ "$col" = 0 ]; then
			[ "$status" -eq 0 ] || { echo "case $n, validate: $output"; false; }
		else
			[ "$status" -eq 1 ]
			[[ "$output" == *"in.json:1:$col: duplicate key"* ]] || { echo "case $n, validate: $output"; false; }
		fi
		serve -m "$KA" <"$BATS_TEST_TMPDIR/in.json"
		line=$(resp 1)
		if [ "$col" = 0 ]; then
			[ "$(jq -c .shape <<<"$line")" = '[1,1]' ] || { echo "case $n, serve-stdin: $line"; false; }
		else
			[ "$(jq -r .status <<<"$line")" = 422 ] || { echo "case $n, serve-stdin: $line"; false; }
			[[ "$(jq -r .detail <<<"$line")" =~ ^JSON\ decode\ error:\ Duplicate\ key\ .*:\ line\ 1\ column\ ([0-9]+) ]] ||
				{ echo "case $n, serve-stdin: $line"; false; }
			scol=${BASH_REMATCH[1]}
			[ "$scol" = "$col" ] || { echo "case $n, serve-stdin: column $scol, want $col"; false; }
		fi
	done < <(dup_cases)
	[ "$n" -eq 11 ]
}
