#!/usr/bin/env bash
# Two agents, identity zone lab. signed by knotd, unbound validating:
# both reach OPERATIONAL for example.com (zone list from the configuration);
# hsync-ctl shows it as a table and as JSON; a peer that goes silent
# (SIGSTOP) becomes DEGRADED, then INTERRUPTED, and OPERATIONAL again after
# SIGCONT; agent b killed with -9 and restarted gets back to OPERATIONAL
# with nobody's help (peer states from its state directory).
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"

lab_agents a b
lab_start
ok "knotd signs lab. with both agents' URI, SVCB and KEY; unbound validates"

agent_conf a "$UP" a b
agent_conf b "$UP" a b
agent_start a
agent_start b
wait_state 20 a b OPERATIONAL
wait_state 20 b a OPERATIONAL
ok "a and b OPERATIONAL with each other"

"$BIN/hsync-ctl" -s "$W/a.ctl" >"$W/table.txt"
grep -q '^PEER ' "$W/table.txt" && grep -q 'agent-b.lab. *OPERATIONAL .*s ago *host-b.lab.:'"$PORT_b" "$W/table.txt" ||
	{ cat "$W/table.txt"; fail "hsync-ctl table"; }
grep -q '^example.com. *config *agent-a.lab.,agent-b.lab.' "$W/table.txt" || { cat "$W/table.txt"; fail "zones table"; }
"$BIN/hsync-ctl" -j -s "$W/a.ctl" | python3 -c 'import json,sys
d = json.load(sys.stdin)
assert d["identity"] == "agent-a.lab.", d
assert d["zones"][0]["zone"] == "example.com.", d
p = d["peers"][0]
assert p["state"] == "OPERATIONAL" and p["host"] == "host-b.lab." and p["last_contact"] > 0, p' ||
	fail "hsync-ctl -j"
ok "hsync-ctl shows zones, peers, states, last contact (table and JSON)"
grep -q 'HELLO from agent-b.lab.: introduced' "$W/agent_a.log" || fail "no HELLO logged"

# silence: b stops answering and sending
kill -STOP "$(agent_pid b)"
wait_state 10 a b DEGRADED
wait_state 15 a b INTERRUPTED
ok "a silent peer goes DEGRADED, then INTERRUPTED"
kill -CONT "$(agent_pid b)"
wait_state 15 a b OPERATIONAL
ok "it is OPERATIONAL again after SIGCONT"

# crash and restart
agent_kill b
grep -q '"state": "OPERATIONAL"' "$W/b.state/peers.json" || { cat "$W/b.state/peers.json"; fail "b's peers.json"; }
agent_start b
wait_state 20 b a OPERATIONAL
wait_state 20 a b OPERATIONAL
grep -q 'peers restored' "$W/agent_b.log" || fail "b did not restore its peers"
ok "b killed with -9 and restarted: OPERATIONAL again by itself"

# SIGHUP: a broken file is refused and changes nothing; a good one is read
cp "$W/a.conf" "$W/a.conf.good"
echo "heartbeat bogus" >>"$W/a.conf"
kill -HUP "$(agent_pid a)"
wait_for 5 grep -q "reload: $W/a.conf:[0-9]*: .*the old configuration stays" "$W/agent_a.log" ||
	{ cat "$W/agent_a.log"; fail "bad reload not logged"; }
cp "$W/a.conf.good" "$W/a.conf"
kill -HUP "$(agent_pid a)"
wait_for 5 grep -q "reload: configuration .* read" "$W/agent_a.log" || fail "reload not logged"
sleep 1
[ "$(state a b)" = OPERATIONAL ] || fail "a's peer after reload: $(state a b)"
kill -0 "$(agent_pid a)" || fail "a died on SIGHUP"
ok "SIGHUP: a bad file keeps the old configuration, a good one is read, the peer stays OPERATIONAL"

# -n: a bad file is 100 with file:line; a zone dropped from the
# configuration while a was down takes its peers with it
printf 'publish-ttl 0\n' | cat "$W/a.conf.good" - >"$W/bad.conf"
rc=0; "$BIN/agentd" -n -f "$W/bad.conf" 2>"$W/bad.err" || rc=$?
[ $rc = 100 ] && grep -q "bad.conf:[0-9]*: publish-ttl" "$W/bad.err" || { cat "$W/bad.err"; fail "agentd -n: $rc"; }
agent_stop a
sed -i 's/^zone example.com {/zone example.net {/' "$W/a.conf"
agent_start a
wait_for 10 grep -q 'example.com.: no longer one of our zones' "$W/agent_a.log" || fail "stale peers kept"
wait_for 5 eval '! grep -q example.com "$W/a.state/peers.json"' || fail "example.com still in a's peers.json"
grep -q '"example.net."' "$W/a.state/peers.json" || fail "example.net not in a's peers.json"
ok "agentd -n: 100 with file:line; a zone gone from the configuration leaves the peers' zone lists"

echo "t-agentd-pair: $NCHECKS checks"
