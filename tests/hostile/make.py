#!/usr/bin/env python3
"""Writes the hostile regression files of tests/hostile/ (run from anywhere; deterministic).

Each is small and built to break one mechanism of a PDF reader or verifier; EXPECTED.toml says
what each must get. Files found by fuzzing are added beside these by hand, not by this script.
"""
import os, zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def assemble(objects, trailer_extra=b"", xref=True, prev=None):
    """Objects: list of (num, bytes between 'obj' and 'endobj'); a classic xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num, body in objects:
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    size = max(offsets) + 1
    at = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for n in range(1, size):
            out += (b"%010d 00000 n \n" % offsets[n]) if n in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R " % size + trailer_extra
    if prev is not None:
        out += b"/Prev %d " % (at if prev == "self" else prev)
    out += b">>\nstartxref\n%d\n%%%%EOF\n" % at
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"


def signed_looking(contents, byte_range=None):
    """A signature field whose /V has `contents`; its /ByteRange covers everything but the
    /Contents string exactly (as a genuine one does) unless `byte_range` is given."""
    placeholder = b"[0000000000 0000000000 0000000000 0000000000]"
    field = (b"<< /FT /Sig /T (Sig1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 5 0 R >>")
    sig = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange "
           + (byte_range or placeholder) + b" /Contents " + contents + b" >>")
    data = assemble([(1, CATALOG), (2, PAGES), (3, PAGE), (4, field), (5, sig)])
    if byte_range is None:
        start = data.index(b"/Contents ") + len(b"/Contents ")
        end = start + len(contents)
        real = b"[%010d %010d %010d %010d]" % (0, start, end, len(data) - end)
        data = data.replace(placeholder, real)
    return data


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# /Contents shorter than its DER length header claims, and an odd number of hex digits.
write("short-contents.pdf", signed_looking(b"<3050>"))
write("odd-hex-contents.pdf", signed_looking(b"<305>"))
write("long-form-length-contents.pdf", signed_looking(b"<3084ffffffff00>"))
# A /ByteRange that runs past the end of the file, and one with negative numbers.
write("byte-range-past-end.pdf", signed_looking(b"<3000>", b"[0 10 999999999 10]"))
write("contents-not-der.pdf", signed_looking(b"<" + b"41" * 64 + b">"))
write("contents-empty.pdf", signed_looking(b"<>"))
write("byte-range-negative.pdf", signed_looking(b"<3000>", b"[0 -10 20 -5]"))

# An object stream whose /Length is an object stored inside that same stream.
def xref_stream_file(objects, in_stream, root=1, extra=b""):
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for num, body in objects:
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    highest = max([n for n, _ in objects] + [n for n, _, _ in in_stream])
    xnum = highest + 1
    at = len(out)
    offsets[xnum] = at
    rows = bytearray()
    for n in range(xnum + 1):
        if n in offsets:
            rows += bytes([1]) + offsets[n].to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            hit = [s for s in in_stream if s[0] == n]
            if hit:
                rows += bytes([2]) + hit[0][1].to_bytes(4, "big") + hit[0][2].to_bytes(2, "big")
            else:
                rows += bytes([0]) + bytes(6)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Length %d " % (xnum, xnum + 1, root, len(rows))
            + extra + b">>\nstream\n" + bytes(rows) + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at)
    return bytes(out)


def objstm(objs, extra=b"", transform=lambda d: d):
    header = b""
    body = b""
    for num, text in objs:
        header += b"%d %d " % (num, len(body))
        body += text + b" "
    data = transform(header + body)
    return (b"<< /Type /ObjStm /N %d /First %d " % (len(objs), len(header)) + extra
            + b" >>\nstream\n" + data + b"\nendstream")


write("objstm-length-inside-itself.pdf", xref_stream_file(
    [(2, PAGES), (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"),
     (4, objstm([(1, b"<< /Type /Catalog /Pages 2 0 R >>"), (5, b"99")], b"/Length 5 0 R"))],
    [(1, 4, 0), (5, 4, 1)]))
write("objstm-inside-itself.pdf", xref_stream_file(
    [(2, PAGES), (3, b"<< /Type /Page /Parent 2 0 R >>")], [(1, 4, 0), (4, 4, 1)]))

# A Flate bomb: an object stream of about 400 KB that inflates to 384 MiB.
def bomb(data):
    c = zlib.compressobj(9)
    out = c.compress(data)
    chunk = b" " * (1 << 20)
    for _ in range(384):
        out += c.compress(chunk)
    return out + c.flush()


write("flate-bomb.pdf", xref_stream_file(
    [(2, PAGES), (3, b"<< /Type /Page /Parent 2 0 R >>"),
     (4, objstm([(1, b"<< /Type /Catalog /Pages 2 0 R >>")], b"/Filter /FlateDecode", bomb))],
    [(1, 4, 0)]))

# Nesting 100,000 arrays deep in the catalog.
write("deep-nesting.pdf", assemble([(1, b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 100000 + b"]" * 100000 + b" >>"),
                                    (2, PAGES), (3, PAGE)]))
# A /Prev chain that points at itself.
write("xref-prev-loop.pdf", assemble([(1, b"<< /Type /Catalog /Pages 2 0 R >>"), (2, PAGES), (3, PAGE)], prev="self"))
# An xref stream whose rows have no bytes and whose /Index asks for billions of them.
write("xref-empty-rows.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /XRef /Size 9 /W [0 0 0] /Index [0 4000000000 0 4000000000] /Root 1 0 R /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
# A page tree whose kid is its own parent.
write("page-tree-cycle.pdf", assemble([(1, b"<< /Type /Catalog /Pages 2 0 R >>"),
                                       (2, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>")]))
# A stream whose /Length lies (far beyond the file) and a truncated file.
write("lying-length.pdf", assemble([(1, b"<< /Type /Catalog /Pages 2 0 R >>"), (2, PAGES), (3, PAGE),
                                    (4, b"<< /Length 999999999 >>\nstream\nq Q\nendstream")]))
full = assemble([(1, CATALOG), (2, PAGES), (3, PAGE)])
write("truncated.pdf", full[: len(full) // 2])
# Not a PDF at all, and an empty file.
write("not-a-pdf.pdf", b"GIF89a this is not a PDF\n")
write("empty.pdf", b"")
print("wrote", len([f for f in os.listdir(HERE) if f.endswith(".pdf")]), "files")
