#!/bin/sh
# SPDX-License-Identifier: MIT
#
# journal-upload-resume STATE [PROGRAM]: run before systemd-journal-upload
# starts (ExecStartPre= in docs/examples/journal-upload.service.conf), so
# that it resumes after the last entry the collector accepted instead of
# sending that entry a second time. STATE: journal-upload's --save-state
# file; PROGRAM: journal-upload itself, asked for its version.
#
# journal-upload of systemd 246 to 256 saves the cursor of the last entry
# the collector accepted (LAST_CURSOR= in STATE); started again, it seeks
# to that cursor and steps one entry, which lands on the entry at the
# cursor, not after it (open_journal_for_upload() passes 1, not 2, to
# sd_journal_next_skip() after sd_journal_seek_cursor()). This moves the
# saved cursor's sequence number on by one (i=N becomes i=N+1): sd-journal
# then seeks to the first entry numbered N+1 or more, the first one
# journal-upload has not sent, whether it is written yet or not.
#
# The cursor written here has no x= (hash), which every cursor
# journal-upload writes has: a journal-upload that fails before its next
# successful upload (which replaces STATE) is not moved on twice.
# Everything else leaves STATE as it is, so that the worst case is the one
# entry sent again, never one lost: no STATE (the first start sends the
# whole journal), a cursor already moved on or not in the expected form,
# another version of journal-upload. It always exits 0.
# Tested by tests/e2e/fleet.sh.
set -u

state=${1:-}
program=${2:-/lib/systemd/systemd-journal-upload}
say() { echo "journal-upload-resume: $*" >&2; }

if [ -z "$state" ]; then
        say "usage: journal-upload-resume STATE [PROGRAM]"
        exit 0
fi
if [ ! -e "$state" ]; then
        say "$state: none yet, journal-upload starts from the journal's first entry"
        exit 0
fi

version=$("$program" --version 2>/dev/null | sed -n '1s/^systemd \([0-9][0-9]*\).*/\1/p')
if [ -z "$version" ] || [ "$version" -lt 246 ] || [ "$version" -gt 256 ]; then
        say "$program: systemd ${version:-of unknown version}, not known to send the entry at its cursor again: $state left as it is"
        exit 0
fi

cursor=$(sed -n 's/^LAST_CURSOR=//p' "$state")
id='[0-9a-f]\{32\}'
num='[0-9a-f]\{1,16\}'
seqnum='[0-9a-f]\{1,15\}' # below 2^60, so that the shell adds one to it
fields=$(printf '%s\n' "$cursor" |
        sed -n "s/^s=\($id\);i=\($seqnum\);b=\($id\);m=\($num\);t=\($num\);x=$num\$/\1 \2 \3 \4 \5/p")
if [ -z "$fields" ]; then
        case $cursor in
        *";x="*) say "$state:LAST_CURSOR: not a cursor of the expected form: left as it is" ;;
        *) say "$state: cursor already moved past the last entry sent" ;;
        esac
        exit 0
fi

# shellcheck disable=SC2086 # the five fields, split on purpose
set -- $fields
next=$(printf '%x' $((0x$2 + 1)))
umask 077
tmp=$state.resume.$$
if printf '# This is private data. Do not parse.\nLAST_CURSOR=s=%s;i=%s;b=%s;m=%s;t=%s\n' \
        "$1" "$next" "$3" "$4" "$5" >"$tmp" && mv -f "$tmp" "$state"; then
        say "$state: resumes after entry $((0x$2)) of $1, the last one the collector accepted"
else
        rm -f "$tmp"
        say "$state: cannot write: left as it is"
fi
exit 0
