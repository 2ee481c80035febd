# bash completion for kanx(1)                              -*- shell-script -*-
#
# Commands, every option of each command (as `kanx CMD --help` lists them;
# tests/docs.bats checks that the two agree), option values, and files:
# .keras checkpoints for models, data files for predict and validate,
# directories everywhere. Uses bash-completion's helpers when
# they are loaded, and plain compgen otherwise.

_kanx_commands='inspect predict validate serve-stdin'

# _kanx_opts CMD: the options of CMD, long and short.
_kanx_opts()
{
    case $1 in
    inspect)
        echo '-j --json -e --edges --plot --top --samples -o --output -h --help' ;;
    predict)
        echo '-m --model -f --format -i --input-format --header --no-header
              --id -d --delimiter --quote --no-quote --columns --keep --keep-all
              --row-number --output-names -b --batch-size --max-batch -p --precision
              -o --output --no-output-header --header-out --shard --on-error
              --max-errors --max-error-rate --rejects --strict-range
              -t --threads --progress --no-progress --stats -h --help' ;;
    validate)
        echo '-m --model -c --config -i --input-format --header --no-header
              --id -d --delimiter --quote --no-quote --columns --max-batch -j --json
              -h --help' ;;
    serve-stdin)
        echo '-m --model -c --config --max-batch --max-line --no-admin
              --model-dir -h --help' ;;
    esac
}

# _kanx_argopts CMD: the options of CMD that take a value.
_kanx_argopts()
{
    case $1 in
    inspect) echo '-e --edges --top --samples -o --output' ;;
    predict)
        echo '-m --model -f --format -i --input-format --id -d --delimiter --quote
              --columns --keep --output-names -b --batch-size
              --max-batch -p --precision -o --output --header-out --shard
              --on-error --max-errors --max-error-rate --rejects -t --threads' ;;
    validate) echo '-m --model -c --config -i --input-format --id -d --delimiter --quote
              --columns --max-batch' ;;
    serve-stdin) echo '-m --model -c --config --max-batch --max-line --model-dir' ;;
    esac
}

# _kanx_files [-d | EXT...]: directories, and files ending in .EXT (any
# file without EXT); -d: directories only.
_kanx_files()
{
    local IFS=$'\n' ext
    compopt -o filenames 2>/dev/null
    if declare -F _filedir >/dev/null; then
        if [[ $1 == -d ]]; then
            _filedir -d
        elif [[ $# -gt 0 ]]; then
            local IFS='|'
            _filedir "@($*)"
        else
            _filedir
        fi
        return
    fi
    COMPREPLY=($(compgen -d -- "$cur"))
    [[ $1 == -d ]] && return
    if [[ $# -eq 0 ]]; then
        COMPREPLY+=($(compgen -f -- "$cur"))
        return
    fi
    for ext in "$@"; do
        COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur"))
    done
}

# _kanx_operand PATTERN...: print the first operand (a word not an
# option, nor an option's value) ending in one of the patterns.
_kanx_operand()
{
    local i w argopts=" $(echo $(_kanx_argopts "$cmd")) " pat
    for ((i = cmdi + 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $argopts == *" $w "* ]]; then
            ((i++))
            continue
        fi
        [[ $w == -* ]] && continue
        for pat in "$@"; do
            [[ $w == $pat && -f $w ]] && { printf '%s\n' "$w"; return; }
        done
    done
}

# _kanx_optval CMD OPT: complete the value of option OPT. Returns 1 when
# OPT takes no value.
_kanx_optval()
{
    local model file
    case $1:$2 in
    *:-m | *:--model)
        _kanx_files keras ;;
    predict:-f | predict:--format | *:-i | *:--input-format)
        COMPREPLY=($(compgen -W 'csv tsv jsonl api' -- "$cur")) ;;
    predict:--on-error)
        COMPREPLY=($(compgen -W 'stop skip' -- "$cur")) ;;
    predict:--header-out)
        COMPREPLY=($(compgen -W 'first always never' -- "$cur")) ;;
    predict:--shard)
        # K/N is typed; auto and auto/N take it from an array job
        COMPREPLY=($(compgen -W 'auto' -- "$cur")) ;;
    predict:--rejects | predict:-o | predict:--output)
        _kanx_files ;;
    *:-d | *:--delimiter)
        COMPREPLY=($(compgen -W '; | tab ,' -- "$cur")) ;;
    *:--id | *:--columns | predict:--keep)
        # the header names of the first CSV/TSV input on the line
        file=$(_kanx_operand '*.csv' '*.tsv' '*.tab')
        if [[ -n $file ]]; then
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(head -n 1 -- "$file" 2>/dev/null |
                tr ',\t' '\n\n' | tr -d '"\r')" -- "$cur"))
        fi ;;
    *:-c | *:--config)
        _kanx_files yaml yml ;;
    inspect:-o | inspect:--output)
        _kanx_files ;;
    inspect:-e | inspect:--edges)
        # the KAN layers of the first model on the line
        model=$(_kanx_operand '*.keras')
        if [[ -n $model ]]; then
            COMPREPLY=($(compgen -W "$("${words[0]}" inspect --json -- "$model" 2>/dev/null |
                grep -o '"index":[0-9]*,"name":"[^"]*","class":"KANLinear"' |
                sed 's/"index":\([0-9]*\),.*/\1/')" -- "$cur"))
        fi ;;
    serve-stdin:--model-dir)
        _kanx_files -d ;;
    *)
        # a number, or no value at all
        [[ " $(echo $(_kanx_argopts "$1")) " == *" $2 "* ]] || return 1
        COMPREPLY=() ;;
    esac
    return 0
}

_kanx()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        if [[ $cur == --*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
            split=true
        elif [[ $prev == = && $cword -ge 2 ]]; then
            # COMP_WORDBREAKS split "--opt=value" into three words
            prev=${words[cword - 2]}
            split=true
        elif [[ $cur == = && $prev == --* ]]; then
            cur=
            split=true
        fi
    fi

    # the command: the first word after the options of kanx itself
    local i cmd= cmdi=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -*) ;;
        *) cmd=${words[i]} cmdi=$i; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        case $prev in
        --version | -V)
            COMPREPLY=($(compgen -W '-v --verbose' -- "$cur"))
            return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--help -h --version -V' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_kanx_commands help" -- "$cur"))
        fi
        return
    fi
    if [[ $cmd == help ]]; then
        [[ $cword -eq $((cmdi + 1)) ]] &&
            COMPREPLY=($(compgen -W "$_kanx_commands" -- "$cur"))
        return
    fi
    [[ " $_kanx_commands " == *" $cmd "* ]] || return

    # the value of an option
    if [[ $cword -gt $((cmdi + 1)) || $split == true ]] &&
        _kanx_optval "$cmd" "$prev"; then
        return
    fi
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_kanx_opts "$cmd")" -- "$cur"))
        return
    fi
    case $cmd in
    inspect) _kanx_files keras ;;
    predict) _kanx_files csv tsv tab jsonl ndjson json ;;
    validate) _kanx_files csv tsv tab jsonl ndjson json ;;
    serve-stdin) ;;
    esac
} &&
    complete -F _kanx kanx

# ex: filetype=sh
