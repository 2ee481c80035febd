complete -c kanx -f -n __fish_use_subcommand -a "inspect predict validate serve-stdin"
