#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Certificates for systemd-journal-upload -> systemd-journal-remote over
# HTTPS (docs/fleet.md): a certificate authority of your own, the collector's
# server certificate, and one client certificate per router. The collector
# accepts only clients whose certificate this CA signed, and names each
# router's journal file after its certificate's common name
# (remote-NAME.journal): give each router its own name.
#
#   fleet-certificates.sh DIR ca                  DIR/ca.pem, DIR/ca.key (keep ca.key offline)
#   fleet-certificates.sh DIR server NAME [IP...] DIR/NAME.pem, DIR/NAME.key: the collector,
#                                                 valid for NAME and each IP
#   fleet-certificates.sh DIR client NAME         DIR/NAME.pem, DIR/NAME.key: a router
#
# EC P-256 keys; certificates valid 825 days (renew them before: journal-upload
# then fails, and resumes from its saved cursor once they are renewed).
# Tested by tests/e2e/fleet.sh.
set -eu

usage() {
        echo "usage: $0 DIR ca | DIR server NAME [IP...] | DIR client NAME" >&2
        exit 2
}

[ $# -ge 2 ] || usage
dir=$1 kind=$2
shift 2
mkdir -p "$dir"
umask 077

key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc"
case $kind in
ca)
        [ $# -eq 0 ] || usage
        # shellcheck disable=SC2086
        openssl req -x509 $key -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 \
                -subj "/CN=appleflowd fleet CA" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign"
        ;;
server | client)
        [ $# -ge 1 ] || usage
        name=$1
        shift
        case $name in
        */* | "" | .*) echo "$0: bad name '$name'" >&2; exit 2 ;;
        esac
        if [ "$kind" = server ]; then
                san="DNS:$name"
                for ip in "$@"; do san="$san,IP:$ip"; done
                use="serverAuth"
        else
                [ $# -eq 0 ] || usage
                san="DNS:$name"
                use="clientAuth"
        fi
        # shellcheck disable=SC2086
        openssl req -x509 $key -keyout "$dir/$name.key" -out "$dir/$name.pem" -days 825 \
                -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -subj "/CN=$name" \
                -addext "basicConstraints=critical,CA:FALSE" \
                -addext "keyUsage=critical,digitalSignature" \
                -addext "extendedKeyUsage=$use" \
                -addext "subjectAltName=$san"
        ;;
*)
        usage
        ;;
esac
chmod 0644 "$dir"/*.pem
