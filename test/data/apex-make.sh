#!/bin/sh
# Makes the apex-* test zones for test_apex, test_change and test_store.
# Run once by hand (BIND's dnssec-keygen and dnssec-signzone); the output is
# committed, so the tests never need these tools. Keys go to a temp dir and
# are thrown away: ECDSA signatures differ on every run, the tests only rely
# on the key tags, which they read from the zones.
#
#   v1       HSYNC A, B (OWNER); NS ns1, ns2; DNSKEY KSK + ZSK1; CDS, CDNSKEY
#   v1b      v1 signed again later: only RRSIGs differ (same serial)
#   v2       + HSYNC C, + NS ns3
#   v3       HSYNC B ON -> OFF
#   v4       - HSYNC C; + DNSKEY ZSK2 (roll, pre-publish)
#   v5       - DNSKEY ZSK1 (roll done)
#   bad      HSYNC A OWNER, C AGENT: mixed NSmgmt, invalid
# Each zone also has records hsyncd must ignore: apex A/MX/TXT, NSEC, a
# delegation with DS, an HSYNC below the apex.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
Z=zone.example.
ksk=$(dnssec-keygen -q -a ECDSAP256SHA256 -f KSK $Z)
zsk1=$(dnssec-keygen -q -a ECDSAP256SHA256 $Z)
zsk2=$(dnssec-keygen -q -a ECDSAP256SHA256 $Z)

# HSYNC RDATA in RFC 3597 form: state nsmgmt sign identity upstream.
hsync() {
	python3 - "$@" <<'PY'
import sys
def wire(n):
    b = b''
    for l in n.rstrip('.').split('.'):
        if l: b += bytes([len(l)]) + l.encode()
    return b + b'\0'
st, ns, sg, ident, up = sys.argv[1:]
m = {'ON':1,'OFF':2,'OWNER':1,'AGENT':2,'SIGN':1,'NOSIGN':2}
r = bytes([m[st], m[ns], m[sg]]) + wire(ident) + wire(up)
print('TYPE65282 \\# %d %s' % (len(r), r.hex()))
PY
}

zone() { # serial hsync-lines ns-names zsk-files
	serial=$1 hs=$2 nss=$3 zsks=$4
	{
		echo "\$ORIGIN $Z"
		echo "\$TTL 3600"
		echo "@ SOA ns1.provider-a.example. hostmaster.zone.example. $serial 7200 3600 1209600 300"
		for n in $nss; do echo "@ NS $n"; done
		echo "$hs" | while read -r l; do [ -n "$l" ] && echo "@ 3600 $(hsync $l)"; done
		echo "@ A 192.0.2.1"
		echo "@ MX 10 mail"
		echo "@ TXT \"v=spf1 -all\""
		echo "www A 192.0.2.2"
		echo "mail A 192.0.2.3"
		echo "sub NS ns.sub"
		echo "sub DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		echo "ns.sub A 192.0.2.4"
		echo "deep.www TXT \"not apex\""
		echo "other 3600 $(hsync ON OWNER SIGN not.apex. .)"
		dnssec-dsfromkey -C $ksk | sed 's/^[^ ]* IN/@ 0/'
		grep -v '^;' $ksk.key | sed 's/^[^ ]* IN DNSKEY/@ 0 CDNSKEY/'
		for k in $ksk $zsks; do grep -v '^;' $k.key; done
	} > z.txt
}

sign() { # name [inception]
	dnssec-signzone -q -P -x -N keep -o $Z -s "${2:-20260101000000}" -e 20360101000000 \
		-f "$out/apex-$1.zone" -k $ksk z.txt $zsk >/dev/null
}

HS_AB="ON OWNER SIGN identity.providera. .
ON OWNER SIGN agent.providerb. ."
HS_ABC="$HS_AB
ON OWNER SIGN agent.providerc. ."
HS_ABoffC="ON OWNER SIGN identity.providera. .
OFF OWNER SIGN agent.providerb. .
ON OWNER SIGN agent.providerc. ."
HS_ABoff="ON OWNER SIGN identity.providera. .
OFF OWNER SIGN agent.providerb. ."
HS_BAD="ON OWNER SIGN identity.providera. .
ON AGENT SIGN agent.providerc. ."
NS2="ns1.provider-a.example. ns2.provider-b.example."
NS3="$NS2 ns3.provider-c.example."

zsk=$zsk1
zone 2026010101 "$HS_AB" "$NS2" "$zsk1";            sign v1
sign v1b 20260115000000
zone 2026010102 "$HS_ABC" "$NS3" "$zsk1";           sign v2
zone 2026010103 "$HS_ABoffC" "$NS3" "$zsk1";        sign v3
zone 2026010104 "$HS_ABoff" "$NS3" "$zsk1 $zsk2";   sign v4
zsk=$zsk2
zone 2026010105 "$HS_ABoff" "$NS3" "$zsk2";         sign v5
zone 2026010106 "$HS_BAD" "$NS2" "$zsk2";           sign bad
echo "apex-make: KSK $ksk ZSK1 $zsk1 ZSK2 $zsk2"
