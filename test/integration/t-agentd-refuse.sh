#!/usr/bin/env bash
# Three agents reach OPERATIONAL with each other for one zone; an agent
# whose resolver does not validate leaves its peer NEEDED and says why;
# unsigned, forged (wrong key for a peer's host), out-of-window and
# replayed HELLOs, and a HELLO from an identity that the zone's HSYNC does
# not name, are refused, logged, and change nothing.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
SEND="python3 $TOP/test/data/agentd-send.py"

lab_agents a b c d
lab_start
ok "identity zone lab. signed, validating and non-validating resolvers up"

agent_conf a "$UP" a b c
agent_conf b "$UP" a b c
agent_conf c "$UP" a b c
agent_conf d "$NP" a d
for x in a b c d; do agent_start $x; done
for x in a b c; do
	for y in a b c; do
		[ $x = $y ] || wait_state 25 $x $y OPERATIONAL
	done
done
ok "three agents OPERATIONAL with each other"

wait_for 10 grep -q 'agent-a.lab.: discovery failed, peer stays NEEDED: no AD bit from resolver' "$W/agent_d.log" ||
	{ cat "$W/agent_d.log"; fail "no 'no AD bit' line"; }
sleep 2
[ "$(state d a)" = NEEDED ] || fail "d sees a as $(state d a) through a non-validating resolver"
ok "a resolver that does not validate leaves the peer NEEDED, with the reason logged"

cp "$W/a.state/peers.json" "$W/before.json"
peers_a() { "$BIN/hsync-ctl" -j -s "$W/a.ctl" peers | python3 -c 'import json,sys
print(" ".join(sorted(p["identity"] + "=" + p["state"] for p in json.load(sys.stdin))))'; }
BEFORE=$(peers_a)
[ "$BEFORE" = "agent-b.lab.=OPERATIONAL agent-c.lab.=OPERATIONAL" ] || fail "a's peers: $BEFORE"

# unsigned
$SEND hello example.com >"$W/unsigned.bin"
[ "$($SEND send "$PORT_a" "$W/unsigned.bin")" = "REFUSED unsigned" ] || fail "unsigned HELLO not REFUSED"
ok "unsigned HELLO: REFUSED, unsigned answer"

# signed by d: a real, validated agent, but not named in a's HSYNC
"$BIN/hsync-sig0" sign -k "$W/$(cat "$W/d.keyname")" <"$W/unsigned.bin" >"$W/fromd.bin"
[ "$($SEND send "$PORT_a" "$W/fromd.bin")" = "NOTAUTH unsigned" ] || fail "HELLO from d not NOTAUTH"
ok "HELLO from an identity missing from the zone's HSYNC: NOTAUTH"

# forged: a new key that claims b's host name
mkdir -p "$W/forged"
(cd "$W/forged" && dnssec-keygen -q -a ED25519 -T KEY -n HOST host-b.lab >"$W/forged.keyname")
"$BIN/hsync-sig0" sign -k "$W/forged/$(cat "$W/forged.keyname")" <"$W/unsigned.bin" >"$W/forged.bin"
[ "$($SEND send "$PORT_a" "$W/forged.bin")" = "NOTAUTH unsigned" ] || fail "forged HELLO not NOTAUTH"
ok "HELLO signed with another key for b's host: NOTAUTH"

# out of the time window: the protocol's test vector, signed for 2027
[ "$($SEND send "$PORT_a" "$TOP/test/data/msg-hello.bin")" = "NOTAUTH unsigned" ] || fail "2027 HELLO not NOTAUTH"
ok "HELLO outside the time window: NOTAUTH"

# replay: b's own key signs a HELLO once; the same bytes again are refused
$SEND hello example.com 4660 >"$W/u2.bin"
"$BIN/hsync-sig0" sign -k "$W/$(cat "$W/b.keyname")" <"$W/u2.bin" >"$W/realb.bin"
[ "$($SEND send "$PORT_a" "$W/realb.bin")" = "NOERROR signed" ] || fail "b's HELLO not accepted"
[ "$($SEND send "$PORT_a" "$W/realb.bin")" = "REFUSED signed" ] || fail "replayed HELLO not REFUSED"
ok "a valid HELLO is answered NOERROR (signed); the same message again is REFUSED (signed)"
$SEND hello example.com 4661 >"$W/u3.bin"
"$BIN/hsync-sig0" sign -k "$W/$(cat "$W/b.keyname")" <"$W/u3.bin" >"$W/realb3.bin"
[ "$($SEND sendtcp "$PORT_a" "$W/realb3.bin")" = "NOERROR signed" ] || fail "HELLO over TCP"
[ "$($SEND sendtcp "$PORT_a" "$W/realb3.bin")" = "REFUSED signed" ] || fail "replay over TCP"
ok "the same over TCP"
head -c 3 /dev/urandom >"$W/junk1.bin"
head -c 700 /dev/urandom >"$W/junk2.bin"
for j in junk1 junk2; do $SEND send "$PORT_a" "$W/$j.bin" >/dev/null; done
$SEND send "$PORT_a" "$TOP/test/data/msg-hello-response.bin" >"$W/resp.out"
[ "$(cat "$W/resp.out")" = TIMEOUT ] || fail "a response was answered: $(cat "$W/resp.out")"
kill -0 "$(agent_pid a)" || fail "a died on junk"
ok "junk is survived; a response (QR set) is never answered"

n=$(grep -c 'HELLO from signer .* refused' "$W/agent_a.log" || true)
[ "$n" -ge 5 ] || { grep refused "$W/agent_a.log"; fail "only $n refusals logged"; }
AFTER=$(peers_a)
[ "$AFTER" = "$BEFORE" ] || fail "a's peers changed: $AFTER"
grep -q 'agent-d' "$W/a.state/peers.json" && fail "d entered a's peer file"
ok "every refusal logged; a's peers and states unchanged"

# SYNC from c by nsupdate -k (RFC 2136 + SIG(0)): verified, acknowledged
# The CDS in the vector is the digest for zone.example.; renamed to
# example.com. it needs that name's digest, or the content check refuses it.
sed -e "s/PORT/$PORT_a/" -e 's/zone\.example\./example.com./g' -e 's/sig0\.example\./c.lab./g' \
	-e s/B81122F6AA6FAE16C8CF4128DA491F4217A2BB39D5C0022D8066022AA90BA98C/62104F4D37962CCB19224A6F267B07A44A2615975864297B5C9FBBF6C9B83E00/ \
	"$TOP/test/data/msg-sync-nsupdate.txt" >"$W/sync.txt"
nsupdate -k "$W/$(cat "$W/c.keyname").private" "$W/sync.txt" || fail "nsupdate SYNC from c refused"
wait_for 5 grep -q 'agent-c.lab.: SYNC from agent-c.lab. with 5 records: verified, acknowledged' "$W/agent_a.log" ||
	{ tail "$W/agent_a.log"; fail "SYNC not logged"; }
# the same SYNC from d (not in HSYNC) is refused
rc=0; nsupdate -k "$W/$(cat "$W/d.keyname").private" "$W/sync.txt" >"$W/nsu.out" 2>&1 || rc=$?
[ $rc != 0 ] || fail "SYNC from d accepted"
ok "SYNC (nsupdate -k) from a peer is verified and acknowledged; from an identity not in HSYNC refused"

# b comes back with a key that is not published (not validated): its
# signed answers do not verify at a, which puts b in ERROR (then KNOWN
# again after rediscovery, and ERROR again) and never accepts its messages
agent_stop b
sed -i "s|^key .*|key \"$W/forged/$(cat "$W/forged.keyname")\"|" "$W/b.conf"
agent_start b
wait_state 20 a b ERROR
grep -q 'agent-b.lab.: answer (REFUSED) to our HEARTBEAT not verified' "$W/agent_a.log" ||
	grep -q 'agent-b.lab.: answer (.*) to our .* not verified' "$W/agent_a.log" || fail "no log of the bad answer"
# rediscovery (backoff) finds the published key again: KNOWN, HELLO, ERROR
for i in $(seq 1 15); do
	case "$(state a b)" in INTRODUCED|OPERATIONAL|DEGRADED|INTERRUPTED) fail "b is $(state a b) at a";; esac
	sleep 0.2
done
[ "$(state a c)" = OPERATIONAL ] || fail "c at a: $(state a c)"
ok "answers signed with an unpublished key are refused; the peer is ERROR, the others stay OPERATIONAL"

echo "t-agentd-refuse: $NCHECKS checks"
