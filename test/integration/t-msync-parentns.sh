#!/usr/bin/env bash
# The NS steps of the multi-signer join and leave with NSmgmt AGENT against
# a real parent (DESIGN.md, "Multi-signer processes"): three providers of
# example.com. (a, b ON, c OFF) as in t-msync-parent.sh, but the agents keep
# the apex NS RRset the union of the ON providers' nameservers
# (ns1.provider-X.test.) and agent a's child block tells the parent (com.
# at named, agentd as its UPDATE receiver, which checks the NS against what
# the child serves). Waits small but not zero (dnskey-wait, ds-wait,
# ns-wait 2s; parent-poll 1s):
#   start: the parent's NS becomes the NS a and b serve (their union)
#   c ON:  keys, CDS union, DS at the parent, max(DS-Wait, DNSKEY-Wait),
#          then c's NS at every signer, then at the parent; the join ends
#          only after the parent took the NS ("wait for the parent")
#   c OFF: c's NS leaves the union at every signer, then the parent's NS
#          follows; only NS-Wait after that c's CDS leaves the union, then
#          the DS follows, DS-Wait, and only then c's keys leave the signers
# The zone verifies at every signer (and validates through the resolver)
# at each step.
# agentd reads "the parent's NS" at the parent's server without recursion
# (the referral), not from its validating resolver, which answers the
# child's own apex NS; `parent-nameserver com ADDR` points it at named.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
. "$TOP/test/data/msync-lib.sh"
. "$TOP/test/data/parent-lab.sh"

WAIT=2
NSMGMT=2
lab_agents a b c
lab_start

MSYNC_HSYNC="a b c-off" msync_up a b c

parent_start a b
[ "$(ns_at_parent)" = "ns1.owner.test." ] || fail "initial NS at named: $(ns_at_parent)"
ok "com. at named delegates example.com. to ns1.owner.test. with the DS of a and b; parent receiver up"

parent_agents ${WAIT} a b c
# replace: the first UPDATE must also remove the NS the delegation had before
# (ns1.owner.test.), which delta mode never told the parent and so never
# deletes. backoff-max 5s: the receiver refuses an UPDATE whose NS its
# resolver does not see yet (cached for up to 1 s); the child retries in 5 s
parent_child a "	mode replace
	backoff-max 5s"
stamp_agent a
for x in a b c; do agent_start "$x"; done
for x in a b c; do
	for y in a b c; do
		[ "$x" = "$y" ] || wait_state 30 "$x" "$y" OPERATIONAL
	done
done
wait_for 30 grep -q "KeyState of our key $CTAG: 5, next: bootstrap" "$W/agent_a.log" ||
	{ tail -20 "$W/agent_a.log"; fail "a did not ask the parent about its key"; }
pending() { pctl trust | grep -q "$CTAG"; }
wait_for 20 pending || fail "the parent has no pending key $CTAG: $(pctl trust)"
pctl trust example.com. "$CTAG" >/dev/null
ok "three providers OPERATIONAL; the parent trusts a's child key $CTAG"

for x in a b c; do own_tags "$x" >"$W/own.$x"; own_ksk "$x" >"$W/ksk.$x"; done
tags_at() { dnskeys "$1" | sed 's/.*tag=//' | sort -n; }
want() { cat "$@" | sort -n; }
verify_all() {
	local x
	for x in a b c; do
		zone_axfr "$x" >"$W/signed.$x"
		dnssec-verify -q -o example.com "$W/signed.$x" >"$W/verify.$x" 2>&1 || return 1
	done
	wait_for 3 res_ok || { echo "resolver: no AD" >"$W/verify.res"; return 1; }
}
keys_are() {
	local x w
	w=$(shift; want "$@")
	for x in $1; do [ "$(tags_at "$x")" = "$w" ] || return 1; done
}
ns_are() {
	local x
	for x in $1; do [ "$(ns_line "$x")" = "$2" ] || return 1; done
}
ns_now() { for x in a b c; do printf '%s: %s; ' "$x" "$(ns_line "$x")"; done; }
NS_AB="ns1.provider-a.test. ns1.provider-b.test."
NS_ABC="ns1.provider-a.test. ns1.provider-b.test. ns1.provider-c.test."
DS_AB="$(want "$W/ksk.a" "$W/ksk.b" | tr '\n' ' ')"
DS_ABC="$(want "$W/ksk.a" "$W/ksk.b" "$W/ksk.c" | tr '\n' ' ')"

# --- start: the NS union of a and b, at the signers and at the parent ------------------
wait_for 40 keys_are "a b" "$W/own.a" "$W/own.b" || fail "keys: a $(tags_at a | tr '\n' ' ') b $(tags_at b | tr '\n' ' ')"
wait_for 30 ns_are "a b" "$NS_AB" || fail "NS union of a and b: $(ns_now)"
pns_ab() { [ "$(ns_at_parent)" = "$NS_AB" ]; }
wait_for 30 pns_ab || { tail -20 "$W/pagent.log"; fail "NS at named: $(ns_at_parent), wanted $NS_AB"; }
[ "$(ns_referral)" = "$NS_AB" ] || fail "named's referral: $(ns_referral), wanted $NS_AB"
[ "$(ds_tags)" = "$DS_AB" ] || fail "DS at named $(ds_tags), wanted $DS_AB"
verify_all || fail "dnssec-verify: $(cat "$W"/verify.*)"
ok "a and b serve NS $NS_AB (the owner's ns1.owner.test. replaced); a's child UPDATE made it the parent's NS (AXFR and referral); DS ${DS_AB% }; verifies"
wait_for 20 grep -q 'example.com.: process: idle' "$W/agent_a.log" || fail "a's process is not idle"

# --- c joins ------------------------------------------------------------------------
# poll: c's NS must reach the signers only after the parent has c's DS, and
# the parent only after the sender's signer (a: the child tells the parent
# what a's signer serves; b's signer may still be a moment behind, as
# nothing makes the child role wait for every signer's NS RRset)
owner_change 2 a b c
n=0; T_SNS=; T_PNS=
while :; do
	s=0; p=0
	ns_are "a" "$NS_ABC" && s=1
	[ "$(ns_at_parent)" = "$NS_ABC" ] && p=1
	if [ $s = 1 ] && [ -z "$T_SNS" ]; then
		[ "$(ds_tags)" = "$DS_ABC" ] || fail "c's NS at signer a before the parent's DS has c's KSK: DS $(ds_tags)"
		T_SNS=$(date +%s.%N)
	fi
	[ $p = 1 ] && [ -z "$T_SNS" ] && fail "c's NS at the parent before signer a serves it: $(ns_now)"
	[ $p = 1 ] && { T_PNS=$(date +%s.%N); break; }
	n=$((n + 1)); [ $n -lt 600 ] || { tail -20 "$W/pagent.log"; fail "join: NS $(ns_now) at named: $(ns_at_parent), DS $(ds_tags)"; }
	sleep 0.1
done
keys_are "a b c" "$W/own.a" "$W/own.b" "$W/own.c" || fail "c's NS, but not every key: a $(tags_at a | tr '\n' ' ')"
wait_for 10 ns_are "a b c" "$NS_ABC" || fail "c's NS at every signer: $(ns_now)"
[ "$(ns_referral)" = "$NS_ABC" ] || fail "named's referral: $(ns_referral), wanted $NS_ABC"
verify_all || fail "dnssec-verify with c's NS: $(cat "$W"/verify.*)"
ok "c ON: DS ${DS_ABC% } at named, then NS $NS_ABC at signer a, then at named ($(python3 -c "print('%.1f' % ($T_PNS - $T_SNS))") s later); verifies"

after_join() { sed -n '/example.com.: process: join agent-c.lab.: adding its keys/,$p' "$W/stamp_a.log"; }
join_idle() { after_join | grep -q 'example.com.: process: idle'; }
wait_for 20 join_idle || { after_join | grep process; fail "the join of c does not end"; }
after_join | grep 'example.com.: process: \|changes accepted by the parent' >"$W/join.steps"
first() { grep -m1 "$1" "$W/$2.steps" | awk '{print $1}'; }
T_KEYS=$(first 'join agent-c.lab.: adding its keys' join)
T_CDS=$(first 'join agent-c.lab.: CDS/CDNSKEY union published: waiting for DS' join)
T_JW=$(first 'join agent-c.lab.: waiting max(DS-Wait, DNSKEY-Wait)' join)
T_JNS=$(first 'join agent-c.lab.: NS added, CSYNC published: waiting for NS at the parent' join)
T_IDLE=$(first 'example.com.: process: idle' join)
# the parent's acceptances: the DS (before the wait) and the NS (after T_JNS)
T_ACC_DS=$(sed -n '/waiting max(DS-Wait/q;/changes accepted by the parent/p' "$W/join.steps" | tail -1 | awk '{print $1}')
T_ACC_NS=$(sed -n '/NS added, CSYNC published/,$p' "$W/join.steps" | grep -m1 'changes accepted by the parent' | awk '{print $1}')
[ -n "$T_KEYS" ] && [ -n "$T_CDS" ] && [ -n "$T_ACC_DS" ] && [ -n "$T_JW" ] && [ -n "$T_JNS" ] &&
	[ -n "$T_ACC_NS" ] && [ -n "$T_IDLE" ] || fail "join steps: $(cat "$W/join.steps")"
why=$(python3 -c 'import sys
k, c, ad, jw, jn, an, i, w = map(float, sys.argv[1:])
if not k <= c <= ad <= jw <= jn: print("steps out of order")
elif jn - jw < w - 0.2: print("NS added %.1f s after the wait began, wanted %g s" % (jn - jw, w))
elif an < jn: print("the parent took the NS before the NS step")
elif i < an: print("the join ended (idle) %.1f s BEFORE the parent took the NS" % (an - i))' \
	"$T_KEYS" "$T_CDS" "$T_ACC_DS" "$T_JW" "$T_JNS" "$T_ACC_NS" "$T_IDLE" "$WAIT")
[ -z "$why" ] || fail "join: $why: $(cat "$W/join.steps")"
verify_all || fail "dnssec-verify after the join: $(cat "$W"/verify.*)"
ok "join: keys, CDS, DS accepted, max(DS-Wait, DNSKEY-Wait) ($(python3 -c "print('%.1f' % ($T_JNS - $T_JW))") s), NS added, NS accepted by the parent, idle; verifies"

# --- c leaves -----------------------------------------------------------------------
# poll: the signers drop c's NS, then the parent; c's CDS may leave only
# NS-Wait after the parent dropped c's NS; c's keys only after the DS
owner_change 3 a b c-off
K_AB=$(want "$W/own.a" "$W/own.b"); K_ABC=$(want "$W/own.a" "$W/own.b" "$W/own.c")
cds_n() { [ "$(cds_tags a | wc -l)" = "$1" ] && [ "$(cds_tags b | wc -l)" = "$1" ]; }
n=0; T_SNS=; T_PNS=; T_CDS2=; T_DS2=
while :; do
	t=$(date +%s.%N)
	if [ -z "$T_SNS" ] && ns_are "a" "$NS_AB"; then T_SNS=$t; fi
	if [ -z "$T_PNS" ] && [ "$(ns_at_parent)" = "$NS_AB" ]; then
		[ -n "$T_SNS" ] || fail "the parent dropped c's NS before signer a: $(ns_now)"
		T_PNS=$t
	fi
	if [ -z "$T_CDS2" ] && cds_n 2; then
		[ -n "$T_PNS" ] || fail "c's CDS left before the parent dropped c's NS: NS at named $(ns_at_parent)"
		T_CDS2=$t
	fi
	if [ -z "$T_DS2" ] && [ "$(ds_tags)" = "$DS_AB" ]; then
		[ -n "$T_CDS2" ] || fail "the DS changed before the CDS"
		T_DS2=$t
	fi
	ka=$(tags_at a); kb=$(tags_at b)
	if [ "$ka" = "$K_AB" ] && [ "$kb" = "$K_AB" ]; then
		[ -n "$T_DS2" ] || fail "c's keys left before the parent's DS: $(ds_tags)"
		break
	fi
	# one signer may be a moment ahead of the other
	case "$ka/$kb" in "$K_ABC/$K_ABC"|"$K_AB/$K_ABC"|"$K_ABC/$K_AB") ;;
	*) fail "keys at a: $ka b: $kb" ;; esac
	[ "$ka" = "$K_ABC" ] && [ "$kb" = "$K_ABC" ] || [ -n "$T_DS2" ] ||
		fail "c's keys left before the parent's DS: $(ds_tags)"
	n=$((n + 1)); [ $n -lt 600 ] || fail "leave: NS $(ns_now) at named $(ns_at_parent), CDS a $(cds_tags a | tr '\n' ' '), DS $(ds_tags)"
	sleep 0.1
done
T_GONE=$(date +%s.%N)
[ "$(ns_referral)" = "$NS_AB" ] || fail "named's referral: $(ns_referral), wanted $NS_AB"
verify_all || fail "dnssec-verify after c's keys left: $(cat "$W"/verify.*)"
python3 -c 'import sys
p, c, w = map(float, sys.argv[1:])
sys.exit(0 if c - p >= w - 0.3 else 1)' "$T_PNS" "$T_CDS2" "$WAIT" ||
	fail "c's CDS left $(python3 -c "print('%.1f' % ($T_CDS2 - $T_PNS))") s after named dropped c's NS, NS-Wait is ${WAIT}s"
ok "c OFF: NS $NS_AB at a, then at named; c's CDS $(python3 -c "print('%.1f' % ($T_CDS2 - $T_PNS))") s later (NS-Wait ${WAIT}s); DS ${DS_AB% }; c's keys $(python3 -c "print('%.1f' % ($T_GONE - $T_DS2))") s after the DS; verifies"

after_leave() { sed -n '/example.com.: process: leave agent-c.lab.: NS removed/,$p' "$W/stamp_a.log"; }
leave_idle() { after_leave | grep -q 'example.com.: process: idle'; }
wait_for 20 leave_idle || { after_leave | grep process; fail "the leave of c does not end"; }
after_leave | grep 'example.com.: process: \|changes accepted by the parent\|: DNSKEY [0-9]* removed' >"$W/leave.steps"
T_LNS=$(first 'leave agent-c.lab.: NS removed, CSYNC published: waiting for NS at the parent' leave)
T_ACC_NS=$(first 'changes accepted by the parent' leave)
T_NSW=$(first 'leave agent-c.lab.: waiting NS-Wait' leave)
T_LCDS=$(first 'leave agent-c.lab.: CDS/CDNSKEY without its KSK' leave)
T_ACC_DS=$(sed -n '/CDS\/CDNSKEY without its KSK/,$p' "$W/leave.steps" | grep -m1 'changes accepted by the parent' | awk '{print $1}')
T_DSW=$(first 'leave agent-c.lab.: waiting DS-Wait' leave)
T_RM=$(first 'leave agent-c.lab.: removing its keys' leave)
T_IDLE=$(first 'example.com.: process: idle' leave)
[ -n "$T_LNS" ] && [ -n "$T_ACC_NS" ] && [ -n "$T_NSW" ] && [ -n "$T_LCDS" ] && [ -n "$T_ACC_DS" ] &&
	[ -n "$T_DSW" ] && [ -n "$T_RM" ] && [ -n "$T_IDLE" ] || fail "leave steps: $(cat "$W/leave.steps")"
why=$(python3 -c 'import sys
ln, an, nw, lc, ad, dw, rm, i, w = map(float, sys.argv[1:])
if an < ln: print("the parent took a change before the NS step")
elif nw < an: print("NS-Wait began %.1f s BEFORE the parent took the NS" % (an - nw))
elif lc - an < w - 0.2: print("CDS without c %.1f s after the parent took the NS, NS-Wait is %g s" % (lc - an, w))
elif not lc <= ad <= dw <= rm <= i: print("steps out of order")
elif rm - ad < w - 0.2: print("keys removed %.1f s after the parent took the DS, DS-Wait is %g s" % (rm - ad, w))' \
	"$T_LNS" "$T_ACC_NS" "$T_NSW" "$T_LCDS" "$T_ACC_DS" "$T_DSW" "$T_RM" "$T_IDLE" "$WAIT")
[ -z "$why" ] || fail "leave: $why: $(cat "$W/leave.steps")"
verify_all || fail "dnssec-verify after the leave: $(cat "$W"/verify.*)"
ok "leave: NS removed, NS accepted by the parent, NS-Wait ($(python3 -c "print('%.1f' % ($T_LCDS - $T_ACC_NS))") s after the parent), CDS without c, DS accepted, DS-Wait, keys removed, idle; verifies"
echo "t-msync-parentns: $NCHECKS checks"
