#!/usr/bin/env bash
# Three providers, NSmgmt OWNER (case A): a and b are ON, c is OFF. Every
# signer serves the keys of a and b (and c its own, pre-published), the
# owner's NS stays as it is and no CSYNC is made; the zone verifies at
# every signer. Then the owner turns c ON: a and b start a join process
# for c, c's keys reach their signers, c's CDS joins the union, and the
# process waits for the parent's DS (there is none here), which
# hsync-ctl shows, and which survives a kill -9 of a. Then c turns OFF again: its CDS leaves the union first
# and its keys stay while the leave waits for the parent's DS. The zone
# verifies and validates at every step.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
. "$TOP/test/data/msync-lib.sh"

NSMGMT=1
lab_agents a b c
lab_start
ok "identity zone lab. signed and validated"

MSYNC_HSYNC="a b c-off" msync_up a b c
for x in a b c; do
	msync_agent "$x"
	agent_start "$x"
done
for x in a b c; do
	for y in a b c; do
		[ "$x" = "$y" ] || wait_state 30 "$x" "$y" OPERATIONAL
	done
done
ok "three providers' chains up, agents OPERATIONAL with each other"

for x in a b c; do own_tags "$x" >"$W/own.$x"; done
tags_at() { dnskeys "$1" | sed 's/.*tag=//' | sort -n; }
want() { cat "$@" | sort -n; }
ab_union() {
	[ "$(tags_at a)" = "$(want "$W/own.a" "$W/own.b")" ] &&
	[ "$(tags_at b)" = "$(want "$W/own.a" "$W/own.b")" ] &&
	[ "$(tags_at c)" = "$(want "$W/own.a" "$W/own.b" "$W/own.c")" ]
}
wait_for 40 ab_union || fail "a: $(tags_at a | tr '\n' ' ') b: $(tags_at b | tr '\n' ' ') c: $(tags_at c | tr '\n' ' ')"
ok "a and b serve the keys of a and b; c (OFF) serves theirs and its own"

for x in a b c; do
	[ "$(ns_of "$x")" = "ns1.owner.test." ] || fail "NS at $x: $(ns_of "$x")"
	kdig +short @127.0.0.1 -p "$(signer_port "$x")" example.com CSYNC | grep -q . && fail "CSYNC at $x with NSmgmt OWNER"
done
ok "NSmgmt OWNER: the owner's NS everywhere, no CSYNC"

verify_all() {
	local x
	for x in a b c; do
		zone_axfr "$x" >"$W/signed.$x"
		dnssec-verify -q -o example.com "$W/signed.$x" >"$W/verify.$x" 2>&1 || return 1
	done
}
verify_all || fail "dnssec-verify: $(cat "$W"/verify.*)"
ok "dnssec-verify passes at a, b and c"

cds_as_ds a "$W/ds-ab" || fail "no CDS at a"
[ "$(wc -l <"$W/ds-ab")" = 2 ] || fail "CDS at a: $(cat "$W/ds-ab")"
msync_validator va a "$W/ds-ab"
msync_validator vb b "$W/ds-ab"
validates "$VP_va" && validates "$VP_vb" || fail "a or b not validated with the CDS union of a and b"
ok "a validating resolver with the CDS union of a and b validates at a and at b"

# --- c joins ------------------------------------------------------------------------
owner_change 2 a b c
all_union() {
	local x
	for x in a b c; do
		[ "$(tags_at "$x")" = "$(want "$W/own.a" "$W/own.b" "$W/own.c")" ] || return 1
	done
}
wait_for 40 all_union || fail "after c joined: a: $(tags_at a | tr '\n' ' ') b: $(tags_at b | tr '\n' ' ')"
for x in a b; do
	grep -q "DNSKEY $(head -1 "$W/own.c") added, from agent-c.lab." "$W/agent_$x.log" ||
		fail "$x did not log c's key with its source"
done
verify_all || fail "dnssec-verify after the join: $(cat "$W"/verify.*)"
validates "$VP_va" && validates "$VP_vb" || fail "validation broke when c joined"
ok "c turned ON: its keys reach the signers of a and b; verifies and validates"

cds3() { [ "$(cds_tags a | wc -l)" = 3 ] && [ "$(cds_tags b | wc -l)" = 3 ]; }
wait_for 20 cds3 || fail "CDS union with c: a $(cds_tags a | tr '\n' ' ') b $(cds_tags b | tr '\n' ' ')"
step() { "$BIN/hsync-ctl" -s "$W/$1.ctl" zones; }
wait_for 10 sh -c "'$BIN/hsync-ctl' -s '$W/a.ctl' zones | grep -q 'join agent-c.lab.: .*DS'" ||
	{ step a; fail "a does not show the join of c waiting for the parent's DS"; }
grep -q '"kind": *"join"' "$W/a.state/sync-example.com.json" || fail "the join is not on disk"
ok "c's CDS joins the union; the join waits for the parent's DS, on disk and in hsync-ctl: $(step a | grep 'join agent-c' | sed 's/^ *//')"

# --- kill -9 of a in the middle of the join: same step after the restart
agent_kill a
agent_start a
wait_state 30 a b OPERATIONAL
wait_for 10 grep -q 'process state restored' "$W/agent_a.log" || fail "a did not restore its process state"
wait_for 10 sh -c "'$BIN/hsync-ctl' -s '$W/a.ctl' zones | grep -q 'join agent-c.lab.: .*DS'" ||
	{ step a; fail "a lost the join of c over a restart"; }
sleep 1
all_union && cds3 || fail "union changed over a's restart: $(tags_at a | tr '\n' ' ') / $(cds_tags a | tr '\n' ' ')"
[ "$(agent_own a)" = "$(cat "$W/own.a")" ] || fail "after restart a takes $(agent_own a | tr '\n' ' ') as its own"
ok "a killed with -9 mid-join and restarted: the join is in the same step, union and own keys intact"

# --- c leaves again: its CDS goes first, its keys stay while the parent's DS is awaited
owner_change 3 a b c-off
cds2() { [ "$(cds_tags a | wc -l)" = 2 ] && [ "$(cds_tags b | wc -l)" = 2 ]; }
wait_for 30 cds2 || fail "c's CDS not withdrawn: a $(cds_tags a | tr '\n' ' ') b $(cds_tags b | tr '\n' ' ')"
wait_for 10 sh -c "'$BIN/hsync-ctl' -s '$W/a.ctl' zones | grep -q 'leave agent-c.lab.: .*DS'" ||
	{ step a; fail "a does not show the leave of c waiting for the parent's DS"; }
sleep 2
all_union || fail "c's keys left before the parent's DS changed: a: $(tags_at a | tr '\n' ' ')"
verify_all || fail "dnssec-verify during the leave: $(cat "$W"/verify.*)"
validates "$VP_va" && validates "$VP_vb" || fail "validation broke when c left"
ok "c turned OFF: its CDS leaves the union first, its keys stay while the leave waits for the parent's DS: $(step a | grep 'leave agent-c' | sed 's/^ *//')"

echo "t-msync-join: $NCHECKS checks"
