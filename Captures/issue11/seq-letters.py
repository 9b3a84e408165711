#!/usr/bin/env python3
"""Expected Zeek history letters T, G, W per TCP connection of a capture, independently of Portolan.

    seq-letters.py CAPTURE... > seq-letters.expected.tsv

Reads each TCP segment with tshark (raw sequence and acknowledgement numbers, payload length,
flags, window, captured and wire length) and applies the rules of Zeek's TCP analyzer as its
documentation and source state them (conn.log `history`):

- T / t (retransmission): a segment with payload that adds no new sequence space beyond the highest
  the sender sent before (SYN and FIN count one; nothing counted after the sender's RST).
- W / w (zero window): a segment with window 0 and no RST, unless the peer has sent FIN or the
  sender has sent RST.
- G / g (content gap): an acknowledgement above the data seen of the peer's stream (a FIN-ack
  counts up to the FIN), each hole once, counted while both sides are past the handshake and not
  reset; data whose payload was not captured whole is not seen.
- each letter is recorded at the 1st, 10th, 100th, ... event: letters = number of those thresholds
  reached.

Also prints tshark's own analysis counts (tcp.analysis.retransmission, zero_window, lost_segment
and ack_lost_segment) for comparison: its rules differ in details (fast retransmissions, window
probes), so they are a sanity check, not the expectation.
"""
import subprocess, sys

FIELDS = ["frame.number", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.len", "tcp.flags", "tcp.window_size_value", "frame.cap_len", "frame.len",
          "tcp.analysis.retransmission", "tcp.analysis.zero_window", "tcp.analysis.lost_segment",
          "tcp.analysis.ack_lost_segment"]


def delta(a, b):
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d >= 1 << 31 else d


def letters(n):
    k, t = 0, 1
    while t <= n:
        k, t = k + 1, t * 10
    return k


def main():
    print("capture\tclient\tclient_port\tserver\tserver_port\tside\tretransmissions\tzero_windows\tgaps"
          "\tT\tW\tG\ttshark_retransmission\ttshark_zero_window\ttshark_lost_segment")
    for path in sys.argv[1:]:
        out = subprocess.run(["tshark", "-n", "-r", path, "-o", "tcp.relative_sequence_numbers:FALSE",
                              "-Y", "tcp", "-T", "fields", "-E", "separator=\t"]
                             + sum([["-e", f] for f in FIELDS], []),
                             check=True, capture_output=True, text=True).stdout
        conns = {}
        for line in out.splitlines():
            f = line.split("\t")
            src, sport, dst, dport = f[1], int(f[2]), f[3], int(f[4])
            seq, ack, length = int(f[5]), int(f[6]), int(f[7])
            flags, window, caplen, wirelen = int(f[8], 16), int(f[9]), int(f[10]), int(f[11])
            syn, fin, rst, ackf = flags & 2, flags & 1, flags & 4, flags & 0x10
            key = tuple(sorted([(src, sport), (dst, dport)]))
            c = conns.get(key)
            if c is None:
                # the client: the sender of a SYN, the receiver of a SYN-ACK
                client = (src, sport) if not (syn and ackf) else (dst, dport)
                c = conns[key] = {"client": client, "sides": {}}
            me, peer = (src, sport), (dst, dport)
            for e in (me, peer):
                c["sides"].setdefault(e, {"last": None, "contig": None, "hole": None, "fin": None,
                                          "rst": False, "synack": False, "T": 0, "W": 0, "G": 0,
                                          "tT": 0, "tW": 0, "tG": 0})
            s, p = c["sides"][me], c["sides"][peer]
            seglen = (0 if rst else length) + (1 if syn else 0) + (1 if fin else 0)
            end = (seq + seglen) & 0xFFFFFFFF
            if s["last"] is None or syn:
                s["last"] = end if syn else seq
                s["contig"] = (seq + 1) & 0xFFFFFFFF if syn else seq
                s["hole"] = None
            if syn:
                s["synack"] = True
            if fin:
                s["fin"] = end
            if window == 0 and not rst and p["fin"] is None and not s["rst"]:
                s["W"] += 1
            if not s["rst"]:
                if delta(end, s["last"]) > 0:
                    s["last"] = end
                elif length > 0:
                    s["T"] += 1
            if rst:
                s["rst"] = True
            if ackf and p["contig"] is not None:
                a = ack
                if p["fin"] is not None and delta(a, p["fin"]) >= 0:
                    a = (p["fin"] - 1) & 0xFFFFFFFF
                if delta(a, p["contig"]) > 0:
                    holes = 0
                    if p["hole"] is not None and delta(p["hole"], a) < 0:
                        holes += 1 if delta(p["hole"], p["contig"]) > 0 else 0
                        p["contig"] = p["last"] if delta(p["last"], p["hole"]) > 0 else p["hole"]
                        p["hole"] = None
                        if delta(a, p["contig"]) > 0:
                            holes += 1
                            p["contig"] = a
                    else:
                        holes, p["contig"] = 1, a
                    established = s["synack"] and p["synack"] and not s["rst"] and not p["rst"]
                    if established:
                        p["G"] += holes
            if length > 0 and caplen >= wirelen and not rst:
                start = (seq + 1) & 0xFFFFFFFF if syn else seq
                stop = (start + length) & 0xFFFFFFFF
                if delta(stop, s["contig"]) > 0:
                    if delta(start, s["contig"]) <= 0:
                        s["contig"] = stop
                        if s["hole"] is not None and delta(stop, s["hole"]) >= 0:
                            if delta(s["last"], stop) > 0:
                                s["contig"] = s["last"]
                            s["hole"] = None
                    elif s["hole"] is None or delta(start, s["hole"]) < 0:
                        s["hole"] = start
            s["tT"] += 1 if f[12] else 0
            s["tW"] += 1 if f[13] else 0
            # a lost segment is flagged on the segment after the hole, in the stream with the hole
            if f[14]:
                s["tG"] += 1
            if f[15]:
                p["tG"] += 1
        for key, c in conns.items():
            client = c["client"]
            server = key[0] if key[1] == client else key[1]
            for side, e in (("client", client), ("server", server)):
                s = c["sides"][e]
                print("\t".join(map(str, [path.rsplit("/", 1)[-1], client[0], client[1], server[0], server[1], side,
                                          s["T"], s["W"], s["G"], letters(s["T"]), letters(s["W"]), letters(s["G"]),
                                          s["tT"], s["tW"], s["tG"]])))


main()
