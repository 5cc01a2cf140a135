#!/usr/bin/env bash
# combinerd's allow-apex-key: the agent may contribute the apex KEY RRset
# (its SIG(0) key, for the parent's bootstrap) only where the zone says so.
#   - without it an UPDATE with KEY (alone, or beside a DNSKEY) is REFUSED
#     and nothing changes: combined zone, serial, state file, signer
#   - with it (SIGHUP reload) the KEY is taken, is at the apex of what the
#     knotd signer serves, with an RRSIG over it, and the zone verifies
#   - kill -9 and restart: the KEY is still contributed, same serial; an
#     owner change keeps it
#   - turned off again (restart): a warning, the KEY stays, changes refused
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port)
cbd_keys
start_owner 10
cbd_conf
"$BIN/combinerd" -n -f "$W/cbd.conf" || fail "combinerd -n"
start_cbd
start_signer

# the agent's SIG(0) key at the zone apex, as dnssec-keygen writes it
mkdir -p "$W/kk"
K=$(dnssec-keygen -q -T KEY -a ED25519 -n ZONE -K "$W/kk" "$ZONE")
KEY_RDATA=$(awk '$3 == "KEY" || $4 == "KEY" {sub(/.*KEY[ \t]+/, ""); print}' "$W/kk/$K.key")
KEY_B64=$(echo "$KEY_RDATA" | cut -d' ' -f4- | tr -d ' ')
[ -n "$KEY_B64" ] || fail "no KEY from dnssec-keygen: $(cat "$W/kk/$K.key")"
foreign_key

has_key() { kdig +short +norec @127.0.0.1 -p "$1" KEY "$ZONE" | tr -d ' ' | grep -q "$KEY_B64"; }
at_serial() { [ "$(cbd_serial "$1")" = "$2" ]; }
s0=$(cbd_serial)
wait_for 20 at_serial "$P_SIG" "$s0" || fail "signer not at combinerd's serial $s0"
axfr "$P_CMB" signer-xfr >"$W/before.txt"
grep -q "SOA" "$W/before.txt" || fail "no AXFR from combinerd"

# 1. not allowed: KEY alone, and KEY beside a DNSKEY, are refused whole
rc=0
nsupdate_k "$W/agent.key" >"$W/nsu1.out" 2>&1 <<EOF || rc=$?
zone example.
update delete example. KEY
update add example. 3600 KEY $KEY_RDATA
EOF
[ "$rc" != 0 ] && grep -q REFUSED "$W/nsu1.out" || fail "KEY without allow-apex-key: rc $rc, $(cat "$W/nsu1.out")"
grep -q "refused (REFUSED): KEY may be contributed only where the zone has allow-apex-key yes" "$W/cbd.log" ||
	fail "refusal not logged: $(tail -3 "$W/cbd.log")"
rc=0
nsupdate_k "$W/agent.key" >"$W/nsu2.out" 2>&1 <<EOF || rc=$?
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
update add example. 3600 KEY $KEY_RDATA
EOF
[ "$rc" != 0 ] && grep -q REFUSED "$W/nsu2.out" || fail "DNSKEY + KEY: rc $rc, $(cat "$W/nsu2.out")"
sleep 1
axfr "$P_CMB" signer-xfr >"$W/after.txt"
cmp -s "$W/before.txt" "$W/after.txt" || fail "the combined zone changed: $(diff "$W/before.txt" "$W/after.txt")"
[ "$(cbd_serial)" = "$s0" ] || fail "serial moved on a refused UPDATE"
! has_key "$P_SIG" || fail "the signer serves a refused KEY"
! grep -q '"KEY"\|"DNSKEY"' "$W/state/example.contrib.json" 2>/dev/null ||
	fail "refused contribution stored: $(cat "$W/state/example.contrib.json")"
ok "without allow-apex-key: KEY (alone or beside a DNSKEY) REFUSED, zone, serial and state unchanged"

# 2. allowed (reload): taken, signed at the signer
cbd_conf "	allow-apex-key yes"
"$BIN/combinerd" -n -f "$W/cbd.conf" || fail "combinerd -n with allow-apex-key yes"
kill -HUP "$PID_cbd"
wait_for 10 grep -q "configuration reloaded" "$W/cbd.log" || fail "no reload"
nsupdate_k "$W/agent.key" <<EOF || fail "KEY with allow-apex-key yes refused: $(tail -3 "$W/cbd.log")"
zone example.
update delete example. KEY
update add example. 3600 KEY $KEY_RDATA
EOF
KTAG=${K##*+}; KTAG=$((10#$KTAG))
grep -q "contribution from key agent.: KEY contributed: +$KTAG" "$W/cbd.log" ||
	fail "contribution not logged: $(tail -3 "$W/cbd.log")"
has_key "$P_CMB" || fail "combinerd does not serve the KEY"
s1=$(cbd_serial)
[ "$s1" != "$s0" ] || fail "serial did not move"
grep -q '"type": "KEY"' "$W/state/example.contrib.json" || fail "KEY not in the state file"
signed_key() {
	[ "$(cbd_serial "$P_SIG")" = "$s1" ] && has_key "$P_SIG" &&
		kdig +dnssec +norec @127.0.0.1 -p "$P_SIG" KEY "$ZONE" | grep -q 'RRSIG[[:space:]]*KEY '
}
wait_for 20 signed_key || fail "the signer does not serve the KEY signed: $(kdig +dnssec @127.0.0.1 -p "$P_SIG" KEY "$ZONE")"
axfr "$P_SIG" >"$W/signed.txt"
dnssec-verify -q -o "$ZONE" "$W/signed.txt" >"$W/verify.out" 2>&1 ||
	fail "dnssec-verify of the signer's zone: $(cat "$W/verify.out")"
diff <(grep -v -w 'KEY\|SOA' "$W/before.txt") <(axfr "$P_CMB" signer-xfr | grep -v -w 'KEY\|SOA') >/dev/null ||
	fail "more than the KEY changed in the combined zone"
ok "with allow-apex-key yes: KEY $KTAG contributed, at the signer's apex with RRSIG KEY, zone verifies"

# 3. kill -9, restart: still there, same serial; an owner change keeps it
kill -9 "$PID_cbd"; wait "$PID_cbd" 2>/dev/null || true
start_cbd
[ "$(cbd_serial)" = "$s1" ] || fail "serial after restart: $(cbd_serial), wanted $s1"
has_key "$P_CMB" || fail "KEY lost in the restart"
owner_reload 11 </dev/null
wait_for 15 eval '! at_serial "$P_CMB" "$s1"' || fail "owner change not followed"
has_key "$P_CMB" || fail "KEY lost on an owner change"
s2=$(cbd_serial)
wait_for 20 at_serial "$P_SIG" "$s2" || fail "signer did not follow to $s2"
has_key "$P_SIG" || fail "the signer lost the KEY"
ok "kill -9 + restart keep the KEY contribution and serial; an owner change keeps it"

# 4. turned off again: the stored KEY stays (warned), changes refused
kill "$PID_cbd"; wait "$PID_cbd" 2>/dev/null || true
mv "$W/cbd.log" "$W/cbd.log.1"
cbd_conf "	allow-apex-key no"
start_cbd
grep -q "apex KEY contributed earlier is still served, but allow-apex-key is no" "$W/cbd.log" ||
	fail "no warning: $(cat "$W/cbd.log")"
has_key "$P_CMB" || fail "KEY dropped"
rc=0
nsupdate_k "$W/agent.key" >"$W/nsu3.out" 2>&1 <<EOF || rc=$?
zone example.
update delete example. KEY
EOF
[ "$rc" != 0 ] && grep -q REFUSED "$W/nsu3.out" || fail "KEY delete with allow-apex-key no: rc $rc"
has_key "$P_CMB" || fail "KEY withdrawn by a refused UPDATE"
ok "allow-apex-key no again: the stored KEY stays (warning), a KEY change is refused"
