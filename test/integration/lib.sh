# test/integration/lib.sh -- sourced by every integration test.
#
# Gives: $W (scratch dir), $BIN (our programs), $TOP (source tree),
# port PORTVAR (a free loopback port), bg NAME CMD... (start, remember PID,
# stopped by PID on exit), ok/fail/check helpers. Loopback only.
set -eu
W=${HSYNC_WORK:-$(mktemp -d)}
BIN=${HSYNC_BIN:?HSYNC_BIN not set}
TOP=${HSYNC_TOP:?HSYNC_TOP not set}
PIDS=()
NCHECKS=0

cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { NCHECKS=$((NCHECKS + 1)); echo "ok $NCHECKS - $*"; }

# free_port: a TCP and UDP port on 127.0.0.1 that nothing listens on now,
# below the kernel's ephemeral range (where outgoing connections take their
# source ports, so a port chosen there can be taken before the server binds).
free_port() {
	local p lo
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	[ "$lo" -gt 11000 ] 2>/dev/null || lo=32768
	while :; do
		p=$(( 10000 + RANDOM % (lo - 10000) ))
		if ! ss -Hltun "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"; return
		fi
	done
}

# bg NAME CMD...: start CMD in the background, output in $W/NAME.log.
bg() {
	local name=$1; shift
	"$@" >"$W/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
}

# wait_for SECONDS CMD...: retry CMD until it succeeds or time runs out.
wait_for() {
	local t=$1; shift
	local end=$(( $(date +%s%N) / 1000000 + t * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -lt $end ] || return 1
		sleep 0.05
	done
}
