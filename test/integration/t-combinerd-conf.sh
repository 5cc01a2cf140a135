#!/usr/bin/env bash
# combinerd -n: a good configuration exits 0, a bad one 100 with
# "file:line: reason"; bad usage exits 100; the sample in contrib/ checks.
. "$HSYNC_TOP/test/integration/lib.sh"

tsig-keygen -a hmac-sha256 xfr >"$W/keys"
tsig-keygen -a hmac-sha256 agent >>"$W/keys"
mkdir -p "$W/state"
good() {
	cat <<EOF
listen 127.0.0.1@5300
tsig-key-file "$W/keys"
state-dir "$W/state"
refresh-min 2s
journal-size 10 1000
zone example. {
	primary 192.0.2.1 key xfr
	primary 192.0.2.2@5301
	downstream 127.0.0.1@5302 key xfr
	downstream 127.0.0.1@5303 key xfr notify no
	allow 10.0.0.0/8 key xfr
	agent-key agent
}
EOF
}
good >"$W/good.conf"
"$BIN/combinerd" -n -f "$W/good.conf" || fail "good configuration refused"
ok "-n: good configuration, exit 0"

bad() {  # bad LINE PATTERN: the configuration from stdin must fail there
	cat >"$W/bad.conf"
	local rc=0
	"$BIN/combinerd" -n -f "$W/bad.conf" 2>"$W/err" || rc=$?
	[ "$rc" = 100 ] || fail "exit $rc for: $(cat "$W/bad.conf")"
	grep -q "^combinerd: error: $W/bad.conf:$1: .*$2" "$W/err" || fail "message: $(cat "$W/err"), wanted line $1: $2"
	ok "-n: bad at line $1 ($2), exit 100"
}
good | sed 's/key xfr$/key nosuch/' | bad 7 "no tsig-key-file holds key nosuch"
good | sed 's/agent-key agent/agent-key missing/' | bad 12 "no tsig-key-file holds key missing"
good | sed '/agent-key/d' | bad 6 "agent-key"
good | sed '/primary/d' | bad 6 "primary"
good | sed 's/192.0.2.1 key/192.0.2.300 key/' | bad 7 "192.0.2.300"
good | sed 's#10.0.0.0/8#10.0.0.1/8#' | bad 11 "allow"
good | sed "s#$W/state#$W/nonexistent#" | bad 3 "not a directory"
good | sed 's/refresh-min 2s/refresh-min soon/' | bad 4 "refresh-min"
good | sed 's/notify no/notify maybe/' | bad 10 "notify"
good | sed 's/^zone example. {/zone example. {\n\tsecondary 1.2.3.4/' | bad 7 "secondary"
good | sed 's/agent-key agent/&\n\tallow-apex-key yes/' >"$W/key.conf"
"$BIN/combinerd" -n -f "$W/key.conf" || fail "allow-apex-key yes refused"
ok "-n: allow-apex-key yes accepted"
good | sed 's/agent-key agent/&\n\tallow-apex-key maybe/' | bad 13 "allow-apex-key"
good | sed 's/agent-key agent/&\n\tallow-apex-key yes\n\tallow-apex-key no/' | bad 14 "allow-apex-key"

rc=0; "$BIN/combinerd" -z 2>/dev/null || rc=$?
[ "$rc" = 100 ] || fail "unknown option: exit $rc"
rc=0; "$BIN/combinerd" -h 2>"$W/usage" || rc=$?
grep -q "usage: combinerd \[-hnqv\] \[-f file\]" "$W/usage" || fail "usage: $(cat "$W/usage")"
ok "bad usage exits 100; -h gives the usage"

# The sample configuration parses (with its key file and state dir made up).
sed -e "s#/etc/hsync/combinerd.key#$W/sample.key#" -e "s#/var/lib/hsync/combinerd#$W/state#" \
	"$TOP/contrib/combinerd.conf" >"$W/sample.conf"
for k in owner-xfr signer-xfr secondary-xfr agent; do tsig-keygen -a hmac-sha256 $k; done >"$W/sample.key"
"$BIN/combinerd" -n -f "$W/sample.conf" || fail "contrib/combinerd.conf does not check"
ok "contrib/combinerd.conf checks"
