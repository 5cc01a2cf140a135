# test/data/msync-lib.sh -- sourced by test/integration/t-msync-*.sh after
# lib.sh and agentd-lab.sh: the multi-signer chain of each provider X for
# example.com. (owner knotd -> combinerd_X -> knotd signer_X -> hsyncd_X ->
# agentd X). Ports in $OP, $CP_X, $SP_X, $HP_X (set before use).
#
#   msync_up X...         all of the below for each X, until the signers serve
#   msync_keys X...       TSIG keys (xfr, signer-X, hsd-X, agent-X) in $W/keys.conf
#   msync_owner X...      owner knotd, HSYNC "ON AGENT SIGN agent-X.lab. ." per X
#   msync_combinerd X / msync_signer X / msync_hsyncd X / msync_agent X
#                         (MSYNC_CMB_EXTRA: lines added to combinerd's zone block)
#   dnskeys X             "FLAGS tag=N" per DNSKEY signer X serves, sorted
#   own_tags X / own_ksk X   key tags in signer X's KASP DB (all / KSK)
#   agent_own X           key tags agent X takes as its own (control socket)
#   cds_tags X, ns_of X, zone_axfr X
#   ns_line X             the NS names signer X serves, on one line
#   stamp_agent X         stamps every line of agent X's log with the time it
#                         was seen, into $W/stamp_X.log (agentd's lines carry
#                         no time; cleanup stops the reader by PID)

secret_of() { sed -n 's/.*secret "\(.*\)";/\1/p' "$W/$1.key"; }

msync_keys() {
	local k x
	: >"$W/keys.conf"
	for k in xfr; do tsig-keygen -a hmac-sha256 "$k" >"$W/$k.key"; cat "$W/$k.key" >>"$W/keys.conf"; done
	for x in "$@"; do
		for k in "signer-$x" "hsd-$x" "agent-$x"; do
			tsig-keygen -a hmac-sha256 "$k" >"$W/$k.key"
			cat "$W/$k.key" >>"$W/keys.conf"
		done
	done
}

# hsync_rr NSMGMT ID...: HSYNC records (RFC 3597 form), ON NSMGMT SIGN
# agent-ID.lab. "." (ID-off: State OFF; MSYNC_SIGN=2: NOSIGN)
hsync_rr() {
	python3 - "$@" <<'EOF'
import sys
nsm = int(sys.argv[1])
for i in sys.argv[2:]:
    st = 1
    if i.endswith("-off"):
        i, st = i[:-4], 2
    w = bytes([st, nsm, int(__import__("os").environ.get("MSYNC_SIGN", "1"))])
    for l in ("agent-%s" % i, "lab"):
        w += bytes([len(l)]) + l.encode()
    w += b"\0\0"
    print("@ TYPE65282 \\# %d %s" % (len(w), w.hex()))
EOF
}

# owner_zone SERIAL HSYNC-ARGS...: the owner's zone file
owner_zone() {
	local serial=$1; shift
	{
		echo '$ORIGIN example.com.'
		echo '$TTL 10'
		echo "@ SOA ns1.owner.test. hostmaster $serial 2 2 600 10"
		echo '@ NS ns1.owner.test.'
		echo 'www A 192.0.2.80'
		hsync_rr "${NSMGMT:-2}" "$@"
	} >"$W/owner/example.com.zone"
}

# owner_change SERIAL HSYNC-ARGS...: new HSYNC at the owner, reloaded
owner_change() {
	owner_zone "$@"
	knotc -c "$W/owner/knot.conf" zone-reload example.com >/dev/null || fail "owner reload"
}

# msync_owner ID...: the owner knotd; NOTIFY to each provider's combinerd
# (ids without -off suffix; MSYNC_HSYNC, if set, gives the HSYNC arguments)
msync_owner() {
	local x
	mkdir -p "$W/owner"
	if [ -n "${MSYNC_HSYNC:-}" ]; then
		# shellcheck disable=SC2086
		owner_zone 1 $MSYNC_HSYNC
	else
		owner_zone 1 "$@"
	fi
	{
		cat <<EOF
server:
    rundir: $W/owner
    listen: 127.0.0.1@$OP
log:
  - target: stderr
    any: info
database:
    storage: $W/owner
control:
    listen: $W/owner/knot.sock
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $(secret_of xfr)
remote:
EOF
		for x in "$@"; do
			echo "  - id: cmb-$x"
			echo "    address: 127.0.0.1@$(eval echo "\$CP_$x")"
			echo "    key: xfr"
		done
		cat <<EOF
acl:
  - id: xfr
    address: 127.0.0.1
    key: xfr
    action: transfer
zone:
  - domain: example.com
    storage: $W/owner
    file: example.com.zone
    acl: xfr
    zonefile-load: difference-no-serial
    journal-content: all
    notify: [ $(for x in "$@"; do printf 'cmb-%s, ' "$x"; done | sed 's/, $//') ]
EOF
	} >"$W/owner/knot.conf"
	bg owner knotd -c "$W/owner/knot.conf"
	wait_for 10 kdig +short +time=1 +retry=0 @127.0.0.1 -p "$OP" example.com SOA || fail "owner knotd"
}

# msync_up X...: keys and ports, the owner (HSYNC from MSYNC_HSYNC, or one
# ON record per X) and each X's combinerd, signer and hsyncd; returns when
# every signer serves the zone.
msync_up() {
	local x
	msync_keys "$@"
	new_port; OP=$NEWPORT
	for x in "$@"; do
		new_port; eval "CP_$x=$NEWPORT"
		new_port; eval "SP_$x=$NEWPORT"
		new_port; eval "HP_$x=$NEWPORT"
	done
	msync_owner "$@"
	for x in "$@"; do
		msync_combinerd "$x"
		msync_signer "$x"
		msync_hsyncd "$x"
	done
	for x in "$@"; do
		wait_for 30 signer_up "$x" || { tail -20 "$W/signer_$x.log"; fail "signer $x does not serve the zone"; }
	done
}

msync_combinerd() {
	local x=$1 cp sp
	eval "cp=\$CP_$x; sp=\$SP_$x"
	mkdir -p "$W/cmb_$x"
	cat >"$W/cmb_$x.conf" <<EOF
listen 127.0.0.1@$cp
tsig-key-file "$W/keys.conf"
state-dir "$W/cmb_$x"
refresh-min 1
zone example.com. {
	primary 127.0.0.1@$OP key xfr
	downstream 127.0.0.1@$sp key signer-$x
	agent-key agent-$x
${MSYNC_CMB_EXTRA:-}
}
EOF
	bg "cmb_$x" "$BIN/combinerd" -v -f "$W/cmb_$x.conf"
	wait_for 10 kdig +short +time=1 +retry=0 @127.0.0.1 -p "$cp" example.com SOA ||
		fail "combinerd $x: $(tail -5 "$W/cmb_$x.log")"
}

msync_signer() {
	local x=$1 cp sp hp
	eval "cp=\$CP_$x; sp=\$SP_$x; hp=\$HP_$x"
	mkdir -p "$W/signer_$x"
	cat >"$W/signer_$x/knot.conf" <<EOF
server:
    rundir: $W/signer_$x
    listen: 127.0.0.1@$sp
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $W/signer_$x
log:
  - target: stderr
    any: info
control:
    listen: $W/signer_$x/knot.sock
key:
  - id: signer-$x
    algorithm: hmac-sha256
    secret: $(secret_of "signer-$x")
  - id: hsd-$x
    algorithm: hmac-sha256
    secret: $(secret_of "hsd-$x")
remote:
  - id: cmb
    address: 127.0.0.1@$cp
    key: signer-$x
  - id: hsd
    address: 127.0.0.1@$hp
    key: hsd-$x
acl:
  - id: cmb
    address: 127.0.0.1
    key: signer-$x
    action: notify
  - id: hsd
    address: 127.0.0.1
    key: hsd-$x
    action: transfer
  - id: out
    address: 127.0.0.1
    action: transfer
policy:
  - id: ms
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    propagation-delay: 0
    dnskey-ttl: 5
    zone-max-ttl: 10
    dnskey-management: incremental
    delete-delay: 1h
    cds-cdnskey-publish: ${CDS_PUBLISH:-always}
zone:
  - domain: example.com
    storage: $W/signer_$x
    master: cmb
    notify: hsd
    acl: [ cmb, hsd, out ]
    dnssec-signing: ${MSYNC_SIGNING:-on}
    dnssec-policy: ms
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
EOF
	bg "signer_$x" knotd -c "$W/signer_$x/knot.conf"
}

signer_port() { eval "echo \$SP_$1"; }
signer_up() {
	if [ "${MSYNC_SIGNING:-on}" = off ]; then
		kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$1")" example.com SOA | grep -q .
	else
		kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$1")" example.com DNSKEY | grep -q '^257 '
	fi
}

msync_hsyncd() {
	local x=$1 sp hp port
	eval "sp=\$SP_$x; hp=\$HP_$x; port=\$PORT_$x"
	mkdir -p "$W/hsd_$x"
	cat >"$W/hsd_$x.conf" <<EOF
listen 127.0.0.1 port $hp
tsig-key-file "$W/keys.conf"
state-dir "$W/hsd_$x"
refresh-min 2s
subscriber 127.0.0.1 port $port key agent-$x
zone example.com { source 127.0.0.1 port $sp key hsd-$x; }
EOF
	bg "hsd_$x" "$BIN/hsyncd" -f "$W/hsd_$x.conf"
}

# msync_agent X: agent X's configuration (after lab_start wrote the base) and
# the chain settings; waits 0, our nameserver ns1.provider-X.test., the
# other providers' signers as their nameservers (peer-nameserver).
msync_agent() {
	local x=$1 cp hp y
	eval "cp=\$CP_$x; hp=\$HP_$x"
	AGENT_EXTRA="tsig-key-file \"$W/keys.conf\"
hsyncd 127.0.0.1 port $hp key agent-$x
combinerd 127.0.0.1 port $cp key agent-$x
nameserver ns1.provider-$x.test.
propagation 0; dnskey-wait 0; ds-wait 0; ns-wait 0; parent-poll 2s"
	for y in $AGENTS; do
		[ "$y" = "$x" ] || AGENT_EXTRA="$AGENT_EXTRA
peer-nameserver agent-$y.lab. 127.0.0.1@$(eval echo "\$SP_$y")"
	done
	agent_conf "$x" "$UP"
	AGENT_EXTRA=""
}

# dnskeys X: one line per DNSKEY served by signer X: "FLAGS tag=N", sorted.
dnskeys() {
	dig +norec +multiline +time=1 +tries=1 @127.0.0.1 -p "$(signer_port "$1")" example.com DNSKEY |
		awk '$4 == "DNSKEY" { f = $5 } /key id = / { sub(/.*key id = /, ""); print f " tag=" $1 }' | sort
}

# keymgr 3.2 list: "KEYID TAG KSK|ZSK ALGORITHM timers..."
own_tags() {
	keymgr -c "$W/signer_$1/knot.conf" example.com list 2>/dev/null | awk '{print $2}' | sort -n
}
own_ksk() {
	keymgr -c "$W/signer_$1/knot.conf" example.com list 2>/dev/null | awk '$3 == "KSK" {print $2}' | sort -n
}

# agent_own X: the key tags agent X takes as its own signer's, from its control socket.
agent_own() {
	python3 - "$W/$1.ctl" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"status\n")
d = b""
while not d.endswith(b"\n"):
    c = s.recv(65536)
    if not c:
        break
    d += c
for z in json.loads(d)["zones"]:
    if z["zone"] == "example.com.":
        for t in sorted(z.get("process", {}).get("own_keys", [])):
            print(t)
EOF
}

cds_tags() { kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$1")" example.com CDS | awk '{print $1}' | sort -n; }
ns_of() { kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$1")" example.com NS | sort; }
zone_axfr() {
	kdig @127.0.0.1 -p "$(signer_port "$1")" AXFR example.com +nocomments +nostats +noheader |
		grep -v '^;' | grep -v '^$'
}

# msync_validator NAME X TAFILE: unbound validating example.com. with the
# DS records in TAFILE, asking only signer X (stub), on port $VP_NAME.
# With MV_COM=PORT set, TAFILE is com.'s anchor and com. is asked there.
msync_validator() {
	local name=$1 x=$2 ta=$3
	eval "MV_SP=\$SP_$x"
	MV_NAME=$name; MV_TA=$ta
	mv_conf() {
		unbound_conf "$W/$MV_NAME.conf" "$1" "trust-anchor-file: \"$MV_TA\"
cache-max-ttl: 5
cache-max-negative-ttl: 1
val-bogus-ttl: 1" "example.com.=127.0.0.1@$MV_SP" ${MV_COM:+"com.=127.0.0.1@$MV_COM"}
	}
	mv_up() { kdig +time=1 +retry=0 @127.0.0.1 -p "$1" example.com SOA >/dev/null; }
	serve "$name" "VP_$name" mv_conf mv_up unbound -d -c "$W/$name.conf"
}

# cds_as_ds X FILE: the CDS records signer X serves, as DS records in FILE.
cds_as_ds() {
	kdig +short +time=1 +retry=0 @127.0.0.1 -p "$(signer_port "$1")" example.com CDS |
		sed 's/^/example.com. 60 IN DS /' >"$2"
	[ -s "$2" ]
}

# validates PORT: a validated (AD) answer for www.example.com. A from the resolver there.
validates() {
	local out
	out=$(kdig +time=2 +retry=0 +dnssec @127.0.0.1 -p "$1" www.example.com A)
	echo "$out" | grep -qi 'flags:.* ad;' && echo "$out" | grep -q '192.0.2.80'
}

# ns_line X: the NS names signer X serves, sorted, lower case, on one line.
ns_line() { ns_of "$1" | tr 'A-Z' 'a-z' | sort | tr '\n' ' ' | sed 's/ $//'; }

# stamp_agent X: $W/stamp_X.log gets every line of $W/agent_X.log, prefixed
# with the time (seconds since the epoch, 2 decimals) it was seen.
stamp_agent() {
	bg "stamp_$1" python3 -u -c 'import sys, time, os
p = sys.argv[1]
while not os.path.exists(p): time.sleep(0.05)
f = open(p)
while True:
    l = f.readline()
    if not l:
        time.sleep(0.05); continue
    print("%.2f %s" % (time.time(), l), end="")' "$W/agent_$1.log"
}
