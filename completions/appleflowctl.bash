# bash completion for appleflowctl(1)                    -*- shell-script -*-

# The products and service ids of the catalogue in use, asked of appleflowctl
# itself (with --catalog when the command line names one).
_appleflowctl_catalog() {
        local i catalog=()
        for ((i = 1; i < cword; i++)); do
                [[ ${words[i]} == --catalog ]] && catalog=(--catalog "${words[i + 1]}")
        done
        case $1 in
        products) "${words[0]}" "${catalog[@]}" products 2>/dev/null |
                sed -n '2,$s/  *[0-9][0-9]*  .*$//p' ;;
        services) "${words[0]}" "${catalog[@]}" list 2>/dev/null | awk 'NR > 1 { print $1 }' ;;
        esac
}

_appleflowctl() {
        local cur prev words cword
        _init_completion || return

        local common='--catalog --networks --json --help'
        local -A verb_options=(
                [lookup]=''
                [list]='--product --service'
                [products]=''
                [rules]='--product --format --table --chain'
                [check]=''
                [stats]='--watch --product --service --all --socket'
                [help]=''
        )

        case $prev in
        --catalog | --networks | --socket)
                # --networks alone is a flag of check, a path elsewhere.
                if [[ $prev != --networks || ${words[*]} != *" check "* ]]; then
                        _filedir
                        return
                fi ;;
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
        --table | --chain)
                return ;;
        esac

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
