#!/usr/bin/env bash
# test/bench/bench-ddns.sh -- SIG(0)-verified UPDATEs per second through
# agentd's parent receiver, beside named taking TSIG UPDATEs directly.
#
#   HSYNC_BIN=build/bin HSYNC_TOP=. test/bench/bench-ddns.sh    (make bench-ddns)
#
# The lab of test/data/ddnsd-lab.sh (named primary of parent.example,
# knotd with the children, unbound, agentd with a `parent` block). Two
# children are bootstrapped and trusted as t-ddns-parent.sh does:
# child.parent.example (key 11727, ECDSAP256SHA256, validated look-up) and
# other.parent.example (key 11861, ED25519, consistent look-ups).
#
# Load: BENCH_N (2000) UPDATEs per run, each one the policy allows: the
# receiver checks NS changes as a CSYNC scanner would (the NS RRset after
# the UPDATE must be the one the child serves, looked up through unbound),
# so each UPDATE replaces the child's NS RRset with the one NS the child
# serves (delete the RRset, add ns1.CHILD), with a TTL of its own
# (1001..1000+BENCH_N) so that no two are the same message (the replay
# cache would refuse a copy with the same ID in the same second). Sent by
# BENCH_C (8) nsupdate processes in parallel, each sending its share one
# after the other. BENCH_DDNS_PROTO=tcp (default: nsupdate -v, one
# connection per UPDATE) or udp (no retries, as the receiver refuses a
# replayed message). Over UDP each sender gets its own fixed source port
# (nsupdate's `local 127.0.0.1 PORT`, a port below the ephemeral range):
# nsupdate 9.18 binds every UDP query socket to a random port with
# SO_REUSEPORT, so two senders can hold the same port at once, both
# connected to the server, and Linux then delivers both replies to the
# socket bound last; the other sender never sees its reply and stalls for
# its whole timeout (doc/bench.md). BENCH_DDNS_SRCPORT=random leaves the
# ports to nsupdate, to show that.
#   receiver_per_s  nsupdate -k CHILDKEY (SIG(0)) -> agentd: verify, policy,
#                   forward as a TSIG UPDATE to named, wait for named's
#                   answer, answer the child (signed). End to end: it
#                   includes named's own update cost.
#   named_per_s     the same kind of UPDATE (another NS name, same child),
#                   same concurrency, nsupdate -k pupd.key (TSIG) straight
#                   to named: the ceiling the receiver runs under.
#   agentd_cpu_ms   CPU time (user+sys, /proc) agentd spent per UPDATE in the
#                   receiver run: verification, policy, forwarding, signing
#                   the answer.
#   named_cpu_ms    the same for named in the direct run.
# Both rates include nsupdate's own signing (SIG(0) vs HMAC) on the client.
# Every UPDATE must be applied: nsupdate must print nothing, named must log
# one applied change per UPDATE in each run, agentd must log one UPDATE
# forwarded to named per UPDATE in the receiver run, and the NS RRset must
# be back to where it started. Loopback only; everything started is stopped by PID; the scratch
# directory is removed unless BENCH_KEEP=1.
set -eu
export LC_ALL=C
HSYNC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-ddns.XXXXXX")
export HSYNC_WORK
. "${HSYNC_TOP:?HSYNC_TOP not set}/test/integration/lib.sh"
trap 'cleanup; [ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
. "$TOP/test/data/ddnsd-lab.sh"
command -v nsupdate >/dev/null || fail "nsupdate not installed"

N=${BENCH_N:-2000}
CONC=${BENCH_C:-8}
PROTO=${BENCH_DDNS_PROTO:-tcp}
case $PROTO in
tcp) NSUP_V=-v ;;
udp) NSUP_V= ;;
*) fail "BENCH_DDNS_PROTO: tcp or udp, not $PROTO" ;;
esac
SRCPORT=${BENCH_DDNS_SRCPORT:-fixed}
case $SRCPORT in
fixed | random) ;;
*) fail "BENCH_DDNS_SRCPORT: fixed or random, not $SRCPORT" ;;
esac

lab_start

nsup() {   # PORT KEYFILE CMDS...
	local port=$1 key=$2; shift 2
	{ echo "server 127.0.0.1 $port"; echo "zone parent.example."; printf '%s\n' "$@"; echo send; } |
		timeout 15 nsupdate -t 3 -r 0 -k "$key" 2>&1
}
trusted() {   # CHILD TAG
	$SEND keystate "$1" "$2" >"$W/k.bin"
	[ "$($SEND send "$P_RECV" "$W/k.bin")" = "NOERROR signed ede=- ks=$2:4" ]
}
boot() {   # CHILD KEY TAG
	local out
	out=$(nsup "$P_RECV" "$2.private" "update delete $1. KEY" "update add $1. 300 $(keyrr "$2" | cut -d' ' -f3-)")
	[ -z "$out" ] || fail "bootstrap of $1: $out"
	wait_for 20 trusted "$1" "$3" || fail "key $3 of $1 not trusted"
}
boot child.parent.example "$CKEY" 11727
boot other.parent.example "$OKEY" 11861

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
nscount() { at_parent "$1" NS | wc -w; }
# named's count of applied UPDATE changes so far
# (one "adding an RR" per UPDATE; the RRset deletion is "deleting rrset")
applied() { grep -c "updating zone 'parent.example/IN': \(adding\|deleting\) an RR" "$W/named.log" || true; }
# agentd's count of UPDATEs it forwarded to named (and then answered)
forwarded() { grep -c ": 2 changes sent to 127.0.0.1@$P_NAMED$" "$W/agentd.log" || true; }

# run PORT KEYFILE CHILD PREFIX: N NS replacements by CONC nsupdate processes;
# prints the rate, sets RUN_S
run() {
	local port=$1 key=$2 child=$3 pre=$4 i j t0 t1 per=$(( N / CONC )) src used=" "
	for j in $(seq 1 "$CONC"); do
		{
			echo "server 127.0.0.1 $port"
			if [ "$PROTO" = udp ] && [ "$SRCPORT" = fixed ]; then
				src=$(free_port)
				while [ "$src" = "$port" ] || [ "${used#* $src }" != "$used" ]; do
					src=$(free_port)
				done
				used="$used$src "
				echo "local 127.0.0.1 $src"
			fi
			echo "zone parent.example."
			for i in $(seq 1 "$per"); do
				echo "update delete $child. NS"
				echo "update add $child. $(( 1000 + (j - 1) * per + i )) NS ns1.$child."
				echo send
			done
		} >"$W/script.$pre.$j"
	done
	local pids=()
	t0=$(date +%s%N)
	for j in $(seq 1 "$CONC"); do
		timeout 60 nsupdate $NSUP_V -t 5 -u 5 -r 0 -k "$key" "$W/script.$pre.$j" >"$W/out.$pre.$j" 2>&1 &
		pids+=($!)
	done
	for j in "${pids[@]}"; do wait "$j" || true; done
	t1=$(date +%s%N)
	for j in $(seq 1 "$CONC"); do
		[ ! -s "$W/out.$pre.$j" ] || fail "nsupdate $pre $j: $(head -3 "$W/out.$pre.$j")"
	done
	RUN_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

HZ=$(getconf CLK_TCK)
for alg in ED25519 ECDSAP256SHA256; do
	case $alg in
	ED25519) C=other.parent.example; K=$OKEY ;;
	*) C=child.parent.example; K=$CKEY ;;
	esac
	n0=$(nscount "$C.")
	u0=$(applied)
	a0=$(cpu_ticks "$PID_agentd")
	l0=$(forwarded)
	run "$P_RECV" "$K.private" "$C" "r$alg"
	a1=$(cpu_ticks "$PID_agentd")
	rs=$RUN_S
	u1=$(applied)
	[ $(( u1 - u0 )) = $(( N / CONC * CONC )) ] || fail "$alg receiver: named applied $(( u1 - u0 )) changes, wanted $(( N / CONC * CONC ))"
	[ $(( $(forwarded) - l0 )) = $(( N / CONC * CONC )) ] || fail "$alg receiver: agentd logged $(( $(forwarded) - l0 )) UPDATEs sent to named, wanted $(( N / CONC * CONC ))"
	m0=$(cpu_ticks "$PID_named")
	run "$P_NAMED" "$W/pupd.key" "$C" "n$alg"
	m1=$(cpu_ticks "$PID_named")
	ns=$RUN_S
	u2=$(applied)
	[ $(( u2 - u1 )) = $(( N / CONC * CONC )) ] || fail "$alg named: applied $(( u2 - u1 )) changes, wanted $(( N / CONC * CONC ))"
	[ "$(nscount "$C.")" = "$n0" ] || fail "$alg: NS RRset of $C not back to $n0 records"
	M=$(( N / CONC * CONC ))
	awk -v alg="$alg" -v m="$M" -v rs="$rs" -v ns="$ns" -v ad=$(( a1 - a0 )) -v md=$(( m1 - m0 )) -v hz="$HZ" -v c="$CONC" -v proto="$PROTO" 'BEGIN {
		printf "alg=%s receiver_per_s=%.0f named_per_s=%.0f agentd_cpu_ms=%.2f named_cpu_ms=%.2f n=%d conc=%d proto=%s\n",
			alg, m / rs, m / ns, ad * 1000 / hz / m, md * 1000 / hz / m, m, c, proto }'
done
