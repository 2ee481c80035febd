#!/usr/bin/env bats
# The manuals and the shell completions against the binary built from the
# same tree: `kanx --help` and `kanx CMD --help` (generated from the option
# tables in src/cmd_*.c) are the one source; every command and option they
# list must be in the manual page and in all three completions, and
# everything those document must exist, so an option cannot be added,
# renamed or dropped without its docs. Also: the manuals are lint-clean,
# their examples run, and the exit codes and environment variables in
# kanx(1) are those of the source.
load helpers
load complete

MAN="$KANX_SRCDIR/man"

# ---- what the binary says -------------------------------------------------

# The commands `kanx --help` lists.
help_commands() {
	"$KANX" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' | sort
}

# The options `kanx CMD --help` lists, one a line: "SHORT LONG ARG", with
# "-" for no short letter or no argument; e.g. "m model MODEL", "- header -",
# "- shard K/N". The option and its argument are the 26 columns after the
# indent (cli.c's "  %-26s %s"); the help text follows.
help_opts() {
	"$KANX" "$1" --help | awk '
		/^options:/ { on = 1; next }
		on && $1 ~ /^-/ {
			split(substr($0, 3, 26), w, " ")
			short = "-"; i = 1
			if (w[1] ~ /^-[A-Za-z0-9],$/) { short = substr(w[1], 2, 1); i = 2 }
			long = substr(w[i], 3)
			arg = (w[i + 1] ~ /^[A-Z][A-Z0-9_.\/]*$/) ? w[i + 1] : "-"
			print short, long, arg
		}' | sort
}

# The same as plain names, -x and --xxx, one a line.
names_of() { awk '{ if ($1 != "-") print "-" $1; print "--" $2 }' | sort; }

# Options that take a value: --xxx, one a line.
argopts_of() { awk '$3 != "-" { print "--" $2 }' | sort; }


# ---- what the manuals say --------------------------------------------------

# The lines of section NAME of a page.
man_section() {
	awk -v s="$2" '/^\.Sh / { on = ($0 == ".Sh " s); next } on' "$1"
}

# The top-level ".It Fl" entries of OPTIONS, as "SHORT LONG ARG".
man_opts() {
	man_section "$MAN/kanx-$1.1" OPTIONS | awk '
		/^\.Bl/ { depth++ } /^\.El/ { depth-- }
		depth == 1 && /^\.It Fl / {
			short = "-"; long = ""; arg = "-"
			for (i = 2; i <= NF; i++) {
				if ($i == "Fl" && $(i + 1) ~ /^-/) long = substr($(i + 1), 2)
				else if ($i == "Fl" && $(i + 1) ~ /^[A-Za-z0-9]$/) short = $(i + 1)
				else if ($i == "Ar" && arg == "-") arg = $(i + 1)
			}
			print short, long, arg
		}' | sort
}

# ---- what the completions say -------------------------------------------------

# fish: "--xxx" for each option completed with -r or -x (takes a value).
fish_argopts() {
	awk -v c="__fish_seen_subcommand_from $1" '
		/^set -l c / { cur = ($0 ~ c "\"$") ; next }
		cur && /^complete / && / -l / && (/ -x( |$)/ || / -r( |$)/) {
			for (i = 1; i <= NF; i++) if ($i == "-l") print "--" $(i + 1)
		}' "$COMPLETIONS/kanx.fish" | sort
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

diff_sets() {
	# diff_sets WHAT EXPECTED ACTUAL: fail with both lists when they differ
	if [ "$2" != "$3" ]; then
		echo "$1 differ:"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/  /'
		return 1
	fi
}

@test "man pages: mandoc -Tlint -W warning is clean, and make install installs every page" {
	command -v mandoc >/dev/null || skip "mandoc is not installed (Debian: mandoc)"
	local pages=("$MAN"/*.[1-8])
	[ ${#pages[@]} -ge 6 ]
	run mandoc -Tlint -W warning "${pages[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# Makefile.am's dist_man_MANS lists exactly the pages in man/
	local listed present
	listed=$(sed -n '/^dist_man_MANS/,/[^\\]$/p' "$KANX_SRCDIR/Makefile.am" | tr ' \\\t' '\n\n\n' |
		grep '^man/' | sort)
	present=$(cd "$KANX_SRCDIR" && printf '%s\n' man/*.[1-8] | sort)
	diff_sets "pages in man/ and dist_man_MANS" "$present" "$listed"
}

@test "commands: kanx --help, kanx(1), the pages and the three completions agree" {
	local want got
	want=$(help_commands)
	[ -n "$want" ]
	got=$(grep -o '^\.Xr kanx-[a-z-]* 1' "$MAN/kanx.1" | sed 's/^\.Xr kanx-//; s/ 1$//' | sort -u)
	diff_sets "kanx --help and the kanx-CMD(1) pages in kanx(1) SEE ALSO" "$want" "$got"
	got=$(man_section "$MAN/kanx.1" DESCRIPTION | sed -n 's/^\.It Cm \([a-z-]*\)$/\1/p' | sort)
	diff_sets "kanx --help and the command list in kanx(1)" "$want" "$got"
	got=$(cd "$MAN" && printf '%s\n' kanx-*.1 | sed 's/^kanx-//; s/\.1$//' | sort)
	diff_sets "kanx --help and the files man/kanx-CMD.1" "$want" "$got"
	got=$(bash_complete kanx '' | grep -vx help)
	diff_sets "kanx --help and bash's completion" "$want" "$got"
	if command -v fish >/dev/null; then
		got=$(fish_complete 'kanx ' | grep -vx help)
		diff_sets "kanx --help and fish's completion" "$want" "$got"
	fi
	if command -v zsh >/dev/null; then
		got=$(zsh_complete 'kanx ' | grep -vx help)
		diff_sets "kanx --help and zsh's completion" "$want" "$got"
	fi
}

@test "options: every option in kanx CMD --help is in the page's OPTIONS, with its letter and value, and nothing else is" {
	local cmd n=0
	for cmd in $(help_commands); do
		n=$((n + 1))
		diff_sets "kanx $cmd --help and kanx-$cmd(1) OPTIONS" "$(help_opts "$cmd")" "$(man_opts "$cmd")"
	done
	[ $n -gt 0 ]
}

@test "options: bash completes exactly the options of kanx CMD --help, and knows which take a value" {
	local cmd opt want n=0
	for cmd in $(help_commands); do
		n=$((n + 1))
		want=$(help_opts "$cmd" | names_of)
		diff_sets "kanx $cmd --help and bash's completion" "$want" "$(bash_complete kanx "$cmd" -)"
		# after a flag, '-' completes options; after an option that takes a value, nothing
		for opt in $(help_opts "$cmd" | awk '{ print "--" $2 }'); do
			if help_opts "$cmd" | argopts_of | grep -qx -- "$opt"; then
				[ -z "$(bash_complete kanx "$cmd" "$opt" -)" ] || { echo "bash: $cmd $opt should take a value"; false; }
			else
				[ -n "$(bash_complete kanx "$cmd" "$opt" -)" ] || { echo "bash: $cmd $opt should be a flag"; false; }
			fi
		done
	done
	[ $n -gt 0 ]
}

@test "options: fish completes exactly the options of kanx CMD --help, and knows which take a value" {
	command -v fish >/dev/null || skip "fish is not installed"
	local cmd n=0
	for cmd in $(help_commands); do
		n=$((n + 1))
		diff_sets "kanx $cmd --help and fish's completion" "$(help_opts "$cmd" | names_of)" \
			"$(fish_complete "kanx $cmd -")"
		diff_sets "options of kanx $cmd that take a value, --help and fish" \
			"$(help_opts "$cmd" | argopts_of)" "$(fish_argopts "$cmd")"
	done
	[ $n -gt 0 ]
}

@test "options: zsh completes exactly the options of kanx CMD --help, and knows which take a value" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	local cmd opt got n=0
	for cmd in $(help_commands); do
		n=$((n + 1))
		diff_sets "kanx $cmd --help and zsh's completion" "$(help_opts "$cmd" | names_of)" \
			"$(zsh_complete "kanx $cmd -")"
		for opt in $(help_opts "$cmd" | argopts_of); do
			got=$(zsh_complete "kanx $cmd $opt -")
			[ -z "$got" ] || { echo "zsh: $cmd $opt should take a value, but '-' completed:" $got; false; }
		done
	done
	[ $n -gt 0 ]
}

@test "option values: where kanx accepts a fixed set of values, the completions offer exactly that set, and the page names each" {
	local cmd opt values v got n=0
	for cmd in $(help_commands); do
		for opt in $(help_opts "$cmd" | argopts_of); do
			# an invalid value is refused before --help is acted on; the
			# message lists the valid ones for a fixed set
			run "$KANX" "$cmd" "$opt" kanx-no-such-value --help
			[[ "$output" == *"expected one of "* ]] || continue
			[ "$status" -eq 2 ]
			n=$((n + 1))
			values=$(printf '%s\n' "${output##*expected one of }" | tr -d ' ' | tr ',' '\n' | sort)
			for v in $values; do
				run "$KANX" "$cmd" "$opt" "$v" --help
				[ "$status" -eq 0 ] || { echo "kanx $cmd $opt $v is refused"; false; }
				grep -q "^\.Cm $v\( \|$\)" "$MAN/kanx-$cmd.1" || { echo "kanx-$cmd(1) does not name $opt $v"; false; }
			done
			diff_sets "values of kanx $cmd $opt and bash's completion" "$values" "$(bash_complete kanx "$cmd" "$opt" '')"
			if command -v fish >/dev/null; then
				diff_sets "values of kanx $cmd $opt and fish's completion" "$values" "$(fish_complete "kanx $cmd $opt ")"
			fi
			if command -v zsh >/dev/null; then
				diff_sets "values of kanx $cmd $opt and zsh's completion" "$values" "$(zsh_complete "kanx $cmd $opt ")"
			fi
		done
	done
	[ $n -gt 0 ]
}

@test "exit status: kanx(1) documents every code in src/err.h and no other" {
	local want got cmd
	want=$(sed -n 's/^[[:space:]]*KX_EXIT_[A-Z]* = \([0-9]*\),\{0,1\}.*/\1/p' "$KANX_SRCDIR/src/err.h" | sort -n)
	[ "$(printf '%s\n' "$want" | wc -l)" -ge 9 ]
	got=$(man_section "$MAN/kanx.1" "EXIT STATUS" | sed -n 's/^\.It \([0-9]*\)$/\1/p' | sort -n)
	diff_sets "codes in src/err.h and kanx(1) EXIT STATUS" "$want" "$got"
	# a command's page uses only those codes
	for cmd in $(help_commands); do
		for got in $(man_section "$MAN/kanx-$cmd.1" "EXIT STATUS" | sed -n 's/^\.It \([0-9]*\)$/\1/p'); do
			printf '%s\n' "$want" | grep -qx "$got" || { echo "kanx-$cmd(1): exit $got is not in src/err.h"; false; }
		done
	done
	# the README's table too
	for got in $want; do
		grep -q "^| $got |" "$KANX_SRCDIR/README.md" || { echo "README.md: no exit status $got"; false; }
	done
}

@test "environment: every KANX_* variable the source reads is in kanx(1) ENVIRONMENT, and no other" {
	local want got cmd src v
	want=$(cat "$KANX_SRCDIR"/src/*.c | grep -o 'getenv("KANX_[A-Z_]*")' | sed 's/getenv("//; s/")//' | sort -u)
	# validate and serve-stdin name the variable once and look it up later
	want=$( (printf '%s\n' "$want"; cat "$KANX_SRCDIR"/src/cmd_*.c | grep -o '"KANX_[A-Z_]*")' |
		sed 's/^"//; s/")$//') | sort -u)
	[ -n "$want" ]
	got=$(man_section "$MAN/kanx.1" ENVIRONMENT | grep '^\.It Ev ' | grep -o 'KANX_[A-Z_]*' | sort -u)
	for v in $want; do
		printf '%s\n' "$got" | grep -qx "$v" || { echo "kanx(1) ENVIRONMENT lacks $v"; false; }
	done
	# and nothing the source does not read
	diff_sets "KANX_* variables in src/ and kanx(1) ENVIRONMENT" "$want" "$got"
	# each command's page documents the variables its source file reads
	for cmd in $(help_commands); do
		src="$KANX_SRCDIR/src/cmd_${cmd%-stdin}.c"
		[ -f "$src" ] || continue
		got=$(man_section "$MAN/kanx-$cmd.1" ENVIRONMENT | grep '^\.It Ev ' | grep -o 'KANX_[A-Z_]*' | sort -u)
		for v in $(grep -o '"KANX_[A-Z_]*"' "$src" | tr -d '"' | sort -u); do
			printf '%s\n' "$got" | grep -qx "$v" || { echo "kanx-$cmd(1) ENVIRONMENT lacks $v"; false; }
		done
	done
}

@test "examples: the example runner catches a wrong output, a wrong number and a wrong status" {
	cat > bad.1 <<-'EOF'
	.Dd November 29, 2026
	.Dt BAD 1
	.Os
	.Sh EXAMPLES
	.Bd -literal
	$ kanx inspect quickstart.keras
	quickstart.keras
	  size        174178 bytes
	\&...
	.Ed
	.Bd -literal
	.\" exit 3
	$ kanx inspect quickstart.keras
	.Ed
	.Bd -literal
	$ kanx inspect --json quickstart.keras | jq .params
	38593
	$ kanx --version
	kanx ...
	.Ed
	EOF
	run "$KANX_SRCDIR/tests/man-examples.sh" bad.1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"example 1: "*"output differs"* ]]
	[[ "$output" == *"example 2: "*"exit status 0, expected 3"* ]]
	[[ "$output" == *"example 3: "*"output differs"* ]]
	[[ "$output" != *"example 4: "* ]]
	[[ "$output" == *"ran 4, skipped 0"* ]]
}

# One test per page, so that a failure names the page.
run_examples() {
	local f="$MAN/$1"
	[ "$1" = README.md ] && f="$KANX_SRCDIR/README.md"
	run "$KANX_SRCDIR/tests/man-examples.sh" "$f"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$1: ran "* ]]
	[[ "$output" != *"ran 0, "* ]]
}

@test "examples in kanx(1) run as shown" { run_examples kanx.1; }
@test "examples in kanx-inspect(1) run as shown" { run_examples kanx-inspect.1; }
@test "examples in kanx-predict(1) run as shown" { run_examples kanx-predict.1; }
@test "examples in kanx-validate(1) run as shown" { run_examples kanx-validate.1; }
@test "examples in kanx-serve-stdin(1) run as shown" { run_examples kanx-serve-stdin.1; }
@test "examples in kanx-formats(5) run as shown" { run_examples kanx-formats.5; }
@test "examples in README.md run as shown" { run_examples README.md; }

# ---- one-line samples in the prose of the manuals ------------------------------

# Each sample the manuals show in a .Dl line that is output (it starts with
# "kanx:" or a number), and a command that prints it, run in a copy of
# share/: PAGE<TAB>SAMPLE<TAB>COMMAND<TAB>HOW, HOW "exact" (a line of the
# output, stdout and stderr, is the sample) or "shape" (the same with any
# number where the sample has one: rates and times vary).
dl_samples() {
	cat <<'TSV'
kanx-predict.1	kanx: data.csv:3:4: Expected 2 features per sample, got 1	printf 'f0,f1\n0.5,0.2\n0.1\n' >data.csv; kanx predict -m quickstart.keras data.csv	exact
kanx-formats.5	kanx: rows.csv:3:4: Expected 2 features per sample, got 1	printf 'f0,f1\n0.5,0.2\n0.1\n' >rows.csv; kanx predict -m quickstart.keras rows.csv	exact
kanx-validate.1	kanx: m.keras: this is a zip archive, as a .keras model is, not input rows; did you mean -m m.keras?	cp quickstart.keras m.keras; kanx validate m.keras	exact
kanx-predict.1	kanx: stats: shard 2/3 (--shard 2/3): bytes 2127-4235 of 6346 (data from byte 6), lines 89-172	kanx predict -m quickstart.keras --shard 2/3 --stats quickstart_input.csv >/dev/null	exact
kanx-predict.1	kanx: progress: 2,743,482 rows in 4.4 s, 623,519 rows/s	kanx predict -m quickstart.keras --progress big.csv >/dev/null	shape
kanx-predict.1	1,234,567 rows, 617,283 rows/s  [#########...........]  45%  ETA 2s	script -qec 'kanx predict -m quickstart.keras -b 1 -t 1 big.csv >/dev/null' /dev/null </dev/null | tr '\r' '\n'	shape
TSV
}

# The .Dl lines that are templates, not samples (capitals stand for text).
dl_templates() {
	printf 'kanx.1\t%s\n' 'kanx: FILE:LINE:COLUMN: message' 'kanx: MODEL:MEMBER: message' \
		'kanx: warning: message' 'kanx: write error on standard output: REASON'
}

# The .Dl lines of the manuals that look like output, as PAGE<TAB>TEXT.
dl_lines() {
	local f
	for f in "$MAN"/*.[1-8]; do
		awk -v p="${f##*/}" '/^\.Dl (kanx: |[0-9])/ { sub(/^\.Dl /, ""); gsub(/\\&/, ""); gsub(/\\-/, "-"); print p "\t" $0 }' "$f"
	done | sort
}

# An anchored ERE for SAMPLE with every number (digits, commas, a
# fraction) matching any number, a progress bar ("[###.....]") any bar of
# its width, blanks any number of blanks (numbers are padded), and
# trailing blanks allowed.
shape_re() {
	perl -e 'my $s = shift; print "^" . join("", map { /^\[[#.]+\]$/ ? "\\[[#.]{" . (length($_) - 2) . "}\\]" : /^[0-9]/ ? "[0-9][0-9,]*([.][0-9]+)?" : do { (my $q = quotemeta($_)) =~ s/(?:\\ )+/ +/g; $q } } split(/(\[[#.]+\]|[0-9][0-9,]*(?:\.[0-9]+)?)/, $s)) . " *\$"' "$1"
}

@test "the manuals' one-line samples (.Dl) are what kanx prints, and each is checked here" {
	local page sample cmd how out re
	# every output-like .Dl line is a sample below or a template
	diff_sets ".Dl samples" "$( { dl_samples | cut -f1,2; dl_templates; } | sort)" "$(dl_lines)"
	mkdir run bin
	cp "$KANX_SRCDIR"/share/* run/
	ln -s "$KANX" bin/kanx
	awk 'BEGIN { print "f0,f1"; for (i = 0; i < 100000; i++) print (i % 100) / 100 "," (i % 37) / 37 }' >run/big.csv
	while IFS=$'\t' read -r page sample cmd how; do
		if [[ $cmd == script* ]] && ! command -v script >/dev/null; then
			continue
		fi
		out=$(cd run && PATH="$BATS_TEST_TMPDIR/bin:$PATH" bash -c "$cmd" 2>&1) || true
		if [ "$how" = exact ]; then
			grep -qxF -- "$sample" <<<"$out" || { echo "$page: '$sample' not in the output of $cmd:"; echo "$out" | head -5; false; }
		else
			re=$(shape_re "$sample")
			grep -qE -- "$re" <<<"$out" || { echo "$page: no line shaped as '$sample' ($re) in the output of $cmd:"; echo "$out" | head -5; false; }
		fi
	done < <(dl_samples)
}

# ---- input formats: the reader's table is the one source ----------------------

# `kanx predict -i list` prints the table of input formats (src/rows.c,
# kx_in_formats): NAME<tab>EXTENSIONS<tab>TITLE<tab>DESCRIPTION.
@test "input formats: -i list (the reader's table), --help, the pages and the completions agree" {
	run "$KANX" predict -i list
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	local names exts want got cmd f title
	names=$(printf '%s\n' "$output" | cut -f1)
	exts=$(printf '%s\n' "$output" | cut -f2 | tr ' ' '\n' | grep . | sort)
	[ "$(printf '%s\n' "$names" | wc -l)" -ge 4 ]
	# --help of predict and validate: "csv, tsv, jsonl or api"
	want=$(printf '%s\n' "$names" | paste -sd, | sed 's/,/, /g; s/\(.*\), /\1 or /')
	for cmd in predict validate; do
		"$KANX" "$cmd" --help | grep -- '--input-format' | grep -qF "$want" ||
			{ echo "kanx $cmd --help does not list the input formats as '$want'"; false; }
		# the page's -i entry names each, and no other
		got=$(awk '/^\.It Fl i , Fl -input-format/ { on = 1; next } on && /^\.It / { on = 0 } on' \
			"$MAN/kanx-$cmd.1" | sed -n 's/^\.Cm \([a-z0-9]*\).*/\1/p' | grep -vx list | sort)
		diff_sets "input formats of kanx-$cmd(1) -i and -i list" "$(printf '%s\n' "$names" | sort)" "$got"
	done
	# kanx-formats(5): the table of extensions, one row per format
	# (".It Pa .tsv , Pa .tab Ta TSV" against "tsv<tab>.tsv .tab<tab>TSV<tab>...")
	want=$(while IFS=$'\t' read -r f e t d; do
		printf '%s = %s\n' "$(printf '%s\n' $e | sort | paste -sd' ')" "$t"
	done <<<"$output" | sort)
	got=$(awk '/^\.Ss Choosing the input format/ { on = 1 } on && /^\.El/ { exit } on && /^\.It Pa/' \
		"$MAN/kanx-formats.5" | while read -r line; do
		printf '%s = %s\n' "$(printf '%s\n' "$line" | grep -o 'Pa \.[a-z0-9]*' | sed 's/^Pa //' | sort | paste -sd' ')" \
			"${line##* Ta }"
	done | sort)
	diff_sets "the extensions of each format in kanx-formats(5) and -i list" "$want" "$got"
	# kanx-predict(1): the paragraph that lists the extensions
	got=$(awk '/^is given, each input.s format is chosen by its name:/ { on = 1; next } on && /^for API documents/ { exit } on' \
		"$MAN/kanx-predict.1" | sed -n 's/^\.Pa \(\.[a-z0-9]*\).*/\1/p' | sort)
	diff_sets "extensions in kanx-predict(1) and -i list" "$exts" "$got"
	# the completions offer exactly the files with these extensions (and directories)
	mkdir sub
	for f in $exts .txt .keras .yaml; do : >"in$f"; done
	want=$(printf 'in%s\n' $exts; echo sub)
	want=$(printf '%s\n' $want | sort)
	for cmd in predict validate; do
		diff_sets "input files bash completes for $cmd" "$want" \
			"$(bash_complete kanx "$cmd" -m x.keras '' | sed 's:/$::')"
		if command -v fish >/dev/null; then
			diff_sets "input files fish completes for $cmd" "$want" \
				"$(fish_complete "kanx $cmd -m x.keras " | sed 's:/$::' | grep -v '^-')"
		fi
		if command -v zsh >/dev/null; then
			diff_sets "input files zsh completes for $cmd" "$want" \
				"$(zsh_complete "kanx $cmd -m x.keras " | sed 's:/$::' | grep -v '^-')"
		fi
	done
}
