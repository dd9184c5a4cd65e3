# bash completion for appleflowctl(1)                    -*- shell-script -*-
#
# The verbs and options are those of 'appleflowctl --help' and
# 'appleflowctl VERB --help'; tests/ctl/test-completion.sh checks that they
# stay the same.

# The products and service ids of the catalogue in use, asked of appleflowctl
# itself (with --catalog when the command line names one).
_appleflowctl_catalog() {
        local i catalog=()
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                --catalog) catalog=(--catalog "${words[i + 1]}") ;;
                --catalog=*) catalog=("${words[i]}") ;;
                esac
        done
        case $1 in
        products) "${words[0]}" "${catalog[@]}" products 2>/dev/null |
                sed -n '2,$s/  *[0-9][0-9]*  .*$//p' ;;
        services) "${words[0]}" "${catalog[@]}" list 2>/dev/null | awk 'NR > 1 { print $1 }' ;;
        esac
}

_appleflowctl() {
        local cur prev words cword split
        _init_completion -s || return

        # Accepted before and after the verb.
        local common='--catalog --networks --domains --json --help'
        local -A verb_options=(
                [lookup]='--dnat --local-port-range'
                [list]='--product --service --suffixes'
                [products]=''
                [rules]='--product --apple-only --apple-networks --format --table --chain'
                [check]=''
                [stats]='--watch --product --service --all --socket'
                [report]='--since --until --by --top --directory --file --router --service --product
                          --client --blocked --csv'
        )

        case $prev in
        --catalog | --networks | --domains | --socket | --file)
                _filedir
                return ;;
        --directory)
                _filedir -d
                return ;;
        --product)
                local IFS=$'\n'
                COMPREPLY=($(compgen -W "$(_appleflowctl_catalog products)" -- "$cur"))
                COMPREPLY=("${COMPREPLY[@]// /\\ }")
                return ;;
        --service)
                COMPREPLY=($(compgen -W "$(_appleflowctl_catalog services)" -- "$cur"))
                return ;;
        --format)
                COMPREPLY=($(compgen -W 'nft iptables' -- "$cur"))
                return ;;
        --by)
                COMPREPLY=($(compgen -W 'router service product client hour day' -- "$cur"))
                return ;;
        --table | --chain | --dnat | --local-port-range | --since | --until | --top | --router | --client)
                return ;;
        esac
        $split && return

        local i verb=
        for ((i = 1; i < cword; i++)); do
                if [[ -n ${words[i]} && -v verb_options[${words[i]}] ]]; then
                        verb=${words[i]}
                        break
                fi
        done

        if [[ -z $verb ]]; then
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$common --version" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "${!verb_options[*]}" -- "$cur"))
                fi
                return
        fi
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "${verb_options[$verb]} $common" -- "$cur"))
        elif [[ $verb == check ]]; then
                _filedir
        fi
} &&
        complete -F _appleflowctl appleflowctl
