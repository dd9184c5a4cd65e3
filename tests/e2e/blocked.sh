#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Blocked: the router drops UDP to 4398 (Game Center) and 40999 (listed
# nowhere) and logs each dropped packet to NFLOG group 2 with the prefix
# "drop". appleflowd writes one packet-logged entry per Game Center packet,
# priority 5, with the group, prefix and interfaces; for 40999 only the one to
# Apple's address (apple-other). A dropped packet makes no connection.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

MID_PACKET=$(e2e_message_id PACKET_LOGGED)
SVC_4398=game-center
SVC_OTHER=apple-other

e2e_daemon_start

e2e_send_dropped "$APPLE_IP4" 4398 21301 3
e2e_send_dropped "$OTHER_IP4" 4398 21302 2
e2e_send_dropped "$APPLE_IP6" 4398 21303 1
e2e_send_dropped "$OTHER_IP6" 4398 21304 1
e2e_send_dropped "$APPLE_IP4" 40999 21305 1
e2e_send_dropped "$OTHER_IP4" 40999 21306 1
e2e_send_dropped "$APPLE_IP6" 40999 21307 1
e2e_send_dropped "$OTHER_IP6" 40999 21308 1

check() {       # check COUNT DESTINATION PORT SOURCE-PORT SERVICE CONFIDENCE [CHECK...]
        local count=$1 dst=$2 dport=$3 sport=$4 svc=$5 conf=$6 src net
        shift 6
        if [[ $dst == *:* ]]; then src=$LAN_IP6; else src=$LAN_IP4; fi
        if [[ $dst == "$APPLE_IP4" || $dst == "$APPLE_IP6" ]]; then net=1; else net=0; fi
        e2e_log "checking $count packets to $(e2e_endpoint "$dst" "$dport")"
        e2e_expect "$count" DESTINATION_IP="$dst" DESTINATION_PORT="$dport" -- \
                MESSAGE_ID="$MID_PACKET" EVENT_ACTION=packet-logged PRIORITY=5 \
                APPLE_SERVICE="$svc" APPLE_CONFIDENCE="$conf" APPLE_NETWORK="$net" \
                NFLOG_GROUP=2 NFLOG_PREFIX=drop IN_INTERFACE=lan0 OUT_INTERFACE=wan0 \
                NETWORK_TRANSPORT=udp NETWORK_TYPE="$(e2e_family "$dst")" \
                SOURCE_IP="$src" SOURCE_PORT="$sport" \
                "MESSAGE*=$(e2e_endpoint "$src" "$sport") -> $(e2e_endpoint "$dst" "$dport")" \
                'MESSAGE*=prefix "drop", group 2, in lan0, out wan0' \
                '!SOURCE_NAT_IP' '!CT_ID' '!SOURCE_BYTES' "$@"
}
check 3 "$APPLE_IP4" 4398 21301 "$SVC_4398" high 'APPLE_PRODUCT[]+=Game Center'
check 2 "$OTHER_IP4" 4398 21302 "$SVC_4398" medium 'APPLE_PRODUCT[]+=Game Center'
check 1 "$APPLE_IP6" 4398 21303 "$SVC_4398" high 'APPLE_PRODUCT[]+=Game Center'
check 1 "$OTHER_IP6" 4398 21304 "$SVC_4398" medium 'APPLE_PRODUCT[]+=Game Center'
check 1 "$APPLE_IP4" 40999 21305 "$SVC_OTHER" high
check 1 "$APPLE_IP6" 40999 21307 "$SVC_OTHER" high

e2e_log "checking the totals"
E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP="$OTHER_IP4" DESTINATION_PORT=40999
E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP="$OTHER_IP6" DESTINATION_PORT=40999
E2E_TIMEOUT=0 e2e_expect 7 'APPLE_PRODUCT=Game Center' -- EVENT_ACTION=packet-logged
E2E_TIMEOUT=0 e2e_expect 9 EVENT_ACTION=packet-logged
E2E_TIMEOUT=0 e2e_expect 0 EVENT_ACTION=connection-new
drops=$(in_rtr nft list chain inet afe2e forward | grep -o 'packets [0-9]*' | head -1)
[[ $drops == "packets 11" ]] || e2e_fail "the drop rule counted '$drops', wanted 11 packets"

e2e_daemon_stop 5
e2e_pass
