#!/usr/bin/env bash
# hsyncd following a real signing knotd, telling a subscriber under the
# test's control (test/data/hsyncd-sub.pl: records each NOTIFY's QTYPE and
# whether its TSIG verified, answers it signed):
#  - configuration check (-n): good file 0, bad file 100 with file:line;
#  - first sight: one NOTIFY per type present, TSIG-signed, retried when
#    the subscriber drops the first one;
#  - dig/kdig answers (UDP and TCP, RRSIGs with DO, REFUSED for the rest);
#  - HSYNC added (RFC 3597 form via knotc), changed, made invalid (mixed
#    NSmgmt: logged, not notified), removed; ZSK roll: DNSKEY notified;
#  - a burst of changes while the subscriber is away: one NOTIFY per type;
#  - NOTIFY from another address or with a bad or no TSIG: ignored, logged;
#  - events exec: JSON lines to a command's stdin;
#  - SIGHUP reload keeps state; SIGTERM exits 0; a change made while hsyncd
#    was down is noticed and notified after restart.
. "$HSYNC_TOP/test/integration/lib.sh"

HSYNCD=$BIN/hsyncd
SUB=$TOP/test/data/hsyncd-sub.pl
[ -x "$HSYNCD" ] || fail "no $HSYNCD"
command -v knotd >/dev/null || fail "knotd not installed"
perl -MDigest::SHA -MMIME::Base64 -e 1 2>/dev/null || fail "perl with Digest::SHA (Debian: perl) needed by $SUB"

KP=$(free_port); HP=$(free_port); SP=$(free_port)
while [ "$HP" = "$KP" ]; do HP=$(free_port); done
while [ "$SP" = "$KP" ] || [ "$SP" = "$HP" ]; do SP=$(free_port); done
Z=zone.example

tsig-keygen -a hmac-sha256 xfr >"$W/xfr.key"
tsig-keygen -a hmac-sha256 agent >"$W/agent.key"
secret() { sed -n 's/.*secret "\(.*\)";/\1/p' "$1"; }
XS=$(secret "$W/xfr.key"); AS=$(secret "$W/agent.key")

# ---- knotd: signs the zone (ECDSA), NOTIFYs hsyncd, serves IXFR with TSIG
mkdir -p "$W/knot"
cat >"$W/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@$KP
log:
  - target: stderr
    any: info
database:
    storage: $W/knot
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
policy:
  - id: ecdsa
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    propagation-delay: 0
    dnskey-ttl: 10
    zone-max-ttl: 10
zone:
  - domain: $Z
    storage: $W/knot
    file: $Z.zone
    dnssec-signing: on
    dnssec-policy: ecdsa
    notify: hsyncd
    acl: xfr
EOF
cat >"$W/knot/$Z.zone" <<'EOF'
$ORIGIN zone.example.
$TTL 10
@ SOA ns1 hostmaster 1 2 2 600 10
@ NS ns1
ns1 A 127.0.0.1
www A 127.0.0.2
EOF
bg knotd knotd -c "$W/knot.conf"
KC="knotc -c $W/knot.conf -s $W/knot/knot.sock"
wait_for 20 sh -c "kdig @127.0.0.1 -p $KP $Z DNSKEY +short | grep -q '^257 '" || fail "knotd did not sign the zone"
ok "knotd serves the signed zone"

# ---- configuration
cat >"$W/hsyncd.conf" <<EOF
listen 127.0.0.1 port $HP
tsig-key-file "$W/xfr.key"
tsig-key-file "$W/agent.key"
state-dir "$W/state"
log-level info
refresh-min 1s
events exec "cat >> $W/events.jsonl"
subscriber 127.0.0.1 port $SP key agent
zone $Z {
	source 127.0.0.1 port $KP key xfr
}
EOF
"$HSYNCD" -n -f "$W/hsyncd.conf" || fail "hsyncd -n rejects a good file"
sed 's/key agent/key nosuch/' "$W/hsyncd.conf" >"$W/bad.conf"
set +e; "$HSYNCD" -n -f "$W/bad.conf" 2>"$W/bad.err"; rc=$?; set -e
[ $rc = 100 ] || fail "hsyncd -n on a bad file: exit $rc, not 100"
grep -q "bad.conf:8: subscriber: key nosuch" "$W/bad.err" || fail "no file:line reason: $(cat "$W/bad.err")"
ok "hsyncd -n: 0 for a good file, 100 with file:line for a bad one"

# ---- start: subscriber drops the first NOTIFY so hsyncd must retry
bg sub perl "$SUB" "$SP" "$W/notify.log" agent "$AS" 1
sleep 0.3
bg hsyncd "$HSYNCD" -f "$W/hsyncd.conf"
LOG=$W/hsyncd.log
wait_for 20 grep -q "qtype=48 tsig=ok\$" "$W/notify.log" || fail "no DNSKEY NOTIFY at first sight: $(cat "$W/notify.log" 2>/dev/null)"
wait_for 10 sh -c "[ \$(grep -c 'tsig=ok\$' '$W/notify.log') -ge 4 ]" || fail "not every type notified"
grep -q "dropped" "$W/notify.log" || fail "nothing dropped"
grep -q "not answered (try 1)" "$LOG" || fail "no retry logged"
for t in 2 48 59 60; do
	n=$(grep -c "qtype=$t tsig=ok\$" "$W/notify.log") || true
	[ "$n" = 1 ] || fail "type $t answered $n times at first sight, not once: $(cat "$W/notify.log")"
done
grep -q "tsig=bad\|tsig=none" "$W/notify.log" && fail "a NOTIFY without a good TSIG"
grep -q "$Z.: first seen, serial" "$LOG" || fail "first sight not logged"
ok "first sight: one TSIG-signed NOTIFY per type (NS DNSKEY CDS CDNSKEY), a dropped one retried"

# ---- answers
d() { dig @127.0.0.1 -p "$HP" +norec +time=2 +tries=1 "$@"; }
[ "$(d +short $Z DNSKEY | wc -l)" = 2 ] || fail "DNSKEY over UDP"
[ "$(d +tcp +short $Z DNSKEY | wc -l)" = 2 ] || fail "DNSKEY over TCP"
d $Z DNSKEY +dnssec | grep -q "RRSIG.*DNSKEY 13" || fail "no RRSIG with DO"
d $Z DNSKEY | grep -q "RRSIG" && fail "RRSIG without DO"
d $Z DNSKEY | grep -q "flags: qr aa;" || fail "answer not authoritative"
d www.$Z A | grep -q "status: REFUSED" || fail "www not REFUSED"
d other.example SOA | grep -q "status: REFUSED" || fail "other zone not REFUSED"
d $Z TYPE65282 | grep -q "status: NOERROR" || fail "no NODATA for HSYNC"
kdig @127.0.0.1 -p "$HP" +short $Z SOA | grep -q "^ns1.$Z. hostmaster.$Z. " || fail "kdig SOA"
d -y "hmac-sha256:agent:$AS" $Z DNSKEY >"$W/dig-tsig.out" 2>&1 || true
grep -q "status: NOERROR" "$W/dig-tsig.out" || fail "TSIG query: $(cat "$W/dig-tsig.out")"
grep -qi "tsig.*NOERROR\|TSIG PSEUDOSECTION" "$W/dig-tsig.out" || fail "TSIG query answered unsigned"
grep -qi "couldn't verify\|expected a TSIG\|BADSIG" "$W/dig-tsig.out" && fail "TSIG answer does not verify"
d -y "hmac-sha256:agent:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" $Z DNSKEY 2>&1 | grep -q "status: NOTAUTH" \
	|| fail "query with a bad TSIG not NOTAUTH"
ok "answers: UDP, TCP, RRSIG with DO, AA, NODATA, REFUSED for the rest, TSIG-signed when asked so"

notified() {  # notified QTYPE COUNT: wait for COUNT good NOTIFYs of QTYPE
	wait_for 10 sh -c "[ \$(grep -c 'qtype=$1 tsig=ok\$' '$W/notify.log') -ge $2 ]"
}
kset() {  # kset DATA...: one knotc transaction of zone-set/zone-unset lines
	$KC zone-begin $Z >/dev/null
	while [ $# -gt 0 ]; do
		# shellcheck disable=SC2086
		$KC $1 $Z $2 >/dev/null || { $KC zone-abort $Z; fail "knotc $1 $2"; }
		shift 2
	done
	$KC zone-commit $Z >/dev/null || fail "zone-commit"
}
HA='\# 41 010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200'
HA_OFF='\# 41 020101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200'
HB_AGENT='\# 24 010201086964656e746974790970726f76696465726200 00'

# ---- HSYNC added
kset zone-set "@ 10 TYPE65282 $HA"
notified 65282 1 || fail "no HSYNC NOTIFY after adding"
grep -q "$Z.: HSYNC identity.providera. added: ON OWNER SIGN upstream agent.zone.owner., from 127.0.0.1@$KP" "$LOG" \
	|| fail "HSYNC addition not logged"
d +short $Z TYPE65282 | grep -qi "010101086964656E7469747909" || fail "dig does not show the HSYNC"
wait_for 5 grep -qi '"type":"HSYNC".*"added":\["ON OWNER SIGN identity.providera. agent.zone.owner."\]' "$W/events.jsonl" \
	|| fail "no HSYNC event line: $(cat "$W/events.jsonl" 2>/dev/null)"
ok "HSYNC added: logged with its source, notified, answered, event line"

# ---- HSYNC changed
kset zone-unset "@ TYPE65282" zone-set "@ 10 TYPE65282 $HA_OFF"
notified 65282 2 || fail "no HSYNC NOTIFY after a change"
grep -q "HSYNC identity.providera. changed: ON OWNER SIGN upstream agent.zone.owner. -> OFF" "$LOG" \
	|| fail "HSYNC change not logged"
ok "HSYNC changed: logged, notified"

# ---- HSYNC made invalid (mixed NSmgmt): logged, not notified
kset zone-set "@ 10 TYPE65282 $HB_AGENT"
wait_for 10 grep -q "HSYNC RRset invalid" "$LOG" || fail "invalid HSYNC not logged"
sleep 1
n=$(grep -c 'qtype=65282 tsig=ok$' "$W/notify.log") || true
[ "$n" = 2 ] || fail "invalid HSYNC RRset notified ($n)"
grep -q "warning: $Z.: HSYNC RRset invalid" "$LOG" || fail "invalid HSYNC not a warning"
ok "invalid HSYNC RRset: logged as invalid, not notified"

# ---- HSYNC removed (valid again, then gone)
kset zone-unset "@ TYPE65282"
notified 65282 3 || fail "no HSYNC NOTIFY after removal"
grep -q "HSYNC identity.providera. removed" "$LOG" || fail "HSYNC removal not logged"
d $Z TYPE65282 | grep -q "ANSWER: 0" || fail "HSYNC still answered"
ok "HSYNC removed: logged, notified, no longer answered"

# ---- ZSK roll
before=$(grep -c 'qtype=48 tsig=ok$' "$W/notify.log") || true
$KC zone-key-rollover $Z zsk >/dev/null || fail "zone-key-rollover"
notified 48 $((before + 1)) || fail "no DNSKEY NOTIFY after the ZSK roll"
grep -q "DNSKEY [0-9]* (ZSK, alg 13) added" "$LOG" || fail "new ZSK not logged"
ok "ZSK roll: DNSKEY change logged and notified"

# ---- a burst of HSYNC changes while the subscriber is away: one NOTIFY
kill "$PID_sub"; wait "$PID_sub" 2>/dev/null || true
before=$(grep -c 'qtype=65282 tsig=ok$' "$W/notify.log") || true
n0=$(grep -c "HSYNC identity.providera. " "$LOG") || true
kset zone-set "@ 10 TYPE65282 $HA"
kset zone-unset "@ TYPE65282" zone-set "@ 10 TYPE65282 $HA_OFF"
kset zone-unset "@ TYPE65282"
wait_for 10 sh -c "[ \$(grep -c 'HSYNC identity.providera. ' '$LOG') -ge $((n0 + 3)) ]" \
	|| fail "the three HSYNC changes were not all logged"
bg sub perl "$SUB" "$SP" "$W/notify.log" agent "$AS"
notified 65282 $((before + 1)) || fail "no HSYNC NOTIFY once the subscriber is back"
sleep 2
n=$(grep -c 'qtype=65282 tsig=ok$' "$W/notify.log") || true
[ "$n" = $((before + 1)) ] || fail "$((n - before)) HSYNC NOTIFYs for one burst, not 1"
ok "a burst of three HSYNC changes while the subscriber was away: one NOTIFY, retried until answered"

# ---- NOTIFY that must be ignored
r=$(perl "$SUB" -notify 127.0.0.2 "$HP" $Z xfr "$XS")
[ "$r" = rcode=5 ] || fail "NOTIFY from 127.0.0.2: $r"
r=$(perl "$SUB" -notify 127.0.0.1 "$HP" $Z xfr AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=)
[ "$r" = rcode=9 ] || fail "NOTIFY with a bad TSIG: $r"
r=$(perl "$SUB" -notify 127.0.0.1 "$HP" $Z)
[ "$r" = rcode=9 ] || fail "unsigned NOTIFY: $r"
grep -q "127.0.0.2@[0-9]*: NOTIFY from an address that is not the source" "$LOG" || fail "unknown address not logged"
[ "$(grep -c "NOTIFY without the source's valid TSIG: ignored" "$LOG")" = 2 ] || fail "bad TSIG not logged twice"
r=$(perl "$SUB" -notify 127.0.0.1 "$HP" $Z xfr "$XS")
[ "$r" = rcode=0 ] || fail "good NOTIFY: $r"
ok "NOTIFY from another address, with a bad TSIG or none: ignored and logged; a good one accepted"

# ---- SIGHUP keeps state
kill -HUP "$PID_hsyncd"
wait_for 5 grep -q "configuration reloaded" "$LOG" || fail "no reload"
d +short $Z DNSKEY | grep -q . || fail "state lost on reload"
ok "SIGHUP: configuration reloaded, state kept"

# ---- restart with a change made meanwhile
kill -TERM "$PID_hsyncd"
set +e; wait "$PID_hsyncd"; rc=$?; set -e
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
grep -q "notice: stopped" "$LOG" || fail "no clean stop"
[ -s "$W/state/$Z.apex" ] || fail "no stored state"
before=$(grep -c 'qtype=65282 tsig=ok$' "$W/notify.log") || true
kset zone-set "@ 10 TYPE65282 $HA"
mv "$LOG" "$W/hsyncd-1.log"
bg hsyncd "$HSYNCD" -f "$W/hsyncd.conf"
notified 65282 $((before + 1)) || fail "change made while down not notified"
grep -q "stored state loaded" "$LOG" || fail "stored state not loaded"
grep -q "HSYNC identity.providera. added" "$LOG" || fail "change made while down not logged"
grep -q "first seen" "$LOG" && fail "zone seen as new after restart"
ok "restart: SIGTERM exits 0; a change made while down is logged and notified"
echo "$NCHECKS checks"
