#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shell completions, run by the real shells: bash with Debian's
# bash-completion, zsh with compinit in a pseudo-terminal (zsh-complete.zsh).
# What they offer must be what the programs' --help lists: every verb, every
# option of each verb, nothing more; and the values they complete (products
# and service ids from the catalogue, --by's groups) must be real ones.
#
#   test-completion.sh APPLEFLOWD APPLEFLOWCTL COMPLETIONS-DIR
set -euo pipefail

APPLEFLOWD=$1
APPLEFLOWCTL=$2
DIR=$3
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

[[ -r $BASH_COMPLETION ]] || { echo "SKIP: $BASH_COMPLETION missing (package bash-completion)"; exit 77; }
command -v zsh >/dev/null || { echo "SKIP: zsh missing (package zsh)"; exit 77; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

failed=0
fail() {
        echo "FAIL: $*"
        failed=1
}

# same WHAT EXPECTED OFFERED: both are word lists, compared as sets.
same() {
        local want got
        want=$(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u | paste -sd' ')
        got=$(tr ' ' '\n' <<<"$3" | sed '/^$/d' | sort -u | paste -sd' ')
        if [[ $want == "$got" ]]; then
                echo "ok: $1: $got"
        else
                fail "$1: offers '$got', --help lists '$want'"
        fi
}

# help_options ARGS...: the long options that PROGRAM ARGS --help lists, one
# a line ("  -h, --help", "  --json", "  -c --config=PATH", "     --catalog=PATH").
help_options() {
        "$@" --help | sed -nE 's/^ +(-[a-z],? +)?(--[a-z][a-z-]*).*/\2/p' | paste -sd' '
}

ctl_verbs=$("$APPLEFLOWCTL" --help | sed -n '/^Verbs:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' | paste -sd' ')
[[ $(wc -w <<<"$ctl_verbs") -ge 7 ]] || fail "appleflowctl --help lists only these verbs: $ctl_verbs"
# What each --help lists, asked once: verb_options[VERB], and the programs'.
declare -A verb_options
for verb in $ctl_verbs; do
        verb_options[$verb]=$(help_options "$APPLEFLOWCTL" "$verb")
done
ctl_options=$(help_options "$APPLEFLOWCTL")
daemon_options=$(help_options "$APPLEFLOWD")

# --- bash ----------------------------------------------------------------

# bash_complete FUNCTION WORD...: what FUNCTION offers for the last WORD, a
# line each, with the words as bash splits them ("--by" "=" "h").
bash_complete() {
        bash --norc --noprofile -c '
                source "$0"
                source "$1"
                source "$2"
                fn=$3
                shift 3
                COMP_WORDS=("$@")
                COMP_CWORD=$(($# - 1))
                COMP_LINE=$*
                COMP_LINE=${COMP_LINE// = /=}
                COMP_POINT=${#COMP_LINE}
                COMPREPLY=()
                "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}"' \
                "$BASH_COMPLETION" "$DIR/appleflowctl.bash" "$DIR/appleflowd.bash" "$@"
}

same "bash: appleflowctl VERB" "$ctl_verbs" "$(bash_complete _appleflowctl "$APPLEFLOWCTL" '')"
same "bash: appleflowctl --" "$ctl_options" \
        "$(bash_complete _appleflowctl "$APPLEFLOWCTL" --)"
for verb in $ctl_verbs; do
        same "bash: appleflowctl $verb --" "${verb_options[$verb]}" \
                "$(bash_complete _appleflowctl "$APPLEFLOWCTL" "$verb" --)"
        # Options before the verb do not hide it.
        same "bash: appleflowctl --json $verb --" "${verb_options[$verb]}" \
                "$(bash_complete _appleflowctl "$APPLEFLOWCTL" --json "$verb" --)"
done
same "bash: appleflowd --" "$daemon_options" "$(bash_complete _appleflowd "$APPLEFLOWD" --)"

# Values: the products and ids of the catalogue in use, the groups of --by.
products=$("$APPLEFLOWCTL" products --json |
        python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["products"]))')
[[ $(wc -l <<<"$products") -ge 20 ]] || fail "appleflowctl products --json lists only: $products"
got=$(bash_complete _appleflowctl "$APPLEFLOWCTL" stats --product Face)
[[ $got == FaceTime ]] || fail "bash: stats --product Face offers '$got', not FaceTime"
got=$(bash_complete _appleflowctl "$APPLEFLOWCTL" report --product '' | sed 's/\\ / /g' | sort)
[[ $got == "$(sort <<<"$products")" ]] || fail "bash: report --product offers other products than the catalogue's:
$(diff <(sort <<<"$products") - <<<"$got")"
got=$(bash_complete _appleflowctl "$APPLEFLOWCTL" list --service apn)
[[ $got == *apns* ]] || fail "bash: list --service apn offers '$got', not apns"
same "bash: report --by=" "router service product client hour day" \
        "$(bash_complete _appleflowctl "$APPLEFLOWCTL" report --by = '')"
same "bash: rules --format" "nft iptables" "$(bash_complete _appleflowctl "$APPLEFLOWCTL" rules --format '')"
same "bash: appleflowd --output" "auto journal console json" \
        "$(bash_complete _appleflowd "$APPLEFLOWD" --output '')"

# --- zsh -----------------------------------------------------------------

# zsh's real completion system in a pseudo-terminal (zsh-complete.zsh), one
# session for every line; the programs as built, first in PATH.
zsh_lines=("appleflowctl " "appleflowd --" "appleflowd --output=" "appleflowctl stats --product Face"
           "appleflowctl list --service apn" "appleflowctl report --by=" "appleflowctl rules --format ")
for verb in $ctl_verbs; do
        zsh_lines+=("appleflowctl $verb --")
done
printf '%s\n' "${zsh_lines[@]}" |
        timeout 120 zsh -f "$(dirname "$0")/zsh-complete.zsh" "$DIR" \
                "$(dirname "$APPLEFLOWCTL"):$(dirname "$APPLEFLOWD")" >"$TMP/zsh.out" ||
        fail "zsh-complete.zsh exited with $?"
# zsh_offers LINE: what zsh offered for LINE.
zsh_offers() {
        awk -v l="== $1" '$0 == l { on = 1; next } /^== / { on = 0 } on' "$TMP/zsh.out"
}

same "zsh: appleflowctl VERB" "$ctl_verbs" "$(zsh_offers "appleflowctl ")"
for verb in $ctl_verbs; do
        same "zsh: appleflowctl $verb --" "${verb_options[$verb]}" \
                "$(zsh_offers "appleflowctl $verb --")"
done
same "zsh: appleflowd --" "$daemon_options" "$(zsh_offers "appleflowd --")"
same "zsh: appleflowd --output=" "auto journal console json" "$(zsh_offers "appleflowd --output=")"
same "zsh: stats --product Face" "FaceTime" "$(zsh_offers "appleflowctl stats --product Face")"
got=$(zsh_offers "appleflowctl list --service apn")
[[ $got == *apns* ]] || fail "zsh: list --service apn offers '$got', not apns"
same "zsh: report --by=" "router service product client hour day" "$(zsh_offers "appleflowctl report --by=")"
same "zsh: rules --format" "nft iptables" "$(zsh_offers "appleflowctl rules --format ")"

exit $failed
