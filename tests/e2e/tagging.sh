#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tagging: real TCP and UDP connections from the LAN through the masquerading
# router to an Apple address and to another one, over IPv4 and IPv6. The
# journal must hold exactly one connection-new entry per connection that
# reaches the default threshold (medium), with the right service, products,
# confidence, addresses and NAT address, and, once the kernel forgets the
# connection, exactly one connection-end entry with the kernel's counters.
# HTTPS to the other address (low) and an unlisted port there are not written.
# The kernel picks every source port, in the LAN's 49152-65535 as an iPhone
# does: the tag must not depend on it.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

MID_NEW=$(e2e_message_id CONNECTION)
MID_END=$(e2e_message_id CONNECTION_END)

# The catalogue entries these ports belong to (docs/catalogue-format.md).
SVC_5223=apns
SVC_443=https
SVC_16385=facetime-rtp
SVC_5353=mdns
SVC_OTHER=apple-other

e2e_servers tcp:5223 tcp:443 udp:16385 udp:5353 tcp:40123 udp:40123
e2e_daemon_start

# Each flow: name transport destination port expectation.
# Expectation: "SERVICE CONFIDENCE PRODUCT-CHECK" when written, "-" when not.
# PRODUCT-CHECK is a product the entry must name, or "-".
flows=()
add_flows() {
        local fam=$1 apple other base
        if [[ $fam == 4 ]]; then apple=$APPLE_IP4 other=$OTHER_IP4; else apple=$APPLE_IP6 other=$OTHER_IP6; fi
        flows+=(
                "apns-apple$fam     tcp $apple 5223  $SVC_5223 high FaceTime"
                "https-apple$fam    tcp $apple 443   $SVC_443 high FaceTime"
                "https-other$fam    tcp $other 443   -"
                "apns-other$fam     tcp $other 5223  $SVC_5223 medium FaceTime"
                "rtp-apple$fam      udp $apple 16385 $SVC_16385 high FaceTime"
                "rtp-other$fam      udp $other 16385 $SVC_16385 medium FaceTime"
                "mdns-apple$fam     udp $apple 5353  $SVC_5353 high Bonjour"
                "mdns-other$fam     udp $other 5353  $SVC_5353 medium Bonjour"
                "unlisted-apple$fam tcp $apple 40123 $SVC_OTHER high -"
                "unlisted-other$fam tcp $other 40123 -"
                "unlisted-udp$fam   udp $other 40123 -"
        )
}
add_flows 4
add_flows 6

for f in "${flows[@]}"; do
        read -r name proto dst dport _ <<<"$f"
        e2e_client "$proto" "$dst" "$dport" --send 10
done

# The kernel forgets every connection now: a DESTROY event each, with counters.
in_rtr conntrack -D >/dev/null 2>&1 || true

written=0 facetime=0 apns=0
for f in "${flows[@]}"; do
        read -r name proto dst dport svc conf product <<<"$f"
        match=(DESTINATION_IP="$dst" DESTINATION_PORT="$dport" NETWORK_TRANSPORT="$proto")
        if [[ $svc == - ]]; then
                continue
        fi
        written=$((written + 1))
        [[ $product == FaceTime ]] && facetime=$((facetime + 1))
        [[ $svc == "$SVC_5223" ]] && apns=$((apns + 1))
        if [[ $dst == *:* ]]; then src=$LAN_IP6 nat=$RTR_WAN_IP6; else src=$LAN_IP4 nat=$RTR_WAN_IP4; fi
        if [[ $dst == "$APPLE_IP4" || $dst == "$APPLE_IP6" ]]; then net=1; else net=0; fi
        if [[ $svc == "$SVC_OTHER" ]]; then side=(APPLE_MATCHED_SIDE=none '!APPLE_MATCHED_PORT')
        else side=(APPLE_MATCHED_SIDE=server APPLE_MATCHED_PORT="$dport"); fi
        # The kernel's choice, from the LAN's range.
        e2e_expect 1 "${match[@]}" EVENT_ACTION=connection-new
        sport=$(e2e_field SOURCE_PORT "${match[@]}" EVENT_ACTION=connection-new)
        ((sport >= 49152 && sport <= 65535)) || e2e_fail "$name: source port $sport, not the LAN's 49152-65535"
        common=(
                APPLE_SERVICE="$svc" APPLE_CONFIDENCE="$conf" APPLE_NETWORK="$net" "${side[@]}"
                NETWORK_TRANSPORT="$proto" NETWORK_TYPE="$(e2e_family "$dst")"
                SOURCE_IP="$src" SOURCE_PORT="$sport" DESTINATION_IP="$dst" DESTINATION_PORT="$dport"
                SOURCE_NAT_IP="$nat" 'SOURCE_NAT_PORT~[0-9]+'
                'CT_ID~[0-9]+' CT_MARK=0 CT_ZONE=0 PRIORITY=6 SYSLOG_IDENTIFIER=appleflowd
                "MESSAGE*=$(e2e_endpoint "$src" "$sport") -> $(e2e_endpoint "$dst" "$dport") via $(e2e_endpoint "$nat" "")"
                '!NFLOG_GROUP' '!NFLOG_PREFIX'
        )
        [[ $product != - ]] && common+=("APPLE_PRODUCT[]+=$product")

        e2e_log "checking $name"
        e2e_expect 1 "${match[@]}" EVENT_ACTION=connection-new -- "${common[@]}" \
                MESSAGE_ID="$MID_NEW" '!SOURCE_BYTES' '!EVENT_DURATION'
        ct_id=$(e2e_field CT_ID "${match[@]}" EVENT_ACTION=connection-new)

        # One datagram of 10 bytes out, one of 100 back: the IP and UDP headers
        # are 28 bytes on IPv4 and 48 on IPv6.
        if [[ $proto == udp ]]; then
                if [[ $dst == *:* ]]; then hdr=48; else hdr=28; fi
                counters=(SOURCE_PACKETS=1 SOURCE_BYTES=$((10 + hdr))
                          DESTINATION_PACKETS=1 DESTINATION_BYTES=$((100 + hdr)))
        else
                # Handshake, data, FIN and ACKs: the exact count depends on timing.
                counters=('SOURCE_PACKETS>=3' 'SOURCE_BYTES>=130' 'DESTINATION_PACKETS>=3'
                          'DESTINATION_BYTES>=220')
        fi
        e2e_expect 1 "${match[@]}" EVENT_ACTION=connection-end -- "${common[@]}" \
                MESSAGE_ID="$MID_END" CT_ID="$ct_id" "${counters[@]}" 'CONNTRACK_LIFETIME>=1' \
                CONNECTION_ANSWERED=yes '!EVENT_DURATION'
done

# Nothing for the flows below the threshold.
for f in "${flows[@]}"; do
        read -r name proto dst dport svc _ <<<"$f"
        [[ $svc == - ]] || continue
        e2e_log "checking $name is not written"
        E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP="$dst" DESTINATION_PORT="$dport" NETWORK_TRANSPORT="$proto"
done

# Nothing was ever tagged by the client's port.
E2E_TIMEOUT=0 e2e_expect 0 APPLE_SERVICE=xsan-data
E2E_TIMEOUT=0 e2e_expect 0 APPLE_SERVICE=back-to-my-mac-dynamic
E2E_TIMEOUT=0 e2e_expect 0 APPLE_MATCHED_SIDE=client

# The queries an operator types, with nothing more than expected.
e2e_log "checking the totals"
E2E_TIMEOUT=0 e2e_expect "$written" EVENT_ACTION=connection-new -- MESSAGE_ID="$MID_NEW"
E2E_TIMEOUT=0 e2e_expect "$written" EVENT_ACTION=connection-end -- MESSAGE_ID="$MID_END"
E2E_TIMEOUT=0 e2e_expect $((2 * facetime)) APPLE_PRODUCT=FaceTime -- 'APPLE_PRODUCT[]+=FaceTime'
E2E_TIMEOUT=0 e2e_expect $((2 * apns)) APPLE_SERVICE="$SVC_5223" -- DESTINATION_PORT=5223
E2E_TIMEOUT=0 e2e_expect 0 APPLE_CONFIDENCE=low
E2E_TIMEOUT=0 e2e_expect 0 EVENT_ACTION=packet-logged

e2e_daemon_stop 5
e2e_pass
