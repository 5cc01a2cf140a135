#!/usr/bin/env bash
# combinerd's state and robustness: named as a plain secondary follows it;
# kill -9 and restart keep the contributions and the serial; a broken
# inbound transfer (primary down, bad TSIG) keeps the last good zone and is
# retried; SIGHUP reloads without dropping state.
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"

P_OWN=$(free_port); P_CMB=$(free_port); P_SIG=$(free_port); P_NMD=$(free_port)
cbd_keys
start_owner 10
cbd_conf "	downstream 127.0.0.1@$P_NMD key sec-xfr"
start_cbd
foreign_key

mkdir -p "$W/named"
cat >"$W/named/named.conf" <<EOF
options {
	directory "$W/named";
	listen-on port $P_NMD { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile "$W/named/session.key";
	recursion no;
	notify no;
	dnssec-validation no;
};
controls { };
key "sec-xfr" { algorithm hmac-sha256; secret "$SECRET_sec_xfr"; };
zone "example." {
	type secondary;
	primaries { 127.0.0.1 port $P_CMB key sec-xfr; };
	file "example.bak";
};
EOF
bg named named -g -c "$W/named/named.conf"
wait_for 15 cbd_serial "$P_NMD" || fail "named does not serve the zone: $(tail -5 "$W/named.log")"
ok "named follows combinerd as a plain secondary"

nsupdate_k "$W/agent.key" <<EOF || fail "UPDATE refused"
zone example.
update add example. 3600 DNSKEY $FOREIGN_DNSKEY
update add example. 3600 CDNSKEY $FOREIGN_DNSKEY
EOF
s1=$(cbd_serial)
named_has() { kdig +short @127.0.0.1 -p "$P_NMD" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" &&
	[ "$(cbd_serial "$P_NMD")" = "$1" ]; }
wait_for 10 named_has "$s1" || fail "named did not get serial $s1 with the contribution"
ok "named has the contribution at serial $s1 (NOTIFY + transfer)"

# --- kill -9 and restart --------------------------------------------------------
kill -9 "$PID_cbd"
sleep 0.3
start_cbd
[ "$(cbd_serial)" = "$s1" ] || fail "serial after kill -9: $(cbd_serial), was $s1"
kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" || fail "contribution lost by kill -9"
kdig +short @127.0.0.1 -p "$P_CMB" CDNSKEY "$ZONE" | grep -q . || fail "CDNSKEY lost by kill -9"
grep -q "state loaded: serial $s1" "$W/cbd.log" || fail "state not loaded: $(head -3 "$W/cbd.log")"
ok "kill -9 and restart: serial $s1 and contributions back"

# the IXFR history survived too: from the serial before the UPDATE, only the UPDATE
kdig @127.0.0.1 -p "$P_CMB" -y "hmac-sha256:sec-xfr:$SECRET_sec_xfr" IXFR=$((s1 - 1)) "$ZONE" \
	+nocomments +nostats | grep -v '^;' | grep -v '^$' | awk '$4 != "TSIG" && $4 != "SOA" {print $4}' |
	sort | tr '\n' ' ' >"$W/ixfr.types"
[ "$(cat "$W/ixfr.types")" = "CDNSKEY DNSKEY " ] || fail "IXFR after restart: $(cat "$W/ixfr.types")"
ok "IXFR=$((s1 - 1)) after kill -9 gives only the contributed DNSKEY and CDNSKEY"

# an owner change while combinerd is down: serial goes on from the saved one
kill -9 "$PID_cbd"
owner_reload 11 <<EOF
extra	A	192.0.2.11
EOF
sleep 0.3
start_cbd
s2=$(cbd_serial)
[ "$s2" = $((s1 + 1)) ] || fail "serial after restart with an owner change: $s2, expected $((s1 + 1))"
wait_for 10 named_has "$s2" || fail "named did not follow to $s2"
ok "owner changed while down: serial $s1 -> $s2 after restart, named follows"

# --- broken transfers keep the last good zone --------------------------------
kill "$PID_owner"
sleep 0.3
wait_for 15 grep -q "failed.*the last good zone stays" "$W/cbd.log" || fail "owner down not logged"
[ "$(cbd_serial)" = "$s2" ] || fail "zone not served while the owner is down"
ok "owner down: failure logged, zone still served"

sed -i "s/primary 127.0.0.1@$P_OWN key owner-xfr/primary 127.0.0.1@$P_OWN key other/" "$W/cbd.conf"
kill -HUP "$PID_cbd"
bg owner2 knotd -c "$W/own/knot.conf"
wait_for 10 kdig +short @127.0.0.1 -p "$P_OWN" SOA "$ZONE" || fail "owner did not restart"
owner_reload 12 <<EOF
extra	A	192.0.2.12
EOF
wait_for 10 grep -q "failed.*NOTAUTH\|failed.*TSIG" "$W/cbd.log" ||
	fail "bad TSIG not logged: $(tail -5 "$W/cbd.log")"
[ "$(cbd_serial)" = "$s2" ] || fail "serial moved with a bad TSIG"
kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" || fail "reload dropped the contribution"
ok "bad TSIG from the primary: logged, last good zone kept, reload kept state"

sed -i "s/primary 127.0.0.1@$P_OWN key other/primary 127.0.0.1@$P_OWN key owner-xfr/" "$W/cbd.conf"
kill -HUP "$PID_cbd"
wait_for 10 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_CMB SOA $ZONE | awk '{print \$3}')\" = $((s2 + 1)) ]" ||
	fail "not caught up after the key was fixed: $(tail -5 "$W/cbd.log")"
kdig +short @127.0.0.1 -p "$P_CMB" A extra.example. >/dev/null
ok "key fixed by SIGHUP: caught up to $((s2 + 1))"

# a zone removed by reload is no longer served; added back, its state returns
s3=$(cbd_serial)
cp "$W/cbd.conf" "$W/cbd.conf.full"
sed -i '/^zone/,$d' "$W/cbd.conf"
kill -HUP "$PID_cbd"
wait_for 10 sh -c "kdig @127.0.0.1 -p $P_CMB SOA $ZONE | grep -q 'status: REFUSED'" || fail "removed zone still served"
grep -q "example.: removed from the configuration" "$W/cbd.log" || fail "removal not logged"
cp "$W/cbd.conf.full" "$W/cbd.conf"
kill -HUP "$PID_cbd"
wait_for 10 cbd_serial || fail "zone not served again after it was added back"
[ "$(cbd_serial)" = "$s3" ] || fail "serial after re-adding: $(cbd_serial), was $s3"
kdig +short @127.0.0.1 -p "$P_CMB" DNSKEY "$ZONE" | tr -d ' ' | grep -q "$FOREIGN_B64" || fail "contribution lost by remove/add"
ok "zone removed by SIGHUP: not served; added back: serial $s3 and contribution back"

# SIGTERM ends cleanly
kill "$PID_cbd"
wait_for 5 grep -q "stopped" "$W/cbd.log" || fail "no clean stop"
ok "SIGTERM: clean stop"
