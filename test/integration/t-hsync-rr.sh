#!/usr/bin/env bash
# hsync-rr, the HSYNC/DSYNC converter:
#  1. the DESIGN.md (intent-00, RFC 9859) test vectors, byte for byte, both ways;
#  2. a whole zone file: presentation -> generic equals the committed
#     test/data/rr-example.zone, and generic -> presentation -> generic is stable;
#  3. bad input: exit 1 and exactly one line "hsync-rr: line N: reason";
#     usage errors: exit 100;
#  4. real servers accept the -g output: named-checkzone and nsd-checkzone
#     load it, and a real knotd serves the HSYNC and DSYNC records with the
#     exact RDATA (read back with kdig and turned back by hsync-rr -p).
. "$HSYNC_TOP/test/integration/lib.sh"

RR=$BIN/hsync-rr
[ -x "$RR" ] || fail "no $RR"
DATA=$TOP/test/data

HSYNC_TEXT='ON OWNER SIGN identity.providerA. agent.zone.owner.'
HSYNC_HEX=010101086964656e746974790970726f76696465724100056167656e74047a6f6e65056f776e657200
DSYNC_TEXT='ANY UPDATE 5302 ddns-receiver.parent.'
DSYNC_HEX=00ff0214b60d64646e732d726563656976657206706172656e7400

# expect WANT CMD...: CMD's stdout must be exactly WANT and it must exit 0.
expect() {
	local want=$1; shift
	local got; got=$("$@") || fail "$* exited $?"
	[ "$got" = "$want" ] || fail "$*: got '$got', want '$want'"
}

# --- 1. vectors ---------------------------------------------------------------
expect "zone. IN TYPE65282 \\# 41 $HSYNC_HEX" "$RR" -g zone. IN HSYNC $HSYNC_TEXT
expect "zone. IN HSYNC $HSYNC_TEXT" "$RR" -p "zone. IN TYPE65282 \\# 41 $HSYNC_HEX"
expect "zone. IN HSYNC $HSYNC_TEXT" "$RR" "zone. IN TYPE65282 \\# 41 $HSYNC_HEX"
ok "HSYNC vector both ways"
expect "_dsync.parent. TYPE66 \\# 27 $DSYNC_HEX" "$RR" -g "_dsync.parent. DSYNC $DSYNC_TEXT"
expect "_dsync.parent. DSYNC $DSYNC_TEXT" "$RR" -p "_dsync.parent. TYPE66 \\# 27 $DSYNC_HEX"
ok "DSYNC vector both ways"
expect "zone. 60 IN TYPE65282 \\# 41 $HSYNC_HEX" \
	sh -c "echo 'zone. 60 IN hsync on owner sign identity.providerA. agent.zone.owner.' | '$RR' -g"
ok "mnemonics are case-insensitive, names keep their case"

# --- 2. a zone file -------------------------------------------------------------
# The committed generic zone is the -g output of the presentation zone
# (the first three lines are each file's own header comment).
"$RR" -g <"$DATA/rr-example-presentation.zone" >"$W/gen.zone" || fail "-g on the zone failed"
diff <(tail -n +4 "$W/gen.zone") <(tail -n +4 "$DATA/rr-example.zone") || fail "-g output differs from rr-example.zone"
ok "presentation zone -> generic equals test/data/rr-example.zone"
"$RR" -p <"$W/gen.zone" >"$W/pres.zone" || fail "-p failed"
grep -q '^@	IN	HSYNC ON AGENT SIGN agent.provider-a.example. \.$' "$W/pres.zone" || fail "no HSYNC in -p output"
grep -q '^_dsync	IN	DSYNC CDS NOTIFY 5302 notify.example.org.$' "$W/pres.zone" || fail "no DSYNC in -p output"
"$RR" -g <"$W/pres.zone" >"$W/gen2.zone" || fail "-g on -p output failed"
cmp -s "$W/gen.zone" "$W/gen2.zone" || fail "generic -> presentation -> generic changed the zone"
[ "$(wc -l <"$W/gen.zone")" = "$(wc -l <"$DATA/rr-example-presentation.zone")" ] || fail "line count changed"
ok "generic -> presentation -> generic is stable, other lines untouched"

# --- 3. bad input ---------------------------------------------------------------------
# bad_input WANT_STDERR INPUT [ARGS]: exit 1, exactly that one stderr line.
bad_input() {
	local want=$1 input=$2; shift 2
	local rc=0
	printf '%b' "$input" | "$RR" "$@" >"$W/out" 2>"$W/err" || rc=$?
	[ $rc = 1 ] || fail "'$input': exit $rc, want 1"
	[ "$(wc -l <"$W/err")" = 1 ] || fail "'$input': stderr is not one line: $(cat "$W/err")"
	[ "$(cat "$W/err")" = "$want" ] || fail "'$input': stderr '$(cat "$W/err")', want '$want'"
}
bad_input "hsync-rr: line 3: bad HSYNC State (ON, OFF, or 128-255)" \
	'$ORIGIN ex.\n@ SOA ns hm 1 2 3 4 5\n@ HSYNC ONN AGENT SIGN a. .\n' -g
bad_input "hsync-rr: line 2: bad HSYNC NSmgmt (OWNER, AGENT, or 128-255)" \
	"zone. TXT ok\nzone. TYPE65282 \\\\# 5 0100010000\n" -p
bad_input "hsync-rr: line 1: HSYNC: trailing bytes after the data" \
	"zone. TYPE65282 \\\\# 42 ${HSYNC_HEX}00\n"
bad_input "hsync-rr: line 1: HSYNC: data ends too early (truncated)" \
	"zone. HSYNC ON AGENT SIGN a.\n" -g
bad_input "hsync-rr: line 1: bad DSYNC Scheme (NOTIFY, UPDATE, or 1-255)" \
	"_dsync.ex. DSYNC ANY PUSH 5302 a.\n" -g
bad_input "hsync-rr: line 1: bad HSYNC Identity (domain name)" \
	"zone. HSYNC ON AGENT SIGN relative .\n" -g
bad_input "hsync-rr: line 2: invalid IPv4 address" \
	"\nwww.ex. A 192.0.2.300\n" -g
bad_input "hsync-rr: line 2: unbalanced parentheses" \
	"a.ex. A 192.0.2.1\nzone. HSYNC ( ON AGENT\n SIGN a. .\n" -g
ok "bad input: exit 1, one line 'hsync-rr: line N: reason'"
rc=0; "$RR" -g zone. HSYNC ON AGENT 2>"$W/err" >/dev/null || rc=$?
[ $rc = 1 ] && [ "$(cat "$W/err")" = "hsync-rr: line 1: HSYNC: data ends too early (truncated)" ] ||
	fail "bad argument RR: exit $rc, $(cat "$W/err")"
for args in "-x" "-o" "-o bad..origin"; do
	rc=0; "$RR" $args </dev/null >/dev/null 2>"$W/err" || rc=$?
	[ $rc = 100 ] || fail "'$args': exit $rc, want 100"
	grep -q '^usage: hsync-rr \[-g | -p\] \[-o origin\] \[RR ...\]$' "$W/err" || fail "'$args': no usage line"
done
ok "usage errors: exit 100 with the usage line"

# --- 4. real servers accept the generic form --------------------------------------------
named-checkzone -q example.org "$W/gen.zone" || fail "named-checkzone refused the -g output"
nsd-checkzone example.org "$W/gen.zone" >"$W/nsd-check.log" 2>&1 || fail "nsd-checkzone: $(cat "$W/nsd-check.log")"
ok "named-checkzone and nsd-checkzone accept the -g output"
if named-checkzone -q example.org "$DATA/rr-example-presentation.zone" 2>/dev/null; then
	fail "named-checkzone took the presentation form: the test proves nothing"
fi

port=$(free_port)
mkdir -p "$W/knot"
cp "$W/gen.zone" "$W/knot/example.org.zone"
cat >"$W/knot/knot.conf" <<EOF
server:
    rundir: "$W/knot"
    listen: 127.0.0.1@$port
database:
    storage: "$W/knot"
template:
  - id: default
    storage: "$W/knot"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: example.org.
EOF
bg knotd knotd -c "$W/knot/knot.conf"
dig_rr() { kdig @127.0.0.1 -p "$port" +norec +short "$@"; }
wait_for 10 sh -c "kdig @127.0.0.1 -p $port +short example.org. SOA | grep -q ." ||
	fail "knotd did not serve the zone: $(cat "$W/knotd.log")"
# kdig prints unknown types as "\# LEN HEX HEX ..."; join and lower-case the hex
norm() { awk '{ printf "%s %s ", $1, $2; for (i = 3; i <= NF; i++) printf "%s", tolower($i); print "" }'; }
dig_rr example.org. TYPE65282 | norm | sort >"$W/served"
"$RR" -g <"$W/gen.zone" | awk '$3 == "TYPE65282" { print "\\# " $5 " " $6 }' | sort >"$W/want"
[ -s "$W/want" ] || fail "no HSYNC in the generic zone"
diff "$W/want" "$W/served" || fail "knotd serves other HSYNC RDATA"
dsync=$(dig_rr _dsync.example.org. TYPE66 | norm)
[ "$dsync" = '\# 25 003b0114b6066e6f74696679076578616d706c65036f726700' ] || fail "knotd DSYNC: '$dsync'"
ok "knotd loads the -g zone and serves the exact HSYNC and DSYNC RDATA"
# What knotd serves reads back as the owner wrote it.
kdig @127.0.0.1 -p "$port" +norec +noall +answer example.org. TYPE65282 | tr -s '\t ' ' ' |
	"$RR" -p | sed 's/^example.org. [0-9]* IN //' | sort >"$W/readback"
grep '^@	IN	HSYNC' "$DATA/rr-example-presentation.zone" | sed 's/^@	IN	HSYNC	/HSYNC /' | sort >"$W/orig"
diff "$W/orig" "$W/readback" || fail "served HSYNC does not read back as written"
ok "served HSYNC, through hsync-rr -p, equals the owner's presentation form"
