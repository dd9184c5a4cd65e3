# bash completion for appleflowd(8)                      -*- shell-script -*-

_appleflowd() {
        local cur prev words cword
        _init_completion || return

        case $prev in
        -c | --config | --catalog | --networks | --control-socket)
                _filedir
                return ;;
        --state-directory)
                _filedir -d
                return ;;
        --output)
                COMPREPLY=($(compgen -W 'auto journal console json' -- "$cur"))
                return ;;
        --log-min-confidence)
                COMPREPLY=($(compgen -W 'low medium high' -- "$cur"))
                return ;;
        --nflog-group)
                return ;;
        esac

        COMPREPLY=($(compgen -W '--config --catalog --networks --output --nflog-group
                --no-conntrack --log-min-confidence --state-directory --control-socket
                --check-config --version --help' -- "$cur"))
} &&
        complete -F _appleflowd appleflowd
