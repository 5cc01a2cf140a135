#!/usr/bin/env bash
# contrib/lab/chain.sh -- the second part of `make lab` (run by lab.sh):
# the zone-transfer chain of one provider, on 127.0.0.1 only:
#
#   owner primary (knotd) -> combinerd -> knotd signer -> nsd (distribution)
#                               ^
#                               | DNS UPDATE, TSIG key "agent"
#                             agent (here: nsupdate -k)
#
# It shows, step by step, a contribution from another provider (a foreign
# DNSKEY and its CDS) arriving signed at nsd, and then its withdrawal.
# Servers are the ones of combinerd's integration tests
# (test/data/combinerd-lib.sh: keys, owner, combinerd, signer); this file
# adds nsd and the explanations. Every server is stopped by PID on exit;
# the working directory with every configuration and log is kept and its
# path printed (LAB_CLEAN=1 removes it after a run that passed). Exits
# non-zero at the first step that fails.
#
# Needs HSYNC_BIN (the built programs; `make lab` sets it), knotd, knotc,
# kdig, nsd, nsupdate, tsig-keygen, dnssec-keygen, dnssec-dsfromkey, and
# ldns-verify-zone or dnssec-verify.
TOP=${HSYNC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export HSYNC_TOP=$TOP
export HSYNC_BIN=${HSYNC_BIN:-$TOP/build/bin}
[ -x "$HSYNC_BIN/combinerd" ] || { echo "lab: no $HSYNC_BIN/combinerd (run 'make lab')" >&2; exit 1; }
for p in knotd knotc kdig nsd nsupdate tsig-keygen dnssec-keygen dnssec-dsfromkey; do
	command -v "$p" >/dev/null || { echo "lab: $p is needed (make deps)" >&2; exit 1; }
done
command -v ldns-verify-zone >/dev/null || command -v dnssec-verify >/dev/null ||
	{ echo "lab: ldns-verify-zone or dnssec-verify is needed (make deps)" >&2; exit 1; }
export HSYNC_WORK=${HSYNC_WORK:-$(mktemp -d /tmp/hsync-lab-chain.XXXXXX)}
# shellcheck source=../../test/integration/lib.sh
. "$TOP/test/integration/lib.sh"        # bg, wait_for, free_port, ok, fail
# shellcheck source=../../test/data/combinerd-lib.sh
. "$TOP/test/data/combinerd-lib.sh"     # keys, owner, combinerd, signer

finish() {
	local rc=$?
	cleanup
	echo
	if [ "$rc" -ne 0 ]; then
		echo "lab (chain): FAILED at the step above. Logs: $W/*.log (owner, cbd, signer, nsd)"
	fi
	if [ -n "${LAB_CLEAN:-}" ] && [ "$rc" -eq 0 ]; then
		rm -rf "$W"
	else
		echo "lab (chain): working directory kept: $W"
		echo "  configurations: $W/own/knot.conf $W/cbd.conf $W/sig/knot.conf $W/nsd/nsd.conf"
		echo "  logs:           $W/owner.log $W/cbd.log $W/signer.log $W/nsd.log"
	fi
	exit "$rc"
}
trap finish EXIT

step() {
	echo
	echo "------------------------------------------------------------------"
	echo "Step $1"
	echo "------------------------------------------------------------------"
	shift
	printf '%s\n' "$@"
	echo
}
say() { sed 's/^/    /'; }
serials() {
	echo "    SOA serials: owner $(cbd_serial "$P_OWN" || echo -), combinerd $(cbd_serial || echo -)," \
		"signer $(cbd_serial "$P_SIG" || echo -), nsd $(cbd_serial "$P_NSD" || echo -)"
}

P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port); P_NSD=$(free_port)

cat <<EOF
==================================================================
Part two: combinerd in a provider's zone-transfer chain
==================================================================
Working directory and logs: $W

The owner's primary (knotd, 127.0.0.1@$P_OWN) sends the zone by AXFR/IXFR
to combinerd (@$P_CMB). combinerd passes it on to the provider's signer
(knotd, @$P_SIG), which signs it and passes it to the distribution server
(nsd, @$P_NSD) that the world queries. The provider's agent puts other
providers' keys into the zone by DNS UPDATE to combinerd: combinerd keeps
those apex RRsets (DNSKEY, CDS, CDNSKEY, CSYNC, NS) and lays them over the
owner's zone; everything else passes through unchanged.
EOF

# ---------------------------------------------------------------------------
step "1: TSIG keys" \
"Each hop has its own key (tsig-keygen): owner-xfr (owner <-> combinerd),
signer-xfr (combinerd <-> signer), agent (the agent's UPDATEs). combinerd
reads them all from one key file. (sec-xfr and other come with the test
helpers and are not used here.)"
cbd_keys
grep '^key' "$W/keys.conf" | say
ok "keys in $W/keys.conf"

# ---------------------------------------------------------------------------
step "2: the owner's primary" \
"A knotd serving the owner's unsigned zone, with the owner's HSYNC RRset in
RFC 3597 form (TYPE65282). It NOTIFYs combinerd and lets it transfer with
key owner-xfr."
start_owner 1
say <"$W/own/example.zone"
ok "owner serves example. at serial $(cbd_serial "$P_OWN")"

# ---------------------------------------------------------------------------
step "3: combinerd" \
"Its configuration ($W/cbd.conf): where the zone comes from (primary), who
gets it (downstream: NOTIFY and transfers with key signer-xfr), and the key
the agent must sign UPDATEs with (agent-key)."
cbd_conf
say <"$W/cbd.conf"
start_cbd
grep -E "AXFR in|rebuilt" "$W/cbd.log" | say
ok "combinerd serves the combined zone at its own serial $(cbd_serial) (owner's: $(cbd_serial "$P_OWN"))"

# ---------------------------------------------------------------------------
step "4: the signer" \
"A knotd 3.2 secondary of combinerd that signs the zone. The policy line
that matters is 'dnskey-management: incremental': without it knotd would
replace the DNSKEY RRset with its own keys and drop the contributed one.
('delete-delay' is needed with it.)"
start_signer
sed -n '/^policy:/,/^zone:/p' "$W/sig/knot.conf" | grep -v '^zone:' | say
echo
echo "    The signer's own keys:"
kdig +short @127.0.0.1 -p "$P_SIG" DNSKEY "$ZONE" | say
ok "signer serves the signed zone at serial $(cbd_serial "$P_SIG")"

# ---------------------------------------------------------------------------
step "5: nsd, the distribution server" \
"nsd transfers the signed zone from the signer; the signer is told to
NOTIFY it on every change (a 'notify: nsd' added to the signer's zone and
'knotc reload')."
awk -v p="$P_NSD" '{ print } /^remote:/ { print "  - id: nsd"; print "    address: 127.0.0.1@" p }
	/^    master: comb/ { print "    notify: nsd" }' "$W/sig/knot.conf" >"$W/sig/knot.conf.new"
mv "$W/sig/knot.conf.new" "$W/sig/knot.conf"
knotc -s "$W/sig/knot.sock" reload >/dev/null || fail "signer: knotc reload failed: $(tail -3 "$W/signer.log")"
mkdir -p "$W/nsd"
cat >"$W/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$P_NSD
	zonesdir: "$W/nsd"
	database: ""
	pidfile: "$W/nsd/nsd.pid"
	xfrdfile: "$W/nsd/xfrd.state"
	zonelistfile: "$W/nsd/zone.list"
	username: ""
	chroot: ""
	verbosity: 2
remote-control:
	control-enable: no
zone:
	name: example.
	zonefile: example.zone
	allow-notify: 127.0.0.1 NOKEY
	request-xfr: 127.0.0.1@$P_SIG NOKEY
	provide-xfr: 127.0.0.1 NOKEY
EOF
sed -n '/^zone:/,$p' "$W/nsd/nsd.conf" | say
bg nsd nsd -d -c "$W/nsd/nsd.conf"
wait_for 20 cbd_serial "$P_NSD" || fail "nsd does not serve the zone: $(tail -5 "$W/nsd.log")"
serials
ok "nsd serves the signed zone"

# ---------------------------------------------------------------------------
step "6: a contribution arrives" \
"Another provider's signer has a KSK of its own. For a multi-signer zone
(RFC 8901) every provider must publish the others' DNSKEYs, and the parent
must get CDS for all of them. The agents exchange those; here we play the
agent and send them to combinerd by DNS UPDATE signed with the agent key
(nsupdate -k). combinerd accepts only the five apex types, all or nothing,
writes them to disk, bumps its serial and NOTIFYs the signer."
foreign_key
echo "    The other provider's key (tag $FOREIGN_TAG) and its CDS; what nsupdate sends:"
cat >"$W/contribute.nsupdate" <<EOF
zone example.
update delete example. DNSKEY
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
update add example. 3600 CDS $FOREIGN_CDS
EOF
say <"$W/contribute.nsupdate"
s0=$(cbd_serial)
nsupdate_k "$W/agent.key" <"$W/contribute.nsupdate" || fail "combinerd refused the UPDATE: $(tail -3 "$W/cbd.log")"
[ "$(cbd_serial)" != "$s0" ] || fail "combinerd's serial did not change"
echo
echo "    combinerd's log:"
grep "contribution" "$W/cbd.log" | tail -2 | say
echo "    combinerd now answers the contributed DNSKEY (only it: the owner's zone has none):"
kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | say
ok "contribution accepted: combinerd serial $s0 -> $(cbd_serial), kept in $W/state/example.contrib.json"

# ---------------------------------------------------------------------------
step "7: it arrives signed at nsd" \
"combinerd NOTIFYs the signer, the signer takes the change by IXFR, keeps
the foreign DNSKEY beside its own, signs the DNSKEY RRset with its own key,
publishes the CDS, and NOTIFYs nsd. What a resolver gets from nsd:"
nsd_has() {
	kdig +short @127.0.0.1 -p "$P_NSD" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" &&
	kdig +short @127.0.0.1 -p "$P_NSD" CDS "$ZONE" | grep -q "^$FOREIGN_TAG 13 2 "
}
wait_for 20 nsd_has || fail "nsd does not serve the foreign DNSKEY and CDS: $(tail -5 "$W/nsd.log")"
serials
echo
echo "    kdig +dnssec +multiline @127.0.0.1 -p $P_NSD DNSKEY example.   (key ids in the comments)"
kdig +dnssec +multiline +nocomments +nostats +noquestion +noauthority +noadditional @127.0.0.1 -p "$P_NSD" DNSKEY "$ZONE" |
	grep -v '^;;' | grep -v '^$' | say
echo
echo "    kdig +dnssec @127.0.0.1 -p $P_NSD CDS example."
kdig +dnssec +nocomments +nostats +noquestion +noauthority +noadditional @127.0.0.1 -p "$P_NSD" CDS "$ZONE" | grep -v '^;;' |
	grep -v '^$' | say
sig_tags=$(kdig +dnssec +short @127.0.0.1 -p "$P_NSD" DNSKEY "$ZONE" | awk '$1 == "DNSKEY" {print $7}' | sort -u | xargs)
cat <<EOF

The DNSKEY RRset now holds the other provider's key $FOREIGN_TAG beside the signer's
own keys, and is signed by the signer's own key $sig_tags. So nsd publishes the
other provider's key, validly signed, and the CDS asks the parent for a DS
for it: what each provider of a multi-signer zone (RFC 8901) must do.
EOF
for t in $sig_tags; do [ "$t" != "$FOREIGN_TAG" ] || fail "the DNSKEY RRset is signed by the foreign key?"; done
ok "nsd serves the foreign DNSKEY $FOREIGN_TAG and its CDS, signed by the signer (key $sig_tags)"

# ---------------------------------------------------------------------------
verify() {  # verify FILE: the zone's signatures, as a validator would check them
	if command -v ldns-verify-zone >/dev/null; then
		echo "    ldns-verify-zone $1"
		ldns-verify-zone "$1" 2>&1 | say
		ldns-verify-zone "$1" >/dev/null 2>&1 || return 1
	fi
	if command -v dnssec-verify >/dev/null; then
		echo "    dnssec-verify -o example. $1"
		dnssec-verify -o "$ZONE" "$1" 2>&1 | grep -v '^$' | say
		dnssec-verify -q -o "$ZONE" "$1" >/dev/null 2>&1 || return 1
	fi
}
step "8: the whole zone from nsd verifies" \
"An AXFR from nsd, checked with ldns-verify-zone and dnssec-verify: every
RRSIG valid, the NSEC chain complete, the DNSKEY RRset signed by a key in it."
kdig @127.0.0.1 -p "$P_NSD" AXFR "$ZONE" +nocomments +nostats | grep -v '^;' | grep -v '^$' >"$W/nsd-axfr-1.zone"
echo "    $(wc -l <"$W/nsd-axfr-1.zone") records in $W/nsd-axfr-1.zone"
verify "$W/nsd-axfr-1.zone" || fail "the zone served by nsd does not verify"
ok "the signed zone at nsd, with the contribution, verifies"

# ---------------------------------------------------------------------------
step "9: the contribution is withdrawn" \
"When the other provider leaves (or its key is retired), the agent deletes
what it contributed. The owner's own RRsets of those types (none here)
come back; the signer drops the foreign key and the CDS; nsd follows."
cat >"$W/withdraw.nsupdate" <<EOF
zone example.
update delete example. DNSKEY
update delete example. CDS
EOF
say <"$W/withdraw.nsupdate"
nsupdate_k "$W/agent.key" <"$W/withdraw.nsupdate" || fail "combinerd refused the withdrawal"
echo
echo "    combinerd's log:"
grep "contribution" "$W/cbd.log" | tail -2 | say
nsd_gone() {
	! kdig +short @127.0.0.1 -p "$P_NSD" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" &&
	! kdig +short @127.0.0.1 -p "$P_NSD" CDS "$ZONE" | grep -q .
}
wait_for 20 nsd_gone || fail "nsd still serves the foreign key or the CDS"
serials
echo "    DNSKEY at nsd now (the signer's own only):"
kdig +short @127.0.0.1 -p "$P_NSD" DNSKEY "$ZONE" | say
kdig @127.0.0.1 -p "$P_NSD" AXFR "$ZONE" +nocomments +nostats | grep -v '^;' | grep -v '^$' >"$W/nsd-axfr-2.zone"
verify "$W/nsd-axfr-2.zone" || fail "the zone served by nsd does not verify after the withdrawal"
ok "withdrawn: gone from nsd, and the zone still verifies"

echo
echo "lab (chain): a contribution went owner -> combinerd -> signer -> nsd and back out, signed and valid at every step"
