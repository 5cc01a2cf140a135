#!/usr/bin/env bash
# Issue 6 item 5 end to end with a parent that follows the DS: three
# providers of example.com. (a, b ON, c OFF) as in t-msync-join.sh; named
# serves the parent zone com., signed, with example.com.'s delegation (DS
# of a's and b's KSKs) and the DSYNC of an agentd in the parent role in
# front of it; agent a (first ON SIGN identity in HSYNC) has a child block
# and tells the parent. Waits are small but not zero (dnskey-wait 2s,
# ds-wait 2s, parent-poll 1s) so the order can be seen:
#   c ON:  c's keys at a's and b's signers -> CDS union with c's KSK ->
#          DS at named -> the join ends (idle) only DS-Wait after the DS
#   c OFF: CDS without c's KSK -> DS at named without it -> only then c's
#          keys leave a's and b's signers
# The zone verifies at every signer (and validates through the resolver)
# at each step. Log lines are stamped
# by a reader here (agentd's lines carry no time).
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
. "$TOP/test/data/msync-lib.sh"
. "$TOP/test/data/parent-lab.sh"

WAIT=2
NSMGMT=1
lab_agents a b c
lab_start

MSYNC_HSYNC="a b c-off" msync_up a b c

# --- the parent: com. at named, agentd in the parent role ---------------------------
parent_start a b
ok "com. signed at named with example.com.'s DS (a, b) and DSYNC; resolver validates the chain; parent receiver up"

# --- the providers' agents; a tells the parent -------------------------------------
parent_agents 0 a b c
parent_child a
stamp_agent a   # $W/stamp_a.log: a's log lines with the time each was seen
for x in a b c; do agent_start "$x"; done
for x in a b c; do
	for y in a b c; do
		[ "$x" = "$y" ] || wait_state 30 "$x" "$y" OPERATIONAL
	done
done
# the parent does not know a's child key: a bootstraps it, the operator trusts it
wait_for 30 grep -q "KeyState of our key $CTAG: 5, next: bootstrap" "$W/agent_a.log" ||
	{ tail -20 "$W/agent_a.log"; fail "a did not ask the parent about its key"; }
pending() { pctl trust | grep -q "$CTAG"; }
wait_for 20 pending || fail "the parent has no pending key $CTAG: $(pctl trust)"
pctl trust example.com. "$CTAG" >"$W/trust.out"
ok "three providers OPERATIONAL; a bootstrapped its child key $CTAG at the parent ($(head -c 100 "$W/trust.out"))"

for x in a b c; do own_tags "$x" >"$W/own.$x"; own_ksk "$x" >"$W/ksk.$x"; done
tags_at() { dnskeys "$1" | sed 's/.*tag=//' | sort -n; }
want() { cat "$@" | sort -n; }
verify_all() {
	local x
	for x in a b c; do
		zone_axfr "$x" >"$W/signed.$x"
		dnssec-verify -q -o example.com "$W/signed.$x" >"$W/verify.$x" 2>&1 || return 1
	done
	# and the resolver validates com. -> example.com. (at a) with the DS named has now
	wait_for 3 res_ok || { echo "resolver: no AD" >"$W/verify.res"; return 1; }
}
ab_union() {
	[ "$(tags_at a)" = "$(want "$W/own.a" "$W/own.b")" ] &&
	[ "$(tags_at b)" = "$(want "$W/own.a" "$W/own.b")" ]
}
wait_for 40 ab_union || fail "a: $(tags_at a | tr '\n' ' ') b: $(tags_at b | tr '\n' ' ')"
DS_AB="$(want "$W/ksk.a" "$W/ksk.b" | tr '\n' ' ')"
[ "$(ds_tags)" = "$DS_AB" ] || fail "DS at named $(ds_tags), wanted $DS_AB"
verify_all || fail "dnssec-verify: $(cat "$W"/verify.*)"
ok "a and b serve the keys of a and b, DS at named is a's and b's KSKs ($DS_AB); verifies"

# --- c joins ------------------------------------------------------------------------
owner_change 2 a b c
CKSK=$(cat "$W/ksk.c")
all_union() {
	local x
	for x in a b c; do
		[ "$(tags_at "$x")" = "$(want "$W/own.a" "$W/own.b" "$W/own.c")" ] || return 1
	done
}
wait_for 40 all_union || fail "after c joined: a: $(tags_at a | tr '\n' ' ') b: $(tags_at b | tr '\n' ' ')"
verify_all || fail "dnssec-verify after c's keys: $(cat "$W"/verify.*)"
ok "c ON: its keys reach the signers of a and b; verifies"
cds3() { [ "$(cds_tags a | wc -l)" = 3 ] && [ "$(cds_tags b | wc -l)" = 3 ]; }
wait_for 30 cds3 || fail "CDS union with c: a $(cds_tags a | tr '\n' ' ') b $(cds_tags b | tr '\n' ' ')"
cds_tags a | grep -qx "$CKSK" || fail "CDS union lacks c's KSK $CKSK"
verify_all || fail "dnssec-verify with the CDS union: $(cat "$W"/verify.*)"
ok "the CDS union includes c's KSK $CKSK; verifies"
DS_ABC="$(want "$W/ksk.a" "$W/ksk.b" "$W/ksk.c" | tr '\n' ' ')"
ds3() { [ "$(ds_tags)" = "$DS_ABC" ]; }
wait_for 30 ds3 || { tail -20 "$W/agent_a.log"; tail -20 "$W/pagent.log"; fail "DS at named: $(ds_tags), wanted $DS_ABC"; }
grep -q "delegation: .* changes accepted by the parent" "$W/agent_a.log" || fail "a did not log the parent's acceptance"
ok "a's child UPDATE brings the parent's DS to the union: $(ds_tags)"
# the join's steps in order, and idle only WAIT after the parent took the DS
# (stamped lines of a's log after the join began)
after_join() { sed -n '/example.com.: process: join agent-c.lab.: adding its keys/,$p' "$W/stamp_a.log"; }
join_idle() { after_join | grep -q 'example.com.: process: idle'; }
wait_for 20 join_idle || { after_join | grep process; fail "the join of c does not end"; }
after_join | grep 'example.com.: process: \|changes accepted by the parent' >"$W/join.steps"
T_KEYS=$(grep -m1 'join agent-c.lab.: adding its keys' "$W/join.steps" | awk '{print $1}')
T_CDS=$(grep -m1 'join agent-c.lab.: CDS/CDNSKEY union published: waiting for DS' "$W/join.steps" | awk '{print $1}')
T_ACC=$(grep 'changes accepted by the parent' "$W/join.steps" | tail -1 | awk '{print $1}')
T_IDLE=$(grep -m1 'example.com.: process: idle' "$W/join.steps" | awk '{print $1}')
[ -n "$T_KEYS" ] && [ -n "$T_CDS" ] && [ -n "$T_ACC" ] && [ -n "$T_IDLE" ] || fail "join steps: $(cat "$W/join.steps")"
python3 -c 'import sys; k, c, a, i, w = map(float, sys.argv[1:]); sys.exit(0 if k <= c <= a and i - a >= w - 0.2 else 1)' \
	"$T_KEYS" "$T_CDS" "$T_ACC" "$T_IDLE" "$WAIT" || fail "join steps out of order or idle too soon: $(cat "$W/join.steps")"
verify_all || fail "dnssec-verify after the join: $(cat "$W"/verify.*)"
ok "join: keys, CDS union, DS accepted by the parent, idle $(python3 -c "print('%.1f' % ($T_IDLE - $T_ACC))") s after the DS (waits ${WAIT}s); verifies"

# --- c leaves -----------------------------------------------------------------------
owner_change 3 a b c-off
cds2() { [ "$(cds_tags a | wc -l)" = 2 ] && [ "$(cds_tags b | wc -l)" = 2 ]; }
wait_for 30 cds2 || fail "c's CDS not withdrawn: a $(cds_tags a | tr '\n' ' ') b $(cds_tags b | tr '\n' ' ')"
all_union || fail "c's keys left with the CDS, before the parent's DS: $(tags_at a | tr '\n' ' ')"
verify_all || fail "dnssec-verify without c's CDS: $(cat "$W"/verify.*)"
ok "c OFF: its CDS leaves the union while its keys stay; verifies"
ds2() { [ "$(ds_tags)" = "$DS_AB" ]; }
keys_gone() { ab_union; }
# poll: the DS must go before the keys
while :; do
	d=0; k=0; ds2 && d=1; keys_gone && k=1
	[ $k = 1 ] && [ $d = 0 ] && fail "c's keys left a's and b's signers before the parent's DS: $(ds_tags)"
	[ $d = 1 ] && break
	n=$(( ${n:-0} + 1 )); [ $n -lt 300 ] || fail "DS at named: $(ds_tags), wanted $DS_AB"
	sleep 0.1
done
T_DS2=$(date +%s.%N)
all_union || fail "c's keys left at the moment the DS changed"
verify_all || fail "dnssec-verify with the DS without c: $(cat "$W"/verify.*)"
ok "the parent's DS follows: $(ds_tags); c's keys still at every signer; verifies"
wait_for 30 keys_gone || fail "c's keys not removed: a $(tags_at a | tr '\n' ' ') b $(tags_at b | tr '\n' ' ')"
T_GONE=$(date +%s.%N)
verify_all || fail "dnssec-verify after the leave: $(cat "$W"/verify.*)"
ok "only then c's keys leave a's and b's signers ($(python3 -c "print('%.1f' % (float('$T_GONE') - float('$T_DS2')))") s after the DS); verifies"
after_leave() { sed -n '/example.com.: process: leave agent-c.lab.: CDS\/CDNSKEY without its KSK/,$p' "$W/stamp_a.log"; }
leave_idle() { after_leave | grep -q 'example.com.: process: idle'; }
wait_for 20 leave_idle || { after_leave | grep process; fail "the leave of c does not end"; }
after_leave | grep 'example.com.: process: \|changes accepted by the parent\|: DNSKEY [0-9]* removed' >"$W/leave.steps"
T_ACC=$(grep -m1 'changes accepted by the parent' "$W/leave.steps" | awk '{print $1}')
T_DSW=$(grep -m1 'leave agent-c.lab.: waiting DS-Wait' "$W/leave.steps" | awk '{print $1}')
T_RM=$(grep -m1 'leave agent-c.lab.: removing its keys' "$W/leave.steps" | awk '{print $1}')
T_KRM=$(grep -m1 ': DNSKEY [0-9]* removed' "$W/leave.steps" | awk '{print $1}')
[ -n "$T_ACC" ] && [ -n "$T_DSW" ] && [ -n "$T_RM" ] && [ -n "$T_KRM" ] || fail "leave steps: $(cat "$W/leave.steps")"
python3 -c 'import sys; a, d, r, k, w = map(float, sys.argv[1:]); sys.exit(0 if a <= d <= r <= k and r - a >= w - 0.2 else 1)' \
	"$T_ACC" "$T_DSW" "$T_RM" "$T_KRM" "$WAIT" || fail "leave steps out of order or keys removed too soon: $(cat "$W/leave.steps")"
ok "leave: CDS without c, DS accepted by the parent, DS-Wait, keys removed $(python3 -c "print('%.1f' % ($T_RM - $T_ACC))") s after the DS (waits ${WAIT}s), idle"
echo "t-msync-parent: $NCHECKS checks"
