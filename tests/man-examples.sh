#!/usr/bin/env bash
# man-examples.sh PAGE - run the examples of a kanx manual page, or of a
# Markdown file (README.md).
#
# In every `.Bd -literal` block of PAGE (in Markdown: every ```console
# block, where roff escapes do not apply):
#   - a line starting with "$ " is a command (a trailing backslash joins
#     the next line);
#   - the lines after it, up to the next command or the end of the block,
#     are what it prints: its standard output, then its standard error.
#     "..." in a line matches any text; a line that is only "..." matches
#     any number of lines. Everything else, numbers too, must match
#     exactly: the default kernels (AVX2, portable) give the same bits on
#     every CPU, so a sample output is what the build prints, digit for
#     digit;
#     A command with no lines after it is checked for its status only;
#   - a roff comment `.\" exit N` before a command (in Markdown, a line
#     `<!-- exit N -->` before the block, for its first command): it must
#     exit N (default 0).
# Blocks without a "$ " line (file contents, shell fragments) are not run.
#
# The commands run one after another in one bash (set -o pipefail), so a
# `cd` or `export` carries over, in a fresh directory holding a copy of
# share/ (the files kanx installs in $(datadir)/kanx), with `kanx` on the
# PATH being $KANX and no KANX_* settings from the caller's environment
# (so the default kernel).
# A block with an example that uses a command this build has not
# implemented yet is skipped whole, and its commands counted. Prints "ran N, skipped M" and exits 0, or prints
# every failure and exits 1.
set -u

page=$1
: "${KANX_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${KANX:=$KANX_SRCDIR/kanx}"
case $page in /*) ;; *) page=$PWD/$page ;; esac
case $KANX in /*) ;; *) KANX=$PWD/$KANX ;; esac

# ---- parse ----------------------------------------------------------------
cmds=() status=() expect=()      # expect[i]: the expected lines, newline-separated
block=()                         # block[i]: the number of the block command i is in
n=-1 nb=0 inblock=0 want=0 cont=0
unroff() {
	local s=$1
	s=${s//\\&/}
	s=${s//\\-/-}
	s=${s//\\(aq/\'}
	s=${s//\\(dq/\"}
	s=${s//\\(ti/\~}
	s=${s//\\(ha/^}
	s=${s//\\e/\\}
	printf '%s' "$s"
}
md=0
[[ $page == *.md ]] && md=1
while IFS= read -r raw || [ -n "$raw" ]; do
	if [ $inblock = 0 ]; then
		# Markdown: <!-- exit N --> before a block, for its first command
		[[ $md = 1 && $raw =~ ^\<!--\ exit\ ([0-9]+)\ --\>$ ]] && want=${BASH_REMATCH[1]}
		if [ $md = 1 ]; then
			[[ $raw == '```console' ]] && inblock=1
		else
			[[ $raw == .Bd\ -literal* ]] && inblock=1
		fi
		[ $inblock = 1 ] && n_block_start=$((n + 1)) nb=$((nb + 1))
		continue
	fi
	if [[ $md = 0 && $raw == .Ed* ]] || [[ $md = 1 && $raw == '```' ]]; then
		inblock=0 cont=0
		continue
	fi
	if [[ $raw =~ ^\.\\\"\ exit\ ([0-9]+) ]]; then
		want=${BASH_REMATCH[1]}
		continue
	fi
	[[ $raw == .\\\"* ]] && continue
	if [ $md = 1 ]; then
		line=$raw
	else
		line=$(unroff "$raw")
	fi
	if [ $cont = 1 ]; then
		cmds[n]+=$'\n'$line
		[[ $line == *\\ ]] || cont=0
		continue
	fi
	if [[ $line == '$ '* ]]; then
		n=$((n + 1))
		cmds[n]=${line#\$ }
		block[n]=$nb
		status[n]=$want
		expect[n]=
		want=0
		[[ $line == *\\ ]] && cont=1
		continue
	fi
	# output of the current command, if this block has one
	if [ $n -ge 0 ] && [ $n -ge "${n_block_start:-0}" ]; then
		expect[n]+=$line$'\n'
	fi
done < "$page"

# ---- compare ----------------------------------------------------------------
# line_re LINE: build RE (anchored ERE) and NUMS (the numbers in LINE, in order)
line_re() {
	local s=$1 c num
	RE='^' NUMS=()
	while [ -n "$s" ]; do
		if [[ $s == '...'* ]]; then
			RE+='.*'
			s=${s:3}
		elif [[ $s =~ ^[0-9]+[.]?[0-9]*([eE][-+]?[0-9]+)? ]]; then
			num=${BASH_REMATCH[0]}
			NUMS+=("$num")
			RE+='([0-9]+[.]?[0-9]*)([eE][-+]?[0-9]+)?'
			s=${s:${#num}}
		else
			c=${s:0:1}
			case $c in
			[][\\.^\$*+?\(\)\{\}\|]) RE+="\\$c" ;;
			*) RE+=$c ;;
			esac
			s=${s:1}
		fi
	done
	RE+='$'
}

# line_ok EXPECTED ACTUAL
line_ok() {
	local i pairs=
	[ "$1" = "$2" ] && return 0
	line_re "$1"
	[[ $2 =~ $RE ]] || return 1
	for ((i = 0; i < ${#NUMS[@]}; i++)); do
		pairs+="${NUMS[i]} ${BASH_REMATCH[2 * i + 1]}${BASH_REMATCH[2 * i + 2]}"$'\n'
	done
	[ -z "$pairs" ] && return 0
	printf '%s' "$pairs" | awk '$1 != $2 { bad = 1 } END { exit bad }'
}

# output_ok EXPECTED-FILE ACTUAL-FILE: the "..." line rules
output_ok() {
	local -a e a
	local i=0 j=0
	mapfile -t e < "$1"
	mapfile -t a < "$2"
	while [ $i -lt ${#e[@]} ]; do
		if [ "${e[i]}" = "..." ]; then
			i=$((i + 1))
			[ $i -eq ${#e[@]} ] && return 0
			while [ $j -lt ${#a[@]} ] && ! line_ok "${e[i]}" "${a[j]}"; do
				j=$((j + 1))
			done
			[ $j -lt ${#a[@]} ] || return 1
		else
			[ $j -lt ${#a[@]} ] && line_ok "${e[i]}" "${a[j]}" || return 1
		fi
		i=$((i + 1)) j=$((j + 1))
	done
	[ $j -eq ${#a[@]} ]
}

# ---- run ----------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/kanx-man.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run"
ln -s "$KANX" "$work/bin/kanx"
cp "$KANX_SRCDIR"/share/* "$work/run/"
unset KANX_CHECKPOINT KANX_CONFIG KANX_MAX_BATCH KANX_MAX_LINE KANX_THREADS KANX_KERNEL
export PATH="$work/bin:$PATH"
declare -A stub=()
is_stub() {
	if [ -z "${stub[$1]:-}" ]; then
		if "$KANX" "$1" --help 2>/dev/null | grep -q 'not implemented yet'; then
			stub[$1]=1
		else
			stub[$1]=0
		fi
	fi
	[ "${stub[$1]}" = 1 ]
}

cd "$work/run" || exit 1
set -o pipefail
# a block with a command that uses a placeholder command is skipped whole
declare -A skipblock=()
for ((k = 0; k <= n; k++)); do
	for c in inspect predict validate serve-stdin; do
		[[ ${cmds[k]} == *"kanx $c"* ]] && is_stub "$c" && skipblock[${block[k]}]=1
	done
done
ran=0 skipped=0 failed=0
for ((k = 0; k <= n; k++)); do
	cmd=${cmds[k]}
	if [ -n "${skipblock[${block[k]}]:-}" ]; then
		skipped=$((skipped + 1))
		continue
	fi
	ran=$((ran + 1))
	eval "$cmd" > "$work/out" 2> "$work/err" < /dev/null
	st=$?
	cat "$work/out" "$work/err" > "$work/all"
	bad=
	[ "$st" = "${status[k]}" ] || bad="exit status $st, expected ${status[k]}"
	if [ -z "$bad" ] && [ -n "${expect[k]}" ]; then
		printf '%s' "${expect[k]}" > "$work/want"
		output_ok "$work/want" "$work/all" || bad="output differs"
	fi
	if [ -n "$bad" ]; then
		failed=$((failed + 1))
		printf '%s: example %d: $ %s\n  %s\n' "${page##*/}" $((k + 1)) "$cmd" "$bad"
		if [ -n "${expect[k]}" ]; then
			printf '  --- expected\n'
			printf '%s' "${expect[k]}" | sed 's/^/  /'
		fi
		printf '  --- got (stdout, then stderr)\n'
		sed 's/^/  /' "$work/all" | head -n 40
	fi
done
echo "${page##*/}: ran $ran, skipped $skipped (commands not implemented in this build)"
[ $failed = 0 ]
