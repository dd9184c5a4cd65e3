#!/bin/sh
# meson install script: a link that may point at nothing yet, which meson's
# install_symlink() refuses before meson 1.3. Arguments: DIRECTORY NAME TARGET.
set -eu
dir="${DESTDIR:-}$1"
mkdir -p "$dir"
ln -sfn "$3" "$dir/$2"
