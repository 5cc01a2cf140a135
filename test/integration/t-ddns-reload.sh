#!/usr/bin/env bash
# SIGHUP applies agentd's parent and child blocks, on loopback with the lab
# of t-ddns-child.sh (named: the signed parent.example; knotd: the signed
# child.parent.example; unbound validating; the parent agentd; a child agentd):
#   (a) a child agentd started without a child block gets one by SIGHUP:
#       logged as added, its DS reaches named
#   (c) a child block whose key file is missing, by SIGHUP: nothing changes,
#       the log says why, the running child still works (next step)
#   (b) the parent's primary moved to a second named by SIGHUP (listen
#       unchanged: listeners kept): the next UPDATE goes there, not to the first
#   (e) the trust store is intact after that reload (file, control socket,
#       KeyState 4, the child's UPDATE accepted without a new bootstrap)
#   (f) a parent block whose new listen address is taken: logged, the old
#       listener keeps answering
#   (d) the child block removed by SIGHUP: logged, no more UPDATEs
#   unchanged blocks are counted, not restarted; the child block added again
#   sends what it missed (what the parent was told is on disk); a changed
#   child option restarts the block; a parent's listen address moved to a
#   free port is rebound (the old one closed, the trust store kept)
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/ddnsd-lab.sh"

C=child.parent.example.
ddnsd_conf
named_start signed
knot_start
unbound_start parent   # also validates parent.example. (signed at named)
ddnsd_start

# a second primary for parent.example (unsigned copy), used after (b)
P_NAMED2=$(free_port)
while [ "$P_NAMED2" = "$P_RECV" ] || [ "$P_NAMED2" = "$P_NAMED" ] || [ "$P_NAMED2" = "$P_KNOT" ] ||
	[ "$P_NAMED2" = "$P_UB" ] || [ "$P_NAMED2" = "$P_AGENT" ]; do
	P_NAMED2=$(free_port)
done
mkdir -p "$W/named2"
cat >"$W/named2/parent.zone" <<EOF
\$ORIGIN parent.example.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
child NS ns1.child
ns1.child A 127.0.0.1
EOF
named_primary "$W/named2" "$P_NAMED2" parent.example. parent.zone
bg named2 named -g -c "$W/named2/named.conf"
wait_for 10 kdig +short @127.0.0.1 -p "$P_NAMED2" SOA parent.example. ||
	fail "the second named did not start: $(tail "$W/named2.log")"
at_named2() {
	kdig +nocomments +noquestion +nostats @127.0.0.1 -p "$P_NAMED2" parent.example. AXFR |
		awk -v n="$1" -v t="$2" 'tolower($1) == tolower(n) && $4 == t {
			$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' | sort -u | tr '\n' ' '
}
serial2() { kdig +short +norec @127.0.0.1 -p "$P_NAMED2" parent.example. SOA | awk '{print $3}'; }

# lines of LOG after line FROM containing TEXT (fixed string)
since() { tail -n +"$(($2 + 1))" "$W/$1.log" | grep -F -- "$3"; }
mark() { wc -l <"$W/$1.log"; }

# --- the child agent, first without a child block
mkdir -p "$W/cstate" "$W/ck"
CAKEY=$W/ck/$(cd "$W/ck" && dnssec-keygen -q -T KEY -a ED25519 -n HOST host.child.example)
cat >"$W/child-base.conf" <<EOF
identity agent.child.example
key "$CAKEY"
listen 127.0.0.1@$(free_port)
resolver 127.0.0.1@$P_UB
state-dir "$W/cstate"
control-socket "$W/child.ctl"
log-level info
EOF
child_block() {   # KEYFILE
	cat <<EOF
child child.parent.example {
	source 127.0.0.1@$P_KNOT
	key "$1"
	ttl 300
	refresh 1s
}
EOF
}
cp "$W/child-base.conf" "$W/child.conf"
bg child "$BIN/agentd" -f "$W/child.conf"
wait_for 10 grep -q "started as agent.child.example" "$W/child.log" ||
	fail "child agentd did not start: $(tail "$W/child.log")"
sleep 1
grep -q "DSYNC\|KeyState\|delegation" "$W/child.log" && fail "an agentd without child block talked to the parent"

# --- (a) a child block added by SIGHUP
{ cat "$W/child-base.conf"; child_block "$CKEY"; } >"$W/child.conf"
"$BIN/agentd" -n -f "$W/child.conf" || fail "agentd -n child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "child.parent.example.: reload: child block added: started" ||
	{ tail "$W/child.log"; fail "(a) the added child block is not logged"; }
since child "$m" "reload: delegation blocks: 0 parent and 0 child unchanged" >/dev/null ||
	fail "(a) the unchanged count is not logged: $(tail -5 "$W/child.log")"
kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" $C DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/ksk1.txt"
ds1=$(dnssec-dsfromkey -2 -f "$W/ksk1.txt" child.parent.example | awk '{print $4, $5, $6, $7}')
has_ds() { [ "$(at_parent $C DS | tr 'A-F' 'a-f' | tr -d ' ')" = "$(echo "$1" | tr 'A-F' 'a-f' | tr -d ' ')" ]; }
wait_for 40 has_ds "$ds1" || {
	tail -20 "$W/child.log"; tail -20 "$W/agentd.log"
	fail "(a) the child's DS did not reach named: $(at_parent $C DS)"
}
grep -q "key 11727 of $C now trusted (validated KEY look-up)" "$W/agentd.log" || fail "(a) the parent did not trust the key"
ok "(a) a child block added by SIGHUP starts: logged, bootstrap, its DS reaches named"

# --- (c) a broken child block: the key file is missing
{ cat "$W/child-base.conf"; child_block "$W/nonexistent/Kchild.parent.example.+013+11727"; } >"$W/child-bad.conf"
cp "$W/child-bad.conf" "$W/child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "the old configuration stays" ||
	{ tail "$W/child.log"; fail "(c) a broken configuration is not logged"; }
since child "$m" "the old configuration stays" | grep -q "child.conf:[0-9]*: key: .*nonexistent" ||
	fail "(c) the log does not say why: $(since child "$m" "the old configuration stays")"
since child "$m" "reload: child block" && fail "(c) a broken configuration changed a child block"
kill -0 "$PID_child" || fail "(c) the child agentd died"
ok "(c) a child block with a missing key file by SIGHUP: file:line and reason logged, nothing changed"

# --- (b) the parent's primary moves to the second named (listen unchanged)
S1=$(serial); S2=$(serial2)
sed -i "s/^\tprimary 127.0.0.1@$P_PRIMARY key pupd$/\tprimary 127.0.0.1@$P_NAMED2 key pupd/" "$W/agentd.conf"
grep -q "primary 127.0.0.1@$P_NAMED2 " "$W/agentd.conf" || fail "(b) cannot edit agentd.conf"
"$BIN/agentd" -n -f "$W/agentd.conf" || fail "agentd -n agentd.conf (moved primary)"
m=$(mark agentd)
kill -HUP "$PID_agentd"
wait_for 10 since agentd "$m" "parent.example.: reload: parent block changed: restarted, listeners kept, 1 keys in the trust store" ||
	{ tail "$W/agentd.log"; fail "(b) the changed parent block is not logged"; }
since agentd "$m" "reload: delegation blocks: 0 parent and 0 child unchanged" >/dev/null ||
	fail "(b) no unchanged count"
# the child (still running after (c), with its old configuration) sends the next change
cp "$W/child-base.conf" "$W/child.conf"
child_block "$CKEY" >>"$W/child.conf"
kedit $C "set ns2 60 A 127.0.0.3" "set @ 60 NS ns2"
nsok2() { [ "$(at_named2 $C NS)" = "ns1.$C ns2.$C " ] && [ "$(at_named2 ns2.$C A)" = "127.0.0.3 " ]; }
wait_for 40 nsok2 || {
	tail -10 "$W/child.log"; tail -10 "$W/agentd.log"
	fail "(b)(c) the NS change did not reach the second named: $(at_named2 $C NS)"
}
[ "$(serial)" = "$S1" ] || fail "(b) the first named was changed after the primary moved"
[ "$(serial2)" != "$S2" ] || fail "(b) the second named's serial did not move"
since agentd "$m" "changes sent to 127.0.0.1@$P_NAMED2" >/dev/null || fail "(b) the new primary is not in the log"
ok "(b) the parent's primary moved by SIGHUP: the next UPDATE goes to the second named, not the first"
ok "(c) the running child kept working after the refused reload"

# --- (e) the trust store is intact after the reload that changed the parent block
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
k = [e for e in d["keys"] if e["keytag"] == 11727]
assert len(k) == 1 and k[0]["state"] == "trusted" and k[0]["via"] == "dnssec", d' "$W/state/trust.json" ||
	fail "(e) trust store: $(cat "$W/state/trust.json")"
ctl trust | grep -q '"keytag": 11727.*"state": "trusted"\|"state": "trusted".*"keytag": 11727' ||
	ctl trust | python3 -c 'import json,sys
d = json.load(sys.stdin)
assert any(e["keytag"] == 11727 and e["state"] == "trusted" for e in d["keys"]), d' ||
	fail "(e) control socket trust: $(ctl trust)"
[ "$(ks 11727)" = "ks=11727:4" ] || fail "(e) KeyState after the reload: $(ks 11727)"
since agentd "$m" "key bootstrap from" && fail "(e) the child had to bootstrap again"
ok "(e) the trust store is intact after a reload that changed the parent block (file, control, KeyState 4)"

# --- (f) a parent block whose new listen address is taken: the old one runs on
cp "$W/agentd.conf" "$W/agentd-ok.conf"
sed -i "s/^\tlisten 127.0.0.1@$P_RECV$/\tlisten 127.0.0.1@$P_UB/" "$W/agentd.conf"
grep -q "listen 127.0.0.1@$P_UB" "$W/agentd.conf" || fail "(f) cannot edit agentd.conf"
m=$(mark agentd)
kill -HUP "$PID_agentd"
wait_for 10 since agentd "$m" "reload: parent block changed but not applied: cannot listen on 127.0.0.1@$P_UB" ||
	{ tail "$W/agentd.log"; fail "(f) the failed bind is not logged clearly"; }
[ "$(ks 11727)" = "ks=11727:4" ] || fail "(f) the old listener does not answer: $(ks 11727)"
ok "(f) new listen address taken: logged, the old parent block keeps answering"
cp "$W/agentd-ok.conf" "$W/agentd.conf"
m=$(mark agentd)
kill -HUP "$PID_agentd"
wait_for 10 since agentd "$m" "reload: delegation blocks: 1 parent and 0 child unchanged" ||
	{ tail "$W/agentd.log"; fail "an unchanged parent block is not counted as unchanged"; }
since agentd "$m" "reload: parent block" && fail "an unchanged parent block was restarted"
ok "an unchanged parent block is counted and not restarted"

# --- unchanged child block: kept
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "reload: delegation blocks: 0 parent and 1 child unchanged" ||
	{ tail "$W/child.log"; fail "an unchanged child block is not counted"; }
since child "$m" "reload: child block" && fail "an unchanged child block was restarted"

# --- (d) the child block removed
cp "$W/child-base.conf" "$W/child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "child.parent.example.: reload: child block removed: stopped" ||
	{ tail "$W/child.log"; fail "(d) the removed child block is not logged"; }
S2=$(serial2)
ma=$(mark agentd)
mc=$(mark child)
kedit $C "set ns3 60 A 127.0.0.4" "set @ 60 NS ns3"
wait_for 10 sh -c "[ \"\$(kdig +short +norec @127.0.0.1 -p $P_KNOT $C NS | sort | tr '\n' ' ')\" = 'ns1.$C ns2.$C ns3.$C ' ]" ||
	fail "(d) knotd did not take ns3"
sleep 4
[ "$(serial2)" = "$S2" ] || fail "(d) the parent zone changed after the child block was removed"
since child "$mc" "delegation" && fail "(d) the removed child still works: $(since child "$mc" delegation)"
since agentd "$ma" "UPDATE from" && fail "(d) the parent got an UPDATE after the child block was removed"
kill -0 "$PID_child" || fail "(d) the child agentd died"
ok "(d) the child block removed by SIGHUP: logged, no more UPDATEs"

# --- the child block back: it starts from what the parent was told (on disk)
# and sends the change it missed; then a changed option restarts it
{ cat "$W/child-base.conf"; child_block "$CKEY"; } >"$W/child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "child.parent.example.: reload: child block added: started" ||
	{ tail "$W/child.log"; fail "the child block added again is not logged"; }
ns3ok() { [ "$(at_named2 $C NS)" = "ns1.$C ns2.$C ns3.$C " ]; }
wait_for 40 ns3ok || { tail -10 "$W/child.log"; fail "the re-added child did not send ns3: $(at_named2 $C NS)"; }
since child "$m" "key bootstrap" && fail "the re-added child bootstrapped again"
ok "a child block added again sends what it missed (ns3 reaches the parent), no new bootstrap"
sed -i 's/^\trefresh 1s$/\trefresh 2s/' "$W/child.conf"
m=$(mark child)
kill -HUP "$PID_child"
wait_for 10 since child "$m" "child.parent.example.: reload: child block changed: restarted" ||
	{ tail "$W/child.log"; fail "a changed child block is not restarted"; }
since child "$m" "reload: delegation blocks: 0 parent and 0 child unchanged" >/dev/null ||
	fail "a changed child block counted as unchanged"
ok "a child block with an option changed (refresh) is restarted, logged"

# --- a parent block whose listen address moves to a free port: rebound
P_RECV2=$(free_port)
while [ "$P_RECV2" = "$P_RECV" ] || [ "$P_RECV2" = "$P_NAMED2" ] || [ "$P_RECV2" = "$P_NAMED" ] ||
	[ "$P_RECV2" = "$P_KNOT" ] || [ "$P_RECV2" = "$P_UB" ] || [ "$P_RECV2" = "$P_AGENT" ]; do
	P_RECV2=$(free_port)
done
sed -i "s/^\tlisten 127.0.0.1@$P_RECV$/\tlisten 127.0.0.1@$P_RECV2/" "$W/agentd.conf"
m=$(mark agentd)
kill -HUP "$PID_agentd"
wait_for 10 since agentd "$m" "parent.example.: reload: parent block changed: restarted, listeners rebound, 1 keys in the trust store" ||
	{ tail "$W/agentd.log"; fail "the parent's new listen address is not logged"; }
$SEND keystate child.parent.example 11727 >"$W/ks2.bin"
[ "$($SEND send "$P_RECV2" "$W/ks2.bin" | sed 's/.* \(ks=[^ ]*\)$/\1/')" = "ks=11727:4" ] ||
	fail "the new listener does not answer KeyState 4"
ss -Hltun "sport = :$P_RECV" | grep -q . && fail "the old listener is still bound: $(ss -Hltun "sport = :$P_RECV")"
ok "a parent block's listen address changed: rebound to the new one, the old one closed, trust kept"
