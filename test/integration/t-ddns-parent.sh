#!/usr/bin/env bash
# agentd as a parent's UPDATE receiver (delegation management via DDNS),
# with named as the parent zone's real primary (TSIG UPDATE from agentd),
# knotd serving a signed child (child.parent.example) and an unsigned one
# (other.parent.example), unbound validating:
#   - agentd -p prints the DSYNC, SVCB and KEY records to publish
#   - KeyState 5 for an unknown key; an UPDATE signed with it: BADKEY
#   - bootstrap by nsupdate -k (SIG(0), self-signed): NOERROR, KeyState 9
#     or 4, then 4 by the validated KEY look-up, saved in the trust store
#   - NS and glue changes by nsupdate -k and by our own signer reach named
#     once the child serves them; checked as a CSYNC scanner would (the
#     child's NS RRset and glue addresses looked up through unbound): an NS
#     the child does not serve, glue with an address it does not serve, a
#     replace leaving out an NS it serves and the deletion of an NS it still
#     serves are refused, each changing nothing at named; no answer from
#     the resolver, or a bogus one (SERVFAIL), is SERVFAIL
#   - DS: one matching the child's KSK reaches named, one that does not is
#     refused
#   - refusals: another child, another type, BADTIME, BADSIG, a pending
#     (untrusted) key with its EDE; each changes nothing at named
#   - unsigned child: bootstrap by repeated look-ups at its nameserver
#   - manual trust on the control socket; the trust store survives a restart
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/ddnsd-lab.sh"
command -v nsupdate >/dev/null || fail "nsupdate not installed"
[ -x "$BIN/hsync-sig0" ] || fail "no $BIN/hsync-sig0"

lab_start
C=child.parent.example.

# --- records to publish
"$BIN/agentd" -p -f "$W/agentd.conf" >"$W/publish.txt" || fail "agentd -p"
grep -q "^\*\._dsync\.parent\.example\. 3600 IN TYPE66 \\\\# 26 00ff02$(printf '%04x' "$P_RECV")0464646e7306706172656e74076578616d706c6500$" "$W/publish.txt" ||
	{ cat "$W/publish.txt"; fail "agentd -p: no DSYNC ANY UPDATE $P_RECV ddns.parent.example."; }
grep -q "^; \*\._dsync\.parent\.example\. 3600 IN DSYNC ANY UPDATE $P_RECV ddns\.parent\.example\.$" "$W/publish.txt" ||
	fail "agentd -p: DSYNC presentation form missing"
grep -q "^ddns\.parent\.example\. 3600 IN SVCB 1 \. port=$P_RECV ipv4hint=127\.0\.0\.1$" "$W/publish.txt" ||
	fail "agentd -p: SVCB missing"
grep -q "^parent\.example\. 3600 IN KEY 256 3 15 $(awk '{print $NF}' "$PKEY.key" | tail -1)$" "$W/publish.txt" ||
	fail "agentd -p: parent KEY missing"
ok "agentd -p prints *._dsync DSYNC (RFC 3597), SVCB and KEY for the parent"

S0=$(serial)

# --- unknown key
[ "$(ks 11727)" = "ks=11727:5" ] || fail "KeyState of an unknown key: $(ks 11727)"
upd "$W/ns-early.bin" "$CKEY" "add:$C:300:NS:ns2.$C"
r=$(send "$W/ns-early.bin")
[ "$r" = "NOTAUTH signed ede=49153 ks=-" ] || fail "UPDATE with an unknown key: $r"
ok "unknown key: KeyState 5, UPDATE answered NOTAUTH with EDE BADKEY, signed"

# --- bootstrap by nsupdate -k (interop), validated look-up makes it trusted
nsup() {
	local key=$1; shift
	{ echo "server 127.0.0.1 $P_RECV"; echo "zone parent.example."; printf '%s\n' "$@"; echo send; } |
		timeout 15 nsupdate -t 3 -r 0 -k "$key.private" 2>&1
}
out=$(nsup "$CKEY" "update delete $C KEY" "update add $C 300 $(keyrr "$CKEY" | cut -d' ' -f3-)")
[ -z "$out" ] || fail "nsupdate bootstrap: $out"
grep -q "key bootstrap from $C (key 11727): 1 new pending keys" "$W/agentd.log" || fail "no bootstrap logged"
wait_for 10 sh -c "[ \"\$(python3 $TOP/test/data/ddnsd-send.py keystate $C 11727 >$W/k.bin; python3 $TOP/test/data/ddnsd-send.py send $P_RECV $W/k.bin)\" = 'NOERROR signed ede=- ks=11727:4' ]" ||
	{ tail "$W/agentd.log"; fail "key 11727 not trusted: $(ks 11727)"; }
grep -q "key 11727 of $C now trusted (validated KEY look-up)" "$W/agentd.log" || fail "trust not logged"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
k = [e for e in d["keys"] if e["keytag"] == 11727]
assert len(k) == 1 and k[0]["state"] == "trusted" and k[0]["via"] == "dnssec", d' "$W/state/trust.json" ||
	fail "trust store: $(cat "$W/state/trust.json")"
[ "$(serial)" = "$S0" ] || fail "the bootstrap changed the parent zone"
ok "bootstrap by nsupdate -k: accepted, key trusted by the validated look-up (KeyState 4), on disk"

# --- NS and glue: checked against what the child serves (through unbound)
Sn=$(serial)
nsrefused() {   # NAME FILE LOGTEXT: REFUSED, logged with its reason, named unchanged
	local r; r=$(send "$2" 2>"$W/ede.txt")
	[ "$r" = "REFUSED signed ede=49156 ks=-" ] || fail "$1: got '$r', wanted REFUSED with EDE 49156"
	grep -qF "ede-text: NS check: $3" "$W/ede.txt" || fail "$1: the reason is not the EDE's text: $(cat "$W/ede.txt")"
	[ "$(serial)" = "$Sn" ] || fail "$1 changed the parent zone"
	grep -qF "UPDATE from $C refused (REFUSED): NS check: $3" "$W/agentd.log" ||
		{ tail -5 "$W/agentd.log"; fail "$1: reason not logged ($3)"; }
}
upd "$W/ns-unserved.bin" "$CKEY" "add:$C:300:NS:ns2.$C" "add:ns2.$C:300:A:127.0.0.2"
nsrefused "an NS the child does not serve" "$W/ns-unserved.bin" \
	"NS ns2.$C is not in the NS RRset $C serves"
grep -q "$C NS look-up at 127.0.0.1@$P_UB: validated, 1 record(s)" "$W/agentd.log" ||
	fail "the child's NS look-up is not logged as validated"
[ "$(at_parent $C NS)" = "ns1.$C " ] && [ -z "$(at_parent ns2.$C A)" ] || fail "named changed"
ok "an NS the child does not serve: REFUSED (signed), the reason logged, named unchanged"

# the child now serves ns2 (at 127.0.0.2)
kedit $C "set ns2 60 A 127.0.0.2" "set @ 60 NS ns2"
wait_for 10 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_UB $C NS | sort | tr '\n' ' ')\" = 'ns1.$C ns2.$C ' ]" ||
	fail "unbound does not see ns2: $(resolved $C NS)"
upd "$W/glue-bad.bin" "$CKEY" "add:$C:300:NS:ns2.$C" "add:ns2.$C:300:A:127.0.0.9"
nsrefused "glue the child does not serve" "$W/glue-bad.bin" \
	"glue ns2.$C A 127.0.0.9 is not an address $C serves for ns2.$C"
grep -q "ns2.$C A look-up at 127.0.0.1@$P_UB: validated, 1 record(s)" "$W/agentd.log" ||
	fail "the glue look-up is not logged"
upd "$W/replace-short.bin" "$CKEY" "delset:$C:NS" "add:$C:300:NS:ns1.$C"
nsrefused "a replace without an NS the child serves" "$W/replace-short.bin" \
	"the UPDATE replaces the NS RRset of $C without ns2.$C, which $C serves"
ok "glue with an address the child does not serve, and a replace leaving out one of its NS: REFUSED, logged, named unchanged"

# NS and glue by nsupdate -k, as the child serves them
out=$(nsup "$CKEY" "update add $C 300 NS ns2.$C" "update add ns2.$C 300 A 127.0.0.2")
[ -z "$out" ] || fail "nsupdate NS: $out"
[ "$(at_parent $C NS)" = "ns1.$C ns2.$C " ] || fail "NS at named: $(at_parent $C NS)"
[ "$(at_parent ns2.$C A)" = "127.0.0.2 " ] || fail "glue at named: $(at_parent ns2.$C A)"
grep -q "add $C NS ns2.$C, from $C (SIG(0) 11727)" "$W/agentd.log" || fail "NS change not logged"
grep -q "add ns2.$C A 127.0.0.2, from $C (SIG(0) 11727)" "$W/agentd.log" || fail "glue not logged"
ok "NS and glue added by nsupdate -k (SIG(0)) reach named, one log line per change"

# replace mode (as agentd's child role sends it with mode replace): the
# whole NS RRset and the glue RRsets, equal to what the child serves
upd "$W/replace.bin" "$CKEY" "delset:$C:NS" "delset:ns2.$C:A" "delset:ns2.$C:AAAA" \
	"add:$C:300:NS:ns1.$C" "add:$C:300:NS:ns2.$C" "add:ns2.$C:300:A:127.0.0.2"
r=$(send "$W/replace.bin")
[ "$r" = "NOERROR signed ede=- ks=-" ] || fail "replace of the NS RRset as the child serves it: $r"
[ "$(at_parent $C NS)" = "ns1.$C ns2.$C " ] && [ "$(at_parent ns2.$C A)" = "127.0.0.2 " ] ||
	fail "named after the replace: $(at_parent $C NS) / $(at_parent ns2.$C A)"
grep -q "ns2.$C AAAA look-up at 127.0.0.1@$P_UB: validated, 0 record(s)" "$W/agentd.log" ||
	fail "the replace's AAAA look-up (none served) is not logged"
ok "a replace (delete NS and glue RRsets, add them back) equal to what the child serves is accepted"

# --- our own signer, over TCP: remove them again, once the child no longer serves them
Sn=$(serial)
upd "$W/ns-del-early.bin" "$CKEY" "delrr:$C:NS:ns2.$C" "delset:ns2.$C:A"
nsrefused "deleting an NS the child still serves" "$W/ns-del-early.bin" \
	"NS ns2.$C deleted, but $C still serves it"
[ "$(at_parent $C NS)" = "ns1.$C ns2.$C " ] || fail "NS at named after a refused delete: $(at_parent $C NS)"
kedit $C "unset @ NS ns2" "unset ns2 A"
wait_for 10 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_UB $C NS | sort | tr '\n' ' ')\" = 'ns1.$C ' ]" ||
	fail "unbound still sees ns2: $(resolved $C NS)"
upd "$W/ns-del.bin" "$CKEY" "delrr:$C:NS:ns2.$C" "delset:ns2.$C:A"
r=$(send "$W/ns-del.bin" tcp)
[ "$r" = "NOERROR signed ede=- ks=-" ] || fail "delete NS: $r"
[ "$(at_parent $C NS)" = "ns1.$C " ] || fail "NS at named after delete: $(at_parent $C NS)"
[ -z "$(at_parent ns2.$C A)" ] || fail "glue left at named"
Sd=$(serial)
r=$(send "$W/ns-del.bin")
[ "$r" = "REFUSED signed ede=- ks=-" ] || fail "replayed UPDATE: $r"
[ "$(serial)" = "$Sd" ] || fail "a replayed UPDATE changed the parent zone"
grep -q "refused (REFUSED): replayed" "$W/agentd.log" || fail "replay not logged"
ok "deleting an NS the child still serves is REFUSED; once it does not, the NS and glue are deleted by an UPDATE signed by hsync-sig0 over TCP; the same message again is refused as a replay"

# --- DS
kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_KNOT" $C DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$W/ksk.txt"
ds=$(dnssec-dsfromkey -2 -f "$W/ksk.txt" child.parent.example | awk '{print $4, $5, $6, $7}')
[ -n "$ds" ] || fail "no DS from the child's KSK"
upd "$W/ds.bin" "$CKEY" "add:$C:300:DS:$ds"
S1=$(serial)
upd "$W/ds-bad.bin" "$CKEY" "add:$C:300:DS:$(echo "$ds" | cut -d' ' -f1-3) $(printf '%064d' 7)"
r=$(send "$W/ds-bad.bin")
[ "$r" = "REFUSED signed ede=49156 ks=-" ] || fail "bad DS: $r"
[ "$(serial)" = "$S1" ] && [ -z "$(at_parent $C DS)" ] || fail "bad DS changed named"
r=$(send "$W/ds.bin")
[ "$r" = "NOERROR signed ede=- ks=-" ] || fail "DS: $r"
[ "$(at_parent $C DS | tr 'A-F' 'a-f' | tr -d ' ')" = "$(echo "$ds" | tr 'A-F' 'a-f' | tr -d ' ')" ] ||
	fail "DS at named: $(at_parent $C DS), wanted $ds"
ok "a DS matching the child's validated KSK reaches named; one that matches none is refused"

# --- refusals: each changes nothing
S2=$(serial)
refused() {   # NAME WANT FILE [tcp]
	local r; r=$(send "$3" ${4:-})
	[ "$r" = "$2" ] || fail "$1: got '$r', wanted '$2'"
	[ "$(serial)" = "$S2" ] || fail "$1 changed the parent zone"
}
upd "$W/other.bin" "$CKEY" "add:other.parent.example:300:NS:ns9.other.parent.example"
refused "another child" "REFUSED signed ede=- ks=-" "$W/other.bin"
upd "$W/txt.bin" "$CKEY" "add:$C:300:TXT:hello"
refused "another type" "REFUSED signed ede=- ks=-" "$W/txt.bin" tcp
upd "$W/apex.bin" "$CKEY" "add:parent.example:300:NS:ns9.$C"
refused "the parent apex" "REFUSED signed ede=- ks=-" "$W/apex.bin"
upd "$W/t.bin" "$CKEY" "add:$C:300:NS:ns3.$C"
$SEND oldtime "$W/t.bin" >"$W/old.bin"
refused "BADTIME" "NOTAUTH signed ede=49155 ks=-" "$W/old.bin"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 1; sys.stdout.buffer.write(d)' "$W/t.bin" >"$W/badsig.bin"
refused "BADSIG" "NOTAUTH signed ede=49154 ks=-" "$W/badsig.bin"
$SEND update parent.example "add:$C:300:NS:ns3.$C" >"$W/unsigned.bin"
refused "unsigned" "REFUSED signed ede=- ks=-" "$W/unsigned.bin"
# a second key of the child, self-signed bootstrap: pending (it is not in
# the child's KEY RRset, so the validated look-up never confirms it)
upd "$W/boot2.bin" "$C2KEY" "delset:$C:KEY" "add:$C:300:KEY:$C2KEY.key"
r=$(send "$W/boot2.bin")
[ "$r" = "NOERROR signed ede=- ks=-" ] || fail "bootstrap of a second key: $r"
[ "$(ks $C2TAG)" = "ks=$C2TAG:9" ] || fail "KeyState of the pending key: $(ks $C2TAG)"
upd "$W/pend.bin" "$C2KEY" "add:$C:300:NS:ns3.$C"
refused "pending key" "REFUSED signed ede=49152 ks=-" "$W/pend.bin"
[ "$(ks 11727)" = "ks=11727:4" ] || fail "the trusted key was dropped before the new one was validated"
for w in "another child" "BADTIME" "BADSIG" "not trusted"; do :; done
n=$(grep -c "refused" "$W/agentd.log")
[ "$n" -ge 7 ] || fail "refusals not logged ($n)"
ok "refused, logged and nothing applied: another child, another type, parent apex, BADTIME, BADSIG, unsigned, untrusted key (EDE 49152)"

# --- unsigned child: repeated look-ups at its nameserver, UDP and TCP
O=other.parent.example.
[ "$(ks 11861 $O)" = "ks=11861:5" ] || fail "KeyState of other's key: $(ks 11861 $O)"
out=$(nsup "$OKEY" "update delete $O KEY" "update add $O 300 $(keyrr "$OKEY" | cut -d' ' -f3-)")
[ -z "$out" ] || fail "nsupdate bootstrap of the unsigned child: $out"
wait_for 15 grep -q "key 11861 of $O now trusted (2 consistent rounds" "$W/agentd.log" ||
	{ tail "$W/agentd.log"; fail "unsigned child's key not trusted"; }
[ "$(ks 11861 $O)" = "ks=11861:4" ] || fail "KeyState after the rounds: $(ks 11861 $O)"
Sn=$(serial)
upd "$W/ons-bad.bin" "$OKEY" "add:$O:300:NS:ns2.$O"
r=$(send "$W/ons-bad.bin")
[ "$r" = "REFUSED signed ede=49156 ks=-" ] || fail "unsigned child, an NS it does not serve: $r"
[ "$(serial)" = "$Sn" ] || fail "a refused NS of the unsigned child changed named"
grep -qF "UPDATE from $O refused (REFUSED): NS check: NS ns2.$O is not in the NS RRset $O serves" "$W/agentd.log" ||
	fail "unsigned child's NS refusal not logged"
grep -q "$O NS look-up at 127.0.0.1@$P_UB: insecure (not signed), 1 record(s)" "$W/agentd.log" ||
	fail "the unsigned child's NS look-up is not logged as insecure"
kedit $O "set ns2 60 A 127.0.0.1" "set @ 60 NS ns2"
wait_for 10 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_UB $O NS | sort | tr '\n' ' ')\" = 'ns1.$O ns2.$O ' ]" ||
	fail "unbound does not see ns2.$O: $(resolved $O NS)"
out=$(nsup "$OKEY" "update add $O 300 NS ns2.$O")
[ -z "$out" ] || fail "nsupdate NS for the unsigned child: $out"
[ "$(at_parent $O NS)" = "ns1.$O ns2.$O " ] || fail "NS of other at named: $(at_parent $O NS)"
upd "$W/ods.bin" "$OKEY" "add:$O:300:DS:$ds"
r=$(send "$W/ods.bin")
[ "$r" = "REFUSED signed ede=49156 ks=-" ] || fail "DS for an unsigned child: $r"
ok "unsigned child: key trusted after 2 consistent rounds at its nameserver (UDP+TCP); an NS it does not serve refused (insecure look-up), one it serves applied, a DS refused"

# --- manual trust on the control socket, then restart
HCTL="$BIN/hsync-ctl -s $W/agentd.ctl"
$HCTL trust | grep -q "\"keytag\": $C2TAG" || fail "hsync-ctl trust does not list the pending key"
$HCTL trust $C $C2TAG | grep -q '"ok": 1' || fail "manual trust: $($HCTL trust $C $C2TAG 2>&1)"
[ "$(ks $C2TAG)" = "ks=$C2TAG:4" ] || fail "KeyState after manual trust: $(ks $C2TAG)"
[ "$(ks 11727)" = "ks=11727:5" ] || fail "the old key is still there after the new one was trusted"
if $HCTL trust $C 999 >/dev/null 2>&1; then fail "manual trust of an unknown key did not fail"; fi
ctl "trust $C 999" | grep -q '"error"' || fail "control socket: no error for an unknown key"
ddnsd_stop
kedit $C "set ns4 60 A 127.0.0.4" "set @ 60 NS ns4"
ddnsd_start
[ "$(ks $C2TAG)" = "ks=$C2TAG:4" ] || fail "trust lost in the restart: $(ks $C2TAG)"
wait_for 10 sh -c "[ \"\$(kdig +short @127.0.0.1 -p $P_UB $C NS | sort | tr '\n' ' ')\" = 'ns1.$C ns4.$C ' ]" ||
	fail "unbound does not see ns4: $(resolved $C NS)"
[ "$(ks 11861 $O)" = "ks=11861:4" ] || fail "unsigned child's trust lost in the restart"
upd "$W/after.bin" "$C2KEY" "add:$C:300:NS:ns4.$C"
r=$(send "$W/after.bin")
[ "$r" = "NOERROR signed ede=- ks=-" ] || fail "UPDATE with the manually trusted key after restart: $r"
[ "$(at_parent $C NS)" = "ns1.$C ns4.$C " ] || fail "NS at named after restart: $(at_parent $C NS)"
ok "manual trust via the control socket replaces the old key; trust survives a restart"

# --- the NS look-up fails: no resolver, then a bogus child (a trust anchor
# that is not the child's KSK): SERVFAIL, logged, nothing applied
Sn=$(serial)
nsfailed() {   # NAME FILE LOGTEXT
	local r; r=$(send "$2" tcp)
	[ "$r" = "SERVFAIL signed ede=0 ks=-" ] || fail "$1: got '$r', wanted SERVFAIL with EDE 0"
	[ "$(serial)" = "$Sn" ] || fail "$1 changed the parent zone"
	grep -qF "UPDATE from $C refused (SERVFAIL): NS check: $3" "$W/agentd.log" ||
		{ tail -5 "$W/agentd.log"; fail "$1: reason not logged ($3)"; }
}
kill "$PID_unbound"; wait "$PID_unbound" 2>/dev/null || true
upd "$W/nores.bin" "$C2KEY" "add:$C:300:NS:ns4.$C"
nsfailed "no resolver" "$W/nores.bin" "$C NS look-up: no answer from resolver 127.0.0.1@$P_UB"
sed "s|trust-anchor-file: \"$W/anchor.key\"|trust-anchor-file: \"$KD/Kchild.parent.example.+013+46145.key\"|" \
	"$W/unbound.conf" >"$W/unbound-bogus.conf"
grep -q "46145" "$W/unbound-bogus.conf" || fail "no bogus trust anchor in unbound-bogus.conf"
bg unbound_bogus unbound -d -c "$W/unbound-bogus.conf"
bogus() { kdig +time=1 +retry=0 @127.0.0.1 -p "$P_UB" $C NS | grep -q 'status: SERVFAIL'; }
wait_for 10 bogus || fail "unbound with the wrong anchor does not answer SERVFAIL"
upd "$W/bogus.bin" "$C2KEY" "add:$C:300:NS:ns4.$C"
nsfailed "a bogus child" "$W/bogus.bin" "$C NS look-up: resolver 127.0.0.1@$P_UB answered SERVFAIL"
kill "$PID_unbound_bogus"; wait "$PID_unbound_bogus" 2>/dev/null || true
bg unbound unbound -d -c "$W/unbound.conf"
wait_for 10 sh -c "kdig +dnssec @127.0.0.1 -p $P_UB $C NS | grep -q 'Flags:.* ad'" ||
	fail "unbound did not come back"
ok "the child's NS look-up without an answer, or bogus (SERVFAIL from unbound): the UPDATE is answered SERVFAIL, logged, named unchanged"

# --- the primary gone: the child is told SERVFAIL, nothing is claimed
if [ "$P_PRIMARY" = "$P_NAMED" ]; then kill "$PID_named"; else kill "$PID_knotd"; fi
sleep 0.3
# (an NS the child serves, so that the checks pass and the UPDATE goes to the primary)
upd "$W/gone.bin" "$C2KEY" "add:$C:300:NS:ns4.$C"
r=$(send "$W/gone.bin" tcp)
[ "$r" = "SERVFAIL signed ede=0 ks=-" ] || fail "UPDATE while the primary is down: $r"
grep -q "did not take the UPDATE" "$W/agentd.log" || fail "primary failure not logged"
ok "primary down: the UPDATE is answered SERVFAIL (signed) and the failure logged"
