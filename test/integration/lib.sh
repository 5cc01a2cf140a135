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

# A port free when chosen may be taken before the server binds it (tests
# run side by side, resolvers pick random source ports): serve starts a
# server up to three times, on a new port each time it could not bind.
USED=" "
# new_port: a free port not handed out before, in $NEWPORT (no subshell,
# so that USED is kept).
new_port() {
	local p
	p=$(free_port)
	while case "$USED" in *" $p "*) true;; *) false;; esac; do p=$(free_port); done
	USED="$USED$p "
	NEWPORT=$p
}
# alive_and NAME CMD...: CMD succeeds; 2 when process NAME has exited.
alive_and() {
	local name=$1; shift
	local pid; eval "pid=\$PID_$name"
	"$@" && return 0
	kill -0 "$pid" 2>/dev/null || return 2
	return 1
}
# serve NAME PORTVAR CONFIGURE UPCHECK CMD...: CONFIGURE PORT writes the
# configuration, CMD starts the server, UPCHECK PORT says it answers; the
# port it answers on goes into PORTVAR.
serve() {
	local name=$1 var=$2 conf=$3 check=$4; shift 4
	local try port rc end
	for try in 1 2 3; do
		new_port; port=$NEWPORT
		"$conf" "$port"
		bg "$name" "$@"
		end=$(( $(date +%s) + 10 ))
		while :; do
			rc=0; alive_and "$name" "$check" "$port" >/dev/null 2>&1 || rc=$?
			[ $rc = 1 ] && [ "$(date +%s)" -lt $end ] && { sleep 0.05; continue; }
			break
		done
		if [ $rc = 0 ]; then
			eval "$var=$port"; return 0
		fi
		grep -qi 'address already in use' "$W/$name.log" || break
		echo "# $name: port $port taken, again on another" >&2
		cp "$W/$name.log" "$W/$name.log.$try"
	done
	cat "$W/$name.log"; fail "$name did not start"
}

# unbound_conf FILE PORT SERVER-LINES ZONE=ADDR...: an unbound on
# 127.0.0.1@PORT in the foreground, logging to stderr, validating
# ("validator iterator"), its own queries from ports above 32767 (below
# are the test servers'), with SERVER-LINES (newline-separated: a trust
# anchor, cache limits) added to its server clause and a stub zone for
# each ZONE=ADDR ("lab.=127.0.0.1@5300").
unbound_conf() {
	local f=$1 port=$2 extra=$3 s
	shift 3
	{
		cat <<EOC
server:
    interface: 127.0.0.1
    port: $port
    do-ip6: no
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "$W"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    module-config: "validator iterator"
    qname-minimisation: no
    outgoing-port-avoid: 10000-32767
EOC
		[ -z "$extra" ] || printf '%s\n' "$extra" | sed 's/^[[:space:]]*/    /'
		for s in "$@"; do
			printf 'stub-zone:\n    name: "%s"\n    stub-addr: %s\n' "${s%%=*}" "${s#*=}"
		done
	} >"$f"
}

# named_primary DIR PORT ZONE FILE [ZONE-LINE...]: $DIR/named.conf for a
# named on 127.0.0.1@PORT (no recursion, no validation), primary for ZONE
# from $DIR/FILE, taking TSIG UPDATEs signed with key pupd ($W/pupd.key),
# giving transfers to 127.0.0.1; each ZONE-LINE ("dnssec-policy default;")
# is added to the zone clause.
named_primary() {
	local dir=$1 port=$2 zone=$3 file=$4 l
	shift 4
	{
		cat <<EOC
options {
	directory "$dir";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile "$dir/session.key";
	recursion no;
	dnssec-validation no;
};
controls { };
include "$W/pupd.key";
zone "$zone" {
	type primary;
	file "$file";
	allow-update { key pupd; };
	allow-transfer { 127.0.0.1; };
EOC
		for l in "$@"; do printf '\t%s\n' "$l"; done
		echo '};'
	} >"$dir/named.conf"
}
