# test/data/ddnsd-lab.sh -- sourced by test/integration/t-ddns-*.sh after
# lib.sh: the parent side of delegation management via DDNS on loopback.
#
#   named     primary of parent.example (port $P_NAMED), takes TSIG UPDATEs
#             with key "pupd" (agentd's parent receiver is its only client);
#             with DDNS_PARENT=knot knotd is that primary instead
#             ($P_PRIMARY is the one in use)
#   knotd     child.parent.example, signed (ECDSAP256), whose apex holds the
#             child's SIG(0) KEY $CKEY (test/data/ddns-keys, tag 11727);
#             (a second key $C2KEY, tag $C2TAG, is published nowhere);
#             other.parent.example, unsigned, with the KEY $OKEY (tag 11861)
#             (port $P_KNOT)
#   unbound   validating resolver (port $P_UB), the child's KSK as trust
#             anchor, stubs to knotd for both children (unbound_start
#             parent: also parent.example.'s KSK and a stub to named)
#   agentd    parent role for parent.example on $P_RECV (its own agent
#             listener on $P_AGENT), trust store $W/state/trust.json
#
#   lab_start              all of the above
#   ddnsd_start / ddnsd_stop   agentd alone
#   send FILE [tcp]        ddnsd-send.py send to the receiver
#   sign KEY FILE          hsync-sig0 sign FILE with K*.+*+TAG (stdout)
#   upd OUT KEY ZONEOPS... build an UPDATE for parent.example and sign it
#   ks TAG [CHILD]         KeyState of the key TAG, as "ks=TAG:STATE"
#   at_parent NAME TYPE    what named has (RDATA text, sorted, one line)
#   serial                 named's SOA serial of parent.example
#   kedit ZONE OP...       change a child zone at knotd in one transaction;
#                          OP is "set OWNER TTL TYPE DATA" or "unset OWNER TYPE [DATA]"
#   resolved NAME TYPE     what unbound answers (RDATA text, sorted, one line)
#
# The receiver checks NS and glue changes against what the child serves,
# looked up through unbound (cache-max-ttl 1): after kedit, wait until
# resolved shows the change before sending an UPDATE that depends on it.
command -v named >/dev/null || fail "named not installed"
command -v knotd >/dev/null || fail "knotd not installed"
command -v unbound >/dev/null || fail "unbound not installed"

KD=$TOP/test/data/ddns-keys
SEND="python3 $TOP/test/data/ddnsd-send.py"
CKEY=$W/Kchild.parent.example.+013+11727
OKEY=$W/Kother.parent.example.+015+11861
PKEY=$W/Kparent.example.+015+64135
for k in "$CKEY" "$OKEY" "$PKEY"; do
	cp "$KD/$(basename "$k").key" "$KD/$(basename "$k").private" "$W/"
done
# the receiver's SIG(0) key: the parent zone's own, or with
# DDNS_TARGET_KEY=yes one owned by the DSYNC target ddns.parent.example
PKEY_RECV=$PKEY
if [ "${DDNS_TARGET_KEY:-no}" = yes ]; then
	mkdir -p "$W/tk"
	PKEY_RECV=$W/tk/$(cd "$W/tk" && dnssec-keygen -q -T KEY -a ED25519 -n HOST ddns.parent.example)
fi
# a second SIG(0) key of the child, published nowhere
mkdir -p "$W/k2"
C2KEY=$W/k2/$(cd "$W/k2" && dnssec-keygen -q -T KEY -a ED25519 -n HOST child.parent.example)
C2TAG=$(echo "$C2KEY" | sed 's/.*+0*//')
TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
cat >"$W/pupd.key" <<EOF
key "pupd" {
	algorithm hmac-sha256;
	secret "$TSIG_SECRET";
};
EOF

P_NAMED=$(free_port); P_KNOT=$(free_port); P_UB=$(free_port)
P_PRIMARY=$P_NAMED
[ "${DDNS_PARENT:-named}" = knot ] && P_PRIMARY=$P_KNOT
P_RECV=$(free_port); P_AGENT=$(free_port)
while [ "$P_RECV" = "$P_NAMED" ] || [ "$P_RECV" = "$P_KNOT" ] || [ "$P_RECV" = "$P_UB" ]; do
	P_RECV=$(free_port)
done

keyrr() { grep -v '^;' "$1.key"; }

# named_start [signed]: "signed" signs parent.example (dnssec-policy) and
# publishes in it what agentd -p prints for the receiver (DSYNC, SVCB, KEY)
# and the target's address; $W/parent-anchor.key gets its DNSKEY (257).
named_start() {
	local policy=""
	mkdir -p "$W/named"
	[ "${1:-}" = signed ] && policy="dnssec-policy default;"
	cat >"$W/named/parent.zone" <<EOF
\$ORIGIN parent.example.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
child NS ns1.child
ns1.child A 127.0.0.1
other NS ns1.other
ns1.other A 127.0.0.1
EOF
	if [ "${1:-}" = signed ]; then
		echo "ddns A 127.0.0.1" >>"$W/named/parent.zone"
		"$BIN/agentd" -p -f "$W/agentd.conf" | sed -n '/^; parent /,$p' | grep -v '^;' |
			awk '$1 ~ /parent\.example\.$/ && $1 !~ /^_dns/' >>"$W/named/parent.zone"
		grep -q "TYPE66" "$W/named/parent.zone" || fail "no DSYNC for the parent zone"
	fi
	named_primary "$W/named" "$P_NAMED" parent.example. parent.zone ${policy:+"$policy"}
	bg named named -g -c "$W/named/named.conf"
	wait_for 10 kdig +short @127.0.0.1 -p "$P_NAMED" SOA parent.example. ||
		fail "named did not start: $(tail "$W/named.log")"
	if [ "${1:-}" = signed ]; then
		psigned() { kdig +short +norec @127.0.0.1 -p "$P_NAMED" parent.example. DNSKEY | grep -q '^257 '; }
		wait_for 20 psigned || fail "named did not sign parent.example: $(tail "$W/named.log")"
		kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_NAMED" parent.example. DNSKEY |
			awk '$4 == "DNSKEY" && $5 == 257' >"$W/parent-anchor.key"
	fi
}

knot_start() {
	mkdir -p "$W/knot"
	cat >"$W/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@$P_KNOT
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
    dnskey-ttl: 2
    zone-max-ttl: 60
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
control:
    listen: $W/knot/knot.sock
zone:
  - domain: child.parent.example
    storage: $W/knot
    file: child.zone
    dnssec-signing: on
    dnssec-policy: ecdsa
    acl: xfr
  - domain: other.parent.example
    storage: $W/knot
    file: other.zone
EOF
	if [ "$P_PRIMARY" = "$P_KNOT" ]; then
		cat >>"$W/knot.conf" <<EOF
  - domain: parent.example
    storage: $W/knot
    file: parent.zone
    acl: [xfr, pupd]
    zonefile-sync: -1
EOF
		sed -i "s|^acl:|key:\n  - id: pupd\n    algorithm: hmac-sha256\n    secret: $TSIG_SECRET\nacl:\n  - id: pupd\n    key: pupd\n    action: update|" "$W/knot.conf"
		cat >"$W/knot/parent.zone" <<EOF
\$ORIGIN parent.example.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
child NS ns1.child
ns1.child A 127.0.0.1
other NS ns1.other
ns1.other A 127.0.0.1
EOF
	fi
	{
		echo '$ORIGIN child.parent.example.'
		echo '$TTL 60'
		echo '@ SOA ns1 hostmaster 1 3600 900 604800 60'
		echo '@ NS ns1'
		echo 'ns1 A 127.0.0.1'
		keyrr "$CKEY"
	} >"$W/knot/child.zone"
	{
		echo '$ORIGIN other.parent.example.'
		echo '$TTL 60'
		echo '@ SOA ns1 hostmaster 1 3600 900 604800 60'
		echo '@ NS ns1'
		echo 'ns1 A 127.0.0.1'
		keyrr "$OKEY"
	} >"$W/knot/other.zone"
	bg knotd knotd -c "$W/knot.conf"
	signed() { kdig +short +norec +time=1 +retry=0 @127.0.0.1 -p "$P_KNOT" child.parent.example. DNSKEY | grep -q '^257 '; }
	wait_for 10 signed || fail "knotd did not sign child.parent.example: $(tail "$W/knotd.log")"
	kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" child.parent.example. DNSKEY |
		awk '$4 == "DNSKEY" && $5 == 257' >"$W/anchor.key"
	[ -s "$W/anchor.key" ] || fail "no KSK for the trust anchor"
}

unbound_start() {
	local extra="" stub=""
	if [ "${1:-}" = parent ]; then
		extra="trust-anchor-file: \"$W/parent-anchor.key\""
		stub="parent.example.=127.0.0.1@$P_NAMED"
	fi
	unbound_conf "$W/unbound.conf" "$P_UB" "trust-anchor-file: \"$W/anchor.key\"
$extra
domain-insecure: \"other.parent.example.\"
cache-max-ttl: 1
cache-max-negative-ttl: 1" "child.parent.example.=127.0.0.1@$P_KNOT" \
		"other.parent.example.=127.0.0.1@$P_KNOT" ${stub:+"$stub"}
	bg unbound unbound -d -c "$W/unbound.conf"
	wait_for 10 kdig +time=1 +retry=0 @127.0.0.1 -p "$P_UB" child.parent.example. SOA ||
		fail "unbound did not start: $(tail "$W/unbound.log")"
	validates() { kdig +dnssec @127.0.0.1 -p "$P_UB" child.parent.example. KEY | grep -q 'Flags:.* ad'; }
	wait_for 10 validates || fail "unbound does not validate child.parent.example"
}

ddnsd_conf() {
	mkdir -p "$W/state"
	cat >"$W/agentd.conf" <<EOF
identity agent.parent.example
key "$PKEY"
listen 127.0.0.1@$P_AGENT
resolver 127.0.0.1@$P_UB
tsig-key-file "$W/pupd.key"
state-dir "$W/state"
control-socket "$W/agentd.ctl"
log-level info
parent parent.example {
	listen 127.0.0.1@$P_RECV
	key "$PKEY_RECV"
	target ddns.parent.example
	primary 127.0.0.1@$P_PRIMARY key pupd
	trust-store "$W/state/trust.json"
	bootstrap-lookups 2
	bootstrap-interval 1s
	bootstrap-port $P_KNOT
}
EOF
	"$BIN/agentd" -n -f "$W/agentd.conf" || fail "agentd -n"
}

ddnsd_start() {
	bg agentd "$BIN/agentd" -f "$W/agentd.conf"
	wait_for 10 grep -q "UPDATE receiver on" "$W/agentd.log" ||
		fail "agentd did not start: $(tail "$W/agentd.log")"
}
ddnsd_stop() {
	kill "$PID_agentd" 2>/dev/null || true
	wait "$PID_agentd" 2>/dev/null || true
	mv "$W/agentd.log" "$W/agentd.log.$(date +%s%N)"
}

lab_start() {
	[ "$P_PRIMARY" = "$P_KNOT" ] || named_start
	knot_start
	unbound_start
	ddnsd_conf
	ddnsd_start
}

send() { $SEND send "$P_RECV" "$@"; }
sign() { "$BIN/hsync-sig0" sign -k "$1.private" <"$2"; }
upd() {
	local out=$1 key=$2; shift 2
	$SEND update parent.example "$@" >"$out.unsigned" || fail "cannot build $out"
	sign "$key" "$out.unsigned" >"$out" || fail "cannot sign $out"
}
ks() {
	$SEND keystate "${2:-child.parent.example}" "$1" >"$W/ks.bin"
	send "$W/ks.bin" | sed 's/.* \(ks=[^ ]*\)$/\1/'
}
# (AXFR: the child's NS, DS and glue are below a zone cut, not answered)
at_parent() {
	kdig +nocomments +noquestion +nostats @127.0.0.1 -p "$P_PRIMARY" parent.example. AXFR |
		awk -v n="$1" -v t="$2" 'tolower($1) == tolower(n) && $4 == t {
			$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' | sort -u | tr '\n' ' '
}
serial() { kdig +short +norec @127.0.0.1 -p "$P_PRIMARY" parent.example. SOA | awk '{print $3}'; }
kedit() {
	local z=$1 op; shift
	knotc -s "$W/knot/knot.sock" zone-begin "$z" >/dev/null || fail "knotc zone-begin $z"
	for op in "$@"; do
		# shellcheck disable=SC2086
		knotc -s "$W/knot/knot.sock" "zone-${op%% *}" "$z" ${op#* } >/dev/null ||
			fail "knotc zone-$op"
	done
	knotc -s "$W/knot/knot.sock" zone-commit "$z" >/dev/null || fail "knotc zone-commit $z"
}
resolved() { kdig +short +time=1 +retry=0 @127.0.0.1 -p "$P_UB" "$1" "$2" | sort -u | tr '\n' ' '; }
ctl() {
	python3 - "$W/agentd.ctl" "$*" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while not out.endswith(b"\n"):
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
EOF
}
