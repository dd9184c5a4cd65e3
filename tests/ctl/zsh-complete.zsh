# SPDX-License-Identifier: MIT
# zsh -f zsh-complete.zsh FPATH-DIR PATH-DIRS < LINES: for each command line
# read from stdin, what zsh's real completion system (compinit, the
# _appleflowctl and _appleflowd functions of FPATH-DIR) offers at its end,
# after a line "== LINE", one match a line. A zsh in a pseudo-terminal
# (zpty) types the line and TAB; compadd is wrapped to print the matches.
# The line is then erased, never run. Used by test-completion.sh.
zmodload zsh/zpty || { print -u2 "zsh/zpty is missing"; exit 2 }
local dir=$1 bins=$2 line out n=0

zpty z zsh -f -i
zpty -w z "PS1=''; PATH=$bins:\$PATH; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd() {
        if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
        typeset -a hits; builtin compadd -A hits "$@"; local r=$?
        (( $#hits )) && print -rl -- "<hit>"$^hits
        return r }'
zpty -w z "bindkey '^I' complete-word; print '<re''ady>'"
zpty -r z out '*<ready>*' || { print -u2 "the zsh in the pseudo-terminal did not start"; exit 2 }
while IFS= read -r line; do
        n=$((n + 1))
        # TAB completes; Ctrl-U erases the line; the marker is split in the
        # typed text so that only its output matches.
        zpty -w -n z "$line"$'\t'
        zpty -w z $'\C-u'"print '<done''-$n>'"
        zpty -r z out "*<done-$n>*" || { print -u2 "no answer for: $line"; exit 2 }
        print -r -- "== $line"
        print -r -- "${out//$'\r'/}" | grep -o '<hit>[^<]*' | sed 's/^<hit>//' | sort -u
done
zpty -d z
