#!/usr/bin/env bash
# test/bench/bench-combiner.sh -- `make bench-combiner` (issue 3, item 10).
#
# A zone of 1,000,000 records (BENCH_RECORDS) on a knotd primary on
# 127.0.0.1, then, one after the other so they do not share the CPU:
#   1. combinerd started with an empty state directory: seconds from its
#      start until it answers SOA with the owner's zone (combinerd answers
#      SOA from the combined zone only, so an answer with a serial means the
#      whole zone was transferred, combined, journalled and is served), and
#      its peak RSS (VmHWM of /proc/PID/status);
#   2. a knotd 3.2 secondary of the same primary, same measure: seconds from
#      its start until it answers SOA with the owner's serial, and VmHWM;
#   3. a one-record change at the owner by DNS UPDATE, after an untimed
#      warm-up change: the owner's knotd journals it, and `knotc zone-notify`
#      right after its NOERROR sends the NOTIFY to both (knotd 3.2's own
#      NOTIFY after a DDNS change comes about 1 s later, which would be
#      knotd's delay, not the chain's): milliseconds from sending the UPDATE
#      to the owner until combinerd answers its next serial (owner commit,
#      knotc, NOTIFY, SOA check, IXFR in, rebuild, journal on disk), and the
#      bytes of combinerd's IXFR answer to `kdig -t IXFR=old` for that
#      change (all messages, TSIG included). (Timing an owner reload would
#      not do either: knotd NOTIFYs before its own answers show the new
#      serial.)
# The *_rss_mb figures are VmHWM right after each one's full transfer (the
# same work for both); VmHWM at the end, after the IXFRs, is printed too.
# The SOA polls are plain UDP queries every 2 ms (python3), which answer
# at once even while a server is loading.
# Last line: combiner_s= knotd_s= combiner_rss_mb= knotd_rss_mb= ixfr_ms= ixfr_bytes=
#
# Needs HSYNC_BIN and HSYNC_TOP (make sets them). Loopback only; every
# server is stopped by PID on exit and the work directory removed
# (BENCH_KEEP=1 keeps it).
. "$HSYNC_TOP/test/integration/lib.sh"
. "$TOP/test/data/combinerd-lib.sh"
# Stop the servers by PID and give a knotd with a million records time to
# go (lib.sh's cleanup kills what is left after 0.2 s).
stop_all() {
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	for _ in $(seq 50); do
		for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "$p" ] && break
		sleep 0.1
	done
	cleanup
	if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap stop_all EXIT

RECORDS=${BENCH_RECORDS:-1000000}
BASE=13  # records of owner_zone (SOA included)
[ "$RECORDS" -gt "$BASE" ] || fail "BENCH_RECORDS must be more than $BASE"
P_OWN=$(free_port); P_CMB=$(free_port); P_SEC=$(free_port)
cbd_keys

# poll [TIMEOUT] [update PORT LABEL [notify SOCKET]] PORT:COND... -- query
# SOA at each 127.0.0.1 PORT until COND holds (=N: serial is N, !N: serial is not N); prints the
# epoch time (s) at which each became true, in order; exit 1 on timeout.
# With "update PORT LABEL" it first sends an unsigned UPDATE adding
# LABEL.example. A 192.0.2.200 to that port and prints the time it was
# sent and the time NOERROR came back before the others; with "notify
# SOCKET" it then runs knotc zone-notify on that socket and prints when
# that returned.
poll() {
	python3 - "$@" <<'EOF'
import socket, struct, sys, time
args = sys.argv[1:]
timeout = 180.0
if not ":" in args[0]:
    timeout = float(args.pop(0))
out = []
if args[0] == "update":
    port = int(args[1]); name = args[2].encode(); args = args[3:]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(30)
    msg = (struct.pack(">HHHHHH", 0x5151, 5 << 11, 1, 0, 1, 0) + b"\x07example\x00" +
           struct.pack(">HH", 6, 1) + bytes([len(name)]) + name + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 3600, 4) +
           bytes([192, 0, 2, 200]))
    out.append(time.time())
    u.sendto(msg, ("127.0.0.1", port))
    r, _ = u.recvfrom(4096)
    out.append(time.time())
    if r[3] & 15 != 0:
        sys.exit("UPDATE answered rcode %d" % (r[3] & 15))
    if args[0] == "notify":
        import subprocess
        subprocess.run(["knotc", "-s", args[1], "zone-notify", "example."], stdout=subprocess.DEVNULL)
        out.append(time.time())
        args = args[2:]
want = []
for a in args:
    port, cond = a.split(":")
    want.append((int(port), cond[0], int(cond[1:])))
# one thread, connected socket and ID sequence per condition, so a server
# that is busy (not answering) does not delay seeing another, and a late
# answer is never taken for another server's or for a later query's
import threading
done = [None] * len(want)
end = time.time() + timeout
def watch(i, port, op, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(0.05)
    qid = 0
    while time.time() < end:
        qid = (qid + 1) & 0xffff
        v = None
        try:
            s.send(struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + b"\x07example\x00" +
                   struct.pack(">HH", 6, 1))
            while True:
                r = s.recv(4096)
                if len(r) >= 12 and struct.unpack(">H", r[0:2])[0] == qid:
                    break
            if r[3] & 15 == 0 and struct.unpack(">H", r[6:8])[0] > 0:
                v = struct.unpack(">I", r[-20:-16])[0]  # last RR is the SOA: serial
        except (socket.timeout, ConnectionRefusedError):
            pass
        if v is not None and ((op == "=" and v == n) or (op == "!" and v != n)):
            done[i] = time.time()
            return
        time.sleep(0.002)
ts = [threading.Thread(target=watch, args=(i,) + w) for i, w in enumerate(want)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if None in done:
    sys.exit(1)
print(" ".join("%.4f" % t for t in out + done))
EOF
}

hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
sub() { echo "$1 $2" | awk '{printf "%.3f", $1 - $2}'; }

# ---- the owner -------------------------------------------------------------
zone_body() {  # $1: extra record count; A, AAAA and TXT in turn
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
		if (i % 3 == 0) printf "h%d\tA\t10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
		else if (i % 3 == 1) printf "h%d\tAAAA\t2001:db8::%x:%x\n", i, int(i / 65536), i % 65536
		else printf "h%d\tTXT\t\"record %d\"\n", i, i } }'
}
mkdir -p "$W/own"
zone_body $((RECORDS - BASE)) >"$W/body.zone"
owner_zone 1 <"$W/body.zone" >"$W/own/example.zone"
cat >"$W/own/knot.conf" <<EOF
server:
    rundir: "$W/own"
    listen: 127.0.0.1@$P_OWN
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
  - id: sec
    address: 127.0.0.1@$P_SEC
    key: owner-xfr
acl:
  - id: down
    address: 127.0.0.1
    key: owner-xfr
    action: transfer
  - id: upd
    address: 127.0.0.1
    action: update
zone:
  - domain: $ZONE
    storage: "$W/own"
    file: "$W/own/example.zone"
    notify: [ comb, sec ]
    acl: [ down, upd ]
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    max-journal-usage: 1G
EOF
t=$(now)
bg owner knotd -c "$W/own/knot.conf"
poll 120 "$P_OWN:=1" >/dev/null || fail "owner knotd did not load the zone: $(tail -3 "$W/owner.log")"
echo "owner knotd: $RECORDS records loaded in $(sub "$(now)" "$t") s"

# ---- 1. combinerd --------------------------------------------------------------
mkdir -p "$W/state"
cat >"$W/cbd.conf" <<EOF
listen 127.0.0.1@$P_CMB
tsig-key-file "$W/keys.conf"
state-dir "$W/state"
zone example. {
	primary 127.0.0.1@$P_OWN key owner-xfr
	allow 127.0.0.1 key sec-xfr
	agent-key agent
}
EOF
t0=$(now)
bg cbd "$BIN/combinerd" -v -f "$W/cbd.conf"
t1=$(poll "$P_CMB:!0") || fail "combinerd does not serve the zone: $(tail -5 "$W/cbd.log")"
combiner_s=$(sub "$t1" "$t0")
cs0=$(cbd_serial)
cbd_hwm=$(hwm_kb "$PID_cbd")
echo "combinerd: served at serial $cs0 after $combiner_s s, VmHWM $cbd_hwm kB"
grep -E "AXFR in|rebuilt" "$W/cbd.log" | sed 's/^/    cbd.log: /'

# ---- 2. knotd secondary ----------------------------------------------------------
mkdir -p "$W/sec"
cat >"$W/sec/knot.conf" <<EOF
server:
    rundir: "$W/sec"
    listen: 127.0.0.1@$P_SEC
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$W/sec"
log:
  - target: stderr
    any: info
key:
  - id: owner-xfr
    algorithm: hmac-sha256
    secret: $SECRET_owner_xfr
remote:
  - id: own
    address: 127.0.0.1@$P_OWN
    key: owner-xfr
acl:
  - id: own
    address: 127.0.0.1
    key: owner-xfr
    action: notify
zone:
  - domain: $ZONE
    storage: "$W/sec"
    master: own
    acl: own
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
    max-journal-usage: 1G
EOF
t0=$(now)
bg sec knotd -c "$W/sec/knot.conf"
t1=$(poll "$P_SEC:=1") || fail "knotd secondary does not serve the zone: $(tail -5 "$W/sec.log")"
knotd_s=$(sub "$t1" "$t0")
sec_hwm=$(hwm_kb "$PID_sec")
echo "knotd secondary: served at serial 1 after $knotd_s s, VmHWM $sec_hwm kB"

# ---- 3. one-record change by IXFR ----------------------------------------------------
poll 60 update "$P_OWN" bench-warm "$P_OWN:=2" "$P_CMB:!$cs0" "$P_SEC:=2" >/dev/null ||
	fail "the warm-up change did not go through: $(tail -5 "$W/cbd.log")"
cs0=$(cbd_serial)
echo "warm-up change (untimed, knotd's own NOTIFY): combinerd at serial $cs0," \
	"VmHWM combinerd $(hwm_kb "$PID_cbd") kB, knotd secondary $(hwm_kb "$PID_sec") kB"
read -r t_send t_ack t_ntf t_own t_cbd t_sec < <(poll 60 update "$P_OWN" bench-new notify "$W/own/knot.sock" "$P_OWN:=3" "$P_CMB:!$cs0" "$P_SEC:=3") ||
	fail "the change did not go through: $(tail -5 "$W/cbd.log")"
ms() { echo "$1 $2" | awk '{printf "%d", ($1 - $2) * 1000 + 0.5}'; }
ixfr_ms=$(ms "$t_cbd" "$t_send")
sec_ms=$(ms "$t_sec" "$t_send")
echo "owner knotd: UPDATE answered NOERROR after $(ms "$t_ack" "$t_send") ms, knotc zone-notify done" \
	"after $(ms "$t_ntf" "$t_send") ms, new serial served after $(ms "$t_own" "$t_send") ms"
cs1=$(cbd_serial)
grep -q "IXFR in: owner serial 1 -> 2" "$W/cbd.log" || fail "combinerd did not take the change by IXFR: $(tail -5 "$W/cbd.log")"
kdig @127.0.0.1 -p "$P_CMB" -y "hmac-sha256:sec-xfr:$SECRET_sec_xfr" -t "IXFR=$cs0" "$ZONE" >"$W/ixfr.out" 2>&1 ||
	fail "IXFR from combinerd failed: $(tail -3 "$W/ixfr.out")"
grep -q "bench-new.example.*192.0.2.200" "$W/ixfr.out" || fail "IXFR from combinerd lacks the change: $(cat "$W/ixfr.out")"
ixfr_bytes=$(sed -n 's/^;; Received \([0-9]*\) B.*/\1/p' "$W/ixfr.out")
[ -n "$ixfr_bytes" ] || fail "no size in kdig's output: $(tail -3 "$W/ixfr.out")"
echo "one-record change: combinerd serial $cs0 -> $cs1 ${ixfr_ms} ms after the UPDATE was sent to the owner" \
	"(knotd secondary: ${sec_ms} ms); IXFR=$cs0 answer $ixfr_bytes B ($(grep -c 'IN[[:space:]]*SOA' "$W/ixfr.out") SOAs)"
grep -E "IXFR in|rebuilt" "$W/cbd.log" | tail -2 | sed 's/^/    cbd.log: /'

echo "VmHWM at the end (the IXFRs in included): combinerd $(hwm_kb "$PID_cbd") kB," \
	"knotd secondary $(hwm_kb "$PID_sec") kB"
combiner_rss_mb=$(( (cbd_hwm + 512) / 1024 ))
knotd_rss_mb=$(( (sec_hwm + 512) / 1024 ))
verdict=met
awk -v c="$combiner_s" -v k="$knotd_s" 'BEGIN { exit !(c < k) }' || verdict=missed
[ $((combiner_rss_mb * 2)) -le "$knotd_rss_mb" ] || verdict=missed
echo "goal (faster than the knotd secondary, at most half its memory): $verdict"
echo "combiner_s=$combiner_s knotd_s=$knotd_s combiner_rss_mb=$combiner_rss_mb knotd_rss_mb=$knotd_rss_mb ixfr_ms=$ixfr_ms ixfr_bytes=$ixfr_bytes"
