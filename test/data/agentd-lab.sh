# test/data/agentd-lab.sh -- sourced by test/integration/t-agentd-*.sh after
# lib.sh: agents with SIG(0) keys, their identity zone "lab." signed by knotd
# (the records agentd -p prints), unbound validating it with the zone's KSK
# as trust anchor (port $UP) and a second unbound without anchor ($NP).
#
#   lab_agents a b c       keys and ports for the agents (before lab_start)
#   lab_start              knotd + both unbounds
#   agent_conf X RESOLVERPORT ZONE-HSYNC-IDS...   write $W/X.conf
#   agent_start X / agent_stop X / agent_kill X
#   state X PEER           state of PEER as agent X sees it (hsync-ctl -j)
#   wait_state SECS X PEER STATE
command -v knotd >/dev/null || fail "knotd not installed"
command -v unbound >/dev/null || fail "unbound not installed"
command -v jq >/dev/null || JQ=no

AGENTS=""
# agent_port: a free port below the kernel's ephemeral range (and one that
# unbound avoids for its queries, below), so no client socket takes it
# between the moment it is published in lab. and the agent's bind.
agent_port() {
	local p lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$lo" -gt 12000 ] || lo=32768
	while :; do
		p=$(( 10000 + RANDOM % (lo - 10000) ))
		case "$USED" in *" $p "*) continue;; esac
		ss -Hltun "sport = :$p" 2>/dev/null | grep -q . && continue
		break
	done
	USED="$USED$p "
	NEWPORT=$p
}
# lab_agents NAME...: a key pair host-NAME.lab. and a port for each.
lab_agents() {
	local x
	for x in "$@"; do
		(cd "$W" && dnssec-keygen -q -a ED25519 -T KEY -n HOST "host-$x.lab" >"$W/$x.keyname")
		agent_port; eval "PORT_$x=$NEWPORT"
		AGENTS="$AGENTS $x"
	done
}

# agent_conf X RESOLVERPORT ID... : agent X, zone example.com whose HSYNC
# names agent-ID.lab. for each ID.
agent_conf() {
	local x=$1 rp=$2 id port; shift 2
	eval "port=\$PORT_$x"
	mkdir -p "$W/$x.state"
	{
		echo "identity agent-$x.lab"
		echo "key \"$W/$(cat "$W/$x.keyname")\""
		echo "listen 127.0.0.1 port $port"
		echo "resolver 127.0.0.1@$rp"
		echo "state-dir \"$W/$x.state\""
		echo "control-socket \"$W/$x.ctl\""
		echo "heartbeat 1s; degraded 2; interrupted 5"
		echo "hello-timeout 2s; backoff-min 1s; backoff-max 2s"
		echo "log-level info"
		if [ $# -gt 0 ]; then
			echo "zone example.com {"
			for id in "$@"; do echo "	hsync \"ON AGENT SIGN agent-$id.lab. .\""; done
			echo "}"
		fi
		[ -n "${AGENT_EXTRA:-}" ] && echo "$AGENT_EXTRA"
	} >"$W/$x.conf"
	"$BIN/agentd" -n -f "$W/$x.conf" || fail "agentd -n $x.conf"
}

lab_start() {
	local x
	mkdir -p "$W/knot"
	cat >"$W/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@0
log:
  - target: stderr
    any: info
database:
    storage: $W/knot
policy:
  - id: ecdsa
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    propagation-delay: 0
    dnskey-ttl: 60
    zone-max-ttl: 60
zone:
  - domain: lab
    storage: $W/knot
    file: lab.zone
    dnssec-signing: on
    dnssec-policy: ecdsa
EOF
	{
		echo '$ORIGIN lab.'
		echo '$TTL 60'
		echo '@ SOA ns1 hostmaster 1 3600 900 604800 60'
		echo '@ NS ns1'
		echo 'ns1 A 127.0.0.1'
		for x in $AGENTS; do
			agent_conf "$x" 53 "$x"
			"$BIN/agentd" -p -f "$W/$x.conf" | sed 's/ 3600 IN / 60 IN /'
		done
	} >"$W/knot/lab.zone"
	signed() { kdig +short +norec +time=1 +retry=0 @127.0.0.1 -p "$1" lab. DNSKEY | grep -q '^257 '; }
	knot_port() { sed -i "s/listen: .*/listen: 127.0.0.1@$1/" "$W/knot.conf"; }
	serve knotd KP knot_port signed knotd -c "$W/knot.conf"
	kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$KP" lab. DNSKEY |
		awk '$4 == "DNSKEY" && $5 == 257' >"$W/anchor.key"
	[ -s "$W/anchor.key" ] || fail "no KSK for the trust anchor"
	up() { kdig +time=1 +retry=0 @127.0.0.1 -p "$1" lab. SOA >/dev/null; }
	conf_unbound() { unbound_conf "$W/unbound.conf" "$1" "trust-anchor-file: \"$W/anchor.key\"" "lab.=127.0.0.1@$KP"; }
	conf_plain() { unbound_conf "$W/plain.conf" "$1" "" "lab.=127.0.0.1@$KP"; }
	serve unbound UP conf_unbound up unbound -d -c "$W/unbound.conf"
	serve plain NP conf_plain up unbound -d -c "$W/plain.conf"
}

agent_start() { bg "agent_$1" "$BIN/agentd" -f "$W/$1.conf"; }
agent_kill() { local pid; eval "pid=\$PID_agent_$1"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
agent_stop() { local pid; eval "pid=\$PID_agent_$1"; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
agent_pid() { eval "echo \$PID_agent_$1"; }

# state X PEER: the state agent X has for agent-PEER.lab.
state() {
	"$BIN/hsync-ctl" -j -s "$W/$1.ctl" peers 2>/dev/null |
		python3 -c 'import json,sys
for p in json.load(sys.stdin):
    if p["identity"] == sys.argv[1]: print(p["state"])' "agent-$2.lab."
}
is_state() { [ "$(state "$1" "$2")" = "$3" ]; }
wait_state() {
	wait_for "$1" is_state "$2" "$3" "$4" || {
		echo "# $2 sees $3 as '$(state "$2" "$3")', wanted $4" >&2
		"$BIN/hsync-ctl" -s "$W/$2.ctl" >&2 || true
		tail -30 "$W/agent_$2.log" >&2
		fail "$2: $3 not $4 within $1 s"
	}
}
