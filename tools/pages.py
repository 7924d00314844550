#!/usr/bin/env python3
"""pages.py N OUT: a plain PDF of N pages; pages.py --append-info IN OUT: appends a harmless
revision (a new /Info) to a signed PDF."""
import re, sys

def build(n, out):
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs[2] = f"<< /Type /Pages /Count {n} /Kids [{kids}] >>".encode()
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    for i in range(n):
        page, content = 4 + 2 * i, 5 + 2 * i
        objs[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                      f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>").encode()
        text = f"BT /F1 12 Tf 72 770 Td (Trang {i + 1}) Tj ET".encode()
        objs[content] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    data = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(data)
        data += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        data += b"%010d 00000 n \n" % offsets[num]
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    open(out, "wb").write(data)

def append_info(src, out):
    data = open(src, "rb").read()
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    size = max(int(m) for m in re.findall(rb"/Size\s+(\d+)", data))
    root = re.findall(rb"/Root\s+(\d+\s+\d+\s+R)", data)[-1]
    body = bytearray(data)
    if not body.endswith(b"\n"):
        body += b"\n"
    off = len(body)
    body += b"%d 0 obj\n<< /Producer (a harmless later revision) >>\nendobj\n" % size
    xref = len(body)
    body += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, off)
    body += (b"trailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
             % (size + 1, root, size, prev, xref))
    open(out, "wb").write(body)

if sys.argv[1] == "--append-info":
    append_info(sys.argv[2], sys.argv[3])
else:
    build(int(sys.argv[1]), sys.argv[2])
