#!/usr/bin/env bash
# combinerd with named (BIND 9.18) as the owner's primary, HSYNC in RFC 3597
# form, and nsd as a plain secondary of combinerd: the combined zone equals
# the owner's but for the five types and the SOA serial, an UPDATE signed
# with nsupdate -y reaches nsd, and an owner change by IXFR keeps it.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port); P_NSD=$(free_port)
cbd_keys
foreign_key

mkdir -p "$W/nown"
owner_zone 100 </dev/null >"$W/nown/example.zone"
cat >"$W/nown/named.conf" <<EOF
options {
	directory "$W/nown";
	listen-on port $P_OWN { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile "$W/nown/session.key";
	recursion no;
	dnssec-validation no;
};
controls { };
key "owner-xfr" { algorithm hmac-sha256; secret "$SECRET_owner_xfr"; };
zone "example." {
	type primary;
	file "example.zone";
	allow-transfer { key owner-xfr; };
	ixfr-from-differences yes;
	notify explicit;
	also-notify { 127.0.0.1 port $P_CMB key owner-xfr; };
};
EOF
bg owner named -g -c "$W/nown/named.conf"
wait_for 10 kdig +short @127.0.0.1 -p "$P_OWN" SOA "$ZONE" || fail "named owner did not start: $(tail "$W/owner.log")"

cbd_conf "	downstream 127.0.0.1@$P_NSD key sec-xfr"
start_cbd
ok "combinerd follows a named owner primary"

strip5() { awk '$4 != "NS" && $4 != "DNSKEY" && $4 != "CDS" && $4 != "CDNSKEY" && $4 != "CSYNC" { if ($4 == "SOA") $7 = "S"; print }' | sort; }
[ "$(axfr "$P_OWN" owner-xfr | strip5)" = "$(axfr "$P_CMB" signer-xfr | strip5)" ] ||
	fail "combined zone differs from named's"
axfr "$P_CMB" signer-xfr | grep -q 'TYPE65282.*\\# 24 010101086964656E746974790970726F7669646572016200' ||
	fail "HSYNC (RFC 3597 form) did not pass through unchanged"
ok "combined zone equals named's (HSYNC as TYPE65282 byte for byte)"

mkdir -p "$W/nsd"
cat >"$W/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$P_NSD
	zonesdir: "$W/nsd"
	database: ""
	pidfile: "$W/nsd/nsd.pid"
	xfrdfile: "$W/nsd/xfrd.state"
	zonelistfile: "$W/nsd/zone.list"
	username: ""
	chroot: ""
	verbosity: 2
remote-control:
	control-enable: no
key:
	name: sec-xfr
	algorithm: hmac-sha256
	secret: "$SECRET_sec_xfr"
zone:
	name: example.
	zonefile: example.zone
	allow-notify: 127.0.0.1 sec-xfr
	request-xfr: 127.0.0.1@$P_CMB sec-xfr
	provide-xfr: 127.0.0.1 NOKEY
EOF
bg nsd nsd -d -c "$W/nsd/nsd.conf"
wait_for 15 cbd_serial "$P_NSD" || fail "nsd does not serve the zone: $(tail "$W/nsd.log")"
[ "$(axfr "$P_NSD")" = "$(axfr "$P_CMB" signer-xfr)" ] || fail "nsd serves something else than combinerd"
ok "nsd follows combinerd as a plain secondary"

{ echo "server 127.0.0.1 $P_CMB"; cat <<EOF; echo send; } | nsupdate -y "hmac-sha256:agent:$SECRET_agent" || fail "nsupdate -y refused"
zone example.
update add example. 3600 CDS $FOREIGN_CDS
update add example. 3600 NS ns3.provider.test.
EOF
s1=$(cbd_serial)
nsd_has() { [ "$(cbd_serial "$P_NSD")" = "$s1" ] &&
	kdig +short @127.0.0.1 -p "$P_NSD" CDS "$ZONE" | grep -q "^$FOREIGN_TAG 13 2" &&
	[ "$(kdig +short @127.0.0.1 -p "$P_NSD" NS "$ZONE")" = "ns3.provider.test." ]; }
wait_for 10 nsd_has || fail "nsd did not get the contributed CDS and NS at serial $s1"
ok "nsupdate -y: CDS and NS contributed, NS replaces the owner's, nsd has them at $s1"

# owner change: named reloads on SIGHUP and sends NOTIFY; combinerd takes an IXFR
owner_zone 101 >"$W/nown/example.zone" <<EOF
added	A	192.0.2.101
EOF
kill -HUP "$PID_owner"
wait_for 10 sh -c "kdig +short @127.0.0.1 -p $P_NSD A added.example. | grep -q 192.0.2.101" ||
	fail "owner change did not reach nsd: $(tail -5 "$W/cbd.log")"
grep -q "IXFR in: owner serial 100 -> 101" "$W/cbd.log" || fail "no IXFR from named"
[ "$(cbd_serial "$P_NSD")" = $((s1 + 1)) ] || fail "serial at nsd $(cbd_serial "$P_NSD"), wanted $((s1 + 1))"
[ "$(kdig +short @127.0.0.1 -p "$P_NSD" NS "$ZONE")" = "ns3.provider.test." ] || fail "contribution lost on owner change"
[ "$(axfr "$P_OWN" owner-xfr | strip5)" = "$(axfr "$P_CMB" signer-xfr | strip5)" ] ||
	fail "combined zone differs from named's after the change"
ok "owner change by IXFR from named reaches nsd with the contribution kept"

# the owner's serial goes backwards: the last good zone stays, logged, nothing sent on
s2=$(cbd_serial)
owner_zone 50 >"$W/nown/example.zone" <<EOF2
backwards	A	192.0.2.50
EOF2
kill "$PID_owner"
sleep 0.5
rm -f "$W/nown/example.zone.jnl"   # named refuses to go back while it has a journal
bg owner2 named -g -c "$W/nown/named.conf"
wait_for 10 grep -q "primary's serial 50 is older than ours (101)" "$W/cbd.log" ||
	fail "serial going backwards not logged: $(tail -3 "$W/cbd.log")"
[ "$(cbd_serial)" = "$s2" ] || fail "serial moved"
[ -z "$(axfr "$P_CMB" signer-xfr | grep backwards)" ] || fail "backwards data taken"
ok "owner serial backwards (101 -> 50): refused, logged, last good zone kept"
