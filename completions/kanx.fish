# fish completion for kanx(1).
#
# Commands, every option of each command (as `kanx CMD --help` lists them;
# tests/docs.bats checks that the two agree), option values, and files:
# .keras checkpoints for models, data files for predict, request documents
# for validate, directories everywhere.

set -l kanx_commands inspect predict validate serve-stdin help

# Directories, and files ending in one of the suffixes given.
function __kanx_files
    set -l tok (commandline -ct)
    for f in $tok*
        if test -d $f
            printf '%s/\n' $f
        else
            for s in $argv
                if string match -q -- "*$s" $f
                    printf '%s\n' $f
                    break
                end
            end
        end
    end
end

# The KAN layers of the first .keras file on the command line.
function __kanx_layers
    for w in (commandline -opc)
        if string match -q -- '*.keras' $w; and test -f $w
            kanx inspect --json -- $w 2>/dev/null |
                string match -ar '"index":[0-9]+,"name":"[^"]*","class":"KANLinear"' |
                string replace -r '"index":([0-9]+),"name":"([^"]*)".*' '$1\t$2'
            return
        end
    end
end

complete -c kanx -f

# kanx itself
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -a inspect -d 'describe checkpoints'
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -a predict -d 'score rows with a checkpoint'
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -a validate -d 'check a checkpoint, a config and requests'
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -a serve-stdin -d 'answer REST API requests as JSON lines'
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -a help -d 'show the options of a command'
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -s V -l version -d 'print the version (-v: and the libraries)'
complete -c kanx -n "not __fish_seen_subcommand_from $kanx_commands" -s h -l help -d 'list the commands'
complete -c kanx -n "__fish_seen_subcommand_from help; and not __fish_seen_subcommand_from inspect predict validate serve-stdin" -a "inspect predict validate serve-stdin"

# kanx inspect
set -l c "__fish_seen_subcommand_from inspect"
complete -c kanx -n $c -s j -l json -d 'print one JSON object per model'
complete -c kanx -n $c -s e -l edges -x -a "(__kanx_layers)" -d 'edge functions of a layer (LAYER[:IN[:OUT]]) as CSV'
complete -c kanx -n $c -l plot -d 'draw the network, or with --edges the edges, as SVG'
complete -c kanx -n $c -l top -x -d 'only the N most important edges'
complete -c kanx -n $c -l samples -x -d 'points per edge function'
complete -c kanx -n $c -s o -l output -r -F -d 'write to a file, replaced only on success'
complete -c kanx -n $c -s h -l help -d 'show the options'
complete -c kanx -n $c -k -a "(__kanx_files .keras)"

# kanx predict
set -l c "__fish_seen_subcommand_from predict"
complete -c kanx -n $c -s m -l model -x -k -a "(__kanx_files .keras)" -d 'the .keras checkpoint'
complete -c kanx -n $c -s f -l format -x -a "csv tsv jsonl api" -d 'output format'
complete -c kanx -n $c -s i -l input-format -x -a "csv tsv jsonl api" -d 'input format'
complete -c kanx -n $c -l header -d 'CSV/TSV input has a header row'
complete -c kanx -n $c -l no-header -d 'CSV/TSV input has no header row'
complete -c kanx -n $c -l id -x -d 'pass a column through as the first output column'
complete -c kanx -n $c -s d -l delimiter -x -a "';' '|' tab ','" -d 'CSV field delimiter'
complete -c kanx -n $c -l quote -x -d 'CSV quote character'
complete -c kanx -n $c -l no-quote -d 'CSV fields are not quoted'
complete -c kanx -n $c -l columns -x -d 'the feature columns'
complete -c kanx -n $c -l keep -x -d 'copy input columns to the output'
complete -c kanx -n $c -l keep-all -d 'copy every input column to the output'
complete -c kanx -n $c -l row-number -d 'copy the input row number to the output'
complete -c kanx -n $c -l output-names -x -d 'names of the output columns'
complete -c kanx -n $c -s b -l batch-size -x -d 'score N rows at a time'
complete -c kanx -n $c -l max-batch -x -d 'most rows in one request or record'
complete -c kanx -n $c -s p -l precision -x -a "1 2 3 4 5 6 7 8 9" -d 'significant digits'
complete -c kanx -n $c -s o -l output -r -F -d 'write to a file, replaced only on success'
complete -c kanx -n $c -l no-output-header -d 'CSV/TSV output without its header line'
complete -c kanx -n $c -l header-out -x -a "first\t'unless --shard K/N with K > 1' always\t'every run, every shard' never\t'no run'" -d 'which runs write the CSV/TSV output header'
complete -c kanx -n $c -l shard -x -a "auto\t'K/N from an array job'" -d 'score only shard K of N of one file'
complete -c kanx -n $c -l on-error -x -a "stop\t'exit at the first bad record' skip\t'report bad records and go on'" -d 'what a bad record does'
complete -c kanx -n $c -l max-errors -x -d 'with skip: most refused records before exit 5'
complete -c kanx -n $c -l max-error-rate -x -d 'with skip: largest share refused before exit 5'
complete -c kanx -n $c -l rejects -r -F -d 'copy refused records to a file'
complete -c kanx -n $c -l strict-range -d 'a value outside the grid is a bad record'
complete -c kanx -n $c -s t -l threads -x -d 'threads for the kernels'
complete -c kanx -n $c -l progress -d 'show progress on stderr'
complete -c kanx -n $c -l no-progress -d 'do not show progress'
complete -c kanx -n $c -l stats -d 'print a summary on stderr at the end'
complete -c kanx -n $c -s h -l help -d 'show the options'
complete -c kanx -n $c -k -a "(__kanx_files .csv .tsv .tab .jsonl .ndjson .json)"

# kanx validate
set -l c "__fish_seen_subcommand_from validate"
complete -c kanx -n $c -s m -l model -x -k -a "(__kanx_files .keras)" -d 'the checkpoint to check'
complete -c kanx -n $c -s c -l config -x -k -a "(__kanx_files .yaml .yml)" -d 'the kanx YAML training config'
complete -c kanx -n $c -s i -l input-format -x -a "csv tsv jsonl api" -d 'input format'
complete -c kanx -n $c -l header -d 'CSV/TSV inputs have a header row'
complete -c kanx -n $c -l no-header -d 'CSV/TSV inputs have no header row'
complete -c kanx -n $c -l id -x -d 'a column of CSV/TSV inputs that is an id'
complete -c kanx -n $c -s d -l delimiter -x -a "';' '|' tab ','" -d 'CSV field delimiter'
complete -c kanx -n $c -l quote -x -d 'CSV quote character'
complete -c kanx -n $c -l no-quote -d 'CSV fields are not quoted'
complete -c kanx -n $c -l columns -x -d 'the feature columns'
complete -c kanx -n $c -l max-batch -x -d 'rows allowed per request'
complete -c kanx -n $c -s j -l json -d 'print the report as JSON'
complete -c kanx -n $c -s h -l help -d 'show the options'
complete -c kanx -n $c -k -a "(__kanx_files .csv .tsv .tab .jsonl .ndjson .json)"

# kanx serve-stdin
set -l c "__fish_seen_subcommand_from serve-stdin"
complete -c kanx -n $c -s m -l model -x -k -a "(__kanx_files .keras)" -d 'the checkpoint to serve'
complete -c kanx -n $c -s c -l config -x -k -a "(__kanx_files .yaml .yml)" -d 'config for fresh models and reset'
complete -c kanx -n $c -l max-batch -x -d 'rows per predict request'
complete -c kanx -n $c -l max-line -x -d 'longest request line in bytes'
complete -c kanx -n $c -l no-admin -d 'refuse load and reset (403)'
complete -c kanx -n $c -l model-dir -x -a "(__fish_complete_directories)" -d 'load checkpoints only from here'
complete -c kanx -n $c -s h -l help -d 'show the options'
