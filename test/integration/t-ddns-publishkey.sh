#!/usr/bin/env bash
# publish-key end to end, on loopback: the child zone's owner (knotd) does
# NOT have the child's SIG(0) KEY; the chain is owner -> combinerd (the
# child agent's combiner, allow-apex-key) -> knotd signer; named serves
# parent.example signed with the DSYNC wildcard, agentd is its UPDATE
# receiver; unbound validates. The child agent (publish-key yes):
#   - while combinerd refuses the KEY (no allow-apex-key yet) it retries
#     with backoff and does not bootstrap at the parent
#   - once combinerd takes it (SIGHUP with allow-apex-key yes) the signer
#     serves the KEY signed at the child apex, the parent trusts it by the
#     validated look-up with no manual trust (KeyState 4), and the DS
#     reaches named
#   - an NS added at the owner reaches named through the whole chain
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/ddnsd-lab.sh"

C=child.parent.example.
P_OWN=$(free_port); P_CMB=$(free_port)
for k in owner-xfr signer-xfr agent; do tsig-keygen -a hmac-sha256 $k; done >"$W/cmb.key"
secret() { awk -v k="\"$1\"" '$1 == "key" && $2 == k {f = 1} f && $1 == "secret" {gsub(/[";]/, "", $2); print $2; exit}' "$W/cmb.key"; }

# the owner: child.parent.example, unsigned, no KEY
mkdir -p "$W/own"
cat >"$W/own/child.zone" <<EOF
\$ORIGIN child.parent.example.
\$TTL 60
@ SOA ns1 hostmaster 1 3600 900 604800 60
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.80
EOF
cat >"$W/own/knot.conf" <<EOF
server:
    rundir: "$W/own"
    listen: 127.0.0.1@$P_OWN
database:
    storage: "$W/own"
log:
  - target: stderr
    any: info
control:
    listen: "$W/own/knot.sock"
key:
  - id: owner-xfr
    algorithm: hmac-sha256
    secret: $(secret owner-xfr)
remote:
  - id: comb
    address: 127.0.0.1@$P_CMB
    key: owner-xfr
acl:
  - id: comb
    address: 127.0.0.1
    key: owner-xfr
    action: transfer
zone:
  - domain: $C
    storage: "$W/own"
    file: child.zone
    notify: comb
    acl: comb
    zonefile-sync: -1
EOF
bg owner knotd -c "$W/own/knot.conf"
wait_for 10 kdig +short @127.0.0.1 -p "$P_OWN" SOA $C || fail "owner knotd did not start"

# combinerd, first without allow-apex-key
mkdir -p "$W/cstate-cmb"
cmb_conf() {
	cat >"$W/cmb.conf" <<EOF
listen 127.0.0.1@$P_CMB
tsig-key-file "$W/cmb.key"
state-dir "$W/cstate-cmb"
refresh-min 1
zone $C {
	primary 127.0.0.1@$P_OWN key owner-xfr
	downstream 127.0.0.1@$P_KNOT key signer-xfr
	agent-key agent
	$1
}
EOF
	"$BIN/combinerd" -n -f "$W/cmb.conf" || fail "combinerd -n"
}
cmb_conf ""
bg cmb "$BIN/combinerd" -v -f "$W/cmb.conf"
wait_for 10 kdig +short @127.0.0.1 -p "$P_CMB" SOA $C || fail "combinerd does not serve $C: $(cat "$W/cmb.log")"

# the signer: knotd on $P_KNOT (where the lab's unbound and the parent's
# bootstrap look), secondary of combinerd
mkdir -p "$W/knot"
cat >"$W/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@$P_KNOT
log:
  - target: stderr
    any: info
database:
    storage: $W/knot
key:
  - id: signer-xfr
    algorithm: hmac-sha256
    secret: $(secret signer-xfr)
remote:
  - id: comb
    address: 127.0.0.1@$P_CMB
    key: signer-xfr
policy:
  - id: ecdsa
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    propagation-delay: 0
    dnskey-ttl: 2
    zone-max-ttl: 60
acl:
  - id: comb
    address: 127.0.0.1
    key: signer-xfr
    action: notify
  - id: xfr
    address: 127.0.0.1
    action: transfer
control:
    listen: $W/knot/knot.sock
zone:
  - domain: $C
    storage: $W/knot
    master: comb
    acl: [comb, xfr]
    dnssec-signing: on
    dnssec-policy: ecdsa
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
EOF
bg knotd knotd -c "$W/knot.conf"
signed() { kdig +short +norec +time=1 +retry=0 @127.0.0.1 -p "$P_KNOT" $C DNSKEY | grep -q '^257 '; }
wait_for 20 signed || fail "the signer did not sign $C: $(tail "$W/knotd.log")"
kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" $C DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/anchor.key"
keyat() { kdig +short +norec @127.0.0.1 -p "$1" $C KEY; }
[ -z "$(keyat "$P_OWN")" ] && [ -z "$(keyat "$P_KNOT")" ] || fail "a KEY is in the zone before publish-key"

# the parent side of the lab: named (signed, DSYNC), unbound, agentd receiver
ddnsd_conf
named_start signed
unbound_start parent   # also validates parent.example. (signed at named)
ddnsd_start
S0=$(serial)

# the child agent, publish-key yes
mkdir -p "$W/cstate" "$W/ck"
CAKEY=$W/ck/$(cd "$W/ck" && dnssec-keygen -q -T KEY -a ED25519 -n HOST host.child.example)
cat >"$W/child.conf" <<EOF
identity agent.child.example
key "$CAKEY"
listen 127.0.0.1@$(free_port)
resolver 127.0.0.1@$P_UB
tsig-key-file "$W/cmb.key"
combinerd 127.0.0.1@$P_CMB key agent
state-dir "$W/cstate"
control-socket "$W/child.ctl"
log-level info
child $C {
	source 127.0.0.1@$P_KNOT
	key "$CKEY"
	ttl 300
	refresh 1s
	backoff-max 10s
	publish-key yes
}
EOF
"$BIN/agentd" -n -f "$W/child.conf" || fail "agentd -n child.conf"
bg child "$BIN/agentd" -f "$W/child.conf"

# 1. combinerd refuses (no allow-apex-key): retried, no bootstrap
wait_for 10 grep -q "publish-key: combinerd answered our KEY UPDATE with REFUSED (does its zone have allow-apex-key yes?); again in 5s" "$W/child.log" ||
	{ tail "$W/child.log"; fail "the refusal is not logged"; }
wait_for 20 grep -q "our KEY is not served at our apex yet (publish-key)" "$W/child.log" ||
	{ tail "$W/child.log"; fail "the bootstrap did not wait for the KEY"; }
grep -q "key bootstrap of our key" "$W/child.log" && fail "bootstrapped before the KEY was published"
grep -q "key 11727 of $C now trusted" "$W/agentd.log" && fail "the parent trusts a key that is not published"
[ -z "$(keyat "$P_KNOT")" ] || fail "the signer has a KEY combinerd refused"
ok "combinerd without allow-apex-key: the KEY UPDATE is refused, retried, and the bootstrap waits"

# 2. allow-apex-key yes: combinerd takes the KEY at the next try; the signer
# is frozen meanwhile (it does not transfer the KEY yet), and the child must
# not bootstrap while its source does not serve the KEY
knotc -s "$W/knot/knot.sock" zone-freeze $C >/dev/null || fail "knotc zone-freeze at the signer"
cmb_conf "allow-apex-key yes"
kill -HUP "$PID_cmb"
wait_for 30 grep -q "publish-key: combinerd took our KEY 11727 as the apex KEY RRset (TTL 300)" "$W/child.log" ||
	{ tail "$W/child.log"; fail "combinerd did not take the KEY"; }
n0=$(grep -c "our KEY is not served at our apex yet" "$W/child.log")
more_waits() { [ "$(grep -c "our KEY is not served at our apex yet" "$W/child.log")" -gt "$n0" ]; }
wait_for 20 more_waits || { tail "$W/child.log"; fail "the child did not wait for the signer to serve its KEY"; }
grep -q "key bootstrap of our key" "$W/child.log" && fail "bootstrapped while the signer did not serve the KEY"
[ -z "$(keyat "$P_KNOT")" ] || fail "the frozen signer serves the KEY: the check above proves nothing"
knotc -s "$W/knot/knot.sock" zone-thaw $C >/dev/null || fail "knotc zone-thaw at the signer"
tries=$(grep -c "publish-key: sending our KEY 11727 to combinerd" "$W/child.log")
[ "$tries" -ge 2 ] || fail "no retry ($tries tries)"
keysigned() {
	kdig +dnssec +norec @127.0.0.1 -p "$P_KNOT" $C KEY | grep -q 'RRSIG[[:space:]]*KEY ' &&
		[ "$(keyat "$P_KNOT" | tr -d ' ')" = "$(keyrr "$CKEY" | awk '{for (i = 1; i <= NF; i++) if ($i == "KEY") {for (j = i + 1; j <= NF; j++) printf "%s", $j; exit}}')" ]
}
wait_for 20 keysigned || fail "the signer does not serve the KEY signed: $(kdig +dnssec @127.0.0.1 -p "$P_KNOT" $C KEY)"
[ -z "$(keyat "$P_OWN")" ] || fail "the owner's zone changed"
kdig +dnssec @127.0.0.1 -p "$P_UB" $C KEY | grep -q 'Flags:.* ad' || fail "the KEY does not validate at unbound"
ok "after $tries tries combinerd took the KEY; the signer serves it signed, unbound validates it; the owner is untouched"

# 3. the parent trusts it by the validated look-up, the DS reaches named
kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" $C DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/ksk1.txt"
ds1=$(dnssec-dsfromkey -2 -f "$W/ksk1.txt" child.parent.example | awk '{print $4, $5, $6, $7}')
has_ds() { [ "$(at_parent $C DS | tr 'A-F' 'a-f' | tr -d ' ')" = "$(echo "$1" | tr 'A-F' 'a-f' | tr -d ' ')" ]; }
wait_for 60 has_ds "$ds1" || {
	tail -20 "$W/child.log"; tail -20 "$W/agentd.log"
	fail "the child's DS did not reach named: $(at_parent $C DS)"
}
grep -q "key 11727 of $C now trusted (validated KEY look-up)" "$W/agentd.log" ||
	fail "the parent did not trust the key by the validated look-up"
grep -q "KeyState of our key 11727: 4, next: update" "$W/child.log" || fail "no KeyState 4"
[ "$(ks 11727)" = "ks=11727:4" ] || fail "KeyState of the key at the parent: $(ks 11727)"
grep -qi "manual\|ctl.*trust" "$W/agentd.log" && fail "manual trust involved: $(grep -i manual "$W/agentd.log")"
# the child bootstraps only once the signer serves its KEY: the parent's
# first look-up finds it
grep -q "key 11727: round [0-9]*: validated KEY look-up: not found" "$W/agentd.log" &&
	fail "the child bootstrapped before its KEY was served: $(grep 'KEY look-up' "$W/agentd.log")"
ok "the parent trusts key 11727 by its first validated KEY look-up (KeyState 4), no manual trust; the DS is at named"

# 4. an NS and its glue added at the owner reach named through the chain
knotc -s "$W/own/knot.sock" zone-begin $C >/dev/null
knotc -s "$W/own/knot.sock" zone-set $C ns2 60 A 127.0.0.3 >/dev/null
knotc -s "$W/own/knot.sock" zone-set $C @ 60 NS ns2 >/dev/null
knotc -s "$W/own/knot.sock" zone-commit $C >/dev/null || fail "knotc zone-commit at the owner"
nsok() { [ "$(at_parent $C NS)" = "ns1.$C ns2.$C " ] && [ "$(at_parent ns2.$C A)" = "127.0.0.3 " ]; }
wait_for 40 nsok || { tail -10 "$W/child.log"; fail "NS change did not reach named: $(at_parent $C NS)"; }
keysigned || fail "the KEY is gone after the owner's change"
[ "$(serial)" != "$S0" ] || fail "the parent's serial did not move"
ok "an NS and glue added at the owner reach named (owner -> combinerd -> signer -> agent -> parent); the KEY stays"
