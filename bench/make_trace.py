#!/usr/bin/python3
"""Makes a large trace for the Zeek-cost benchmark from small public ones.

    bench/make_trace.py --out big.pcap --repeat 100 TRACE.pcap [TRACE.pcap ...]

Writes the given traces one after the other, `--repeat` times, each copy
shifted in time (it starts `--gap-s` after the previous copy's last packet)
and in its IPv4/IPv6 addresses (copy k adds k to the second byte of every
IPv4 address and to the fifth byte of every IPv6 address, and the IPv4
header checksum is recomputed), so that every copy is new traffic to Zeek:
new connections, new hosts, no overlap in time. TCP/UDP checksums are left
as they are: run Zeek with -C. Classic pcap (microseconds), Ethernet only,
VLAN tags understood. Generated at run time; nothing it writes is committed.
Standard library only.
"""

import argparse
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a classic microsecond pcap")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, only Ethernet (1) is handled")
    packets, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        packets.append((sec * 1_000_000 + usec, orig, data[off:off + incl]))
        off += incl
    # Some public traces are not in time order; Zeek reads them in file order,
    # so the copy's span is from its smallest to its largest time.
    return packets


def ipv4_checksum(header):
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) + header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def shift_addresses(frame, k):
    """The frame with copy k's addresses (a new bytearray)."""
    b = bytearray(frame)
    off = 12
    ethertype = struct.unpack(">H", b[off:off + 2])[0]
    while ethertype in (0x8100, 0x88A8) and len(b) >= off + 6:
        off += 4
        ethertype = struct.unpack(">H", b[off:off + 2])[0]
    ip = off + 2
    if ethertype == 0x0800 and len(b) >= ip + 20:
        ihl = (b[ip] & 0x0F) * 4
        for a in (ip + 12, ip + 16):
            b[a + 1] = (b[a + 1] + k) % 256
        b[ip + 10:ip + 12] = b"\0\0"
        b[ip + 10:ip + 12] = struct.pack(">H", ipv4_checksum(b[ip:ip + ihl]))
    elif ethertype == 0x86DD and len(b) >= ip + 40:
        for a in (ip + 8, ip + 24):
            b[a + 4] = (b[a + 4] + k) % 256
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--gap-s", type=float, default=1.0)
    ap.add_argument("traces", nargs="+")
    a = ap.parse_args()
    traces = [read_pcap(t) for t in a.traces]
    gap = int(a.gap_s * 1_000_000)
    written = 0
    with open(a.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        start = min(p[0] for p in traces[0])  # copy 0 keeps the first trace's times
        for k in range(a.repeat):
            for packets in traces:
                first = min(p[0] for p in packets)
                last = max(p[0] for p in packets)
                for ts, orig, frame in packets:
                    t = start + (ts - first)
                    frame = shift_addresses(frame, k) if k else frame
                    out.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), orig))
                    out.write(frame)
                    written += 1
                start += (last - first) + gap
    print(f"make_trace: {written} packets, {a.repeat} copies of {len(traces)} trace(s) -> {a.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
