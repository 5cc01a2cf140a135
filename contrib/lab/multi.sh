#!/usr/bin/env bash
# contrib/lab/multi.sh -- the third part of `make lab` (run by lab.sh):
# two providers sign one zone (case A: HSYNC "ON AGENT SIGN" for both), on
# 127.0.0.1 only:
#
#   owner knotd --+--> combinerd a -> knotd signer a -> hsyncd a -> agentd a
#                 |                                                  ^ SYNC
#                 +--> combinerd b -> knotd signer b -> hsyncd b -> agentd b
#
# The agents find each other through their identity zone "lab." (signed by
# a knotd, validated by an unbound), exchange their signers' DNSKEYs and
# CDS by SYNC and put the other's into their own chain through combinerd,
# until both signers serve the same DNSKEY RRset. The parent zone com.
# (named, with agentd as its UPDATE receiver) starts with the DS of a's KSK
# only, so answers from b do not validate; agent a tells the parent (SIG(0)
# UPDATE found by DSYNC) and the parent's DS follows the providers' CDS
# union. Then each zone is checked with dnssec-verify and an unbound that
# trusts only com.'s key validates an answer from each provider.
#
# The servers are those of the integration tests t-msync-two.sh and
# t-msync-parent.sh (sourced from test/data/agentd-lab.sh, msync-lib.sh and
# parent-lab.sh); this file adds the explanations. Every server is stopped by PID on exit; the working
# directory with every configuration and log is kept and its path printed
# (LAB_CLEAN=1 removes it after a run that passed). Exits non-zero at the
# first step that fails.
#
# Needs HSYNC_BIN (the built programs; `make lab` sets it), knotd, knotc,
# keymgr, kdig, dig, unbound, named, python3, tsig-keygen, dnssec-keygen,
# dnssec-dsfromkey and dnssec-verify.
TOP=${HSYNC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export HSYNC_TOP=$TOP
export HSYNC_BIN=${HSYNC_BIN:-$TOP/build/bin}
for p in agentd hsyncd combinerd hsync-ctl hsync-rr; do
	[ -x "$HSYNC_BIN/$p" ] || { echo "lab: no $HSYNC_BIN/$p (run 'make lab')" >&2; exit 1; }
done
for p in knotd knotc keymgr kdig dig unbound named python3 tsig-keygen dnssec-keygen dnssec-dsfromkey dnssec-verify; do
	command -v "$p" >/dev/null || { echo "lab: $p is needed (make deps)" >&2; exit 1; }
done
export HSYNC_WORK=${HSYNC_WORK:-$(mktemp -d /tmp/hsync-lab-multi.XXXXXX)}
# shellcheck source=../../test/integration/lib.sh
. "$TOP/test/integration/lib.sh"        # bg, wait_for, free_port, ok, fail
# shellcheck source=../../test/data/agentd-lab.sh
. "$TOP/test/data/agentd-lab.sh"        # identity zone lab., unbound, agents
# shellcheck source=../../test/data/msync-lib.sh
. "$TOP/test/data/msync-lib.sh"         # owner, combinerd, signer, hsyncd per provider
# shellcheck source=../../test/data/parent-lab.sh
. "$TOP/test/data/parent-lab.sh"        # the parent com.: named, receiver agentd, resolver

T0=$(date +%s)
finish() {
	local rc=$?
	cleanup
	echo
	if [ "$rc" -ne 0 ]; then
		echo "lab (multi): FAILED at the step above. Logs: $W/*.log"
	fi
	if [ -n "${LAB_CLEAN:-}" ] && [ "$rc" -eq 0 ]; then
		rm -rf "$W"
	else
		echo "lab (multi): working directory kept: $W"
		echo "  configurations: $W/owner/knot.conf $W/cmb_{a,b}.conf $W/signer_{a,b}/knot.conf"
		echo "                  $W/hsd_{a,b}.conf $W/{a,b}.conf (agentd) $W/v{0a,0b,a,b}.conf (validators)"
		echo "                  $W/named/named.conf $W/named/com.zone $W/parent.conf (the parent com.)"
		echo "  logs:           $W/owner.log $W/cmb_{a,b}.log $W/signer_{a,b}.log $W/hsd_{a,b}.log"
		echo "                  $W/agent_{a,b}.log $W/knotd.log (lab.) $W/unbound.log $W/v{0a,0b,a,b}.log"
		echo "                  $W/named.log $W/pagent.log (parent receiver) $W/jlres.log (resolver)"
	fi
	exit "$rc"
}
trap finish EXIT

N=0
step() {
	N=$((N + 1))
	echo
	echo "------------------------------------------------------------------"
	echo "Step $N: $1"
	echo "------------------------------------------------------------------"
	shift
	printf '%s\n' "$@"
	echo
}
say() { sed 's/^/    /'; }
elapsed() { echo "$(( $(date +%s) - T0 )) s"; }

cat <<EOF

==================================================================
Part three: two providers sign one zone (case A, RFC 8901 model 2)
==================================================================
Working directory and logs: $W

The owner lists two providers in its HSYNC RRset, both "ON AGENT SIGN".
Each provider runs its own chain: combinerd (takes the owner's zone and
lays the other provider's keys over it), a knotd signer with keys of its
own, hsyncd (watches the signer and tells the agent what it publishes)
and agentd (talks to the other provider's agent). At the end each signer
must serve the DNSKEYs of both, and a resolver with the DS of both KSKs at
the parent must validate answers from either provider. The parent zone
com. starts with a's key alone, as if a had served example.com. by itself
until now; agent a tells the parent when the providers' keys change.
EOF

# ---------------------------------------------------------------------------
step "the agents' identities" \
"Each agent has a SIG(0) key pair and a name (agent-a.lab., agent-b.lab.).
Their address and key are published in the zone lab., signed by a knotd;
an unbound with lab.'s KSK as trust anchor is the resolver through which
each agent finds and checks the other (DNSSEC-validated discovery)."
lab_agents a b
lab_start
for x in a b; do
	for q in "_dns._tcp.agent-$x.lab. URI" "host-$x.lab. SVCB" "host-$x.lab. KEY"; do
		# shellcheck disable=SC2086
		kdig +noall +answer +time=1 +retry=0 @127.0.0.1 -p "$KP" $q
	done
done | say
[ "$(kdig +short +time=1 +retry=0 @127.0.0.1 -p "$KP" _dns._tcp.agent-b.lab. URI | wc -l)" = 1 ] ||
	fail "agent b's URI is not in lab."
ok "identity zone lab. at 127.0.0.1@$KP, validating unbound at 127.0.0.1@$UP"

# ---------------------------------------------------------------------------
step "the owner's zone and its HSYNC RRset" \
"The owner's primary (knotd) serves example.com. with two HSYNC records:
both providers take part (ON), the agents keep the NS RRset (AGENT), both
sign (SIGN), both take the zone from the owner ('.'). Read back from the
owner's server with hsync-rr -p:"
msync_keys a b
new_port; OP=$NEWPORT
for x in a b; do
	new_port; eval "CP_$x=$NEWPORT"
	new_port; eval "SP_$x=$NEWPORT"
	new_port; eval "HP_$x=$NEWPORT"
done
msync_owner a b
kdig +noall +answer +time=1 +retry=0 @127.0.0.1 -p "$OP" example.com TYPE65282 >"$W/hsync.gen"
"$BIN/hsync-rr" -p <"$W/hsync.gen" >"$W/hsync.txt" || fail "hsync-rr -p: $(cat "$W/hsync.gen")"
say <"$W/hsync.txt"
[ "$(grep -c 'HSYNC ON AGENT SIGN agent-[ab].lab. .$' "$W/hsync.txt")" = 2 ] || fail "owner's HSYNC RRset is not case A"
ok "owner serves example.com. with HSYNC for agent-a.lab. and agent-b.lab. (127.0.0.1@$OP)"

# ---------------------------------------------------------------------------
step "each provider's chain, and its signer's own keys" \
"Per provider: combinerd transfers from the owner, the knotd signer from
combinerd ('dnskey-management: incremental', so it keeps DNSKEYs it did not
make), hsyncd follows the signer. Each signer makes a KSK and a ZSK of its
own (keymgr list), and at first serves only those:"
MSYNC_CMB_EXTRA="	allow-apex-key yes"   # the agent may publish the child's SIG(0) KEY
for x in a b; do
	msync_combinerd "$x"
	msync_signer "$x"
	msync_hsyncd "$x"
done
for x in a b; do
	wait_for 30 signer_up "$x" || { tail -20 "$W/signer_$x.log"; fail "signer $x does not serve a signed zone"; }
done
for x in a b; do
	echo "signer $x (127.0.0.1@$(signer_port "$x")): KSK $(own_ksk "$x" | xargs), all own keys $(own_tags "$x" | xargs)"
	dnskeys "$x" | sed 's/^/    DNSKEY flags /'
done | say
for x in a b; do
	[ "$(own_tags "$x" | wc -l)" = 2 ] || fail "signer $x has $(own_tags "$x" | wc -l) keys of its own, not 2"
done
ok "owner -> combinerd -> knotd signer, for a and b; each signs with its own keys"

# ---------------------------------------------------------------------------
step "the parent zone com., and the chain before the providers sync" \
"named serves com., signed, with example.com.'s delegation: the DS of
provider a's KSK only (as if a had served example.com. alone until now).
Beside named runs an agentd in the parent role: com.'s UPDATE receiver. Its
DSYNC record (RFC 9859; TYPE66, as named does not know the type yet) tells
every child where to send UPDATEs; it checks what a child sends (SIG(0),
the child's own delegation only, a DS must match a key the child serves)
and sends what it accepts to named by TSIG UPDATE. From com. at named:"
parent_start a
{
	kdig +noall +authority +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" example.com. NS
	kdig +noall +answer +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" example.com. DS
	kdig +noall +answer +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" '*._dsync.com.' TYPE66
} | say
[ "$(ds_tags)" = "$(own_ksk a) " ] || fail "com.'s DS for example.com. is not a's KSK alone: $(ds_tags)"
echo "Two unbounds that trust only com.'s key: one asks only signer a for"
echo "example.com., the other only signer b. For www.example.com. A:"
parent_validator v0a a
parent_validator v0b b
# shellcheck disable=SC2154  # VP_v0a, VP_v0b: set by parent_validator (eval)
wait_for 10 validates "$VP_v0a" || fail "answer from a does not validate through com.: $(kdig +dnssec @127.0.0.1 -p "$VP_v0a" www.example.com A)"
{
	echo "through signer a: $(kdig +time=2 +retry=0 +dnssec @127.0.0.1 -p "$VP_v0a" www.example.com A | grep -E '^;; Flags:' | sed 's/;; //')"
	echo "through signer b: $(kdig +time=2 +retry=0 @127.0.0.1 -p "$VP_v0b" www.example.com A | grep -o 'status: [A-Z]*')"
} | say
kdig +time=2 +retry=0 @127.0.0.1 -p "$VP_v0b" www.example.com A | grep -q SERVFAIL ||
	fail "b's answer is not SERVFAIL with a's DS alone: the later check would prove nothing"
ok "com. at 127.0.0.1@$P_NAMED, receiver at 127.0.0.1@$P_RECV: a validates, b does not (SERVFAIL)"

# ---------------------------------------------------------------------------
step "the agents find each other" \
"Each agentd learns from hsyncd that the zone's HSYNC names agent-a.lab. and
agent-b.lab., looks the other up in lab. (through the validating unbound),
and says HELLO, then sends heartbeats. hsync-ctl peers, at each agent:"
UP=$JP          # the resolver that validates lab., com. and example.com.
for x in a b; do
	msync_agent "$x"
	# com.'s server listens on a lab port: where to read com.'s delegation NS
	echo "parent-nameserver com 127.0.0.1@$P_NAMED" >>"$W/$x.conf"
done
# both agents know the child's SIG(0) key and publish it at the apex through
# their combinerd; only a (first ON SIGN identity in HSYNC) tells the parent
parent_child a "	publish-key yes"
parent_child b "	publish-key yes"
for x in a b; do
	agent_start "$x"
done
wait_state 30 a b OPERATIONAL
wait_state 30 b a OPERATIONAL
for x in a b; do
	echo "agent $x:"
	"$BIN/hsync-ctl" -s "$W/$x.ctl" peers | say
done | say
ok "agents a and b see each other OPERATIONAL ($(elapsed))"

# ---------------------------------------------------------------------------
step "SYNC: the agents exchange their signers' keys" \
"Each agent sends the other a SYNC (a DNS UPDATE signed with SIG(0)) with
its signer's DNSKEYs and CDS; the receiver hands them to its combinerd,
and its signer picks them up. From the agents' logs:"
union_everywhere() {
	local x
	for x in a b; do
		[ "$(dnskeys "$x" | wc -l)" = 4 ] || return 1
	done
	[ "$(dnskeys a)" = "$(dnskeys b)" ]
}
wait_for 40 union_everywhere || {
	for x in a b; do echo "# signer $x:"; dnskeys "$x"; tail -25 "$W/agent_$x.log"; done >&2
	fail "signers do not serve the same 4 DNSKEYs"
}
for x in a b; do
	echo "agent $x:"
	grep -o 'DNSKEY [0-9]* added, from .*' "$W/agent_$x.log" | sort -u | say
done | say
for x in a b; do
	y=$([ "$x" = a ] && echo b || echo a)
	for t in $(own_tags "$y"); do
		grep -q "DNSKEY $t added, from agent-$y.lab." "$W/agent_$x.log" ||
			fail "agent $x did not log $y's key $t as coming from agent-$y.lab."
	done
done
ok "each agent took the other's keys from its SYNC"

# ---------------------------------------------------------------------------
step "every signer serves the same DNSKEY set" \
"Key tags each signer serves, side by side (257 = KSK, 256 = ZSK); 'own'
marks the signer's own keys, the others came from the other provider:"
mark() {
	local x=$1 f t
	dnskeys "$x" | while read -r f t; do
		t=${t#tag=}
		if own_tags "$x" | grep -qx "$t"; then echo "$f $t own"; else echo "$f $t"; fi
	done
}
{
	printf '%-22s %s\n' "signer a" "signer b"
	paste -d'|' <(mark a) <(mark b) | awk -F'|' '{ printf "%-22s %s\n", $1, $2 }'
} | say
[ "$(dnskeys a)" = "$(dnskeys b)" ] || fail "the DNSKEY sets differ"
ok "signers a and b serve the same 4 DNSKEYs ($(elapsed))"

# ---------------------------------------------------------------------------
step "the CDS union" \
"Each signer publishes CDS records for both providers' KSKs, so the parent
(which polls either provider) gets DS records for both:"
ksks() { printf '%s\n' "$(own_ksk a)" "$(own_ksk b)" | sort -n; }
cds_union() {
	local x
	for x in a b; do [ "$(cds_tags "$x")" = "$(ksks)" ] || return 1; done
}
wait_for 20 cds_union || fail "CDS union not published: a $(cds_tags a | xargs) b $(cds_tags b | xargs), KSKs $(ksks | xargs)"
for x in a b; do
	echo "signer $x:"
	kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$x")" example.com CDS | say
done | say
ok "CDS for KSKs $(own_ksk a) (a) and $(own_ksk b) (b) at both signers"

# ---------------------------------------------------------------------------
step "the parent's DS follows the providers' DS set" \
"Both agents have a child block for example.com. with the same SIG(0)
key, and publish its KEY at the zone's apex through their combinerd
(allow-apex-key), so both signers serve it, signed. Agent a, the first ON
SIGN identity in HSYNC, follows the zone at its signer and sees the
delegation data change (the CDS union, the NS union). It finds com.'s
UPDATE receiver by DSYNC discovery through the validating resolver and
asks it (KeyState) whether it knows the key. It does not (5, unknown): a
bootstraps it with a self-signed UPDATE; the receiver holds it as pending
and looks the KEY up at example.com.'s apex through its validating
resolver. The answer validates (com.'s DS -> a's KSK -> the signed KEY),
so the key becomes trusted with no one's hand on it. Then a sends a
SIG(0)-signed UPDATE with example.com.'s new DS set and NS set (the first
one replaces both, so the owner's old NS goes); the receiver checks each
DS against the child's validated DNSKEY RRset and each NS against the
child's validated NS RRset, and hands the change to named."
for x in a b; do
	echo "signer $x: example.com. KEY $(kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$x")" example.com KEY | cut -c1-40)..."
done | say
wait_for 30 grep -q "KeyState of our key $CTAG: 5, next: bootstrap" "$W/agent_a.log" ||
	fail "agent a did not ask the parent about its key: $(tail -5 "$W/agent_a.log")"
trusted() { pctl trust | grep -A8 "\"keytag\": $CTAG" | grep -q '"state": "trusted"'; }
wait_for 30 trusted || fail "the parent did not come to trust key $CTAG: $(pctl trust)"
echo "the parent's trust store (hsync-ctl -s $W/parent.ctl trust):"
pctl trust | say
pctl trust | grep -q '"via": "manual"' && fail "the key was trusted by hand, not by the validated look-up"
WANT_DS="$(printf '%s\n' "$(own_ksk a)" "$(own_ksk b)" | sort -n | tr '\n' ' ')"
ds_union() { [ "$(ds_tags)" = "$WANT_DS" ] && [ "$(ns_at_parent)" = "$(ns_line a)" ]; }
wait_for 40 ds_union || {
	tail -15 "$W/agent_a.log"; tail -15 "$W/pagent.log"
	fail "com.'s delegation for example.com.: DS $(ds_tags), wanted $WANT_DS; NS $(ns_at_parent), wanted $(ns_line a)"
}
echo
echo "agent a (the child's side):"
grep -E 'KeyState of our key|delegation: ' "$W/agent_a.log" | say
echo "the receiver (com.'s side):"
grep -E 'key bootstrap|now trusted|DNSKEY look-up|NS look-up|changes sent to' "$W/pagent.log" | say
echo "com. at named now:"
{
	kdig +noall +authority +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" example.com. NS
	kdig +noall +answer +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" example.com. DS
} | say
ok "com.'s DS for example.com. is the providers' set: KSK $(own_ksk a) (a) and $(own_ksk b) (b); its NS is the providers' NS union, the owner's old NS gone ($(elapsed))"

# ---------------------------------------------------------------------------
step "dnssec-verify on each signer's zone" \
"An AXFR from each signer, checked by BIND's dnssec-verify: every RRSIG
valid, NSEC chain complete, the DNSKEY RRset signed by a KSK in it:"
for x in a b; do
	zone_axfr "$x" >"$W/signed.$x"
	rc=0; dnssec-verify -o example.com "$W/signed.$x" >"$W/verify.$x" 2>&1 || rc=$?
	{
		echo "dnssec-verify -o example.com $W/signed.$x   ($(wc -l <"$W/signed.$x") records)"
		grep -v '^$' "$W/verify.$x" | say
	} | say
	[ "$rc" = 0 ] || fail "dnssec-verify on signer $x's zone"
done
ok "both zones verify"

# ---------------------------------------------------------------------------
step "a resolver validates answers from either provider" \
"Two new unbounds set up as the two before the sync, trusting only com.'s
key: they follow com.'s DS to example.com.'s keys, one asking only signer
a, the other only signer b. Both must now set the AD bit on
www.example.com. A (the first two would still remember b as bogus):"
parent_validator va a
parent_validator vb b
for x in a b; do
	vp=""
	eval "vp=\$VP_v$x"
	wait_for 15 validates "$vp" || fail "answer from provider $x not validated: $(kdig +dnssec @127.0.0.1 -p "$vp" www.example.com A)"
	{
		echo "kdig +dnssec @127.0.0.1 -p $vp www.example.com A   (unbound -> com. at named -> signer $x)"
		kdig +time=2 +retry=0 +dnssec @127.0.0.1 -p "$vp" www.example.com A |
			grep -E '^;; Flags:|^;; flags:|^www\.example\.com\..*[[:space:]]A[[:space:]]' | say
	} | say
done
ok "AD set on answers from provider a and from provider b, through the parent com. (b was SERVFAIL before)"

echo
echo "lab (multi): both providers serve the same DNSKEY set and the CDS union, the parent's DS follows, and both validate ($(elapsed))"
