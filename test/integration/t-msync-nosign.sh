#!/usr/bin/env bash
# Case D: an unsigned zone, two providers ON AGENT NOSIGN. Each provider's
# "signer" is a plain knotd secondary of its combinerd (no DNSSEC); hsyncd
# follows it. The agents exchange their NS names only: both servers end
# up with the NS union and a CSYNC, and no DNSKEY, CDS or CDNSKEY appears;
# a key offered by a NOSIGN provider is refused.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
. "$TOP/test/data/msync-lib.sh"

export MSYNC_SIGN=2
MSYNC_SIGNING=off
lab_agents a b
lab_start
ok "identity zone lab. signed and validated"

msync_up a b
for x in a b; do
	msync_agent "$x"
	agent_start "$x"
done
wait_state 30 a b OPERATIONAL
wait_state 30 b a OPERATIONAL
ok "two unsigned chains up; agents OPERATIONAL"

ns_union() {
	local x
	for x in a b; do
		[ "$(ns_of "$x")" = "$(printf 'ns1.provider-a.test.\nns1.provider-b.test.')" ] || return 1
		kdig +short @127.0.0.1 -p "$(signer_port "$x")" example.com CSYNC | grep -q ' 3 A NS AAAA$' || return 1
	done
}
wait_for 30 ns_union || fail "NS union / CSYNC: a $(ns_of a | tr '\n' ' ') b $(ns_of b | tr '\n' ' ')"
ok "NSmgmt AGENT, NOSIGN: NS union of both providers and a CSYNC at both servers"

for x in a b; do
	for t in DNSKEY CDS CDNSKEY RRSIG; do
		kdig +short @127.0.0.1 -p "$(signer_port "$x")" example.com "$t" | grep -q . && fail "$t at $x"
	done
done
grep -q "NS ns1.provider-b.test. added, from agent-b.lab." "$W/agent_a.log" || fail "a did not log b's NS with its source"
ok "no DNSKEY, CDS, CDNSKEY or RRSIG anywhere; b's NS logged at a with its source"

# a DNSKEY from a NOSIGN provider is refused
mkdir -p "$W/k"
k=$(dnssec-keygen -q -a 13 -f KSK -K "$W/k" example.com)
cat >"$W/sync-key.txt" <<EOS
server 127.0.0.1 $PORT_a
zone example.com.
update delete example.com. DNSKEY
update add example.com. 10 IN $(awk '$4 == "DNSKEY" || $3 == "DNSKEY" {sub(/.*DNSKEY[ \t]+/, ""); print "DNSKEY " $0}' "$W/k/$k.key")
update delete example.com. CDS
update delete example.com. CDNSKEY
update delete example.com. CSYNC
update delete example.com. NS
update add example.com. 10 IN NS ns1.provider-b.test.
send
EOS
rc=0; nsupdate -k "$W/$(cat "$W/b.keyname").private" "$W/sync-key.txt" >"$W/nsu.out" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q REFUSED "$W/nsu.out" || fail "DNSKEY from a NOSIGN provider not refused: $(cat "$W/nsu.out")"
wait_for 5 grep -q "SYNC from agent-b.lab. with 2 records refused: " "$W/agent_a.log" || fail "refusal not logged"
sleep 1
kdig +short @127.0.0.1 -p "$SP_a" example.com DNSKEY | grep -q . && fail "the refused key reached a's server"
ok "a DNSKEY from a NOSIGN provider is REFUSED ($(grep -o 'with 2 records refused: [^(]*' "$W/agent_a.log" | head -1))"

echo "t-msync-nosign: $NCHECKS checks"
