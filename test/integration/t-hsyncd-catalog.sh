#!/usr/bin/env bash
# hsyncd learning its zones from a catalog zone (RFC 9432) served by knotd:
#  - members listed at start are followed and notified (first sight);
#  - a member added to the catalog (knotc) is followed, answered, notified;
#  - a member removed is dropped: REFUSED, its saved state removed;
#  - a broken catalog (version "1") is not processed: members stay;
#  - a member also listed as a configured zone is followed once;
#  - events stdout: one JSON line per change on standard output.
. "$HSYNC_TOP/test/integration/lib.sh"

HSYNCD=$BIN/hsyncd
SUB=$TOP/test/data/hsyncd-sub.pl
[ -x "$HSYNCD" ] || fail "no $HSYNCD"
command -v knotd >/dev/null || fail "knotd not installed"
perl -MDigest::SHA -MMIME::Base64 -e 1 2>/dev/null || fail "perl with Digest::SHA (Debian: perl) needed by $SUB"

KP=$(free_port); HP=$(free_port); SP=$(free_port)
while [ "$HP" = "$KP" ]; do HP=$(free_port); done
while [ "$SP" = "$KP" ] || [ "$SP" = "$HP" ]; do SP=$(free_port); done

tsig-keygen -a hmac-sha256 xfr >"$W/xfr.key"
tsig-keygen -a hmac-sha256 agent >"$W/agent.key"
secret() { sed -n 's/.*secret "\(.*\)";/\1/p' "$1"; }
XS=$(secret "$W/xfr.key"); AS=$(secret "$W/agent.key")

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
template:
  - id: default
    storage: $W/knot
    file: %s.zone
    notify: hsyncd
    acl: xfr
zone:
  - domain: cat.example
  - domain: a.example
  - domain: b.example
  - domain: c.example
EOF
for z in a b c; do
	cat >"$W/knot/$z.example.zone" <<EOF
\$ORIGIN $z.example.
\$TTL 10
@ SOA ns1 hostmaster 1 2 2 600 10
@ NS ns1.$z.example.
ns1 A 127.0.0.1
EOF
done
cat >"$W/knot/cat.example.zone" <<'EOF'
$ORIGIN cat.example.
$TTL 10
@ SOA invalid. hostmaster.invalid. 1 2 2 600 10
@ NS invalid.
version TXT "2"
m1.zones PTR a.example.
m3.zones PTR c.example.
EOF
bg knotd knotd -c "$W/knot.conf"
KC="knotc -c $W/knot.conf -s $W/knot/knot.sock"
wait_for 20 sh -c "kdig @127.0.0.1 -p $KP cat.example SOA +short | grep -q invalid" || fail "knotd did not start"

cat >"$W/hsyncd.conf" <<EOF
listen 127.0.0.1 port $HP
tsig-key-file "$W/xfr.key"
tsig-key-file "$W/agent.key"
state-dir "$W/state"
log-level info
refresh-min 1s
events stdout
subscriber 127.0.0.1 port $SP key agent
catalog cat.example {
	source 127.0.0.1 port $KP key xfr
}
zone c.example {
	source 127.0.0.1 port $KP key xfr
}
EOF
"$HSYNCD" -n -f "$W/hsyncd.conf" || fail "hsyncd -n"
bg sub perl "$SUB" "$SP" "$W/notify.log" agent "$AS"
sleep 0.3
bg hsyncd "$HSYNCD" -f "$W/hsyncd.conf"
LOG=$W/hsyncd.log
d() { dig @127.0.0.1 -p "$HP" +norec +time=2 +tries=1 "$@"; }

wait_for 20 grep -q "NOTIFY a.example. qtype=2 tsig=ok" "$W/notify.log" || fail "member a.example not notified"
grep -q "cat.example.: member a.example. added (unique-id m1)" "$LOG" || fail "member addition not logged"
d +short a.example NS | grep -q "^ns1.a.example.$" || fail "a.example not answered"
d b.example NS | grep -q "status: REFUSED" || fail "b.example answered before it is a member"
d cat.example SOA | grep -q "status: NOERROR" || fail "catalog apex not answered"
grep -q "c.example.: member of cat.example. ignored: already followed" "$LOG" || fail "clash with a configured zone not logged"
[ "$(grep -c "NOTIFY c.example. qtype=2" "$W/notify.log")" = 1 ] || fail "c.example followed twice"
ok "catalog at start: member followed, answered, notified; a configured zone wins a clash"

$KC zone-begin cat.example >/dev/null
$KC zone-set cat.example m2.zones 10 PTR b.example. >/dev/null
$KC zone-commit cat.example >/dev/null
wait_for 10 grep -q "NOTIFY b.example. qtype=2 tsig=ok" "$W/notify.log" || fail "new member b.example not notified"
grep -q "cat.example.: member b.example. added (unique-id m2)" "$LOG" || fail "new member not logged"
d +short b.example NS | grep -q "^ns1.b.example.$" || fail "b.example not answered"
grep -q '^{"zone":"b.example.","type":"NS","ttl":10,"added":\["ns1.b.example."\],"removed":\[\]}$' "$LOG" \
	|| fail "no event line on stdout for b.example"
ok "member added to the catalog: followed, answered, notified, event line on stdout"

[ -s "$W/state/a.example.apex" ] || fail "no saved state for a.example"
$KC zone-begin cat.example >/dev/null
$KC zone-unset cat.example m1.zones PTR >/dev/null
$KC zone-commit cat.example >/dev/null
wait_for 10 grep -q "cat.example.: member a.example. removed (unique-id m1)" "$LOG" || fail "member removal not logged"
wait_for 5 sh -c "dig @127.0.0.1 -p $HP +norec a.example NS | grep -q 'status: REFUSED'" || fail "removed member still answered"
[ ! -e "$W/state/a.example.apex" ] || fail "saved state of a removed member kept"
ok "member removed from the catalog: dropped, REFUSED, state removed"

$KC zone-begin cat.example >/dev/null
$KC zone-unset cat.example version TXT >/dev/null
$KC zone-set cat.example version 10 TXT 1 >/dev/null
$KC zone-commit cat.example >/dev/null
wait_for 10 grep -q "broken catalog" "$LOG" || fail "broken catalog not logged"
sleep 0.5
d +short b.example NS | grep -q "^ns1.b.example.$" || fail "member dropped by a broken catalog"
ok "broken catalog (version 1): not processed, members stay"

kill -TERM "$PID_hsyncd"
set +e; wait "$PID_hsyncd"; rc=$?; set -e
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
grep -q "notice: stopped" "$LOG" || fail "no clean stop"
ok "SIGTERM with catalog members: exit 0"
echo "$NCHECKS checks"
