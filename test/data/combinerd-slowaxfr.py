#!/usr/bin/env python3
# combinerd-slowaxfr.py PORT ZONE OUT: an unsigned AXFR over TCP that reads
# the first message, writes "first" to OUT, waits 1.5 s (so a change can
# arrive while the transfer is under way), then reads the rest. Writes
# "rrs N serials FIRST LAST" (answer RRs counted, SOA serials of the first
# and last message's SOA records). Used by t-combinerd-big.sh.
import socket, struct, sys, time

port, zone, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = open(path, 'w')
qname = b''.join(bytes([len(l)]) + l.encode() for l in zone.rstrip('.').split('.')) + b'\0'
q = struct.pack('>HHHHHH', 0x1234, 0, 1, 0, 0, 0) + qname + struct.pack('>HH', 252, 1)
s = socket.create_connection(('127.0.0.1', port))
s.settimeout(10)
s.sendall(struct.pack('>H', len(q)) + q)

def readn(n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

def skip_name(m, i):
    while True:
        l = m[i]
        if l == 0:
            return i + 1
        if l & 0xc0:
            return i + 2
        i += l + 1

rrs, serials, first = 0, [], True
while True:
    try:
        m = readn(struct.unpack('>H', readn(2))[0])
    except (EOFError, OSError):
        break
    qd, an = struct.unpack('>HH', m[4:8])
    i = 12
    for _ in range(qd):
        i = skip_name(m, i) + 4
    for _ in range(an):
        i = skip_name(m, i)
        t, _, _, rdlen = struct.unpack('>HHIH', m[i:i + 10])
        rd = m[i + 10:i + 10 + rdlen]
        if t == 6:
            j = skip_name(rd, skip_name(rd, 0))
            serials.append(struct.unpack('>I', rd[j:j + 4])[0])
        i += 10 + rdlen
    rrs += an
    if first:
        first = False
        out.write('first\n')
        out.flush()
        time.sleep(1.5)
    if len(serials) >= 2:
        break
out.write('rrs %d serials %s\n' % (rrs, ' '.join(map(str, serials))))
out.close()
