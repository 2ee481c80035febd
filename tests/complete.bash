# Drive the shell completions in completions/ the way a shell does, and
# print what they offer, one candidate a line, sorted. For bats files that
# `load complete` after `load helpers`.
#
#   bash_complete [-n] WORD...   the last WORD is the one being completed
#                                ("" for a new word); -n: without
#                                bash-completion's helpers (the file's own
#                                fallback, also used when they are not
#                                installed)
#   fish_complete LINE           fish's `complete -C LINE`
#   zsh_complete LINE            zsh's completion widget, through zpty
#
# They run in the current directory, with the built kanx first on the
# PATH (the completions call `kanx inspect` for layer numbers).

COMPLETIONS="$KANX_SRCDIR/completions"
BASH_COMPLETION_MAIN=/usr/share/bash-completion/bash_completion

_complete_path() {
	local d="${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/kanx-complete-bin"
	mkdir -p "$d"
	ln -sf "$KANX" "$d/kanx"
	printf '%s:%s' "$d" "$PATH"
}

bash_complete() {
	local helpers=1
	# without bash-completion installed, its fallback is what users get
	[ -f "$BASH_COMPLETION_MAIN" ] || helpers=0
	if [ "$1" = -n ]; then
		helpers=0
		shift
	fi
	PATH=$(_complete_path) timeout 60 bash --norc --noprofile -c '
		helpers=$1 main=$2 file=$3
		shift 3
		if [ "$helpers" = 1 ]; then
			source "$main" || exit 1
		fi
		source "$file" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_kanx kanx "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		[ ${#COMPREPLY[@]} -gt 0 ] && printf "%s\n" "${COMPREPLY[@]}"
		exit 0
	' bash "$helpers" "$BASH_COMPLETION_MAIN" "$COMPLETIONS/kanx.bash" "$@" | sort
}

fish_complete() {
	PATH=$(_complete_path) timeout 60 fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
		"$COMPLETIONS/kanx.fish" "$1" | cut -f1 | sort
}

# The zpty session can lose a read on a loaded machine (the script then
# exits non-zero) or, rarely, return a partial listing: take an answer only
# when two sessions in a row agree, trying up to five times.
_zsh_complete_once() {
	PATH=$(_complete_path) timeout 30 zsh -f "$KANX_SRCDIR/tests/zsh-complete.zsh" \
		"$COMPLETIONS" "$1"
}
zsh_complete() {
	local out prev= have=0 try
	for try in 1 2 3 4 5; do
		out=$(_zsh_complete_once "$1") || continue
		if [ "$have" = 1 ] && [ "$out" = "$prev" ]; then
			[ -z "$out" ] || printf '%s\n' "$out" | sort
			return 0
		fi
		prev=$out
		have=1
	done
	return 1
}
