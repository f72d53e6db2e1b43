#!/usr/bin/env python3
"""Generate data/cjk.bin.z: CID->Unicode tables and predefined CMaps for the PDF parser.

Input: the Adobe predefined CMaps (BSD-3-Clause) as shipped in Debian's poppler-data
package under usr/share/poppler/cMap. Only those BSD-licensed CMap files are read; the
GPL cidToUnicode files of the same package are not used.

    apt-get download poppler-data && dpkg-deb -x poppler-data_*.deb pd
    python3 data/gen_cjk.py pd/usr/share/poppler/cMap data/cjk.bin.z

CID->Unicode per collection is derived by inverting the Uni*-UTF32-H CMaps (Unicode ->
CID); CIDs reached only through the vertical (-V) CMap are added afterwards, and where
several code points map to one CID the canonical one wins (a non-compatibility code
point, then the lowest). Byte-code CMaps (GBK-EUC-H, 90ms-RKSJ-H, B5pc-H, KSCms-UHC-H,
...) are stored as code->CID ranges with `usecmap` resolved. Unicode-coded CMaps
(Uni*-UCS2/UTF16/UTF8/UTF32) are not stored: their codes are Unicode already.

Binary layout (zlib-compressed), all integers little-endian:
  b"AIDOCCJK" u8 version=1
  u8 ncoll; per collection: u8 len, name, u32 n, then n varints (zigzag delta from the
      previous CID's value of (code point << 1 | primary), 0 = unmapped; primary marks
      the CID the horizontal Unicode CMap gives that code point)
  u16 ncmap; per cmap: u8 len, name, u8 coll, u8 wmode,
      u8 nspace; nspace x (u8 nbytes, u32 lo, u32 hi)
      u32 nrange; nrange x (u8 nbytes, u32 lo, u32 hi, u32 cid)
"""
import os
import re
import struct
import sys
import zlib

COLLS = {"GB1": "UniGB", "CNS1": "UniCNS", "Japan1": "UniJIS", "Korea1": "UniKS"}
TOKEN = re.compile(rb"<([0-9a-fA-F]+)>|(-?\d+)|/(\S+)|(begincodespacerange|endcodespacerange|begincidrange|endcidrange|begincidchar|endcidchar|usecmap)")


def parse_cmap(path):
    data = open(path, "rb").read()
    space, ranges, use, wmode = [], [], None, 0
    m = re.search(rb"/WMode\s+(\d)", data)
    if m:
        wmode = int(m.group(1))
    m = re.search(rb"/(\S+)\s+usecmap", data)
    if m:
        use = m.group(1).decode()
    for sect, body in re.findall(rb"begin(codespacerange|cidrange|cidchar)(.*?)end\1", data, re.S):
        toks = re.findall(rb"<([0-9a-fA-F]+)>|(\d+)", body)
        if sect == b"codespacerange":
            for i in range(0, len(toks) - 1, 2):
                lo, hi = toks[i][0], toks[i + 1][0]
                space.append((len(lo) // 2, int(lo, 16), int(hi, 16)))
        elif sect == b"cidrange":
            for i in range(0, len(toks) - 2, 3):
                lo, hi, cid = toks[i][0], toks[i + 1][0], toks[i + 2][1]
                ranges.append((len(lo) // 2, int(lo, 16), int(hi, 16), int(cid)))
        else:
            for i in range(0, len(toks) - 1, 2):
                c, cid = toks[i][0], toks[i + 1][1]
                ranges.append((len(c) // 2, int(c, 16), int(c, 16), int(cid)))
    return space, ranges, use, wmode


def utf16_first(hexstr):
    units = [int(hexstr[i:i + 4], 16) for i in range(0, len(hexstr), 4)]
    if len(units) >= 2 and 0xD800 <= units[0] < 0xDC00:
        return 0x10000 + ((units[0] - 0xD800) << 10) + (units[1] - 0xDC00)
    return units[0] if len(units) == 1 else 0


def parse_bf(path):
    data = open(path, "rb").read().decode("latin-1")
    for body in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", body):
            yield int(src, 16), utf16_first(dst)
    for body in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]+>|\[[^\]]*\])", body):
            lo, hi = int(lo, 16), int(hi, 16)
            if dst.startswith("<"):
                base = utf16_first(dst[1:-1])
                for i in range(hi - lo + 1):
                    yield lo + i, base + i if base else 0
            else:
                for i, d in enumerate(re.findall(r"<([0-9a-fA-F]+)>", dst)):
                    yield lo + i, utf16_first(d)


def is_compat(cp):
    return (0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F or 0x2E80 <= cp <= 0x2FDF
            or 0xFE30 <= cp <= 0xFE4F or 0xFF00 <= cp <= 0xFFEF or 0xE000 <= cp <= 0xF8FF)


def cid_to_unicode(root, coll, prefix):
    best = {}
    for suffix, weight in (("-UTF32-H", 0), ("-UTF32-V", 1)):
        path = os.path.join(root, "Adobe-" + coll, prefix + suffix)
        if not os.path.exists(path):
            continue
        _, ranges, _, _ = parse_cmap(path)
        for nbytes, lo, hi, cid in ranges:
            for code in range(lo, hi + 1):
                c = cid + code - lo
                # Vertical-only CIDs keep their horizontal code point (the same character).
                key = (weight, is_compat(code), code)
                if c not in best or key < best[c]:
                    best[c] = key
    # Fill CIDs no Unicode CMap reaches (proportional, rotated, variant glyphs) from
    # Adobe's CID->UCS2 CMap of the collection (also BSD-3-Clause, in the same folder).
    ucs2 = os.path.join(root, "Adobe-" + coll, "Adobe-" + coll + "-UCS2")
    if os.path.exists(ucs2):
        for cid, cp in parse_bf(ucs2):
            if cid not in best and cp and cp != 0xFFFD:
                best[cid] = (2, False, cp)
    n = max(best) + 1 if best else 0
    # Bit 0 marks the CID a horizontal Unicode CMap gives its code point (the one to
    # use when a Unicode-coded font needs the CID back, e.g. for widths).
    primary = set()
    path = os.path.join(root, "Adobe-" + coll, prefix + "-UTF32-H")
    if os.path.exists(path):
        for nbytes, lo, hi, cid in parse_cmap(path)[1]:
            for code in range(lo, hi + 1):
                primary.add(cid + code - lo)
    return [(best[c][2] << 1 | (c in primary)) if c in best else 0 for c in range(n)]


def varint(v, out):
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def resolve(root, coll, name, cache):
    if name in cache:
        return cache[name]
    space, ranges, use, wmode = parse_cmap(os.path.join(root, "Adobe-" + coll, name))
    table = {}
    if use:
        pspace, pranges, _ = resolve(root, coll, use, cache)
        space = space or pspace
        for r in pranges:
            for code in range(r[1], r[2] + 1):
                table[(r[0], code)] = r[3] + code - r[1]
    for nbytes, lo, hi, cid in ranges:
        for code in range(lo, hi + 1):
            table[(nbytes, code)] = cid + code - lo
    # back to ranges
    out = []
    for (nb, code) in sorted(table):
        cid = table[(nb, code)]
        if out and out[-1][0] == nb and out[-1][2] + 1 == code and out[-1][3] + (code - out[-1][1]) == cid:
            out[-1][2] = code
        else:
            out.append([nb, code, code, cid])
    cache[name] = (space, [tuple(r) for r in out], wmode)
    return cache[name]


def main():
    root, dest = sys.argv[1], sys.argv[2]
    buf = bytearray(b"AIDOCCJK\x01")
    buf.append(len(COLLS))
    for coll, prefix in COLLS.items():
        table = cid_to_unicode(root, coll, prefix)
        buf += bytes([len(coll)]) + coll.encode() + struct.pack("<I", len(table))
        prev = 0
        for cp in table:
            d = cp - prev
            varint((d << 1) ^ (d >> 63), buf)
            prev = cp
        print(coll, len(table), "cids", sum(1 for c in table if c), "mapped", file=sys.stderr)
    cmaps = []
    for ci, coll in enumerate(COLLS):
        cache = {}
        d = os.path.join(root, "Adobe-" + coll)
        for name in sorted(os.listdir(d)):
            if name.startswith(("Uni", "Adobe-", "UCS2-")) or "UCS2" in name:
                continue
            space, ranges, wmode = resolve(root, coll, name, cache)
            if ranges:
                cmaps.append((name, ci, wmode, space, ranges))
    buf += struct.pack("<H", len(cmaps))
    for name, ci, wmode, space, ranges in cmaps:
        buf += bytes([len(name)]) + name.encode() + bytes([ci, wmode, len(space)])
        for nb, lo, hi in space:
            buf += struct.pack("<BII", nb, lo, hi)
        buf += struct.pack("<I", len(ranges))
        for nb, lo, hi, cid in ranges:
            buf += struct.pack("<BIII", nb, lo, hi, cid)
    z = zlib.compress(bytes(buf), 9)
    open(dest, "wb").write(z)
    print(len(cmaps), "cmaps;", len(buf), "bytes raw,", len(z), "compressed", file=sys.stderr)


if __name__ == "__main__":
    main()
