#!/usr/bin/env bash
# Two providers sign one zone, end to end on loopback: an owner knotd
# serves example.com. with an HSYNC RRset naming agent-a.lab. and
# agent-b.lab. (ON AGENT SIGN: NSmgmt AGENT). Per provider: combinerd
# (owner -> combinerd -> signer), a knotd signer (dnskey-management
# incremental, cds-cdnskey-publish none, delete-delay), hsyncd following
# the signer, agentd (identities in lab., validated through unbound;
# waits 0). Shown: each signer ends up serving the DNSKEYs of both
# signers, the CDS union, the NS union and a CSYNC, and dnssec-verify
# passes on an AXFR from each; the step of each zone is on disk and shown
# by hsync-ctl; a ZSK roll at a reaches b's signer; kill -9 of agent b and
# a restart keep the union, with b's own keys told apart from the ones it
# pushed.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
. "$TOP/test/data/msync-lib.sh"

lab_agents a b
lab_start
ok "identity zone lab. signed and validated"

msync_up a b
ok "owner -> combinerd -> signed by knotd, for a and b"

for x in a b; do
	msync_agent "$x"
	agent_start "$x"
done
wait_state 30 a b OPERATIONAL
wait_state 30 b a OPERATIONAL
ok "agents a and b OPERATIONAL"

# --- the union -------------------------------------------------------------------
union_everywhere() {
	local x n
	for x in a b; do
		n=$(dnskeys "$x" | wc -l)
		[ "$n" = 4 ] || return 1
	done
	[ "$(dnskeys a)" = "$(dnskeys b)" ]
}
wait_for 40 union_everywhere || {
	for x in a b; do echo "# signer $x:"; dnskeys "$x"; tail -25 "$W/agent_$x.log"; done >&2
	fail "signers do not serve the same 4 DNSKEYs"
}
ok "both signers serve the same DNSKEY RRset: 2 keys of each signer"

# each signer's own keys (those knotd keeps in its KASP DB) are its own
# agent's own keys, and the other's are served too
for x in a b; do
	own_tags "$x" >"$W/own.$x"
	[ "$(wc -l <"$W/own.$x")" = 2 ] || fail "signer $x has $(wc -l <"$W/own.$x") keys of its own"
	[ "$(agent_own "$x")" = "$(cat "$W/own.$x")" ] ||
		fail "agent $x says its own keys are $(agent_own "$x" | tr '\n' ' '), signer has $(tr '\n' ' ' <"$W/own.$x")"
done
cmp -s "$W/own.a" "$W/own.b" && fail "a and b have the same keys?"
for t in $(cat "$W/own.a"); do dnskeys b | grep -q " tag=$t\$" || fail "a's key $t not at b"; done
for t in $(cat "$W/own.b"); do dnskeys a | grep -q " tag=$t\$" || fail "b's key $t not at a"; done
ok "agents tell their own keys from those they pushed: a $(tr '\n' ' ' <"$W/own.a")/ b $(tr '\n' ' ' <"$W/own.b")"

ksk_of() { own_ksk "$1"; }
cds_union() {
	local x
	for x in a b; do
		[ "$(cds_tags "$x")" = "$(printf '%s\n' "$(ksk_of a)" "$(ksk_of b)" | sort -n)" ] || return 1
	done
}
wait_for 20 cds_union || fail "CDS union not published: a $(cds_tags a | tr "\n" " ") b $(cds_tags b | tr "\n" " ") (combinerd a: $(kdig +short @127.0.0.1 -p "$CP_a" example.com CDS | cut -d" " -f1 | tr "\n" " "))"
ok "CDS union published at both signers: KSKs $(ksk_of a) and $(ksk_of b)"

ns_union() {
	local x
	for x in a b; do
		[ "$(ns_of "$x")" = "$(printf 'ns1.provider-a.test.\nns1.provider-b.test.')" ] || return 1
		kdig +short @127.0.0.1 -p "$(eval echo \$SP_$x)" example.com CSYNC | grep -q ' 3 A NS AAAA$' || return 1
	done
}
wait_for 20 ns_union || fail "NS union / CSYNC: a $(ns_of a | tr "\n" " ") b $(ns_of b | tr "\n" " "), CSYNC at a: $(kdig +short @127.0.0.1 -p "$SP_a" example.com CSYNC)"
ok "NSmgmt AGENT: NS union of both providers and a CSYNC at both signers"

verify_all() {
	local x
	for x in a b; do
		zone_axfr "$x" >"$W/signed.$x"
		dnssec-verify -q -o example.com "$W/signed.$x" >"$W/verify.$x" 2>&1 || return 1
	done
}
verify_all || fail "dnssec-verify: $(cat "$W"/verify.*)"
ok "dnssec-verify passes on an AXFR from each signer"

# a validating resolver with the CDS union as the parent's DS, pointed at
# each provider's signer in turn; with only a's KSK as DS, b fails
cds_as_ds a "$W/ds-union" || fail "no CDS at a"
grep " $(ksk_of a) " "$W/ds-union" >"$W/ds-a-only"
msync_validator va a "$W/ds-union"
msync_validator vb b "$W/ds-union"
msync_validator vbad b "$W/ds-a-only"
validates "$VP_va" || fail "answer from provider a not validated: $(kdig +dnssec @127.0.0.1 -p "$VP_va" www.example.com A)"
validates "$VP_vb" || fail "answer from provider b not validated: $(kdig +dnssec @127.0.0.1 -p "$VP_vb" www.example.com A)"
validates "$VP_vbad" && fail "b validated with a's DS alone: the test proves nothing"
kdig +time=2 +retry=0 @127.0.0.1 -p "$VP_vbad" www.example.com A | grep -q SERVFAIL || fail "no SERVFAIL from b with a's DS alone"
ok "a validating resolver with the CDS union as DS validates answers from a and from b (and b fails with a's DS alone)"

grep -q "DNSKEY [0-9]* added, from agent-b.lab." "$W/agent_a.log" || fail "a did not log b's keys with their source"
grep -q "DNSKEY [0-9]* added, from our signer (hsyncd)" "$W/agent_a.log" || fail "a did not log its own keys"
[ -s "$W/a.state/sync-example.com.json" ] || fail "no process state on disk"
"$BIN/hsync-ctl" -s "$W/a.ctl" zones | grep -q 'idle' || { "$BIN/hsync-ctl" -s "$W/a.ctl" zones; fail "hsync-ctl shows no step"; }
ok "changes logged with their source; process state on disk; hsync-ctl shows the step"

# --- a SYNC with a key of another algorithm is refused, with the reason, and changes nothing
mkdir -p "$W/alg15"
k15=$(dnssec-keygen -q -a ED25519 -f KSK -K "$W/alg15" example.com)
cat >"$W/sync-bad.txt" <<EOS
server 127.0.0.1 $PORT_a
zone example.com.
update delete example.com. DNSKEY
update add example.com. 10 IN $(awk '$4 == "DNSKEY" || $3 == "DNSKEY" {sub(/.*DNSKEY[ \t]+/, ""); print "DNSKEY " $0}' "$W/alg15/$k15.key")
update delete example.com. CDS
update delete example.com. CDNSKEY
update delete example.com. CSYNC
update delete example.com. NS
send
EOS
keys_a=$(dnskeys a)
cp "$W/a.state/sync-example.com.json" "$W/state-before.json"
rc=0; nsupdate -k "$W/$(cat "$W/b.keyname").private" "$W/sync-bad.txt" >"$W/nsu.out" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q REFUSED "$W/nsu.out" || fail "SYNC with an ED25519 key not refused: $(cat "$W/nsu.out")"
wait_for 5 grep -q "SYNC from agent-b.lab. with 1 records refused: .*algorithm" "$W/agent_a.log" ||
	fail "refusal not logged with its reason: $(grep 'SYNC from' "$W/agent_a.log" | tail -2)"
cmp -s "$W/state-before.json" "$W/a.state/sync-example.com.json" || fail "refused SYNC changed a's state"
sleep 1
[ "$(dnskeys a)" = "$keys_a" ] || fail "refused SYNC changed a's signer"
ok "a SYNC from b with a key of another algorithm: REFUSED, reason logged ($(grep -o 'refused: .*algorithm[^(]*' "$W/agent_a.log" | head -1)), nothing changed"

# --- kill -9 of agent b, then a ZSK roll at a while b is down ---------------------------
agent_kill b
old_a=$(dnskeys a)
knotc -c "$W/signer_a/knot.conf" zone-key-rollover example.com zsk >/dev/null || fail "knotc zone-key-rollover"
new_at_a() { [ "$(dnskeys a | wc -l)" -gt 4 ]; }
wait_for 20 new_at_a || fail "knotd a did not publish a new ZSK"
new_tag=$(comm -13 <(echo "$old_a") <(dnskeys a) | sed 's/.*tag=//')
[ -n "$new_tag" ] || fail "no new key tag at a"
sleep 1
agent_start b
wait_state 30 b a OPERATIONAL
wait_for 10 grep -q 'process state restored' "$W/agent_b.log" || fail "b did not restore its process state"
new_zsk_at_b() { dnskeys b | grep -q " tag=$new_tag\$"; }
wait_for 30 new_zsk_at_b || fail "the new ZSK $new_tag of a did not reach b: a $(dnskeys a | tr '\n' ' ') b $(dnskeys b | tr '\n' ' ')"
grep -q "DNSKEY $new_tag added, from agent-a.lab." "$W/agent_b.log" || fail "b did not log a's new key with its source"
verify_all || fail "dnssec-verify during the roll: $(cat "$W"/verify.*)"
validates "$VP_va" && validates "$VP_vb" || fail "validation broke during the roll"
[ "$(agent_own b)" = "$(cat "$W/own.b")" ] || fail "after restart b takes $(agent_own b | tr '\n' ' ') as its own"
ok "b killed with -9 mid-roll and restarted: state restored, a's new ZSK $new_tag reaches b's signer, own keys still $(tr '\n' ' ' <"$W/own.b"), verifies and validates"

# the roll ends: a's old ZSK leaves a's signer, then b's
roll_done() {
	[ "$(dnskeys a | wc -l)" = 4 ] && [ "$(dnskeys a)" = "$(dnskeys b)" ] &&
		dnskeys b | grep -q " tag=$new_tag\$"
}
wait_for 60 roll_done || fail "roll did not end everywhere: a $(dnskeys a | tr '\n' ' ') b $(dnskeys b | tr '\n' ' ')"
verify_all || fail "dnssec-verify after the roll: $(cat "$W"/verify.*)"
validates "$VP_va" && validates "$VP_vb" || fail "validation broke after the roll"
wait_for 20 grep -q "DNSKEY $new_tag published by every signer: may be used now" "$W/agent_a.log" ||
	fail "a never saw its new key $new_tag published at b: $("$BIN/hsync-ctl" -s "$W/a.ctl" zones)"
ok "ZSK roll at a completed: the old key is gone from both signers, the new one at both; verifies and validates"
is_idle() { "$BIN/hsync-ctl" -s "$W/$1.ctl" zones | grep -q 'process: idle'; }
wait_for 20 is_idle a && wait_for 20 is_idle b || fail "processes not finished: $("$BIN/hsync-ctl" -s "$W/a.ctl" zones; "$BIN/hsync-ctl" -s "$W/b.ctl" zones)"
ok "a's key-added process saw $new_tag at b's signer (peer-nameserver) and let it be used; a and b idle again"

echo "t-msync-two: $NCHECKS checks"
