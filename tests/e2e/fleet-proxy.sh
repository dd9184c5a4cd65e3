#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# docs/fleet.md's collector behind stunnel, which checks the routers' client
# certificates against the fleet's CA (Debian 12's journal-remote cannot):
# fleet.sh with stunnel on 19532 (docs/examples/stunnel-journal-remote.conf)
# and journal-remote on 127.0.0.1:19531 over HTTP, socket-activated as its
# drop-ins say. Everything fleet.sh checks, and more: an upload without a
# client certificate and one with another CA's are refused, and the
# collector writes nothing from them.
FLEET_PROXY=yes
source "$(dirname "$0")/fleet.sh"
