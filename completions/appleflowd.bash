# bash completion for appleflowd(8)                      -*- shell-script -*-
#
# The options are those of 'appleflowd --help'; tests/ctl/test-completion.sh
# checks that they stay the same.

_appleflowd() {
        local cur prev words cword split
        _init_completion -s || return

        case $prev in
        -c | --config | --catalog | --networks | --domains | --control-socket)
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
        --nflog-group | --dns-nflog-group)
                return ;;
        esac
        $split && return

        COMPREPLY=($(compgen -W '--config --catalog --networks --domains --output --nflog-group
                --no-conntrack --dns-nflog-group --log-min-confidence --state-directory
                --control-socket --check-config --version --help' -- "$cur"))
} &&
        complete -F _appleflowd appleflowd
