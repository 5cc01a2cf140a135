#!/usr/bin/env bash
# test/bench/bench-hsyncd.sh -- hsyncd following 10,000 zones of one knotd.
#
#   HSYNC_BIN=build/bin HSYNC_TOP=. test/bench/bench-hsyncd.sh    (make bench-hsyncd)
#
# One knotd on 127.0.0.1 serves BENCH_ZONES (10000) small zones zN.bench.
# (SOA, NS, A, MX, TXT and one HSYNC in RFC 3597 form), the first
# BENCH_SIGNED (1000) of them signed by knotd (ECDSA P-256, KSK and ZSK),
# and a catalog zone cat.bench. (RFC 9432, version 2) listing them all. hsyncd
# is given only the catalog, as an operator would configure it, with a
# fresh state directory, and one TSIG-signed subscriber: notify-stamp.pl,
# which timestamps every NOTIFY it gets. knotd also notifies a second port
# of the same listener (unsigned), as the reference.
#
# Figures (the last line gives them as name=value pairs):
#   sync_s     hsyncd start -> the subscriber has the first-sight HSYNC
#              NOTIFY of every zone (the latest of those timestamps). hsyncd
#              sends it after the zone's first version is held and saved,
#              so it means "followed, answerable and notified", end to end.
#              The count of "first seen" log lines is checked against it.
#   rss_mb     peak RSS of hsyncd (VmHWM) at the end of the run, MiB.
#   notify_ms  median over BENCH_CHANGES (10) changes, each one HSYNC record
#              added to a different zone with knotc, every other one in a
#              signed zone (knotd signs before it notifies): from just before
#              `knotc zone-commit` to the subscriber's HSYNC NOTIFY.
#   knot_notify_ms  the same start to knotd's own NOTIFY (SOA) reaching the
#              reference port: what a real server takes for the first hop.
#              hsyncd's figure includes it (knotd NOTIFY -> SOA query ->
#              IXFR -> compare -> save -> NOTIFY).
# Loopback only; everything started is stopped by PID; the scratch
# directory is removed unless BENCH_KEEP=1.
set -eu
export LC_ALL=C
HSYNC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-hsyncd.XXXXXX")
export HSYNC_WORK
. "${HSYNC_TOP:?HSYNC_TOP not set}/test/integration/lib.sh"
trap 'cleanup; [ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

N=${BENCH_ZONES:-10000}
CHANGES=${BENCH_CHANGES:-10}
SIGNED=${BENCH_SIGNED:-1000}
[ "$SIGNED" -le "$N" ] || SIGNED=$N
HSYNCD=$BIN/hsyncd
STAMP=$TOP/test/bench/notify-stamp.pl
[ -x "$HSYNCD" ] || fail "no $HSYNCD"
[ -x "$BIN/hsync-rr" ] || fail "no $BIN/hsync-rr"
command -v knotd >/dev/null || fail "knotd not installed"
command -v tsig-keygen >/dev/null || fail "tsig-keygen (bind9-utils) not installed"
perl -MDigest::SHA -MMIME::Base64 -MTime::HiRes -e 1 2>/dev/null || fail "perl with Digest::SHA needed by $STAMP"

now() { echo "$EPOCHREALTIME"; }
# cpu PID [user|sys]: CPU seconds (user+system by default) the process has used so far
cpu() {
	awk -v hz="$(getconf CLK_TCK)" -v w="${2:-all}" '{ sub(/^.*\) /, "")
		printf "%.2f", (w == "sys" ? $13 : w == "user" ? $12 : $12 + $13) / hz }' "/proc/$1/stat"
}
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

KP=$(free_port); HP=$(free_port); SP=$(free_port); RP=$(free_port)
[ "$(printf '%s\n' "$KP" "$HP" "$SP" "$RP" | sort -u | wc -l)" = 4 ] || fail "port clash, run again"

tsig-keygen -a hmac-sha256 xfr >"$W/xfr.key"
tsig-keygen -a hmac-sha256 agent >"$W/agent.key"
secret() { sed -n 's/.*secret "\(.*\)";/\1/p' "$1"; }
XS=$(secret "$W/xfr.key"); AS=$(secret "$W/agent.key")

# HSYNC RDATA (RFC 3597) from our own encoder: the one every zone starts
# with, and the second record a change adds.
hrdata() { "$BIN/hsync-rr" -g -o bench. "@ 3600 HSYNC $1" | sed 's/.*TYPE65282 //'; }
HA=$(hrdata "ON OWNER SIGN agent.providera.example. .")
HB=$(hrdata "ON OWNER SIGN agent.providerb.example. .")
case $HA in '\# '*) ;; *) fail "hsync-rr -g gave: $HA" ;; esac

# ---- zones, catalog, knotd configuration
say "generating $N zones ($SIGNED signed) in $W"
mkdir -p "$W/knot"
cat >"$W/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@$KP
log:
  - target: $W/knotd.log
    any: notice
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
  - id: ref
    address: 127.0.0.1@$RP
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
    dnskey-ttl: 3600
    zone-max-ttl: 3600
template:
  - id: default
    storage: $W/knot
    file: %s.zone
    notify: [hsyncd, ref]
    acl: xfr
    semantic-checks: off
  - id: signed
    storage: $W/knot
    file: %s.zone
    notify: [hsyncd, ref]
    acl: xfr
    semantic-checks: off
    dnssec-signing: on
    dnssec-policy: ecdsa
zone:
  - domain: cat.bench
EOF
N=$N S=$SIGNED HA=$HA D=$W/knot perl -e '
	my ($n, $s, $ha, $d) = @ENV{qw(N S HA D)};
	open(my $cat, ">", "$d/cat.bench.zone") or die;
	print $cat "\$ORIGIN cat.bench.\n\$TTL 3600\n",
	           "@ SOA invalid. hostmaster.invalid. 1 3600 600 86400 3600\n",
	           "@ NS invalid.\nversion TXT \"2\"\n";
	open(my $conf, ">>", "$d/../knot.conf") or die;
	for my $i (1 .. $n) {
		my $z = "z$i.bench";
		open(my $f, ">", "$d/$z.zone") or die "$z: $!";
		print $f "\$ORIGIN $z.\n\$TTL 3600\n",
		         "@ SOA ns1 hostmaster 1 3600 600 86400 3600\n",
		         "@ NS ns1\n@ NS ns2.example.\n",
		         "@ TYPE65282 $ha\n",
		         "@ MX 10 mail\n@ TXT \"bench zone $i\"\n",
		         "ns1 A 127.0.0.1\nmail A 127.0.0.2\nwww A 127.0.0.3\n";
		close $f;
		print $cat "m$i.zones PTR $z.\n";
		print $conf "  - domain: $z\n";
		print $conf "    template: signed\n" if $i <= $s;
	}
'

bg knotd knotd -c "$W/knot.conf"
KC="knotc -c $W/knot.conf -s $W/knot/knot.sock"
say "knotd: loading $N zones"
t=$(now)
wait_for 120 sh -c "kdig @127.0.0.1 -p $KP +timeout=1 +retry=0 cat.bench SOA +short | grep -q invalid" || fail "knotd did not serve the catalog"
# all loaded: knotc lists every zone with a serial (signed ones have 2)
loaded() { $KC zone-status 2>/dev/null | grep -c 'serial: [0-9]'; }
wait_for 120 sh -c "[ \$($KC zone-status 2>/dev/null | grep -c 'serial: [0-9]') -ge $((N + 1)) ]" \
	|| fail "knotd did not load all zones: $(loaded) of $((N + 1))"
[ "$SIGNED" = 0 ] || [ "$(kdig @127.0.0.1 -p "$KP" +short z1.bench DNSKEY | wc -l)" = 2 ] \
	|| fail "knotd did not sign z1.bench"
say "knotd: $((N + 1)) zones loaded in $(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"

# the listener: subscriber port (TSIG agent) and knotd's reference port
bg stamp perl "$STAMP" "$W/notify.log" "$SP:agent:$AS" "$RP"
wait_for 10 sh -c "ss -Hlun 'sport = :$SP' | grep -q ." || fail "listener did not start"
sleep 1   # knotd's NOTIFYs of the load reach the reference port; not measured

cat >"$W/hsyncd.conf" <<EOF
listen 127.0.0.1 port $HP
tsig-key-file "$W/xfr.key"
tsig-key-file "$W/agent.key"
state-dir "$W/state"
log-level notice
subscriber 127.0.0.1 port $SP key agent
catalog cat.bench {
	source 127.0.0.1 port $KP key xfr
}
EOF
"$HSYNCD" -n -f "$W/hsyncd.conf" || fail "hsyncd -n"

# ---- (1) sync: hsyncd start until every zone's first-sight HSYNC NOTIFY
say "hsyncd: starting with the catalog of $N zones"
kcpu0=$(cpu "$PID_knotd")
t0=$(now)
bg hsyncd "$HSYNCD" -f "$W/hsyncd.conf"
if [ "${BENCH_PERF:-0}" = 1 ]; then   # where hsyncd's time goes during the sync
	perf record -q -F 999 -g -p "$PID_hsyncd" -o "$W/perf.data" >"$W/perf.log" 2>&1 &
	PID_perf=$!; PIDS+=("$PID_perf")
fi
first() { [ "$(grep -c " $SP [^ ]* 65282\$" "$W/notify.log")" -ge "$N" ]; }
wait_for 150 first || fail "after 150 s only $(grep -c " $SP [^ ]* 65282\$" "$W/notify.log") of $N zones notified; $(grep -c 'first seen' "$W/hsyncd.log") first seen"
kill -0 "$PID_hsyncd" || fail "hsyncd died"
tlast=$(awk -v p="$SP" '$2 == p && $4 == 65282 { if ($1 > m) m = $1 } END { printf "%.6f", m }' "$W/notify.log")
sync_s=$(awk -v a="$t0" -v b="$tlast" 'BEGIN { printf "%.2f", b - a }')
nseen=$(grep -c ": first seen, serial" "$W/hsyncd.log") || true
nzones=$(awk -v p="$SP" '$2 == p && $4 == 65282 { z[$3] = 1 } END { print length(z) }' "$W/notify.log")
[ "$nzones" = "$N" ] || fail "$nzones distinct zones notified, not $N"
[ "$nseen" -ge "$N" ] || fail "only $nseen zones logged first seen"
hcpu=$(cpu "$PID_hsyncd"); hcpu_sys=$(cpu "$PID_hsyncd" sys)
kcpu=$(awk -v a="$kcpu0" -v b="$(cpu "$PID_knotd")" 'BEGIN { printf "%.2f", b - a }')
rss_sync=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$PID_hsyncd/status")
say "sync: $N zones followed and notified in $sync_s s ($nseen first seen), VmHWM $rss_sync MiB"
say "sync: CPU used meanwhile: hsyncd $hcpu s ($hcpu_sys s of it in the kernel), knotd $kcpu s (nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -n "${PID_perf:-}" ]; then
	kill -INT "$PID_perf"; wait "$PID_perf" || true
	perf report -i "$W/perf.data" --no-children --stdio --sort dso,symbol -g none 2>/dev/null \
		| grep '%' | head -25 >&2 || true
fi

# answered: a sample of zones asked for their HSYNC in one dig batch
for i in $(seq 1 $((N / 100 > 0 ? N / 100 : 1)) "$N"); do echo "z$i.bench TYPE65282"; done >"$W/batch"
nq=$(wc -l <"$W/batch")
na=$(dig @127.0.0.1 -p "$HP" +norec +time=2 +tries=1 +noall +answer -f "$W/batch" | grep -c TYPE65282) || true
[ "$na" = "$nq" ] || fail "hsyncd answered the HSYNC of $na of $nq sampled zones"
say "answers: HSYNC of $na sampled zones from hsyncd"

# ---- (3) one change at a time: knotc commit -> NOTIFYs
sleep 1
# first line after T on PORT for ZONE and QTYPE: its timestamp
arrived() {
	awk -v t="$1" -v p="$2" -v z="$3" -v q="$4" \
	    '$1 > t && $2 == p && $3 == z && $4 == q { print $1; found = 1; exit } END { exit !found }' \
	    "$W/notify.log"
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
: >"$W/hs.ms"; : >"$W/kn.ms"
for c in $(seq 1 "$CHANGES"); do
	i=$(( (c * 7919) % N + 1 ))   # spread over the zones; every other one signed
	[ $((c % 2)) = 1 ] && [ "$SIGNED" -gt 0 ] && i=$(( (c * 7919) % SIGNED + 1 ))
	[ "$i" -le "$SIGNED" ] && what=signed || what=unsigned
	z=z$i.bench
	$KC zone-begin $z >/dev/null
	# shellcheck disable=SC2086 # the RDATA goes as separate words: \# LEN HEX
	$KC zone-set $z @ 3600 TYPE65282 $HB >/dev/null || { $KC zone-abort $z; fail "zone-set $z"; }
	tc=$(now)
	$KC zone-commit $z >/dev/null || fail "zone-commit $z"
	wait_for 10 arrived "$tc" "$SP" "$z." 65282 || fail "no HSYNC NOTIFY for $z within 10 s"
	wait_for 10 arrived "$tc" "$RP" "$z." 6 || fail "knotd sent no NOTIFY for $z within 10 s"
	h=$(ms "$tc" "$(arrived "$tc" "$SP" "$z." 65282)")
	k=$(ms "$tc" "$(arrived "$tc" "$RP" "$z." 6)")
	echo "$h" >>"$W/hs.ms"; echo "$k" >>"$W/kn.ms"
	say "change $c: $z ($what) HSYNC added: hsyncd NOTIFY after $h ms, knotd NOTIFY after $k ms"
	sleep 0.3
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
notify_ms=$(median "$W/hs.ms")
knot_ms=$(median "$W/kn.ms")
grep -q "HSYNC agent.providerb.example. added" "$W/hsyncd.log" || fail "change not logged by hsyncd"

# ---- (2) peak RSS over the whole run
kill -0 "$PID_hsyncd" || fail "hsyncd died"
rss_mb=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$PID_hsyncd/status")
rss_now=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$PID_hsyncd/status")
knot_rss=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$PID_knotd/status")
say "hsyncd VmHWM $rss_mb MiB (VmRSS now $rss_now MiB); knotd VmHWM $knot_rss MiB"
kill -TERM "$PID_hsyncd"
set +e; wait "$PID_hsyncd"; rc=$?; set -e
[ $rc = 0 ] || fail "hsyncd: exit $rc on SIGTERM"

goal() { echo "$1 $2" | awk '{ exit !($1 < $2) }' && echo met || echo MISSED; }
say "goals: sync < 10 s $(goal "$sync_s" 10), RSS < 50 MB $(goal "$rss_mb" 50), NOTIFY < 100 ms $(goal "$notify_ms" 100)"
echo "zones=$N sync_s=$sync_s rss_mb=$rss_mb notify_ms=$notify_ms knot_notify_ms=$knot_ms signed=$SIGNED"
