#!/usr/bin/env bash
# The lab setup agent discovery needs, with real servers:
#  - knotd signs an identity zone (automatic signing, ECDSA) that holds the
#    URI, SVCB and KEY records agentd/publish.c writes for an agent
#    (the same text as test_publish's known vector);
#  - unbound on 127.0.0.1 validates it: stub-zone to knotd, the zone's KSK
#    as trust anchor, module-config "validator iterator";
#  - kdig +dnssec through unbound gets the three RRsets with the AD bit;
#    the same question to knotd directly, or through a second unbound
#    without the trust anchor, has no AD (what agentd must refuse), and a
#    trust anchor that does not match gives SERVFAIL.
. "$HSYNC_TOP/test/integration/lib.sh"

command -v knotd >/dev/null || fail "knotd not installed"
command -v unbound >/dev/null || fail "unbound not installed"

Z=b.example

# ---- knotd: the identity zone, signed automatically
mkdir -p "$W/knot"
cat >"$W/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@0
log:
  - target: stderr
    any: info
database:
    storage: $W/knot
policy:
  - id: ecdsa
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    propagation-delay: 0
    dnskey-ttl: 60
    zone-max-ttl: 60
zone:
  - domain: $Z
    storage: $W/knot
    file: $Z.zone
    dnssec-signing: on
    dnssec-policy: ecdsa
EOF
cat >"$W/knot/$Z.zone" <<'EOF'
$ORIGIN b.example.
$TTL 60
@ SOA ns1 hostmaster 1 3600 900 604800 60
@ NS ns1
ns1 A 127.0.0.1
; what hs_publish_all() writes for agent.b.example. (test_publish known_text)
_dns._tcp.agent.b.example. 3600 IN URI 10 1 "dns://host.b.example:5300"
host.b.example. 3600 IN SVCB 1 . port=5300 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1
host.b.example. 3600 IN KEY 512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=
EOF
signed() { kdig +short +norec +time=1 +retry=0 @127.0.0.1 -p "$1" "$Z." DNSKEY | grep -q '^257 '; }
knot_port() { sed -i "s/listen: .*/listen: 127.0.0.1@$1/" "$W/knot.conf"; }
serve knotd KP knot_port signed knotd -c "$W/knot.conf"
ok "knotd signs $Z (KSK published)"

# The KSK as unbound trust anchor (DNSKEY form).
kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$KP" "$Z." DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/anchor.key"
[ -s "$W/anchor.key" ] || fail "no KSK for the trust anchor"
# A trust anchor that does not match (the KSK's key bytes changed).
awk '{ k = $8; $8 = (substr(k, 1, 1) == "A" ? "B" : "A") substr(k, 2); print }' \
	"$W/anchor.key" >"$W/wrong.key"

# conf NAME PORT ANCHORLINE: a validating resolver for $Z on PORT.
conf() {
	unbound_conf "$W/$1.conf" "$2" "val-log-level: 2
$3" "$Z.=127.0.0.1@$KP"
	unbound-checkconf "$W/$1.conf" >/dev/null || fail "unbound-checkconf $1"
}
up() { kdig +time=1 +retry=0 @127.0.0.1 -p "$1" "$Z." SOA >/dev/null; }
conf_unbound() { conf unbound "$1" "trust-anchor-file: \"$W/anchor.key\""; }
conf_plain() { conf plain "$1" ""; }
conf_wrong() { conf wrong "$1" "trust-anchor-file: \"$W/wrong.key\""; }
serve unbound UP conf_unbound up unbound -d -c "$W/unbound.conf"
serve plain NP conf_plain up unbound -d -c "$W/plain.conf"
serve wrong BP conf_wrong up unbound -d -c "$W/wrong.conf"

# ask PORT TYPE NAME: kdig +dnssec with RD, the header flags and the answer.
ask() {
	kdig +dnssec +time=2 +retry=1 @127.0.0.1 -p "$1" "$3" "$2" >"$W/ask.out" 2>&1 || true
}
flags() { sed -n 's/.*;; Flags: \([a-z ]*\);.*/\1/p' "$W/ask.out"; }
rcode() { sed -n 's/.*status: \([A-Z]*\).*/\1/p' "$W/ask.out"; }
has_ad() { flags | grep -qw ad; }

ask "$UP" URI "_dns._tcp.agent.$Z."
has_ad || { cat "$W/ask.out"; fail "URI without AD through unbound"; }
grep -q 'URI.*10 1 "dns://host.b.example:5300"' "$W/ask.out" || { cat "$W/ask.out"; fail "URI answer"; }
grep -q 'RRSIG.*URI' "$W/ask.out" || fail "URI without RRSIG"
ok "URI _dns._tcp.agent.$Z. validated (AD)"

ask "$UP" SVCB "host.$Z."
has_ad || { cat "$W/ask.out"; fail "SVCB without AD through unbound"; }
grep -q 'SVCB.*1 \. port=5300 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1' "$W/ask.out" ||
	{ cat "$W/ask.out"; fail "SVCB answer"; }
ok "SVCB host.$Z. validated (AD), port and hints intact"

ask "$UP" KEY "host.$Z."
has_ad || { cat "$W/ask.out"; fail "KEY without AD through unbound"; }
grep -q 'KEY.*512 3 15 cJDZvG/nZOuKT3B6JsYZQGaAuE64pzr8Qn/Wh2qgVx0=' "$W/ask.out" ||
	{ cat "$W/ask.out"; fail "KEY answer"; }
ok "KEY host.$Z. validated (AD)"

ask "$UP" URI "_dns._tcp.nobody.$Z."
[ "$(rcode)" = NXDOMAIN ] && has_ad || { cat "$W/ask.out"; fail "validated NXDOMAIN expected"; }
ok "a missing identity is a validated NXDOMAIN"

ask "$KP" URI "_dns._tcp.agent.$Z."
[ "$(rcode)" = NOERROR ] && ! has_ad || { cat "$W/ask.out"; fail "knotd itself set AD"; }
ok "the authoritative answer has no AD"

ask "$NP" URI "_dns._tcp.agent.$Z."
[ "$(rcode)" = NOERROR ] && ! has_ad || { cat "$W/ask.out"; fail "AD without a trust anchor"; }
ok "a resolver without the trust anchor gives no AD"

ask "$BP" URI "_dns._tcp.agent.$Z."
[ "$(rcode)" = SERVFAIL ] && ! has_ad || { cat "$W/ask.out"; fail "wrong trust anchor not SERVFAIL"; }
ok "a wrong trust anchor gives SERVFAIL"

echo "t-discover: $NCHECKS checks"
