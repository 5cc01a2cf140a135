#!/usr/bin/env bash
# agentd's parent receiver over UDP under load: every SIG(0) UPDATE sent
# over UDP gets exactly one answer (doc/bench.md, ddns: a lost UDP reply
# in the benchmark was nsupdate's own port collision, not the receiver).
#   - the lab of t-ddns-parent.sh; other.parent.example (ED25519 key 11861)
#     bootstrapped by nsupdate -k and trusted by repeated look-ups
#   - UDP_C senders (8), each its own socket on a port the kernel picks
#     (no SO_REUSEPORT), send UDP_PER UPDATEs (150) one after the other,
#     no retries, each replacing the child's NS RRset with the one NS the
#     child serves (what the receiver's CSYNC-like NS check accepts), with
#     a TTL of its own so that no two messages are the same
#   - every message ID is answered once, from the receiver's address, with
#     the ID asked, signed (SIG(0) last), NOERROR or REFUSED; none
#     unanswered; with today's policy all must be NOERROR
#   - agentd logs each: one forwarded UPDATE per NOERROR (named applies
#     it: one "adding an RR" each), one refusal per REFUSED; the NS
#     RRset ends as it started
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/ddnsd-lab.sh"
command -v nsupdate >/dev/null || fail "nsupdate not installed"
[ -x "$BIN/hsync-sig0" ] || fail "no $BIN/hsync-sig0"

CONC=${UDP_C:-8}
PER=${UDP_PER:-150}
O=other.parent.example.

lab_start

# --- bootstrap the ED25519 child (as t-ddns-parent.sh)
out=$({ echo "server 127.0.0.1 $P_RECV"; echo "zone parent.example."
	echo "update delete $O KEY"; echo "update add $O 300 $(keyrr "$OKEY" | cut -d' ' -f3-)"; echo send; } |
	timeout 15 nsupdate -t 3 -r 0 -k "$OKEY.private" 2>&1)
[ -z "$out" ] || fail "nsupdate bootstrap: $out"
wait_for 20 sh -c "[ \"\$($SEND keystate $O 11861 >$W/k.bin; $SEND send $P_RECV $W/k.bin)\" = 'NOERROR signed ede=- ks=11861:4' ]" ||
	{ tail "$W/agentd.log"; fail "key 11861 not trusted"; }
ok "other.parent.example key 11861 trusted"

# --- the UPDATEs, unsigned (ID = sender * 1000 + number), then signed
mkdir -p "$W/udp"
python3 - "$W/udp" "$CONC" "$PER" <<'EOF'
import struct, sys
d, conc, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def name(t):
    return b"".join(bytes([len(l)]) + l.encode() for l in t.rstrip(".").split(".")) + b"\0"
child = name("other.parent.example")
ns = name("ns1.other.parent.example")
for j in range(conc):
    for i in range(per):
        # delete the NS RRset (class ANY), add ns1 with a TTL of its own
        rr = child + struct.pack(">HHIH", 2, 255, 0, 0) + \
            child + struct.pack(">HHIH", 2, 1, 1000 + j * per + i, len(ns)) + ns
        m = struct.pack(">HHHHHH", j * 1000 + i, 5 << 11, 1, 0, 2, 0) + \
            name("parent.example") + struct.pack(">HH", 6, 1) + rr
        open("%s/u.%d.%d" % (d, j, i), "wb").write(m)
EOF
ls "$W/udp" | sed -n 's/^u\.//p' | xargs -P 4 -I{} sh -c \
	"'$BIN/hsync-sig0' sign -k '$OKEY.private' <'$W/udp/u.{}' >'$W/udp/s.{}'" ||
	fail "cannot sign the UPDATEs"
[ "$(ls "$W/udp" | grep -c '^s\.')" = $(( CONC * PER )) ] || fail "not every UPDATE signed"

count() { grep -c "$1" "$2" || true; }
fwd0=$(count ": UPDATE from $O: 2 changes sent to 127.0.0.1@$P_NAMED$" "$W/agentd.log")
ref0=$(count "from $O.* refused (REFUSED" "$W/agentd.log")
app0=$(count "updating zone 'parent.example/IN': \(adding\|deleting\) an RR" "$W/named.log")
ns0=$(at_parent "$O" NS)

# --- send: one socket per sender, one UPDATE in flight per sender
python3 - "$W/udp" "$CONC" "$PER" "$P_RECV" >"$W/udp.out" <<'EOF'
import select, socket, struct, sys, time
d, conc, per, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
srv = ("127.0.0.1", port)
TIMEOUT = 5.0

def skip_name(m, o):
    while True:
        n = m[o]
        if n == 0:
            return o + 1
        if n >= 0xc0:
            return o + 2
        o += n + 1

def last_type(m):
    qd, an, ns, ar = struct.unpack(">HHHH", m[4:12])
    o, t = 12, None
    for _ in range(qd):
        o = skip_name(m, o) + 4
    for _ in range(an + ns + ar):
        o = skip_name(m, o)
        t, _c, _ttl, rl = struct.unpack(">HHIH", m[o:o + 10])
        o += 10 + rl
    return t

socks, nxt, sent_at, lost, bad, answered = [], [0] * conc, [0.0] * conc, [], [], 0
rcodes = {}
maxlen = 0
for j in range(conc):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    socks.append(s)

def send(j):
    with open("%s/s.%d.%d" % (d, j, nxt[j]), "rb") as f:
        socks[j].sendto(f.read(), srv)
    sent_at[j] = time.monotonic()

for j in range(conc):
    send(j)
active = set(range(conc))
t0 = time.monotonic()
while active:
    r, _, _ = select.select([socks[j] for j in active], [], [], 0.2)
    now = time.monotonic()
    for s in r:
        j = socks.index(s)
        while True:
            try:
                m, frm = s.recvfrom(65535)
            except BlockingIOError:
                break
            want = j * 1000 + nxt[j]
            mid = struct.unpack(">H", m[:2])[0]
            if frm != srv or mid != want or not m[2] & 0x80:
                bad.append("sender %d: unexpected answer id %d from %s (waiting for %d)" % (j, mid, frm, want))
                continue
            rcode = m[3] & 0x0f
            if rcode not in (0, 5) or last_type(m) != 24:
                bad.append("id %d: rcode %d, last RR type %s" % (mid, rcode, last_type(m)))
            rcodes[rcode] = rcodes.get(rcode, 0) + 1
            maxlen = max(maxlen, len(m))
            answered += 1
            nxt[j] += 1
            if nxt[j] < per:
                send(j)
            else:
                active.discard(j)
            break
    for j in list(active):
        if now - sent_at[j] > TIMEOUT:
            lost.append(j * 1000 + nxt[j])
            nxt[j] += 1
            if nxt[j] < per:
                send(j)
            else:
                active.discard(j)
dt = time.monotonic() - t0
print("sent %d answered %d lost %d bad %d noerror %d refused %d in %.2f s, answers up to %d bytes" %
      (conc * per, answered, len(lost), len(bad), rcodes.get(0, 0), rcodes.get(5, 0), dt, maxlen))
for i in lost:
    print("no answer to id %d" % i)
for b in bad[:20]:
    print(b)
EOF
cat "$W/udp.out"
read -r _ n _ a _ l _ b _ nok _ nref _ <"$W/udp.out"
[ "$l" = 0 ] || fail "$l UDP UPDATEs got no answer: $(grep 'no answer' "$W/udp.out" | head -5 | tr '\n' ' ')"
[ "$b" = 0 ] && [ "$a" = "$n" ] && [ "$n" = $(( CONC * PER )) ] && [ "$nok" = "$n" ] ||
	fail "UDP answers: $(sed -n 2,6p "$W/udp.out" | tr '\n' ' ')"
ok "$n SIG(0) UPDATEs over UDP from $CONC senders: each answered once, signed, right ID ($nok NOERROR, $nref REFUSED)"

fwd=$(( $(count ": UPDATE from $O: 2 changes sent to 127.0.0.1@$P_NAMED$" "$W/agentd.log") - fwd0 ))
[ "$fwd" = "$nok" ] || fail "agentd logged $fwd UPDATEs sent to named, $nok answered NOERROR"
app=$(( $(count "updating zone 'parent.example/IN': \(adding\|deleting\) an RR" "$W/named.log") - app0 ))
[ "$app" = "$nok" ] || fail "named applied $app changes, $nok answered NOERROR"
ref=$(( $(count "from $O.* refused (REFUSED" "$W/agentd.log") - ref0 ))
[ "$ref" = "$nref" ] || fail "agentd logged $ref refusals, $nref answered REFUSED"
[ "$(at_parent "$O" NS)" = "$ns0" ] || fail "NS of $O: $(at_parent "$O" NS), wanted $ns0"
! grep -q "message not answered\|cannot build the response\|replayed" "$W/agentd.log" ||
	fail "agentd: $(grep -m3 "message not answered\|cannot build the response\|replayed" "$W/agentd.log")"
ok "agentd logged each (forwarded $fwd, refused $ref), named applied each forwarded ($app), NS RRset of $O back as it was"

# --- the same messages again: each is a replay now, refused but answered
python3 - "$W/udp/s.0.0" "$P_RECV" <<'EOF' >"$W/replay.out"
import socket, struct, sys
m = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(m, ("127.0.0.1", int(sys.argv[2])))
a, _ = s.recvfrom(65535)
print(struct.unpack(">H", a[:2])[0] == struct.unpack(">H", m[:2])[0], a[3] & 0x0f)
EOF
[ "$(cat "$W/replay.out")" = "True 5" ] || fail "replayed UPDATE over UDP: $(cat "$W/replay.out")"
[ "$(at_parent "$O" NS)" = "$ns0" ] || fail "a replay changed the NS of $O"
ok "a replayed UPDATE over UDP is answered REFUSED and changes nothing"
echo "all $NCHECKS checks passed"
