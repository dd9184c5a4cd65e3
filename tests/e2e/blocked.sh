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

e2e_send_dropped "$APPLE_IP4" 4398 0 3
e2e_send_dropped "$OTHER_IP4" 4398 0 2
e2e_send_dropped "$APPLE_IP6" 4398 0 1
e2e_send_dropped "$OTHER_IP6" 4398 0 1
e2e_send_dropped "$APPLE_IP4" 40999 0 1
e2e_send_dropped "$OTHER_IP4" 40999 0 1
e2e_send_dropped "$APPLE_IP6" 40999 0 1
e2e_send_dropped "$OTHER_IP6" 40999 0 1

# The source ports are the kernel's (the LAN's 49152-65535), one per batch.
check() {       # check COUNT DESTINATION PORT SERVICE CONFIDENCE SIDE [CHECK...]
        local count=$1 dst=$2 dport=$3 svc=$4 conf=$5 side=$6 src net
        shift 6
        if [[ $dst == *:* ]]; then src=$LAN_IP6; else src=$LAN_IP4; fi
        if [[ $dst == "$APPLE_IP4" || $dst == "$APPLE_IP6" ]]; then net=1; else net=0; fi
        e2e_log "checking $count packets to $(e2e_endpoint "$dst" "$dport")"
        e2e_expect "$count" DESTINATION_IP="$dst" DESTINATION_PORT="$dport" -- \
                MESSAGE_ID="$MID_PACKET" EVENT_ACTION=packet-logged PRIORITY=5 \
                APPLE_SERVICE="$svc" APPLE_CONFIDENCE="$conf" APPLE_NETWORK="$net" \
                NFLOG_GROUP=2 NFLOG_PREFIX=drop IN_INTERFACE=lan0 OUT_INTERFACE=wan0 \
                NETWORK_TRANSPORT=udp NETWORK_TYPE="$(e2e_family "$dst")" \
                SOURCE_IP="$src" 'SOURCE_PORT>=49152' APPLE_MATCHED_SIDE="$side" \
                'APPLE_SIDE_FROM~conntrack|rule' \
                "MESSAGE*= -> $(e2e_endpoint "$dst" "$dport")" \
                'MESSAGE*=prefix "drop", group 2, in lan0, out wan0' \
                '!SOURCE_NAT_IP' '!CT_ID' '!SOURCE_BYTES' "$@"
}
check 3 "$APPLE_IP4" 4398 "$SVC_4398" high server 'APPLE_PRODUCT[]+=Game Center'
check 2 "$OTHER_IP4" 4398 "$SVC_4398" medium server 'APPLE_PRODUCT[]+=Game Center'
check 1 "$APPLE_IP6" 4398 "$SVC_4398" high server 'APPLE_PRODUCT[]+=Game Center'
check 1 "$OTHER_IP6" 4398 "$SVC_4398" medium server 'APPLE_PRODUCT[]+=Game Center'
check 1 "$APPLE_IP4" 40999 "$SVC_OTHER" high none
check 1 "$APPLE_IP6" 40999 "$SVC_OTHER" high none

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
