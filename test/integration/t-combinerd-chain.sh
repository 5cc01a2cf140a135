#!/usr/bin/env bash
# combinerd between an owner knotd (HSYNC in RFC 3597 form) and a knotd 3.2
# signer with dnskey-management: incremental: a foreign DNSKEY and CDS
# contributed by TSIG UPDATE come out signed by the signer's own key and
# the zone verifies; refused UPDATEs change nothing; the rest of the zone
# is the owner's; an owner change arrives by IXFR; an IXFR out carries
# only the difference; withdrawing the contribution removes it.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port)
cbd_keys
start_owner 1
cbd_conf
start_cbd
start_signer
foreign_key
ok "chain up: owner -> combinerd -> signer"

strip5() { awk '$4 != "NS" && $4 != "DNSKEY" && $4 != "CDS" && $4 != "CDNSKEY" && $4 != "CSYNC" { if ($4 == "SOA") $7 = "S"; print }' | sort; }
[ "$(axfr "$P_OWN" owner-xfr | strip5)" = "$(axfr "$P_CMB" signer-xfr | strip5)" ] ||
	fail "combined zone differs from the owner's beyond the five types and the SOA serial"
ok "combined zone equals the owner's (without the five types, SOA serial)"

kdig @127.0.0.1 -p "$P_CMB" AXFR "$ZONE" 2>&1 | grep -q REFUSED || fail "AXFR without TSIG was not refused"
kdig @127.0.0.1 -p "$P_CMB" -y "hmac-sha256:agent:$SECRET_agent" AXFR "$ZONE" 2>&1 | grep -q REFUSED ||
	fail "AXFR with a key that is not the downstream's was not refused"
ok "AXFR refused without the downstream's key"

s0=$(cbd_serial)
cp "$W/state/example.journal" "$W/journal.before"

# --- refused UPDATEs change nothing -----------------------------------------
refuse() {  # refuse WHAT EXPECTED-RCODE nsupdate-args... < commands
	local what=$1 rc=$2; shift 2
	local out
	out=$({ echo "server 127.0.0.1 $P_CMB"; cat; echo send; } | nsupdate "$@" 2>&1) && fail "$what: accepted"
	echo "$out" | grep -q "$rc" || fail "$what: expected $rc, got: $out"
	[ "$(cbd_serial)" = "$s0" ] || fail "$what: serial changed"
	[ ! -e "$W/state/example.contrib.json" ] || ! grep -q DNSKEY "$W/state/example.contrib.json" ||
		fail "$what: contributions changed"
	ok "refused: $what ($rc)"
}
refuse "A at the apex" REFUSED -k "$W/agent.key" <<EOF
zone example.
update add example. 3600 A 192.0.2.99
EOF
refuse "DNSKEY below the apex" REFUSED -k "$W/agent.key" <<EOF
zone example.
update add www.example. 3600 DNSKEY $FOREIGN_DNSKEY
EOF
refuse "DNSKEY plus an A record, all or nothing" REFUSED -k "$W/agent.key" <<EOF
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
update add www.example. 3600 A 192.0.2.98
EOF
refuse "another zone" NOTAUTH -k "$W/agent.key" <<EOF
zone other.test.
update add other.test. 3600 DNSKEY $FOREIGN_DNSKEY
EOF
refuse "signed with another known key" REFUSED -k "$W/other.key" <<EOF
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
EOF
refuse "bad TSIG secret" "NOTAUTH\|BADSIG\|tsig verify failure\|BADKEY" \
	-y "hmac-sha256:agent:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" <<EOF
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
EOF
refuse "unsigned" REFUSED <<EOF
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
EOF
cmp -s "$W/state/example.journal" "$W/journal.before" || fail "refused UPDATEs rewrote the journal"
grep -q "UPDATE refused: signed with key other" "$W/cbd.log" || fail "refusal not logged"

# --- a contribution ---------------------------------------------------------
nsupdate_k "$W/agent.key" <<EOF || fail "nsupdate -k was refused"
zone example.
update delete example. DNSKEY
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
update add example. 3600 CDS $FOREIGN_CDS
EOF
s1=$(cbd_serial)
[ "$s1" = $((s0 + 1)) ] || fail "serial $s0 -> $s1 after a contribution"
kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" || fail "no DNSKEY at combinerd"
[ "$(kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | wc -l)" = 1 ] || fail "DNSKEY RRset is not the contribution alone"
grep -q "contribution from key agent.: DNSKEY.* +$FOREIGN_TAG" "$W/cbd.log" || fail "contribution not logged: $(tail -5 "$W/cbd.log")"
grep -q '"DNSKEY"' "$W/state/example.contrib.json" || fail "contribution not on disk"
ok "contribution accepted: serial $s0 -> $s1, on disk, logged"

signed_has_foreign() {
	axfr "$P_SIG" >"$W/signed.zone"
	grep -q "DNSKEY.*257 3 13 $FOREIGN_B64" "$W/signed.zone" &&
	awk '$4 == "CDS"' "$W/signed.zone" | grep -q "^example.*CDS.*$FOREIGN_TAG 13 2"
}
wait_for 15 signed_has_foreign || fail "signer does not serve the foreign DNSKEY and CDS: $(cat "$W/signed.zone")"
own_tags=$(awk '$4 == "RRSIG" && $5 == "DNSKEY" {print $11}' "$W/signed.zone")
[ -n "$own_tags" ] || fail "DNSKEY RRset not signed"
for t in $own_tags; do [ "$t" != "$FOREIGN_TAG" ] || fail "DNSKEY signed by the foreign key?"; done
dnssec-verify -q -o "$ZONE" "$W/signed.zone" >"$W/verify.log" 2>&1 || fail "dnssec-verify: $(cat "$W/verify.log")"
ok "signer serves foreign DNSKEY $FOREIGN_TAG and its CDS under its own RRSIG (key $own_tags); dnssec-verify passes"

# --- owner change by IXFR, IXFR out -----------------------------------------
owner_reload 2 <<EOF
new	A	192.0.2.77
EOF
wait_for 10 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_CMB SOA $ZONE | awk '{print \$3}')\" = $((s1 + 1)) ]" ||
	fail "owner change did not reach combinerd: $(tail -5 "$W/cbd.log")"
grep -q "IXFR in: owner serial 1 -> 2" "$W/cbd.log" || fail "owner change not taken by IXFR"
kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" || fail "contribution lost on owner change"
kdig @127.0.0.1 -p "$P_CMB" -y "hmac-sha256:signer-xfr:$SECRET_signer_xfr" IXFR="$s1" "$ZONE" \
	+nocomments +nostats | grep -v '^;' | grep -v '^$' | awk '$4 != "TSIG"' >"$W/ixfr.out"
[ "$(awk '$4 != "SOA"' "$W/ixfr.out")" = "$(printf 'new.example.\t3600\tIN\tA\t192.0.2.77')" ] ||
	[ "$(awk '$4 != "SOA" {print $1, $4, $5}' "$W/ixfr.out")" = "new.example. A 192.0.2.77" ] ||
	fail "IXFR out carries more than the difference: $(cat "$W/ixfr.out")"
[ "$(awk '$4 == "SOA"' "$W/ixfr.out" | wc -l)" = 4 ] || fail "IXFR out is not in incremental form: $(cat "$W/ixfr.out")"
ok "owner change by IXFR; IXFR=$s1 out carries only new.example. A"

[ "$(axfr "$P_OWN" owner-xfr | strip5)" = "$(axfr "$P_CMB" signer-xfr | strip5)" ] ||
	fail "combined zone differs from the owner's after the owner change"
ok "combined zone still equals the owner's"

# --- withdrawing ---------------------------------------------------------------
nsupdate_k "$W/agent.key" <<EOF || fail "withdrawing was refused"
zone example.
update delete example. DNSKEY
update delete example. CDS
EOF
! kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | grep -q . || fail "DNSKEY still at combinerd"
signed_gone() {
	axfr "$P_SIG" >"$W/signed2.zone"
	! grep -q "$FOREIGN_B64" "$W/signed2.zone" &&
	! awk '$4 == "CDS"' "$W/signed2.zone" | grep -q .
}
wait_for 15 signed_gone || fail "signer still serves the foreign key or CDS"
grep -q "DNSKEY withdrawn\|DNSKEY.* -$FOREIGN_TAG" "$W/cbd.log" || fail "withdrawal not logged"
ok "withdrawn: gone from combinerd and from the signed zone"
