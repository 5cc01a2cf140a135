#!/usr/bin/env bash
# The hsync lab. Part one: the tools on the HSYNC records of cases A to D.
# Part two (contrib/lab/chain.sh): owner primary -> combinerd -> knotd
# signer -> nsd on 127.0.0.1, a contribution arriving signed at nsd.
# Part three (contrib/lab/multi.sh): two providers sign one zone; the
# parent zone com.'s DS follows their key set by SIG(0) UPDATE.
#
# For each case this prints what the zone owner wants, the HSYNC RRset that
# says so (presentation form, as in the intent draft), the same RRset as
# hsync-rr -g writes it for a BIND/NSD/Knot zone file (RFC 3597 form, type
# TYPE65282), and that turned back by hsync-rr -p. The round trip must give
# the input back exactly, and BIND's named-checkzone must load the generic
# form (when it is installed); the lab exits non-zero if not.
#
# Run with `make lab`, which sets HSYNC_BIN to the built programs.
set -eu

BIN=${HSYNC_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
RR=$BIN/hsync-rr
[ -x "$RR" ] || { echo "lab: no $RR (run 'make lab')" >&2; exit 1; }
work=$(mktemp -d /tmp/hsync-lab.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0

# show CASE TITLE EXPLANATION RRSET: one case.
show() {
	local id=$1 title=$2 text=$3 rrset=$4
	echo "=================================================================="
	echo "Case $id: $title"
	echo "=================================================================="
	echo "$text"
	echo
	echo "--- the owner's intent, HSYNC in presentation form:"
	echo "$rrset" | sed 's/^/    /'
	echo
	echo "--- hsync-rr -g: what goes into the BIND/NSD zone file (RFC 3597):"
	if ! echo "$rrset" | "$RR" -g >"$work/$id.gen"; then
		echo "lab: case $id: hsync-rr -g failed" >&2; failed=1; return
	fi
	sed 's/^/    /' "$work/$id.gen"
	echo
	echo "--- hsync-rr -p: read back from the zone file:"
	if ! "$RR" -p <"$work/$id.gen" >"$work/$id.back"; then
		echo "lab: case $id: hsync-rr -p failed" >&2; failed=1; return
	fi
	sed 's/^/    /' "$work/$id.back"
	echo
	if [ "$(cat "$work/$id.back")" = "$rrset" ]; then
		echo "round trip: identical"
	else
		echo "round trip: DIFFERENT" >&2
		diff <(echo "$rrset") "$work/$id.back" >&2 || true
		failed=1
	fi
	if command -v named-checkzone >/dev/null 2>&1; then
		{
			printf '$TTL 3600\n@ SOA ns1.example.com. hostmaster.example.com. 1 3600 900 1209600 300\n'
			printf '@ NS ns1.example.com.\nns1 A 192.0.2.53\n'
			cat "$work/$id.gen"
		} >"$work/$id.zone"
		if named-checkzone -q example.com "$work/$id.zone"; then
			echo "named-checkzone: the generic form loads in BIND"
		else
			echo "named-checkzone: BIND REFUSES the generic form" >&2
			named-checkzone example.com "$work/$id.zone" >&2 || true
			failed=1
		fi
	fi
	echo
}

cat <<'EOF'
hsync lab: the zone owner's intent (HSYNC) for the four cases of
draft-leon-dnsop-signaling-zone-owner-intent.

An HSYNC record names one provider. Its fields:
  State     ON (take part) or OFF (being on- or offboarded: talk to it,
            use none of its data)
  NSmgmt    OWNER (the owner keeps the NS RRset) or AGENT (the providers'
            agents publish the union of their NS names); one value per zone
  Sign      SIGN (this provider signs the zone) or NOSIGN (it only serves)
  Identity  the name of the provider's agent
  Upstream  where the provider gets the zone from; "." = from the owner

BIND, NSD and Knot do not know HSYNC yet (private type 65282 until IANA
assigns one), so the owner writes it in the RFC 3597 generic form that
hsync-rr -g produces.

EOF

show A "all providers sign (multi-signer, RFC 8901 model 2)" \
"Providers A and B each sign the zone with their own keys; their agents
exchange DNSKEYs and CDS/CDNSKEY so that each signer's answers validate
with either's keys. NSmgmt AGENT: the agents also keep the NS RRset the
union of both providers' name servers. Provider C is being onboarded: State
OFF, so the others talk to its agent but use none of its data yet." \
"example.com. 3600 IN HSYNC ON AGENT SIGN agent.provider-a.example. .
example.com. 3600 IN HSYNC ON AGENT SIGN agent.provider-b.example. .
example.com. 3600 IN HSYNC OFF AGENT SIGN agent.provider-c.example. ."

show B "one provider signs, the others fetch the signed zone from it" \
"Provider A signs. Provider B does not sign (NOSIGN) and transfers the
signed zone from A: its Upstream names A's agent. The owner keeps the NS
RRset itself (NSmgmt OWNER)." \
"example.com. 3600 IN HSYNC ON OWNER SIGN agent.provider-a.example. .
example.com. 3600 IN HSYNC ON OWNER NOSIGN agent.provider-b.example. agent.provider-a.example."

show C "the owner signs" \
"The owner signs the zone before it leaves the hidden primary, so no
provider signs (NOSIGN everywhere) and all take the zone from the owner
(Upstream \".\"). HSYNC here only shapes the transfers; NSmgmt OWNER." \
"example.com. 3600 IN HSYNC ON OWNER NOSIGN agent.provider-a.example. .
example.com. 3600 IN HSYNC ON OWNER NOSIGN agent.provider-b.example. ."

show D "unsigned zone, several providers" \
"No DNSSEC. Three providers serve the zone, all from the owner; NSmgmt
AGENT lets the agents keep the NS RRset the union of all three providers'
name servers, and tell the parent (CSYNC) when it changes." \
"example.com. 3600 IN HSYNC ON AGENT NOSIGN agent.provider-a.example. .
example.com. 3600 IN HSYNC ON AGENT NOSIGN agent.provider-b.example. .
example.com. 3600 IN HSYNC ON AGENT NOSIGN agent.provider-c.example. ."

if [ $failed -ne 0 ]; then
	echo "lab: FAILED" >&2
	exit 1
fi
echo "lab: all four cases convert both ways unchanged"
echo
"$(dirname "$0")/chain.sh"
echo
"$(dirname "$0")/multi.sh"
