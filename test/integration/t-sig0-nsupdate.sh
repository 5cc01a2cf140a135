#!/usr/bin/env bash
# SIG(0) interoperability with BIND:
#  1. nsupdate -k signs an UPDATE; a UDP listener (perl, in this script)
#     captures the datagram; hsync-sig0 verify must say "ok SIGNER TAG".
#     One changed byte, or another key, must fail with exit 1.
#  2. hsync-sig0 signs an unsigned UPDATE (nsupdate's, captured) and a
#     response covering nsupdate's signed request; both verify, the response
#     only with its own request.
# named itself cannot be the peer here: BIND 9.18.28 and later no longer
# verify SIG(0) at all (CVE-2024-1975) and refuse such UPDATEs.
# For ED25519 and ECDSAP256SHA256.
. "$HSYNC_TOP/test/integration/lib.sh"

SIG0=$BIN/hsync-sig0
[ -x "$SIG0" ] || fail "no $SIG0"

# capture PORT FILE: receive one UDP datagram on 127.0.0.1:PORT into FILE.
cat >"$W/capture.pl" <<'EOF'
use strict; use IO::Socket::INET;
my ($port, $out) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port", Proto => 'udp')
    or die "bind 127.0.0.1:$port: $!";
open(my $r, '>', "$out.ready") or die; close $r;
my $buf; defined $s->recv($buf, 65535) or die "recv: $!";
open(my $f, '>', "$out.tmp") or die "$out.tmp: $!"; binmode $f; print $f $buf; close $f;
rename("$out.tmp", $out) or die;
EOF
# capture_update KEYARGS OUT: run nsupdate (KEYARGS: "-k file" or nothing)
# against a capturing listener and keep the datagram it sent.
capture_update() {
	local out=$1; shift
	local port; port=$(free_port)
	rm -f "$out" "$out.ready"
	perl "$W/capture.pl" "$port" "$out" &
	local cpid=$!
	PIDS+=("$cpid")
	wait_for 5 test -e "$out.ready" || fail "capture listener did not start"
	printf 'server 127.0.0.1 %s\nzone example.\nupdate add new.example. 300 A 192.0.2.7\nsend\n' \
		"$port" | timeout 10 nsupdate -t 2 -u 1 -r 0 "$@" >/dev/null 2>&1 || true
	wait_for 5 test -s "$out" || fail "nsupdate sent nothing"
	kill "$cpid" 2>/dev/null || true
}

# flip FILE OFFSET OUT: copy FILE with the byte at OFFSET xor 0x01.
flip() {
	perl -e 'local $/; open(my $f, "<", $ARGV[0]) or die; binmode $f; my $d = <$f>;
		substr($d, $ARGV[1], 1) = chr(ord(substr($d, $ARGV[1], 1)) ^ 1);
		open(my $o, ">", $ARGV[2]) or die; binmode $o; print $o $d;' "$1" "$2" "$3"
}

# A second key for the wrong-key checks.
(cd "$W" && dnssec-keygen -q -T KEY -a ED25519 -n HOST other.example. >/dev/null)
other=$(ls "$W"/Kother.example.+015+*.key)

# The unsigned UPDATE that part 2 signs with hsync-sig0.
capture_update "$W/unsigned.bin"
[ "$(od -An -tu1 -j11 -N1 "$W/unsigned.bin" | tr -d ' ')" = 0 ] || fail "unsigned UPDATE has additional records"

for alg in ED25519 ECDSAP256SHA256; do
	d=$W/$alg; mkdir -p "$d"
	(cd "$d" && dnssec-keygen -q -T KEY -a "$alg" -n HOST sig0.example. >/dev/null)
	key=$(ls "$d"/Ksig0.example.+*.key)
	priv=${key%.key}.private
	tag=$(basename "$key" .key); tag=$((10#${tag##*+}))

	# 1. nsupdate signs, we verify.
	capture_update "$d/nsupdate.bin" -k "$priv"
	out=$("$SIG0" verify -k "$key" <"$d/nsupdate.bin") || fail "$alg: verify of nsupdate's UPDATE failed"
	[ "$out" = "ok sig0.example. $tag" ] || fail "$alg: verify printed '$out'"
	ok "$alg: nsupdate's SIG(0) verifies: $out"

	# the .private name works for verify too (public half is used)
	out=$("$SIG0" verify -k "$priv" <"$d/nsupdate.bin") || fail "$alg: verify with .private name"
	ok "$alg: verify accepts the .private file name"

	size=$(stat -c %s "$d/nsupdate.bin")
	for off in 2 20 $((size - 1)) $((size - 70)); do
		flip "$d/nsupdate.bin" "$off" "$d/bad.bin"
		rc=0; "$SIG0" verify -k "$key" <"$d/bad.bin" >"$d/bad.out" 2>"$d/bad.err" || rc=$?
		[ "$rc" = 1 ] || fail "$alg: byte $off changed: exit $rc, want 1"
		[ ! -s "$d/bad.out" ] || fail "$alg: byte $off changed: printed $(cat "$d/bad.out")"
		[ "$(wc -l <"$d/bad.err")" = 1 ] || fail "$alg: want one line on stderr: $(cat "$d/bad.err")"
		ok "$alg: byte $off changed: exit 1, $(cat "$d/bad.err")"
	done
	rc=0; "$SIG0" verify -k "$other" <"$d/nsupdate.bin" 2>"$d/bad.err" || rc=$?
	[ "$rc" = 1 ] || fail "$alg: verify with another key: exit $rc"
	ok "$alg: another key: exit 1, $(cat "$d/bad.err")"

	# ours signs, ours verifies (and the request/response pairing)
	"$SIG0" sign -k "$priv" <"$W/unsigned.bin" >"$d/ours.bin" || fail "$alg: sign failed"
	out=$("$SIG0" verify -k "$key" <"$d/ours.bin") || fail "$alg: own signature does not verify"
	[ "$out" = "ok sig0.example. $tag" ] || fail "$alg: verify printed '$out'"
	ok "$alg: hsync-sig0 sign | verify: $out"

	# 2. a response signed by hsync-sig0 covers nsupdate's request: it
	#    verifies with -r that request, and fails (exit 1) with another.
	perl -e 'local $/; my $d = <STDIN>; my @w = unpack("n6", substr($d, 0, 12));
		$w[1] |= 0x8000; @w[2..5] = (1, 0, 0, 0);
		my $i = 12; $i++ while ord(substr($d, $i, 1));
		print pack("n6", @w), substr($d, 12, $i + 5 - 12);' \
		<"$d/nsupdate.bin" >"$d/resp.bin"
	"$SIG0" sign -k "$priv" -r "$d/nsupdate.bin" <"$d/resp.bin" >"$d/resp-signed.bin" ||
		fail "$alg: signing a response failed"
	out=$("$SIG0" verify -k "$key" -r "$d/nsupdate.bin" <"$d/resp-signed.bin") ||
		fail "$alg: response does not verify against its request"
	[ "$out" = "ok sig0.example. $tag" ] || fail "$alg: verify -r printed '$out'"
	ok "$alg: response covering nsupdate's request verifies: $out"
	rc=0; "$SIG0" verify -k "$key" -r "$d/ours.bin" <"$d/resp-signed.bin" 2>"$d/bad.err" || rc=$?
	[ "$rc" = 1 ] || fail "$alg: response verified against another request: exit $rc"
	ok "$alg: against another request: exit 1, $(cat "$d/bad.err")"
	rc=0; "$SIG0" verify -k "$key" <"$d/resp-signed.bin" 2>"$d/bad.err" || rc=$?
	[ "$rc" = 1 ] || fail "$alg: response verified without its request: exit $rc"
	ok "$alg: without the request: exit 1, $(cat "$d/bad.err")"
done

# usage errors exit 100
rc=0; "$SIG0" verify <"$W/unsigned.bin" 2>/dev/null || rc=$?
[ "$rc" = 100 ] || fail "verify without -k: exit $rc"
rc=0; "$SIG0" frobnicate -k "$other" </dev/null 2>/dev/null || rc=$?
[ "$rc" = 100 ] || fail "unknown command: exit $rc"
ok "usage errors exit 100"

# an unsigned message: exit 1 with the reason
rc=0; "$SIG0" verify -k "$other" <"$W/unsigned.bin" 2>"$W/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'no SIG(0)' "$W/e" || fail "unsigned: exit $rc, $(cat "$W/e")"
ok "unsigned message: exit 1, $(cat "$W/e")"
echo "all $NCHECKS checks passed"
