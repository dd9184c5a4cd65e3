#!/usr/bin/env bash
# clang-format over every C file git knows, with the tree's .clang-format.
#   tools/format.sh          rewrites the files that differ
#   tools/format.sh --check  changes nothing; lists them and exits 1 (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null ||
        { echo "format: clang-format not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
check=false
[[ ${1:-} == --check ]] && check=true
status=0
while IFS= read -r -d '' f; do
        if $check; then
                if ! clang-format "$f" | cmp -s - "$f"; then
                        echo "format: $f differs from .clang-format (tools/format.sh rewrites it)"
                        clang-format "$f" | diff -u "$f" - | head -20 || true
                        status=1
                fi
        else
                clang-format -i "$f"
        fi
done < <(git ls-files -z '*.c' '*.h')
$check && ((status == 0)) && echo "format: every C file follows .clang-format"
exit $status
