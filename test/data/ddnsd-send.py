#!/usr/bin/env python3
# test/data/ddnsd-send.py -- for the t-ddns-* integration tests.
#   ddnsd-send.py update ZONE OP...      an unsigned UPDATE (wire) to stdout;
#       OP is add:OWNER:TTL:TYPE:DATA, delrr:OWNER:TYPE:DATA or
#       delset:OWNER:TYPE; DATA by type: NS a name, A/AAAA an address,
#       TXT a word, DS "TAG ALG DT HEX", KEY a K*.key file
#   ddnsd-send.py keystate CHILD TAG     a KeyState inquiry (QUERY CHILD KEY)
#   ddnsd-send.py oldtime FILE           FILE (signed) with the SIG(0)'s
#                                        inception and expiration a day back
#   ddnsd-send.py send PORT FILE [tcp]   send FILE to 127.0.0.1#PORT and print
#       "RCODE signed|unsigned ede=CODE|- ks=TAG:STATE|-"; the EDE's EXTRA-TEXT,
#       if any, goes to stderr as "ede-text: TEXT"
import base64
import ipaddress
import os
import socket
import struct
import sys

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 9: "NOTAUTH", 10: "NOTZONE"}
TYPES = {"A": 1, "NS": 2, "TXT": 16, "AAAA": 28, "DS": 43, "KEY": 25, "ANY": 255}
KEYSTATE = 65002


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(t, data):
    if t == "NS":
        return name(data)
    if t == "A" or t == "AAAA":
        return ipaddress.ip_address(data).packed
    if t == "TXT":
        return bytes([len(data)]) + data.encode()
    if t == "DS":
        tag, alg, dt, hx = data.split()
        return struct.pack(">HBB", int(tag), int(alg), int(dt)) + bytes.fromhex(hx)
    if t == "KEY":
        with open(data) as f:
            for line in f:
                if line.startswith(";") or not line.strip():
                    continue
                w = line.split()
                i = w.index("KEY")
                return struct.pack(">HBB", int(w[i + 1]), int(w[i + 2]), int(w[i + 3])) + \
                    base64.b64decode("".join(w[i + 4:]))
    raise SystemExit("type " + t)


def update(zone, ops):
    rrs = b""
    for op in ops:
        p = op.split(":", 4)
        if p[0] == "add":
            owner, ttl, t, data = p[1], int(p[2]), p[3], p[4]
            rd = rdata(t, data)
            rrs += name(owner) + struct.pack(">HHIH", TYPES[t], 1, ttl, len(rd)) + rd
        elif p[0] == "delrr":
            owner, t, data = p[1], p[2], ":".join(p[3:])
            rd = rdata(t, data)
            rrs += name(owner) + struct.pack(">HHIH", TYPES[t], 254, 0, len(rd)) + rd
        elif p[0] == "delset":
            rrs += name(p[1]) + struct.pack(">HHIH", TYPES[p[2]], 255, 0, 0)
        else:
            raise SystemExit("op " + op)
    hdr = struct.pack(">HHHHHH", int.from_bytes(os.urandom(2), "big"), 5 << 11, 1, 0,
                      len(ops), 0)
    return hdr + name(zone) + struct.pack(">HH", 6, 1) + rrs


def keystate(child, tag):
    hdr = struct.pack(">HHHHHH", int.from_bytes(os.urandom(2), "big"), 0, 1, 0, 0, 1)
    opt = struct.pack(">HBB", tag, 2, 0)
    rr = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 4 + len(opt)) + \
        struct.pack(">HH", KEYSTATE, len(opt)) + opt
    return hdr + name(child) + struct.pack(">HH", 25, 1) + rr


def skip_name(m, o):
    while True:
        n = m[o]
        if n == 0:
            return o + 1
        if n >= 0xc0:
            return o + 2
        o += n + 1


def records(m):
    """(offset of RR, type, rdata offset, rdlength) of every RR after the question."""
    qd, an, ns, ar = struct.unpack(">HHHH", m[4:12])
    o = 12
    for _ in range(qd):
        o = skip_name(m, o) + 4
    out = []
    for _ in range(an + ns + ar):
        s = o
        o = skip_name(m, o)
        t, _c, _ttl, rl = struct.unpack(">HHIH", m[o:o + 10])
        out.append((s, t, o + 10, rl))
        o += 10 + rl
    return out


def oldtime(m):
    m = bytearray(m)
    s, t, ro, rl = records(bytes(m))[-1]
    if t != 24:
        raise SystemExit("no SIG(0)")
    exp, inc = struct.unpack(">II", m[ro + 8:ro + 16])
    struct.pack_into(">II", m, ro + 8, exp - 86400, inc - 86400)
    return bytes(m)


def send(port, data, tcp):
    if tcp:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(struct.pack(">H", len(data)) + data)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(65535)
            if not chunk:
                break
            buf += chunk
        ans = buf[2:]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(data, ("127.0.0.1", port))
        ans, _ = s.recvfrom(65535)
    rcode = ans[3] & 0x0f
    signed, ede, ks = "unsigned", "-", "-"
    for (_s, t, ro, rl) in records(ans):
        if t == 24:
            signed = "signed"
        if t == 41:
            o = ro
            while o < ro + rl:
                code, ln = struct.unpack(">HH", ans[o:o + 4])
                d = ans[o + 4:o + 4 + ln]
                if code == 15:
                    ede = str(struct.unpack(">H", d[:2])[0])
                    if len(d) > 2:   # EXTRA-TEXT, for tests that check the reason
                        sys.stderr.write("ede-text: %s\n" % d[2:].decode("ascii", "replace"))
                elif code == KEYSTATE:
                    ks = "%d:%d" % (struct.unpack(">H", d[:2])[0], d[2])
                o += 4 + ln
    print(RCODES.get(rcode, str(rcode)), signed, "ede=" + ede, "ks=" + ks)


def main():
    a = sys.argv[1:]
    if a[0] == "update":
        sys.stdout.buffer.write(update(a[1], a[2:]))
    elif a[0] == "keystate":
        sys.stdout.buffer.write(keystate(a[1], int(a[2])))
    elif a[0] == "oldtime":
        with open(a[1], "rb") as f:
            sys.stdout.buffer.write(oldtime(f.read()))
    elif a[0] == "send":
        with open(a[2], "rb") as f:
            send(int(a[1]), f.read(), len(a) > 3 and a[3] == "tcp")
    else:
        raise SystemExit("usage")


main()
