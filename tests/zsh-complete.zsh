#!/bin/zsh -f
# zsh-complete.zsh FPATH-DIR LINE: print what zsh's completion offers at the
# end of LINE, one candidate a line. It runs an interactive zsh in a pseudo
# terminal (zpty), loads the completion functions from FPATH-DIR with
# compinit, wraps compadd to print each candidate, and presses TAB.
zmodload zsh/zpty || exit 1
local tmp=${TMPDIR:-/tmp}/kanx-zsh.$$
mkdir -p $tmp || exit 1
zpty z zsh -f -i || exit 1
zpty -w z "PROMPT= RPROMPT= PS2= ; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "fpath=(${(q)1} \$fpath)"
zpty -w z "autoload -U compinit; compinit -u -d ${(q)tmp}/zcompdump"
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  builtin compadd "$@"
  local h; for h in $__hits; do print -r -- "<<$h>>"; done
}'
zpty -w z "bindkey '^I' complete-word"
zpty -w z "zstyle ':completion:*' completer _complete"
# The markers are split in the commands ("RE""ADY"), so that the terminal's
# echo of a command (which may come twice: once from the tty before the
# line editor starts, once from the line editor) never matches; only the
# output does.
zpty -w z 'print -r -- "<<RE""ADY>>"'
zpty -r z line '*<<READY>>*' >/dev/null || exit 1
zpty -n -w z "$2"$'\t'
zpty -w z $'\C-u print -r -- "<<DO""NE>>"'
zpty -r z out '*<<DONE>>*' || exit 1
print -r -- "$out" | grep -o '<<[^<>]*>>' | sed 's/^<<//; s/>>$//' | grep -v -e '^DONE$' -e '"' | sort -u
zpty -d z
rm -rf $tmp
