#!/usr/bin/env bats
# The shell completions, driven for real: bash (with bash-completion's
# helpers and without), zsh (its completion widget through zpty) and fish
# (complete -C), in a directory of sample files.
load helpers
load complete

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$KANX_SRCDIR/share/quickstart.keras" model.keras
	cp "$KANX_SRCDIR/tests/fixtures/keras-3.16/mixed_g.keras" mixed.keras
	printf 'key,f0,f1\nr1,0.5,0.2\n' > rows.csv
	printf '0.5\t0.2\n' > rows.tsv
	printf '[0.5,0.2]\n' > rows.jsonl
	printf '{"x":[0.5,0.2]}\n' > request.json
	printf 'model:\n  layers: [2, 1]\n' > train.yaml
	touch notes.txt
	mkdir data
}

have_bash_completion() {
	[ -f "$BASH_COMPLETION_MAIN" ] || skip "bash-completion is not installed (Debian: bash-completion)"
}

@test "bash: the file parses, and defines _kanx for kanx" {
	run bash -n "$COMPLETIONS/kanx.bash"
	[ "$status" -eq 0 ]
	run bash --norc -c 'source "$1" && complete -p kanx' bash "$COMPLETIONS/kanx.bash"
	[ "$status" -eq 0 ]
	[ "$output" = "complete -F _kanx kanx" ]
}

@test "bash: commands" {
	have_bash_completion
	[ "$(bash_complete kanx pre)" = "predict" ]
	[ "$(bash_complete kanx s)" = "serve-stdin" ]
	[ "$(bash_complete kanx '' | tr '\n' ' ')" = "help inspect predict serve-stdin validate " ]
	[ "$(bash_complete kanx help v)" = "validate" ]
	[ "$(bash_complete kanx --ver)" = "--version" ]
}

@test "bash: options of a command" {
	have_bash_completion
	[ "$(bash_complete kanx predict --for)" = "--format" ]
	[ "$(bash_complete kanx predict --no-)" = "$(printf '%s\n' --no-header --no-output-header --no-progress --no-quote)" ]
	[ "$(bash_complete kanx serve-stdin --model)" = "$(printf '%s\n' --model --model-dir)" ]
	# inspect's -p is --plot, predict's is --precision: per command
	[ "$(bash_complete kanx inspect --pl)" = "--plot" ]
	[ -z "$(bash_complete kanx inspect --pre)" ]
}

@test "bash: option values" {
	have_bash_completion
	[ "$(bash_complete kanx predict --format '' | tr '\n' ' ')" = "api csv jsonl tsv " ]
	[ "$(bash_complete kanx predict -i j)" = "jsonl" ]
	[ "$(bash_complete kanx predict --format=t)" = "tsv" ]
	[ "$(bash_complete kanx predict --on-error '' | tr '\n' ' ')" = "skip stop " ]
	# a number: nothing, and not files
	[ -z "$(bash_complete kanx predict --batch-size '')" ]
	# --id: the header of the CSV input on the line
	[ "$(bash_complete kanx predict rows.csv --id '' | tr '\n' ' ')" = "f0 f1 key " ]
	# --edges: the KAN layers of the model on the line (mixed.keras: two, then a Dense)
	[ "$(bash_complete kanx inspect mixed.keras --edges '' | tr '\n' ' ')" = "0 1 " ]
}

@test "bash: models, data files, configs and directories" {
	have_bash_completion
	[ "$(bash_complete kanx inspect '' | tr '\n' ' ')" = "data mixed.keras model.keras " ]
	[ "$(bash_complete kanx predict -m '' | tr '\n' ' ')" = "data mixed.keras model.keras " ]
	[ "$(bash_complete kanx predict -m model.keras '' | tr '\n' ' ')" = "data request.json rows.csv rows.jsonl rows.tsv " ]
	[ "$(bash_complete kanx validate -c '' | tr '\n' ' ')" = "data train.yaml " ]
	[ "$(bash_complete kanx validate '' | tr '\n' ' ')" = "data request.json rows.csv rows.jsonl rows.tsv " ]
	[ "$(bash_complete kanx serve-stdin --model-dir '')" = "data" ]
	[ -z "$(bash_complete kanx serve-stdin '')" ]
}

@test "bash: without bash-completion's helpers, the fallback does the same" {
	[ "$(bash_complete -n kanx pre)" = "predict" ]
	[ "$(bash_complete -n kanx predict --for)" = "--format" ]
	[ "$(bash_complete -n kanx predict --format '' | tr '\n' ' ')" = "api csv jsonl tsv " ]
	# "--format=j" as bash splits it at COMP_WORDBREAKS
	[ "$(bash_complete -n kanx predict --format = j)" = "jsonl" ]
	[ "$(bash_complete -n kanx inspect '' | tr '\n' ' ')" = "data mixed.keras model.keras " ]
	[ "$(bash_complete -n kanx predict '' | tr '\n' ' ')" = "data request.json rows.csv rows.jsonl rows.tsv " ]
}

@test "zsh: the file parses" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zsh -n "$COMPLETIONS/_kanx"
	[ "$status" -eq 0 ]
}

@test "zsh: commands, options, values and files through the completion widget" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	[ "$(zsh_complete 'kanx pre')" = "predict" ]
	[ "$(zsh_complete 'kanx predict --for')" = "--format" ]
	[ "$(zsh_complete 'kanx predict --format ' | tr '\n' ' ')" = "api csv jsonl tsv " ]
	[ "$(zsh_complete 'kanx predict --on-error ' | tr '\n' ' ')" = "skip stop " ]
	[ "$(zsh_complete 'kanx inspect ' | tr '\n' ' ')" = "data mixed.keras model.keras " ]
	[ "$(zsh_complete 'kanx predict -m model.keras ' | tr '\n' ' ')" = "data request.json rows.csv rows.jsonl rows.tsv " ]
	[ "$(zsh_complete 'kanx inspect mixed.keras --edges ' | tr '\n' ' ')" = "0 1 " ]
	[ "$(zsh_complete 'kanx help ' | tr '\n' ' ')" = "inspect predict serve-stdin validate " ]
}

@test "fish: the file parses" {
	command -v fish >/dev/null || skip "fish is not installed"
	run fish --no-execute "$COMPLETIONS/kanx.fish"
	[ "$status" -eq 0 ]
}

@test "fish: commands, options, values and files" {
	command -v fish >/dev/null || skip "fish is not installed"
	[ "$(fish_complete 'kanx pre')" = "predict" ]
	[ "$(fish_complete 'kanx predict --for')" = "--format" ]
	[ "$(fish_complete 'kanx predict --format ' | tr '\n' ' ')" = "api csv jsonl tsv " ]
	[ "$(fish_complete 'kanx predict --on-error ' | tr '\n' ' ')" = "skip stop " ]
	[ "$(fish_complete 'kanx inspect ' | tr '\n' ' ')" = "data/ mixed.keras model.keras " ]
	[ "$(fish_complete 'kanx predict -m ' | tr '\n' ' ')" = "data/ mixed.keras model.keras " ]
	[ "$(fish_complete 'kanx predict -m model.keras ' | tr '\n' ' ')" = "data/ request.json rows.csv rows.jsonl rows.tsv " ]
	[ "$(fish_complete 'kanx inspect mixed.keras --edges ' | tr '\n' ' ')" = "0 1 " ]
	[ "$(fish_complete 'kanx help ' | tr '\n' ' ')" = "inspect predict serve-stdin validate " ]
}
