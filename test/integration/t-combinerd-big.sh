#!/usr/bin/env bash
# combinerd with a zone of 100,000 records: taken by AXFR from the owner;
# an UPDATE that arrives while a slow client is in the middle of an AXFR
# out changes the zone at once, and the client still gets the old version
# whole (both SOAs of the old serial, every record of it, no new DNSKEY).
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

N=100000
P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port)
cbd_keys
foreign_key
start_owner 1
owner_reload 2 < <(awk -v n=$N 'BEGIN { for (i = 0; i < n; i++)
	printf "h%d\tA\t10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }')
wait_for 30 sh -c "kdig +short @127.0.0.1 -p $P_OWN SOA $ZONE | awk '{print \$3}' | grep -qx 2" ||
	fail "owner did not load the big zone"
cbd_conf "	allow 127.0.0.1"
start_cbd
wait_for 20 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_CMB SOA $ZONE | awk '{print \$3}')\" = 2 ]" ||
	fail "big zone not served: $(tail -3 "$W/cbd.log")"
total=$((N + 13))
grep -q "AXFR in: owner serial 2, $total records" "$W/cbd.log" || fail "no AXFR in line with $total records"
ok "$total records in by AXFR: $(grep -o 'rebuilt (owner AXFR).*' "$W/cbd.log" | tail -1), RSS $(ps -o rss= -p "$PID_cbd") KB"

python3 "$TOP/test/data/combinerd-slowaxfr.py" "$P_CMB" "$ZONE" "$W/slow.out" &
slow=$!
PIDS+=($slow)
wait_for 5 grep -q first "$W/slow.out" || fail "slow AXFR did not start"
nsupdate_k "$W/agent.key" <<EOF || fail "UPDATE refused"
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
EOF
[ "$(cbd_serial)" = 3 ] || fail "UPDATE waited for the transfer (serial $(cbd_serial))"
wait "$slow" || fail "slow AXFR client failed"
[ "$(cat "$W/slow.out" | tail -1)" = "rrs $((total + 1)) serials 2 2" ] ||
	fail "transfer under way did not get the old version whole: $(cat "$W/slow.out")"
kdig @127.0.0.1 -p "$P_CMB" AXFR "$ZONE" +nocomments +nostats >"$W/new.axfr"
[ "$(grep -c 'IN[[:space:]]' "$W/new.axfr")" = $((total + 2)) ] || fail "new version: $(grep -c 'IN[[:space:]]' "$W/new.axfr") RRs"
tr -d ' ' <"$W/new.axfr" | grep -q "$FOREIGN_B64" || fail "new version lacks the DNSKEY"
ok "UPDATE during an AXFR out: served at once (serial 3), the transfer got serial 2 whole"
