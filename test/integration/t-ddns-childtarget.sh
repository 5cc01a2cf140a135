#!/usr/bin/env bash
# t-ddns-child.sh with the parent's receiver key owned by the DSYNC target
# (ddns.parent.example) instead of the parent apex: the child finds no KEY
# at the apex, takes the one at the target, and believes the responses
# signed with it.
export DDNS_TARGET_KEY=yes
exec bash "$HSYNC_TOP/test/integration/t-ddns-child.sh"
