#!/usr/bin/perl
# test/bench/notify-stamp.pl -- a NOTIFY listener that timestamps what it gets.
#
#   notify-stamp.pl LOGFILE PORT[:KEYNAME:SECRET_BASE64] ...
#
# Listens on 127.0.0.1:PORT, UDP and TCP (knotd 3.2 sends its NOTIFYs over
# TCP), for every PORT given, and for every
# NOTIFY appends one line
#   EPOCH_SECONDS.MICROS PORT zone.example. QTYPE
# to LOGFILE (the wall clock, as bash's $EPOCHREALTIME, so a script can
# subtract), then answers it: NOERROR, AA, and TSIG-signed (hmac-sha256)
# with KEYNAME when the NOTIFY carried a TSIG and the port has a key.
# The request's MAC is not checked: this is a benchmark's sink, not a test
# of TSIG (test/data/hsyncd-sub.pl checks it). Runs until killed.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use IO::Handle;
use Time::HiRes qw(time);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64;

my $log = shift @ARGV;
die "usage: $0 LOGFILE PORT[:KEYNAME:SECRET] ...\n" unless defined $log && @ARGV;

sub wire_name {
	my $n = lc shift;
	$n =~ s/\.$//;
	return "\0" if $n eq '';
	return join('', map { chr(length $_) . $_ } split /\./, $n) . "\0";
}

# name at offset: (text, offset after it); a pointer ends the name
sub read_name {
	my ($m, $o) = @_;
	my @l;
	while ($o < length $m) {
		my $len = ord substr($m, $o, 1);
		if (($len & 0xc0) == 0xc0) { return (join('.', @l) . '.', $o + 2); }
		$o++;
		last if $len == 0;
		push @l, substr($m, $o, $len);
		$o += $len;
	}
	return ((@l ? join('.', @l) : '') . '.', $o);
}

my $sel = IO::Select->new;
my %port_of;  # fileno -> port
my %key_of;   # fileno -> [wire keyname, secret]
my %kind;     # fileno -> 'udp', 'listen' or 'tcp'
my %buf;      # fileno -> bytes read from a TCP connection
for my $arg (@ARGV) {
	my ($port, $kname, $sec) = split /:/, $arg, 3;
	my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
	                              Proto => 'udp') or die "bind udp $port: $!\n";
	# a burst of first-sight NOTIFYs must not overflow the socket
	setsockopt($u, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4 << 20);
	my $t = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
	                              Proto => 'tcp', Listen => 128, ReuseAddr => 1)
		or die "bind tcp $port: $!\n";
	for my $s ($u, $t) {
		$sel->add($s);
		$port_of{fileno $s} = $port;
		$key_of{fileno $s} = [wire_name($kname), decode_base64($sec)] if defined $sec;
	}
	$kind{fileno $u} = 'udp';
	$kind{fileno $t} = 'listen';
}

open(my $fh, '>>', $log) or die "$log: $!\n";
$fh->autoflush(1);
my $alg = wire_name('hmac-sha256');

# one NOTIFY in: log it, give the answer (undef: not a NOTIFY)
sub notify {
	my ($m, $now, $fd) = @_;
	return undef unless length($m) >= 12;
	my ($id, $flags, $qd, $an, $ns, $ar) = unpack('n6', $m);
	return undef if $flags & 0x8000;
	return undef unless (($flags >> 11) & 0xf) == 4 && $qd == 1;
	my ($qname, $o) = read_name($m, 12);
	return undef if $o + 4 > length $m;
	my $qtype = unpack('n', substr($m, $o, 2));
	my $qend = $o + 4;
	printf $fh "%.6f %s %s %u\n", $now, $port_of{$fd}, lc $qname, $qtype;

	# the request MAC: the TSIG is the last RR; walk to it
	my $reqmac;
	if ($ar > 0 && $key_of{$fd}) {
		my ($p, $last) = ($qend, -1);
		for (my $i = 0; $i < $an + $ns + $ar && $p < length $m; $i++) {
			$last = $p;
			(undef, $p) = read_name($m, $p);
			$p += 10 + unpack('n', substr($m, $p + 8, 2));
		}
		my (undef, $r) = read_name($m, $last);
		if (unpack('n', substr($m, $r, 2)) == 250) {
			my (undef, $a) = read_name($m, $r + 10);
			my $maclen = unpack('n', substr($m, $a + 8, 2));
			$reqmac = substr($m, $a + 10, $maclen);
		}
	}
	my $resp = pack('n6', $id, 0x8000 | (4 << 11) | 0x0400, 1, 0, 0, 0) .
	           substr($m, 12, $qend - 12);
	if (defined $reqmac) {
		my ($kn, $secret) = @{$key_of{$fd}};
		my $t = int $now;
		my ($hi, $lo) = (int($t / 4294967296), $t % 4294967296);
		my $vars = $kn . pack('nN', 255, 0) . $alg . pack('nNnnn', $hi, $lo, 300, 0, 0);
		my $mac = hmac_sha256(pack('n', length $reqmac) . $reqmac . $resp . $vars, $secret);
		my $rdata = $alg . pack('nNnn', $hi, $lo, 300, length $mac) . $mac .
		            pack('nnn', $id, 0, 0);
		$resp .= $kn . pack('nnNn', 250, 255, 0, length $rdata) . $rdata;
		substr($resp, 10, 2) = pack('n', 1);
	}
	return $resp;
}

sub drop {
	my $s = shift;
	my $fd = fileno $s;
	delete $port_of{$fd}; delete $key_of{$fd}; delete $kind{$fd}; delete $buf{$fd};
	$sel->remove($s);
	close $s;
}

while (1) {
	for my $sock ($sel->can_read) {
		my $fd = fileno $sock;
		if ($kind{$fd} eq 'udp') {
			my $peer = $sock->recv(my $m, 65535);
			next unless defined $peer;
			my $resp = notify($m, time, $fd);
			$sock->send($resp, 0, $peer) if defined $resp;
		} elsif ($kind{$fd} eq 'listen') {
			my $c = $sock->accept or next;
			my $cfd = fileno $c;
			$sel->add($c);
			$kind{$cfd} = 'tcp';
			$port_of{$cfd} = $port_of{$fd};
			$key_of{$cfd} = $key_of{$fd} if $key_of{$fd};
			$buf{$cfd} = '';
		} else {
			my $n = sysread($sock, my $data, 65536);
			if (!$n) { drop($sock); next; }
			my $now = time;
			$buf{$fd} .= $data;
			while (length($buf{$fd}) >= 2) {
				my $len = unpack('n', $buf{$fd});
				last if length($buf{$fd}) < 2 + $len;
				my $m = substr($buf{$fd}, 2, $len);
				substr($buf{$fd}, 0, 2 + $len) = '';
				my $resp = notify($m, $now, $fd);
				syswrite($sock, pack('n', length $resp) . $resp) if defined $resp;
			}
		}
	}
}
