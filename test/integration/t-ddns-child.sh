#!/usr/bin/env bash
# agentd's child role end to end, on loopback: named serves parent.example
# signed (dnssec-policy) with the DSYNC wildcard, SVCB, KEY and target
# address that the parent agent's agentd -p prints; knotd signs
# child.parent.example; unbound validates both. The child agent follows
# the child zone by AXFR from knotd and:
#   - finds the parent's UPDATE target by DSYNC discovery, asks KeyState
#     (unknown), bootstraps its key (the parent trusts it by the validated
#     KEY look-up), then sends its delegation: the DS of its KSK reaches
#     named (the parent's real primary)
#   - an NS (and glue) added in the child zone reaches named
#   - a KSK roll at knotd (CDS for the new KSK) replaces the DS at named
#   - an agent that is not the chosen sender (NOSIGN in HSYNC) sends nothing
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/ddnsd-lab.sh"

C=child.parent.example.
ddnsd_conf
named_start signed
knot_start
unbound_start parent   # also validates parent.example. (signed at named)
kdig +dnssec @127.0.0.1 -p "$P_UB" child._dsync.parent.example. TYPE66 | grep -q 'Flags:.* ad' ||
	fail "the DSYNC wildcard does not validate: $(kdig +dnssec @127.0.0.1 -p "$P_UB" child._dsync.parent.example. TYPE66)"
ddnsd_start

# the child agent
mkdir -p "$W/cstate" "$W/ck"
CAKEY=$W/ck/$(cd "$W/ck" && dnssec-keygen -q -T KEY -a ED25519 -n HOST host.child.example)
cat >"$W/child.conf" <<EOF
identity agent.child.example
key "$CAKEY"
listen 127.0.0.1@$(free_port)
resolver 127.0.0.1@$P_UB
state-dir "$W/cstate"
control-socket "$W/child.ctl"
log-level info
child child.parent.example {
	source 127.0.0.1@$P_KNOT
	key "$CKEY"
	ttl 300
	refresh 1s
}
EOF
"$BIN/agentd" -n -f "$W/child.conf" || fail "agentd -n child.conf"
S0=$(serial)

# HSYNC naming us NOSIGN (and another provider SIGN): only a signing
# provider's agent talks to the parent, so we see the change and send nothing
sed 's/^log-level info$/&\nzone child.parent.example {\n\thsync "ON AGENT NOSIGN agent.child.example. ."\n\thsync "ON AGENT SIGN agent.other-provider.example. ."\n}/' \
	"$W/child.conf" >"$W/child-nosign.conf"
"$BIN/agentd" -n -f "$W/child-nosign.conf" || fail "agentd -n child-nosign.conf"
bg childns "$BIN/agentd" -f "$W/child-nosign.conf"
wait_for 10 grep -q "delegation changed (7 changes); another agent tells the parent" "$W/childns.log" ||
	{ tail "$W/childns.log"; fail "a NOSIGN agent did not stand aside"; }
kill "$PID_childns"; wait "$PID_childns" 2>/dev/null || true
grep -q "DSYNC\|KeyState" "$W/childns.log" && fail "a NOSIGN agent talked to the parent"
[ "$(serial)" = "$S0" ] || fail "the parent zone changed while no sender"
ok "an agent that is not the chosen sender (NOSIGN in HSYNC) sees the change and sends nothing"

bg child "$BIN/agentd" -f "$W/child.conf"

kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" $C DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/ksk1.txt"
ds1=$(dnssec-dsfromkey -2 -f "$W/ksk1.txt" child.parent.example | awk '{print $4, $5, $6, $7}')
has_ds() { [ "$(at_parent $C DS | tr 'A-F' 'a-f' | tr -d ' ')" = "$(echo "$1" | tr 'A-F' 'a-f' | tr -d ' ')" ]; }
wait_for 40 has_ds "$ds1" || {
	tail -20 "$W/child.log"; tail -20 "$W/agentd.log"
	fail "the child's DS did not reach named: $(at_parent $C DS)"
}
grep -q "DSYNC: parent parent.example., UPDATE to ddns.parent.example. port $P_RECV" "$W/child.log" ||
	fail "DSYNC discovery not logged"
grep -q "KeyState of our key 11727: 5, next: bootstrap" "$W/child.log" || fail "no KeyState 5 before the bootstrap"
grep -q "KeyState of our key 11727: 4, next: update" "$W/child.log" || fail "no KeyState 4 before the UPDATE"
grep -q "key 11727 of $C now trusted (validated KEY look-up)" "$W/agentd.log" || fail "parent did not trust the key"
grep -q "delegation: .* changes accepted by the parent" "$W/child.log" || fail "acceptance not logged"
[ -s "$W/cstate/deleg-child.parent.example.zone" ] || fail "what the parent was told is not kept"
ok "child: DSYNC discovery, KeyState 5, bootstrap, KeyState 4, UPDATE: the KSK's DS is at named"

# an NS and its glue added in the child zone
knotc -s "$W/knot/knot.sock" zone-begin $C >/dev/null
knotc -s "$W/knot/knot.sock" zone-set $C ns2 60 A 127.0.0.3 >/dev/null
knotc -s "$W/knot/knot.sock" zone-set $C @ 60 NS ns2 >/dev/null
knotc -s "$W/knot/knot.sock" zone-commit $C >/dev/null || fail "knotc zone-commit"
nsok() { [ "$(at_parent $C NS)" = "ns1.$C ns2.$C " ] && [ "$(at_parent ns2.$C A)" = "127.0.0.3 " ]; }
wait_for 30 nsok || { tail -10 "$W/child.log"; fail "NS change did not reach named: $(at_parent $C NS)"; }
ok "an NS and its glue added at knotd reach the parent zone at named"

# KSK roll: knotd publishes the new KSK and a CDS for it
knotc -s "$W/knot/knot.sock" zone-key-rollover $C ksk >/dev/null || fail "knotc zone-key-rollover"
cds() { kdig +short +norec @127.0.0.1 -p "$P_KNOT" $C CDS | awk '$3 == 2 {print $1, $2, $3, $4 $5}' | head -1; }
cds_new() { local d; d=$(cds); [ -n "$d" ] && ! has_ds_text "$d" "$ds1"; }
has_ds_text() { [ "$(echo "$1" | tr 'A-F' 'a-f' | tr -d ' ')" = "$(echo "$2" | tr 'A-F' 'a-f' | tr -d ' ')" ]; }
wait_for 30 cds_new || fail "knotd published no CDS for a new KSK in the roll: $(cds)"
ds2=$(cds)
wait_for 40 has_ds "$ds2" || { tail -10 "$W/child.log"; tail -5 "$W/agentd.log"; fail "DS after the KSK roll: $(at_parent $C DS), wanted $ds2"; }
grep -q "delete-rr $C DS $ds1\|delete-rr $C DS" "$W/agentd.log" || fail "old DS deletion not logged"
ok "KSK roll at knotd: the DS of the new KSK (its CDS) replaces the old DS at named"
[ "$(serial)" != "$S0" ] || fail "serial did not move"
