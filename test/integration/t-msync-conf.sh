#!/usr/bin/env bash
# agentd's multi-signer settings: waits (0 allowed for the overrides),
# minimums, propagation, parent-poll and peer-nameserver are checked by
# agentd -n; each mistake exits 100 with file:line and the keyword.
. "$HSYNC_TOP/test/integration/lib.sh"

k=$(cd "$W" && dnssec-keygen -q -a ED25519 -T KEY -n HOST host.test)
conf() {
	printf 'identity agent.test\nkey "%s/%s"\nresolver 127.0.0.1\n%s\n' "$W" "$k" "$1" >"$W/c.conf"
}
good() {
	conf "$1"
	"$BIN/agentd" -n -f "$W/c.conf" 2>"$W/err" || fail "refused: $1: $(cat "$W/err")"
}
bad() {  # bad STATEMENT EXPECTED-MESSAGE
	local rc=0
	conf "$1"
	"$BIN/agentd" -n -f "$W/c.conf" 2>"$W/err" || rc=$?
	[ $rc = 100 ] || fail "$1: exit $rc, not 100"
	grep -q "c.conf:4: $2" "$W/err" || fail "$1: message $(cat "$W/err")"
}
good "dnskey-wait 0; ds-wait 0; ns-wait 0; propagation 0"
good "dnskey-wait 2d; ds-wait 1h; ns-wait 30m; dnskey-wait-min 1m; ds-wait-min 0; ns-wait-min 5s; parent-poll 2s"
good "peer-nameserver agent-b.test. 127.0.0.1@5353
peer-nameserver agent-b.test. 192.0.2.1
peer-nameserver agent-c.test. ::1"
ok "waits, minimums, propagation, parent-poll and peer-nameserver accepted"
bad "dnskey-wait -1" "dnskey-wait: -1 is not a duration"
bad "ds-wait soon" "ds-wait: soon is not a duration"
bad "parent-poll 0" "parent-poll: 0 out of range"
bad "propagation 2d" "propagation: 2d out of range"
bad "ns-wait-min 31d" "ns-wait-min: 31d out of range"
bad "peer-nameserver agent-b.test." "peer-nameserver needs 2 arguments"
bad "peer-nameserver agent-b.test. nowhere" "peer-nameserver: nowhere is not an IP address"
ok "bad values: exit 100 with file:line and the keyword"
echo "t-msync-conf: $NCHECKS checks"
