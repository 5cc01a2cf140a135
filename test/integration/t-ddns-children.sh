#!/usr/bin/env bash
# agentd's `children { }` block end to end, on loopback with the lab of
# t-ddns-child.sh (named: the signed parent.example with the DSYNC
# wildcard; knotd serves child.parent.example signed and
# other.parent.example unsigned, each with its SIG(0) KEY at the apex;
# unbound validates; the parent agentd). The child agent follows three
# zones (zone statements naming it in HSYNC) and has no child block, only
# one children block whose key-dir holds the keys of two of them:
#   - both zones get the child role: child.parent.example's DS reaches
#     named (validated bootstrap), other.parent.example's key is trusted by
#     the unsigned bootstrap and an NS added at knotd reaches named
#   - third.parent.example, without a key file, is logged once with the
#     file pattern looked for and skipped; the other two work
#   - SIGHUP: a child block for other.parent.example takes that zone over
#     (the derived child stops); a changed children option restarts the
#     derived children; a zone removed from the configuration stops its
#     child role
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/ddnsd-lab.sh"

C=child.parent.example.
O=other.parent.example.
ddnsd_conf
named_start signed
knot_start
# the lab lets only child.parent.example be transferred: other.parent.example too
sed -i 's|^    file: other.zone$|&\n    acl: xfr|' "$W/knot.conf"
grep -A1 'file: other.zone' "$W/knot.conf" | grep -q 'acl: xfr' || fail "cannot edit knot.conf"
knotc -s "$W/knot/knot.sock" reload >/dev/null || fail "knotc reload"
oxfr() { kdig +norec @127.0.0.1 -p "$P_KNOT" other.parent.example. AXFR | grep -q 'IN[[:space:]]*SOA'; }
wait_for 10 oxfr ||
	fail "knotd does not transfer other.parent.example"
unbound_start parent   # also validates parent.example. (signed at named)
ddnsd_start

since() { tail -n +"$(($2 + 1))" "$W/$1.log" | grep -F -- "$3"; }
mark() { wc -l <"$W/$1.log"; }

mkdir -p "$W/cstate" "$W/ck" "$W/kd"
cp "$CKEY.key" "$CKEY.private" "$OKEY.key" "$OKEY.private" "$W/kd/"
CAKEY=$W/ck/$(cd "$W/ck" && dnssec-keygen -q -T KEY -a ED25519 -n HOST host.child.example)
zones() {
	for z in "$@"; do
		printf 'zone %s {\n\thsync "ON AGENT SIGN agent.child.example. ."\n}\n' "$z"
	done
}
children() {   # TTL
	printf 'children {\n\tsource 127.0.0.1@%s\n\tkey-dir "%s"\n\tttl %s\n\trefresh 1s\n\tbackoff-min 1s\n\tbackoff-max 2s\n}\n' \
		"$P_KNOT" "$W/kd" "$1"
}
{
	echo "identity agent.child.example"
	echo "key \"$CAKEY\""
	echo "listen 127.0.0.1@$(free_port)"
	echo "resolver 127.0.0.1@$P_UB"
	echo "state-dir \"$W/cstate\""
	echo "control-socket \"$W/child.ctl\""
	echo "log-level info"
} >"$W/child-base.conf"
{ cat "$W/child-base.conf"; zones $C $O third.parent.example.; children 300; } >"$W/child.conf"
"$BIN/agentd" -n -f "$W/child.conf" || fail "agentd -n child.conf"
bg child "$BIN/agentd" -f "$W/child.conf"

wait_for 10 grep -q "$C: children: child role started, key $(basename "$CKEY").private" "$W/child.log" ||
	{ tail "$W/child.log"; fail "no child role for $C from the children block"; }
grep -q "$O: children: child role started, key $(basename "$OKEY").private" "$W/child.log" ||
	fail "no child role for $O from the children block"
grep -qF "third.parent.example.: children: no key file $W/kd/Kthird.parent.example.+*.private: zone skipped" "$W/child.log" ||
	fail "the zone without a key file is not logged with the pattern: $(grep third "$W/child.log")"

kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" $C DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/ksk1.txt"
ds1=$(dnssec-dsfromkey -2 -f "$W/ksk1.txt" child.parent.example | awk '{print $4, $5, $6, $7}')
has_ds() { [ "$(at_parent $C DS | tr 'A-F' 'a-f' | tr -d ' ')" = "$(echo "$1" | tr 'A-F' 'a-f' | tr -d ' ')" ]; }
wait_for 40 has_ds "$ds1" || {
	tail -20 "$W/child.log"; tail -20 "$W/agentd.log"
	fail "the DS of $C did not reach named: $(at_parent $C DS)"
}
grep -q "key 11727 of $C now trusted (validated KEY look-up)" "$W/agentd.log" || fail "the parent did not trust $C's key"
ok "children block: $C runs the child role with key-dir's key, its DS reaches named after a validated bootstrap"

wait_for 40 grep -q "key 11861 of $O now trusted" "$W/agentd.log" ||
	{ tail -20 "$W/child.log"; tail -20 "$W/agentd.log"; fail "the parent did not trust $O's key"; }
kedit $O "set ns2 60 A 127.0.0.4" "set @ 60 NS ns2"
nsok() { [ "$(at_parent $O NS)" = "ns1.$O ns2.$O " ] && [ "$(at_parent ns2.$O A)" = "127.0.0.4 " ]; }
wait_for 40 nsok || { tail -20 "$W/child.log"; tail -20 "$W/agentd.log"; fail "the NS of $O did not reach named: $(at_parent $O NS)"; }
ok "children block: $O (unsigned) runs the child role too: key trusted, an NS added at knotd reaches named"

n=$(grep -c "third.parent.example.: children: no key file" "$W/child.log")
[ "$n" = 1 ] || fail "the zone without a key file is logged $n times, not once"
grep -q "third.parent.example.: .*delegation\|third.parent.example.: .*zone transfer" "$W/child.log" &&
	fail "the zone without a key file got a child role"
kill -0 "$PID_child" || fail "the child agentd died"
ok "a zone without a key file in key-dir is logged once (with the pattern) and skipped; the others work"

# --- SIGHUP: a child block for other.parent.example takes it over
printf 'child %s {\n\tsource 127.0.0.1@%s\n\tkey "%s"\n\tttl 120\n\trefresh 1s\n}\n' "$O" "$P_KNOT" "$OKEY" >"$W/other.block"
{ cat "$W/child-base.conf"; zones $C $O third.parent.example.; children 300; cat "$W/other.block"; } >"$W/child.conf"
"$BIN/agentd" -n -f "$W/child.conf" || fail "agentd -n with a child block and the children block"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "$O: children: a child block for the zone takes it: child role stopped" ||
	{ tail "$W/child.log"; fail "the derived child of $O is not stopped for the child block"; }
since child "$m" "$O: reload: child block added: started" >/dev/null || fail "the child block of $O did not start"
since child "$m" "$C: children:" && fail "$C's derived child was touched by an unrelated reload"
kedit $O "set ns3 60 A 127.0.0.5" "set @ 60 NS ns3"
nsok3() { [ "$(at_parent $O NS)" = "ns1.$O ns2.$O ns3.$O " ]; }
wait_for 40 nsok3 || { tail -20 "$W/child.log"; fail "after the override, the NS of $O did not reach named: $(at_parent $O NS)"; }
ok "a child block added for one zone wins over the children block (derived child stopped, the block works)"

# --- SIGHUP: a changed children option restarts the derived children
{ cat "$W/child-base.conf"; zones $C $O third.parent.example.; children 200; cat "$W/other.block"; } >"$W/child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "$C: children: child role restarted" ||
	{ tail "$W/child.log"; fail "a changed children block did not restart $C's derived child"; }
since child "$m" "reload: children block changed" >/dev/null || fail "the changed children block is not logged"
since child "$m" "$O: children: child role" && fail "the zone with a child block got a derived child again"
[ "$(since child "$m" "third.parent.example.: children: no key file" | wc -l)" = 1 ] ||
	fail "after a reload the zone without a key file is not logged again once"
ok "a changed children block restarts the derived children (not the zone with its own child block)"

# --- SIGHUP: a zone gone from agentd's zones stops its child role
{ cat "$W/child-base.conf"; zones $O third.parent.example.; children 200; cat "$W/other.block"; } >"$W/child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "$C: children: no longer one of our zones: child role stopped" ||
	{ tail "$W/child.log"; fail "$C's derived child did not stop when the zone went"; }
sleep 2
m=$(mark child)
sleep 3
since child "$m" "$C:" && fail "$C still has a child role: $(since child "$m" "$C:")"
ok "a zone no longer followed stops its derived child role"
