#!/usr/bin/env bash
# Zones and intent from hsyncd: knotd serves two owner zones with HSYNC (in
# RFC 3597 form); hsyncd follows them and NOTIFYs agentd a (TSIG); a asks
# hsyncd for the HSYNC RRset, takes example.com (which names it) and
# reaches OPERATIONAL with b (zone list from b's configuration), and
# ignores other.example (HSYNC without a) with one log line. An HSYNC
# change that adds c reaches a through hsyncd. After a restart a keeps
# the zone (state-dir/zones.json) and becomes OPERATIONAL again.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
[ -x "$BIN/hsyncd" ] || fail "no hsyncd in $BIN"

lab_agents a b c
lab_start
ok "identity zone lab. signed and validated"

tsig-keygen -a hmac-sha256 xfr >"$W/xfr.key"
tsig-keygen -a hmac-sha256 agent >"$W/agent.key"
secret() { sed -n 's/.*secret "\(.*\)";/\1/p' "$1"; }
XS=$(secret "$W/xfr.key")
# hsync_rr ID...: TYPE65282 lines, ON AGENT SIGN agent-ID.lab. "."
hsync_rr() {
	python3 - "$@" <<'EOF'
import sys
for i in sys.argv[1:]:
    w = bytes([1, 2, 1])
    for l in ("agent-%s" % i, "lab"):
        w += bytes([len(l)]) + l.encode()
    w += b"\0\0"
    print("@ TYPE65282 \\# %d %s" % (len(w), w.hex()))
EOF
}
owner_zone() { # ZONE ID...
	local z=$1; shift
	{
		echo "\$ORIGIN $z."
		echo "\$TTL 10"
		echo "@ SOA ns1 hostmaster $SERIAL 2 2 600 10"
		echo "@ NS ns1"
		echo "ns1 A 127.0.0.1"
		hsync_rr "$@"
	} >"$W/owner/$z.zone"
}
agent_port; OP=$NEWPORT
agent_port; HP=$NEWPORT
mkdir -p "$W/owner"
SERIAL=1
owner_zone example.com a b
owner_zone other.example b c
cat >"$W/owner.conf" <<EOF
server:
    rundir: $W/owner
    listen: 127.0.0.1@$OP
log:
  - target: stderr
    any: info
database:
    storage: $W/owner
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $XS
remote:
  - id: hsyncd
    address: 127.0.0.1@$HP
    key: xfr
acl:
  - id: xfr
    address: 127.0.0.1
    key: xfr
    action: transfer
template:
  - id: default
    storage: $W/owner
    notify: hsyncd
    acl: xfr
    zonefile-load: difference-no-serial
    journal-content: all
zone:
  - domain: example.com
    file: example.com.zone
  - domain: other.example
    file: other.example.zone
EOF
bg owner knotd -c "$W/owner.conf"
wait_for 10 kdig +short +time=1 +retry=0 @127.0.0.1 -p "$OP" example.com SOA || fail "owner knotd"

cat >"$W/hsyncd.conf" <<EOF
listen 127.0.0.1 port $HP
tsig-key-file "$W/xfr.key"
tsig-key-file "$W/agent.key"
state-dir "$W/hsyncd.state"
refresh-min 2s
subscriber 127.0.0.1 port $PORT_a key agent
zone example.com { source 127.0.0.1 port $OP key xfr; }
zone other.example { source 127.0.0.1 port $OP key xfr; }
EOF
mkdir -p "$W/hsyncd.state"

AGENT_EXTRA="hsyncd 127.0.0.1 port $HP key agent
tsig-key-file \"$W/agent.key\""
agent_conf a "$UP"
AGENT_EXTRA=""
agent_conf b "$UP" a b
agent_start a
agent_start b
bg hsyncd "$BIN/hsyncd" -f "$W/hsyncd.conf"

wait_state 30 a b OPERATIONAL
wait_state 20 b a OPERATIONAL
"$BIN/hsync-ctl" -s "$W/a.ctl" zones | grep -q '^example.com. *hsyncd *agent-a.lab.,agent-b.lab.' ||
	{ "$BIN/hsync-ctl" -s "$W/a.ctl"; fail "example.com not from hsyncd"; }
ok "a learns example.com from hsyncd (NOTIFY with TSIG, HSYNC query) and is OPERATIONAL with b"

wait_for 10 grep -q 'other.example.: HSYNC RRset does not name our identity agent-a.lab.: zone ignored' "$W/agent_a.log" ||
	{ cat "$W/agent_a.log"; fail "other.example not ignored with a log line"; }
"$BIN/hsync-ctl" -s "$W/a.ctl" zones | grep -q other.example && fail "other.example in a's zones"
sleep 1
n=$(grep -c 'other.example.: HSYNC RRset does not name' "$W/agent_a.log")
[ "$n" = 1 ] || fail "$n lines for the ignored zone"
ok "a zone whose HSYNC does not name us is ignored, with one log line"

# the owner adds c
SERIAL=2
owner_zone example.com a b c
knotc -c "$W/owner.conf" zone-reload example.com >/dev/null
agent_conf c "$UP" a b c
agent_start c
wait_state 30 a c OPERATIONAL
wait_state 20 c a OPERATIONAL
ok "an HSYNC change (c added) reaches a through hsyncd; a and c OPERATIONAL"

agent_kill a
grep -q 'example.com' "$W/a.state/zones.json" || fail "zones.json"
agent_start a
wait_state 20 a b OPERATIONAL
wait_state 20 a c OPERATIONAL
ok "a killed with -9 and restarted: zone and peers back, OPERATIONAL"

echo "t-agentd-hsyncd: $NCHECKS checks"
