# test/data/combinerd-lib.sh -- sourced by test/integration/t-combinerd-*.sh
# after lib.sh: TSIG keys, an owner primary (knotd), combinerd, a knotd
# signer, and helpers to read what each serves. Loopback ports from
# free_port; every server is started with bg (stopped by PID on exit).

ZONE=example.

# key NAME: a tsig-keygen key in $W/NAME.key, its secret in $SECRET_NAME.
mkkey() {
	tsig-keygen -a hmac-sha256 "$1" >"$W/$1.key"
	local s
	s=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$W/$1.key")
	eval "SECRET_${1//-/_}=\$s"
}

cbd_keys() {
	mkkey owner-xfr
	mkkey signer-xfr
	mkkey sec-xfr
	mkkey agent
	mkkey other
	cat "$W/owner-xfr.key" "$W/signer-xfr.key" "$W/sec-xfr.key" "$W/agent.key" \
		"$W/other.key" >"$W/keys.conf"
}

# The owner's zone, serial $1, HSYNC in RFC 3597 form, extra lines from stdin.
owner_zone() {
	cat <<EOF
\$ORIGIN example.
\$TTL 3600
@	SOA	ns1.example. hostmaster.example. $1 2 1 ${EXPIRE:-600} 300
@	NS	ns1.example.
@	NS	ns2.example.
@	TYPE65282 \# 24 010101086964656E746974790970726F7669646572016200
@	MX	10 mail.example.
ns1	A	192.0.2.1
ns2	A	192.0.2.2
mail	A	192.0.2.3
www	A	192.0.2.4
www	AAAA	2001:db8::4
txt	TXT	"owner data stays as it is"
sub	NS	ns.sub.example.
ns.sub	A	192.0.2.5
EOF
	cat
}

# start_owner: knotd primary for example. on $P_OWN, NOTIFY to combinerd.
start_owner() {
	mkdir -p "$W/own"
	owner_zone "${1:-1}" </dev/null >"$W/own/example.zone"
	cat >"$W/own/knot.conf" <<EOF
server:
    rundir: "$W/own"
    listen: 127.0.0.1@$P_OWN
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$W/own"
log:
  - target: stderr
    any: info
control:
    listen: "$W/own/knot.sock"
key:
  - id: owner-xfr
    algorithm: hmac-sha256
    secret: $SECRET_owner_xfr
remote:
  - id: comb
    address: 127.0.0.1@$P_CMB
    key: owner-xfr
acl:
  - id: comb
    address: 127.0.0.1
    key: owner-xfr
    action: transfer
zone:
  - domain: $ZONE
    storage: "$W/own"
    file: "$W/own/example.zone"
    notify: comb
    acl: comb
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
EOF
	bg owner knotd -c "$W/own/knot.conf"
	wait_for 10 kdig +short @127.0.0.1 -p "$P_OWN" SOA "$ZONE" || fail "owner knotd did not start"
}

# owner_reload SERIAL < extra-lines: new owner zone content, knotd reloads it.
owner_reload() {
	owner_zone "$1" >"$W/own/example.zone"
	knotc -s "$W/own/knot.sock" zone-reload "$ZONE" >/dev/null
}

# cbd_conf [extra zone lines]: combinerd's configuration in $W/cbd.conf.
cbd_conf() {
	mkdir -p "$W/state"
	cat >"$W/cbd.conf" <<EOF
listen 127.0.0.1@$P_CMB
tsig-key-file "$W/keys.conf"
state-dir "$W/state"
refresh-min 1
zone example. {
	primary 127.0.0.1@$P_OWN key owner-xfr
	downstream 127.0.0.1@$P_SIG key signer-xfr
	agent-key agent
${1:-}
}
EOF
}

start_cbd() {
	bg cbd "$BIN/combinerd" -v -f "$W/cbd.conf"
	wait_for 10 cbd_serial || fail "combinerd does not serve the zone: $(cat "$W/cbd.log")"
}

# Serial as served by a server on port $1 (default combinerd).
cbd_serial() {
	local s
	s=$(kdig +short @127.0.0.1 -p "${1:-$P_CMB}" SOA "$ZONE" | awk '{print $3}')
	[ -n "$s" ] && echo "$s"
}

# start_signer: knotd 3.2 secondary of combinerd that signs with
# dnskey-management: incremental (keeps foreign DNSKEY/CDS).
start_signer() {
	mkdir -p "$W/sig"
	cat >"$W/sig/knot.conf" <<EOF
server:
    rundir: "$W/sig"
    listen: 127.0.0.1@$P_SIG
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$W/sig"
log:
  - target: stderr
    any: info
control:
    listen: "$W/sig/knot.sock"
key:
  - id: signer-xfr
    algorithm: hmac-sha256
    secret: $SECRET_signer_xfr
remote:
  - id: comb
    address: 127.0.0.1@$P_CMB
    key: signer-xfr
acl:
  - id: comb
    address: 127.0.0.1
    key: signer-xfr
    action: notify
  - id: out
    address: 127.0.0.1
    action: transfer
policy:
  - id: ms
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    dnskey-management: incremental
    delete-delay: 1h
    cds-cdnskey-publish: none
zone:
  - domain: $ZONE
    storage: "$W/sig"
    master: comb
    acl: [ comb, out ]
    dnssec-signing: on
    dnssec-policy: ms
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
EOF
	bg signer knotd -c "$W/sig/knot.conf"
	wait_for 20 cbd_serial "$P_SIG" || fail "signer knotd does not serve the zone"
}

# A foreign KSK (another signer's) and its CDS, as presentation RDATA.
foreign_key() {
	local k
	k=$(dnssec-keygen -q -a 13 -f KSK -K "$W" "$ZONE")
	FOREIGN_DNSKEY=$(awk '$3 == "DNSKEY" || $4 == "DNSKEY" {sub(/.*DNSKEY[ \t]+/, ""); print}' "$W/$k.key")
	FOREIGN_CDS=$(dnssec-dsfromkey -C -2 "$W/$k.key" | sed 's/.*CDS[ \t]*//')
	FOREIGN_B64=$(echo "$FOREIGN_DNSKEY" | cut -d' ' -f4- | tr -d ' ')
	FOREIGN_TAG=${k##*+}
	FOREIGN_TAG=$((10#$FOREIGN_TAG))
}

# nsupdate_k FILE < commands: UPDATE to combinerd signed with the key file.
nsupdate_k() {
	{ echo "server 127.0.0.1 $P_CMB"; cat; echo send; } | nsupdate -k "$1"
}

# axfr PORT [KEY]: the zone from a server, sorted, one RR a line, no comments.
axfr() {
	local y=()
	[ -n "${2:-}" ] && y=(-y "hmac-sha256:$2:$(eval echo "\$SECRET_${2//-/_}")")
	kdig @127.0.0.1 -p "$1" "${y[@]}" AXFR "$ZONE" +nocomments +nostats +noheader \
		| grep -v '^;' | grep -v '^$' | awk '$4 != "TSIG"' | sort -u
}
