#!/usr/bin/env python3
# test/data/agentd-send.py -- for the agentd integration tests.
#   agentd-send.py hello ZONE [ID]   write an unsigned HELLO (wire) to stdout
#   agentd-send.py send PORT FILE    send FILE over UDP to 127.0.0.1#PORT,
#                                    print the answer's RCODE name and
#                                    whether it carries a SIG(0) ("signed")
#   agentd-send.py sendtcp PORT FILE the same over TCP (RFC 1035 4.2.2)
import socket
import struct
import sys

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 9: "NOTAUTH"}


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def hello(zone, ident):
    hdr = struct.pack(">HHHHHH", ident, 0x2400, 1, 0, 0, 1)
    q = name(zone) + struct.pack(">HH", 6, 1)
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 8) + struct.pack(">HH", 0xfdee, 4) + bytes([1, 1, 2, 0])
    return hdr + q + opt


def main():
    if sys.argv[1] == "hello":
        ident = int(sys.argv[3]) if len(sys.argv) > 3 else 0x1234
        sys.stdout.buffer.write(hello(sys.argv[2], ident))
        return 0
    port = int(sys.argv[2])
    data = open(sys.argv[3], "rb").read()
    try:
        if sys.argv[1] == "sendtcp":
            s = socket.create_connection(("127.0.0.1", port), timeout=3)
            s.sendall(struct.pack(">H", len(data)) + data)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    break
                buf += chunk
            resp = buf[2:]
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.sendto(data, ("127.0.0.1", port))
            resp, _ = s.recvfrom(65535)
    except socket.timeout:
        print("TIMEOUT")
        return 0
    if len(resp) < 12:
        print("SHORT")
        return 0
    rcode = resp[3] & 0x0f
    signed = b"\x00\x00\x18\x00\xff" in resp  # root owner, type SIG, class ANY
    print(RCODES.get(rcode, str(rcode)), "signed" if signed else "unsigned")
    return 0


sys.exit(main())
