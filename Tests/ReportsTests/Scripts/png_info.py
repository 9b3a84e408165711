#!/usr/bin/env python3
"""Prints a PNG's width, height and the number of distinct colours in its first ROWS rows.

Usage: png_info.py FILE [ROWS]   (ROWS default 300; 0 = no colour count). Standard library only.
"""
import struct
import sys
import zlib


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        print("not a PNG", file=sys.stderr)
        return 1
    i, idat = 8, b""
    width = height = colour_type = depth = 0
    while i < len(d):
        n = struct.unpack(">I", d[i:i + 4])[0]
        kind, chunk = d[i + 4:i + 8], d[i + 8:i + 8 + n]
        i += 12 + n
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
    colours = 0
    if limit and depth == 8 and colour_type in (2, 6):
        bpp = 3 if colour_type == 2 else 4
        raw = zlib.decompressobj().decompress(idat, (1 + width * bpp) * min(limit, height))
        stride = width * bpp
        prev = bytearray(stride)
        seen = set()
        pos = 0
        for _ in range(min(limit, height)):
            f = raw[pos]
            line = bytearray(raw[pos + 1:pos + 1 + stride])
            pos += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                if f == 1:
                    line[x] = (line[x] + a) & 255
                elif f == 2:
                    line[x] = (line[x] + b) & 255
                elif f == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    c = prev[x - bpp] if x >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, bpp):
                seen.add(bytes(line[x:x + 3]))
            prev = line
        colours = len(seen)
    print(width, height, colours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
