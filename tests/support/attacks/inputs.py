"""The unsigned inputs of the attack corpus, written by hand (deterministic):

- form.pdf: a third-party form (a filled text field `ket_qua`, an empty one `ghi_chu`, the
  page's /Annots an indirect array), rewritten by qpdf so that the signed document comes from
  another producer than ours;
- shadow.pdf: the shadow-attack input (Mainka et al., NDSS 2021). What the attacker prepares
  before it is signed: a line hidden under a white Form XObject (`/Ov`), a line hidden under a
  white Square annotation, a digit drawn with a font whose /Encoding is its own object, and an
  unreferenced alternative page (content, page, page tree) waiting to be referenced. It is not
  given to qpdf, which would drop the unreferenced objects.
"""
import os
import subprocess

# The planted objects of shadow.pdf (their numbers stay through incremental signing).
SHADOW_OVERLAY = 8
SHADOW_ENCODING = 7
SHADOW_ANNOT = 9
SHADOW_ALT_CONTENT = 11
SHADOW_ALT_PAGE = 12
SHADOW_ALT_PAGES = 13


def assemble(objects):
    """Objects 1..n (bodies), a classic xref table, catalog 1."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + body + b"\nendobj\n"
    at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R /ID [<6b657471756131> <6b657471756131>] >>\n" % (
        len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % at
    return bytes(out)


def stream(dict_body, data):
    return b"<< " + dict_body + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
PAGE_BOX = b"/MediaBox [0 0 595 842]"


def form_pdf():
    content = (b"BT /F1 16 Tf 56 780 Td (Phieu ket qua) Tj ET\n"
               b"BT /F1 11 Tf 56 740 Td (Tinh trang an tich:) Tj ET\n"
               b"BT /F1 11 Tf 56 700 Td (Ghi chu:) Tj ET\n")
    value_ap = b"/Tx BMC q BT /Helv 11 Tf 0 g 2 6 Td (Khong co an tich) Tj ET Q EMC"
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 8 0 R] "
        b"/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R " + PAGE_BOX + b" /Contents 4 0 R /Annots 10 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(b"", content),
        HELVETICA,
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (ket_qua) /V (Khong co an tich) "
        b"/DA (/Helv 11 Tf 0 g) /Rect [170 735 500 755] /F 4 /P 3 0 R /AP << /N 7 0 R >> >>",
        stream(b"/Type /XObject /Subtype /Form /BBox [0 0 330 20] "
               b"/Resources << /Font << /Helv 5 0 R >> >>", value_ap),
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (ghi_chu) "
        b"/DA (/Helv 11 Tf 0 g) /Rect [170 695 500 715] /F 4 /P 3 0 R /AP << /N 9 0 R >> >>",
        stream(b"/Type /XObject /Subtype /Form /BBox [0 0 330 20]", b"/Tx BMC EMC"),
        b"[6 0 R 8 0 R]",
    ])


def shadow_pdf():
    content = (b"BT /F1 16 Tf 56 780 Td (Phieu ly lich tu phap) Tj ET\n"
               b"BT /F1 12 Tf 56 740 Td (Tinh trang an tich: Khong co an tich) Tj ET\n"
               # Hidden under the /Ov overlay until a later revision empties it.
               b"BT /F1 12 Tf 56 700 Td (An tich: 3 nam tu, chua xoa an tich) Tj ET\n"
               # The digit is drawn with /F2, whose /Encoding a later revision redefines.
               b"BT /F2 12 Tf 56 660 Td (So ban an: 0) Tj ET\n"
               # Hidden under the white Square annotation.
               b"BT /F1 12 Tf 56 620 Td (Dang bi truy na) Tj ET\n"
               b"q /Ov Do Q\n")
    alt = (b"BT /F1 16 Tf 56 780 Td (Phieu ly lich tu phap) Tj ET\n"
           b"BT /F1 12 Tf 56 740 Td (Tinh trang an tich: Co an tich, 3 nam tu) Tj ET\n")
    resources = b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> /XObject << /Ov 8 0 R >> >>"
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R " + PAGE_BOX + b" /Contents 4 0 R " + resources
        + b" /Annots [9 0 R] >>",
        stream(b"", content),
        HELVETICA,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding 7 0 R >>",
        b"<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [32 /space] >>",
        stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842]",
               b"1 g 50 690 500 30 re f"),
        b"<< /Type /Annot /Subtype /Square /Rect [50 610 550 640] /F 4 /C [1 1 1] "
        b"/IC [1 1 1] /Border [0 0 0] /AP << /N 10 0 R >> >>",
        stream(b"/Type /XObject /Subtype /Form /BBox [0 0 500 30]", b"1 g 0 0 500 30 re f"),
        stream(b"", alt),
        b"<< /Type /Page /Parent 13 0 R " + PAGE_BOX + b" /Contents 11 0 R " + resources + b" >>",
        b"<< /Type /Pages /Kids [12 0 R] /Count 1 >>",
    ])


def write_inputs(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    raw = os.path.join(out_dir, "form-raw.pdf")
    with open(raw, "wb") as f:
        f.write(form_pdf())
    # --static-id: qpdf's output is the same on every run.
    subprocess.run(["qpdf", "--static-id", raw, os.path.join(out_dir, "form.pdf")], check=True)
    with open(os.path.join(out_dir, "shadow.pdf"), "wb") as f:
        f.write(shadow_pdf())
