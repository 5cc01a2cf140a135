#!/usr/bin/env bash
# SOA expire: with the owner's primary gone for longer than the zone's
# expire time, combinerd stops serving the zone (SOA REFUSED, AXFR
# NOTAUTH); once the primary answers again it serves it again.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port)
EXPIRE=4
cbd_keys
start_owner 5
cbd_conf "	allow 127.0.0.1"
start_cbd
ok "served at serial $(cbd_serial)"

kill "$PID_owner"
t0=$(date +%s)
expired() { kdig @127.0.0.1 -p "$P_CMB" SOA "$ZONE" | grep -q "status: REFUSED"; }
wait_for 20 expired || fail "zone still served long after expire: $(tail -3 "$W/cbd.log")"
t=$(( $(date +%s) - t0 ))
[ "$t" -ge 3 ] || fail "expired after $t s, before the SOA expire of $EXPIRE s"
grep -q "expired: no good refresh for ${EXPIRE}s" "$W/cbd.log" || fail "expiry not logged"
kdig @127.0.0.1 -p "$P_CMB" AXFR "$ZONE" 2>&1 | grep -q "NOTAUTH" || fail "AXFR of an expired zone not refused"
ok "primary gone: expired after $t s (expire $EXPIRE), not served"

bg owner2 knotd -c "$W/own/knot.conf"
wait_for 15 cbd_serial || fail "not served again after the primary came back: $(tail -3 "$W/cbd.log")"
grep -q "served again" "$W/cbd.log" || fail "not logged"
[ "$(cbd_serial)" = 5 ] || fail "serial changed: $(cbd_serial)"
ok "primary back: served again at the same serial"
