#!/usr/bin/env bash
# A transfer in that breaks midway: the owner's knotd is frozen (SIGSTOP)
# while it sends a large IXFR, so combinerd's transfer times out half
# done. The last good zone stays served at its serial, the failure is
# logged with the reason, and once the owner runs again the transfer is
# retried and completes.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

N=500000
P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port)
cbd_keys
start_owner 1
cbd_conf
start_cbd
s1=$(cbd_serial)
ok "combinerd at serial $s1"

owner_reload 2 < <(awk -v n=$N 'BEGIN { for (i = 0; i < n; i++)
	printf "h%d\tA\t10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }')
# freeze the owner as soon as it starts sending the transfer to combinerd
timeout 60 tail -n +1 -f "$W/owner.log" | grep -q -m1 "IXFR, outgoing, remote 127.0.0.1@[0-9]*, started, serial 1 -> 2" ||
	fail "owner never started a transfer: $(tail -3 "$W/owner.log")"
kill -STOP "$PID_owner"
wait_for 20 grep -q "transfer in failed after [0-9]* messages; the last good zone stays" "$W/cbd.log" ||
	{ kill -CONT "$PID_owner"; fail "broken transfer not logged: $(tail -3 "$W/cbd.log")"; }
[ "$(cbd_serial)" = "$s1" ] || { kill -CONT "$PID_owner"; fail "serial moved on a broken transfer"; }
kdig +short @127.0.0.1 -p "$P_CMB" SOA "$ZONE" | grep -q . || { kill -CONT "$PID_owner"; fail "zone not served"; }
ok "transfer broken midway: $(grep -o 'transfer in failed after [0-9]* messages.*' "$W/cbd.log" | head -1)"

kill -CONT "$PID_owner"
wait_for 50 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_CMB SOA $ZONE | awk '{print \$3}')\" = $((s1 + 1)) ]" ||
	fail "no retry after the owner came back: $(tail -3 "$W/cbd.log")"
grep -q "in: owner serial .*$((N + 13)) records\|IXFR in: owner serial 1 -> 2" "$W/cbd.log" || fail "retry not logged"
ok "retried once the owner ran again: serial $((s1 + 1))"
