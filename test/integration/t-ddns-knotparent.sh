#!/usr/bin/env bash
# t-ddns-parent.sh with knotd instead of named as the parent zone's real
# primary: the receiver's TSIG UPDATEs (NS, glue, DS) must be taken by
# knotd just as by named, and the refusals change nothing there.
export DDNS_PARENT=knot
exec bash "$HSYNC_TOP/test/integration/t-ddns-parent.sh"
