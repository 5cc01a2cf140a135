#!/usr/bin/perl
# test/data/hsyncd-sub.pl -- a NOTIFY subscriber under a test's control.
#
#   hsyncd-sub.pl PORT LOGFILE [KEYNAME SECRET_BASE64] [DROP]
#   hsyncd-sub.pl -notify FROMADDR TOPORT ZONE [KEYNAME SECRET_BASE64]
#
# Listens on 127.0.0.1:PORT (UDP), and for every NOTIFY appends one line
#   NOTIFY zone.example. qtype=65282 tsig=ok|bad|none
# to LOGFILE, then answers it (NOERROR, AA), TSIG-signed (hmac-sha256)
# when the NOTIFY was signed with KEYNAME. The first DROP NOTIFYs are
# logged as "dropped" and not answered (to see hsyncd retry).
#
# With -notify it is the other side: sends one NOTIFY (qtype SOA) for ZONE
# from FROMADDR to 127.0.0.1:TOPORT, TSIG-signed if a key is given, and
# prints "rcode=N" of the answer ("rcode=timeout" if none in 2 s).
use strict;
use warnings;
use IO::Socket::INET;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64;

if (@ARGV && $ARGV[0] eq '-notify') {
	shift @ARGV;
	notify_send(@ARGV);
	exit 0;
}

my ($port, $log, $keyname, $secret, $drop) = @ARGV;
die "usage: $0 PORT LOGFILE [KEYNAME SECRET] [DROP]\n" unless $port && $log;
$secret = decode_base64($secret) if defined $secret;
$drop //= 0;
$| = 1;

my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                 Proto => 'udp') or die "bind: $!\n";

sub wire_name {
	my $n = lc shift;
	$n =~ s/\.$//;
	return "\0" if $n eq '';
	return join('', map { chr(length $_) . $_ } split /\./, $n) . "\0";
}

# name at offset: (text, offset after it); no compression expected in questions
sub read_name {
	my ($m, $o) = @_;
	my @l;
	while (1) {
		my $len = ord substr($m, $o, 1);
		if (($len & 0xc0) == 0xc0) { return (join('.', @l) . '.', $o + 2); }
		$o++;
		last if $len == 0;
		push @l, substr($m, $o, $len);
		$o += $len;
	}
	return ((@l ? join('.', @l) : '') . '.', $o);
}

sub skip_rr {
	my ($m, $o) = @_;
	(undef, $o) = read_name($m, $o);
	my $rdlen = unpack('n', substr($m, $o + 8, 2));
	return $o + 10 + $rdlen;
}

my $alg = wire_name('hmac-sha256');
my $kn = defined $keyname ? wire_name($keyname) : '';
my $seen = 0;

while (1) {
	my $peer = $sock->recv(my $m, 65535);
	next unless defined $peer && length($m) >= 12;
	my ($id, $flags, $qd, $an, $ns, $ar) = unpack('n6', $m);
	next if $flags & 0x8000;
	my $opcode = ($flags >> 11) & 0xf;
	next unless $opcode == 4 && $qd == 1;
	my ($qname, $o) = read_name($m, 12);
	my $qtype = unpack('n', substr($m, $o, 2));
	my $qend = $o + 4;
	# find the last RR of the additional section: the TSIG, if any
	my $p = $qend;
	my $last = -1;
	for (my $i = 0; $i < $an + $ns + $ar; $i++) {
		$last = $p;
		$p = skip_rr($m, $p);
	}
	my $tsig = 'none';
	my $reqmac = '';
	my $tsig_time = 0;
	if ($ar > 0 && $last >= 0) {
		my ($tn, $r) = read_name($m, $last);
		my $type = unpack('n', substr($m, $r, 2));
		if ($type == 250) {
			my $rd = $r + 10;
			(undef, my $a) = read_name($m, $rd);
			my ($hi, $lo, $fudge, $maclen) = unpack('nNnn', substr($m, $a, 10));
			$tsig_time = $hi * 4294967296 + $lo;
			$reqmac = substr($m, $a + 10, $maclen);
			my $orig = unpack('n', substr($m, $a + 10 + $maclen, 2));
			my $err = unpack('n', substr($m, $a + 12 + $maclen, 2));
			my $olen = unpack('n', substr($m, $a + 14 + $maclen, 2));
			my $other = substr($m, $a + 16 + $maclen, $olen);
			my $body = substr($m, 0, $last);
			substr($body, 0, 2) = pack('n', $orig);
			substr($body, 10, 2) = pack('n', $ar - 1);
			my $vars = wire_name($tn) . pack('nN', 255, 0) . substr($m, $rd, $a - $rd) .
			           pack('nNnnn', $hi, $lo, $fudge, $err, $olen) . $other;
			$tsig = (defined $secret && wire_name($tn) eq $kn &&
			         hmac_sha256($body . $vars, $secret) eq $reqmac) ? 'ok' : 'bad';
		}
	}
	$seen++;
	open(my $fh, '>>', $log) or die "$log: $!\n";
	my $what = $seen <= $drop ? ' dropped' : '';
	print $fh "NOTIFY $qname qtype=$qtype tsig=$tsig$what\n";
	close $fh;
	next if $seen <= $drop;
	# answer: header, question, TSIG when the NOTIFY was signed with our key
	my $resp = pack('n6', $id, 0x8000 | (4 << 11) | 0x0400, 1, 0, 0, 0) .
	           substr($m, 12, $qend - 12);
	if ($tsig eq 'ok') {
		my $now = time;
		my ($hi, $lo) = (int($now / 4294967296), $now % 4294967296);
		my $vars = $kn . pack('nN', 255, 0) . $alg . pack('nNnnn', $hi, $lo, 300, 0, 0);
		my $mac = hmac_sha256(pack('n', length $reqmac) . $reqmac . $resp . $vars, $secret);
		my $rdata = $alg . pack('nNnn', $hi, $lo, 300, length $mac) . $mac .
		            pack('nnn', $id, 0, 0);
		$resp .= $kn . pack('nnNn', 250, 255, 0, length $rdata) . $rdata;
		substr($resp, 10, 2) = pack('n', 1);
	}
	$sock->send($resp, 0, $peer);
}

sub notify_send {
	my ($from, $to, $zone, $kname, $sec) = @_;
	my $s = IO::Socket::INET->new(LocalAddr => $from, PeerAddr => '127.0.0.1', PeerPort => $to,
	                              Proto => 'udp') or die "socket: $!\n";
	my $id = int(rand(65536));
	my $m = pack('n6', $id, (4 << 11), 1, 0, 0, 0) . wire_name($zone) . pack('nn', 6, 1);
	if (defined $kname) {
		my $k = decode_base64($sec);
		my $now = time;
		my ($hi, $lo) = (int($now / 4294967296), $now % 4294967296);
		my $a = wire_name('hmac-sha256');
		my $vars = wire_name($kname) . pack('nN', 255, 0) . $a . pack('nNnnn', $hi, $lo, 300, 0, 0);
		my $mac = hmac_sha256($m . $vars, $k);
		my $rdata = $a . pack('nNnn', $hi, $lo, 300, length $mac) . $mac . pack('nnn', $id, 0, 0);
		$m .= wire_name($kname) . pack('nnNn', 250, 255, 0, length $rdata) . $rdata;
		substr($m, 10, 2) = pack('n', 1);
	}
	$s->send($m) or die "send: $!\n";
	my $rin = '';
	vec($rin, fileno($s), 1) = 1;
	if (select(my $rout = $rin, undef, undef, 2) > 0 && defined $s->recv(my $r, 65535)) {
		print "rcode=" . (unpack('n', substr($r, 2, 2)) & 0xf) . "\n";
	} else {
		print "rcode=timeout\n";
	}
}
