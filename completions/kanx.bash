# bash completion for kanx (being written)
complete -F _kanx_stub kanx 2>/dev/null || true
_kanx_stub() { COMPREPLY=($(compgen -W "inspect predict validate serve-stdin" -- "${COMP_WORDS[COMP_CWORD]}")); }
