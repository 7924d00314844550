#!/usr/bin/env python3
"""The attack corpus of tests/attacks.rs: every variant of the issue's attack classes (USF, ISA,
SWA, shadow hide / replace / hide-and-replace, EAA / SSA on certified documents) and the
legitimate changes that must stay valid, applied to signed PDFs the service produced.

usage:
  make.py inputs DIR
      writes the unsigned inputs (inputs.py): DIR/form.pdf, DIR/shadow.pdf
  make.py corpus DIR TSA_URL PKI_DIR
      reads the signed bases in DIR (issued.pdf: a result of the dossier flow; form.pdf and
      shadow.pdf signed through SignDocument as form-signed.pdf and shadow-signed.pdf;
      shadow.pdf issued as a result through the dossier flow as shadow-issued.pdf), writes
      DIR/cases/<name>.pdf and DIR/cases.json: [{name, class, base, what, expect, file}].
      The legitimate cases are signed by pyHanko (a PKCS#12 made from stp-appraiser's
      development credential) with timestamps from the service's TSA_URL.

The attacks are deterministic: the same bases give the same files (pyHanko's legitimate
signatures carry their own time and ECDSA randomness).
"""
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pyhanko.pdf_utils import generic as g  # noqa: E402

import inputs  # noqa: E402
from pdfraw import (Update, copy, field, first_page_ref, last_startxref, name, object_offsets,  # noqa: E402
                    ref, ser, signature_fields, stream)

FORGED = b"BT /Helvetica 28 Tf 1 0 0 rg 56 560 Td (CO AN TICH - 3 NAM TU) Tj ET"


def font_resources():
    f = g.DictionaryObject({name("Type"): name("Font"), name("Subtype"): name("Type1"),
                            name("BaseFont"): name("Helvetica")})
    return g.DictionaryObject({name("Font"): g.DictionaryObject({name("Helvetica"): f})})


def forged_xobject(bbox=(0, 0, 595, 842)):
    return stream(FORGED, Type=name("XObject"), Subtype=name("Form"),
                  BBox=g.ArrayObject([g.NumberObject(v) for v in bbox]),
                  Resources=font_resources())


def contents_list(page):
    c = page.raw_get("/Contents")
    if isinstance(c, g.IndirectObject) and isinstance(c.get_object(), g.ArrayObject):
        c = c.get_object()
    return list(c) if isinstance(c, g.ArrayObject) else [c]


def with_forged_text(u, page_ref=None, page=None):
    """The page redefined with one more content stream that draws the forged line."""
    page_ref = page_ref or first_page_ref(u.r)
    page = page or copy(page_ref.get_object())
    text = u.new(stream(b"q " + FORGED + b" Q"))
    resources = copy(page["/Resources"]) if "/Resources" in page else g.DictionaryObject()
    fonts = copy(resources["/Font"]) if "/Font" in resources else g.DictionaryObject()
    fonts[name("Helvetica")] = font_resources()["/Font"]["/Helvetica"]
    resources[name("Font")] = fonts
    page[name("Resources")] = resources
    page[name("Contents")] = g.ArrayObject(contents_list(page) + [ref(text)])
    u.put(page_ref.idnum, page)
    return page_ref


def text_stream_ref(u):
    """The page's content stream that draws the document's text (the one with the most Tj)."""
    page = first_page_ref(u.r).get_object()
    refs = [c for c in contents_list(page) if isinstance(c, g.IndirectObject)]
    return max(refs, key=lambda c: c.get_object().data.count(b"Tj"))


def replaced_text(data):
    for old, new in [(b"Khong co an tich", b"Co an tich (3 nam)"),
                     (b"Khong co", b"Co"), (b"Tj", b"Tj 1 0 0 rg (CO AN TICH) Tj")]:
        if old in data:
            return data.replace(old, new, 1)
    return data + b"\n" + FORGED


def first_sig(u):
    return signature_fields(u.r)[0]


def last_sig(u):
    return signature_fields(u.r)[-1]


def add_annotation(u, annot):
    """Adds an annotation to the first page: through the page, or through the /Annots array
    object when the page holds it by reference (then the page itself is untouched)."""
    page_ref = first_page_ref(u.r)
    page = page_ref.get_object()
    annot[name("P")] = page_ref
    a = u.new(annot)
    raw = page.raw_get("/Annots") if "/Annots" in page else g.ArrayObject()
    if isinstance(raw, g.IndirectObject):
        u.put(raw.idnum, g.ArrayObject(list(raw.get_object()) + [ref(a)]))
    else:
        p = copy(page)
        p[name("Annots")] = g.ArrayObject(list(raw) + [ref(a)])
        u.put(page_ref.idnum, p)
    return a


def rect(*v):
    return g.ArrayObject([g.NumberObject(x) for x in v])


# --- USF: signature dictionaries that lie ----------------------------------------------------

def usf(mutate, sig=first_sig, forge=True):
    def attack(data):
        u = Update(data)
        _, _, s = sig(u)
        d = copy(u.get(s.idnum))
        mutate(d)
        u.put(s.idnum, d)
        if forge:
            with_forged_text(u)
        return u.finish()
    return attack


def drop(key):
    return lambda d: d.pop(name(key), None)


def set_to(key, value):
    def m(d):
        d[name(key)] = value
    return m


def usf_cert_null(d):
    d[name("SubFilter")] = name("adbe.x509.rsa_sha1")
    d[name("Cert")] = g.NullObject()


def usf_field_elsewhere(data):
    """The field's /V points at a new copy of its signature dictionary (same /ByteRange and
    /Contents), and the page says something else."""
    u = Update(data)
    fr, fd, s = first_sig(u)
    dup = u.new(copy(u.get(s.idnum)))
    f = copy(fd)
    f[name("V")] = ref(dup)
    u.put(fr.idnum, f)
    with_forged_text(u)
    return u.finish()


def usf_field_removed(data):
    """The certification's field is taken out of the form; the page changes."""
    u = Update(data)
    fr, _, _ = first_sig(u)
    form_raw = u.r.root.raw_get("/AcroForm")
    form = copy(form_raw.get_object())
    form[name("Fields")] = g.ArrayObject([f for f in form["/Fields"] if f.idnum != fr.idnum])
    if isinstance(form_raw, g.IndirectObject):
        u.put(form_raw.idnum, form)
    else:
        root = copy(u.r.root)
        root[name("AcroForm")] = form
        root.pop(name("Perms"), None)
        u.put(u.r.root_ref.idnum, root)
    with_forged_text(u)
    return u.finish()


# --- ISA: incremental saving ------------------------------------------------------------------

def isa_page_content(data):
    u = Update(data)
    with_forged_text(u)
    return u.finish()


def isa_stream_redefined(data, skip_xref=False):
    """The text's content stream redefined under its own number: "Khong co an tich" becomes
    "Co an tich (3 nam)"; the page dictionary is untouched."""
    u = Update(data)
    c = text_stream_ref(u)
    u.put(c.idnum, stream(replaced_text(c.get_object().data)))
    return u.finish(skip_xref=skip_xref)


def isa_rewritten_last_xref(data):
    """No new revision: the last xref section (the unsigned DSS revision's) is rewritten to
    list a redefined content stream too, the file truncated at that section first."""
    at = last_startxref(data)
    m = re.match(rb"xref\s+(.*?)trailer\s*(<<.*>>)\s*startxref", data[at:], re.S)
    entries, n, lines = {}, None, m.group(1).split(b"\n")
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            n = int(parts[0])
        elif len(parts) == 3:
            if parts[2] == b"n":
                entries[n] = int(parts[0])
            n += 1
    u = Update(data)
    c = text_stream_ref(u)
    body = b"%d 0 obj\n" % c.idnum + ser(stream(replaced_text(c.get_object().data))) + b"\nendobj\n"
    out = bytearray(data[:at]) + body
    entries[c.idnum] = at
    x = len(out)
    out += b"xref\n"
    for num in sorted(entries):
        out += b"%d 1\n%010d 00000 n \n" % (num, entries[num])
    out += b"trailer\n" + m.group(2) + b"\nstartxref\n%d\n%%%%EOF\n" % x
    return bytes(out)


def isa_trailer_root(data):
    """Only new objects: a new catalog (a copy, with its own page tree and a page that says
    something else) and the trailer's /Root pointing at it. No object of a signed revision
    changes; only what the trailer points at."""
    u = Update(data)
    page_ref = first_page_ref(u.r)
    pages = u.alloc()
    page = copy(page_ref.get_object())
    page[name("Parent")] = ref(pages)
    new_page = u.alloc()
    with_forged_text(u, page_ref=g.IndirectObject(new_page, 0, None), page=page)
    u.put(pages, g.DictionaryObject({name("Type"): name("Pages"), name("Count"): g.NumberObject(1),
                                     name("Kids"): g.ArrayObject([ref(new_page)])}))
    root = copy(u.r.root)
    root[name("Pages")] = ref(pages)
    return u.finish(root=u.new(root))


def first_xref_offset(data):
    return int(re.search(rb"startxref\s+(\d+)", data).group(1))


def isa_prev_skips(data):
    """A revision whose /Prev points at the unsigned input's xref: the signature revisions are
    no longer in the chain a reader follows."""
    u = Update(data)
    with_forged_text(u)
    return u.finish(prev=first_xref_offset(data))


def isa_same_number(listed):
    """The page defined twice in one revision: an identical copy and a forged one; the xref
    lists the `listed` one ("first": the copy, so only a reader that scans the bytes shows
    the forgery; "last": the forgery)."""
    def attack(data):
        u = Update(data)
        page_ref = first_page_ref(u.r)
        u.put(page_ref.idnum, copy(page_ref.get_object()))
        with_forged_text(u)
        return u.finish(xref_for=lambda num, offs: offs[0] if listed == "first" else offs[-1])
    return attack


# --- SWA: signature wrapping ------------------------------------------------------------------

def byte_range(u, s):
    return [int(v) for v in u.get(s.idnum)["/ByteRange"]]


def swa_relocated(data):
    """Mladenov et al.'s wrapping: the last signature's second signed range moved behind a
    forged object placed in the gap after /Contents, and its dictionary redefined with
    /ByteRange [0 b c' d]; the signed bytes are unchanged, so the digest still matches.
    Revisions after the signed one (the DSS) are dropped."""
    _, _, s = last_sig(Update(data))
    a, b, c, d = byte_range(Update(data), s)
    signed = data[:c + d]
    u = Update(signed)
    forged = u.alloc()
    planted = b"\n%d 0 obj\n" % forged + ser(stream(b"q " + FORGED + b" Q")) + b"\nendobj\n"
    shift = len(planted)
    # The objects after the gap keep their bodies; their xref entries move with them.
    moved = {num: off + shift for num, off in object_offsets(signed, c, c + d)}
    moved[forged] = c + 1
    sig = copy(u.get(s.idnum))
    sig[name("ByteRange")] = rect(0, b, c + shift, d)
    u.put(s.idnum, sig)
    page_ref = first_page_ref(u.r)
    page = copy(page_ref.get_object())
    resources = copy(page["/Resources"])
    fonts = copy(resources["/Font"]) if "/Font" in resources else g.DictionaryObject()
    fonts[name("Helvetica")] = font_resources()["/Font"]["/Helvetica"]
    resources[name("Font")] = fonts
    page[name("Resources")] = resources
    page[name("Contents")] = g.ArrayObject(contents_list(page) + [ref(forged)])
    u.put(page_ref.idnum, page)
    u.data = signed[:c] + planted + signed[c:]
    return u.finish(prev=last_startxref(signed) + shift, extra=moved)


def gap_smuggle(payload):
    """Keys smuggled into the unsigned gap of the last signature, in place: the gap becomes
    `<DER hex>` + payload + `<0…0>`, the same length; the signed bytes are untouched."""
    def attack(data):
        u = Update(data)
        _, _, s = last_sig(u)
        a, b, c, d = byte_range(u, s)
        hexed = data[b + 1:c - 1].rstrip(b"0")
        if len(hexed) % 2:
            hexed += b"0"
        filler = (c - b) - len(hexed) - 2 - len(payload) - 2
        assert filler > 2, "no room in the gap"
        gap = b"<" + hexed + b">" + payload + b"<" + b"0" * filler + b">"
        assert len(gap) == c - b
        return data[:b] + gap + data[c:]
    return attack


def swa_shared_dict(data):
    """A second signature field whose /V is the certification's own dictionary (two fields,
    one signature), and the page says something else."""
    u = Update(data)
    _, _, s = first_sig(u)
    widget = g.DictionaryObject({
        name("Type"): name("Annot"), name("Subtype"): name("Widget"), name("FT"): name("Sig"),
        name("T"): g.TextStringObject("Ban sao"), name("V"): ref(s.idnum),
        name("Rect"): rect(0, 0, 0, 0), name("F"): g.NumberObject(132)})
    return add_signature_field(u, widget, forge=True)


def swa_copied_later(data):
    """A new field whose signature dictionary is a copy of the last signature's (same
    /ByteRange, same /Contents): a "later" signature whose ranges are exactly an earlier one's,
    and the page says something else."""
    u = Update(data)
    _, _, s = last_sig(u)
    dup = u.new(copy(u.get(s.idnum)))
    widget = g.DictionaryObject({
        name("Type"): name("Annot"), name("Subtype"): name("Widget"), name("FT"): name("Sig"),
        name("T"): g.TextStringObject("Chu ky sau"), name("V"): ref(dup),
        name("Rect"): rect(0, 0, 0, 0), name("F"): g.NumberObject(132)})
    return add_signature_field(u, widget, forge=True)


def add_signature_field(u, widget, forge=False):
    """A new field in /Fields and on the page (/Annots), optionally with the forged line."""
    page_ref = first_page_ref(u.r)
    widget[name("P")] = page_ref
    w = u.new(widget)
    form_raw = u.r.root.raw_get("/AcroForm")
    form = copy(form_raw.get_object())
    form[name("Fields")] = g.ArrayObject(list(form.raw_get("/Fields")) + [ref(w)])
    if isinstance(form_raw, g.IndirectObject):
        u.put(form_raw.idnum, form)
    else:
        root = copy(u.r.root)
        root[name("AcroForm")] = form
        u.put(u.r.root_ref.idnum, root)
    page = copy(page_ref.get_object())
    raw = page.raw_get("/Annots") if "/Annots" in page else g.ArrayObject()
    if isinstance(raw, g.IndirectObject):
        u.put(raw.idnum, g.ArrayObject(list(raw.get_object()) + [ref(w)]))
        page = None
    else:
        page[name("Annots")] = g.ArrayObject(list(raw) + [ref(w)])
    if forge:
        with_forged_text(u, page_ref=page_ref, page=page)
    elif page is not None:
        u.put(page_ref.idnum, page)
    return u.finish()


# --- Shadow attacks (the planted objects of inputs.shadow_pdf) ------------------------------

def shadow_hide_overlay(data):
    """Hide: the white overlay Form XObject the signer saw is redefined empty."""
    u = Update(data)
    u.put(inputs.SHADOW_OVERLAY, stream(b"", Type=name("XObject"), Subtype=name("Form"),
                                        BBox=rect(0, 0, 595, 842)))
    return u.finish()


def shadow_hide_annotation(data):
    """Hide: the white Square annotation is taken off the page."""
    u = Update(data)
    page_ref = first_page_ref(u.r)
    page = copy(page_ref.get_object())
    page[name("Annots")] = g.ArrayObject(
        [a for a in page["/Annots"] if a.idnum != inputs.SHADOW_ANNOT])
    u.put(page_ref.idnum, page)
    return u.finish()


def shadow_replace_font(data):
    """Replace: the digit's font /Encoding redefined, so the signed "0" shows as "7"."""
    u = Update(data)
    u.put(inputs.SHADOW_ENCODING, g.DictionaryObject({
        name("Type"): name("Encoding"), name("BaseEncoding"): name("WinAnsiEncoding"),
        name("Differences"): g.ArrayObject([g.NumberObject(48), name("seven")])}))
    return u.finish()


def shadow_contents_to_planted(data):
    """Hide-and-replace: the page's /Contents now names the planted stream."""
    u = Update(data)
    page_ref = first_page_ref(u.r)
    page = copy(page_ref.get_object())
    page[name("Contents")] = ref(inputs.SHADOW_ALT_CONTENT)
    u.put(page_ref.idnum, page)
    return u.finish()


def shadow_pages_to_planted(data):
    """Hide-and-replace: the catalog's /Pages now names the planted page tree."""
    u = Update(data)
    root = copy(u.r.root)
    root[name("Pages")] = ref(inputs.SHADOW_ALT_PAGES)
    u.put(u.r.root_ref.idnum, root)
    return u.finish()


def shadow_root_to_planted(data):
    """Hide-and-replace through the trailer: a new catalog (a copy, /Pages the planted tree)
    and /Root pointing at it. No object of a signed revision is redefined."""
    u = Update(data)
    root = copy(u.r.root)
    root[name("Pages")] = ref(inputs.SHADOW_ALT_PAGES)
    return u.finish(root=u.new(root))


def form_value_replaced(data):
    """Replace via the form: the value the signer certified ("Khong co an tich") changed,
    with its appearance."""
    u = Update(data)
    fr, fd = field(u.r, "ket_qua")
    return fill(u, fr, fd, "Co an tich (3 nam tu)")


def fill(u, fr, fd, text):
    f = copy(fd)
    f[name("V")] = g.TextStringObject(text)
    ap = u.new(stream(b"/Tx BMC q BT /Helv 11 Tf 0 g 2 6 Td (" + text.encode() + b") Tj ET Q EMC",
                      Type=name("XObject"), Subtype=name("Form"), BBox=rect(0, 0, 330, 20),
                      Resources=font_resources_helv()))
    f[name("AP")] = g.DictionaryObject({name("N"): ref(ap)})
    u.put(fr.idnum, f)
    return u.finish()


def font_resources_helv():
    r = font_resources()
    r["/Font"] = g.DictionaryObject({name("Helv"): r["/Font"]["/Helvetica"]})
    return r


# --- Certification attacks (EAA, SSA) -------------------------------------------------------

def eaa_freetext(data):
    u = Update(data)
    add_annotation(u, g.DictionaryObject({
        name("Type"): name("Annot"), name("Subtype"): name("FreeText"),
        name("Rect"): rect(50, 540, 560, 600), name("F"): g.NumberObject(4),
        name("Contents"): g.TextStringObject("CO AN TICH - 3 NAM TU"),
        name("DA"): g.TextStringObject("/Helv 24 Tf 1 0 0 rg")}))
    return u.finish()


def eaa_stamp_appearance(data):
    """A Stamp annotation whose appearance paints white over the text and draws a forgery."""
    u = Update(data)
    ap = u.new(stream(b"1 g 0 0 595 842 re f " + FORGED, Type=name("XObject"),
                      Subtype=name("Form"), BBox=rect(0, 0, 595, 842), Resources=font_resources()))
    add_annotation(u, g.DictionaryObject({
        name("Type"): name("Annot"), name("Subtype"): name("Stamp"),
        name("Rect"): rect(0, 0, 595, 842), name("F"): g.NumberObject(4),
        name("AP"): g.DictionaryObject({name("N"): ref(ap)})}))
    return u.finish()


def ssa_empty_field(data):
    """Sneaky signature: a new, unsigned signature field whose widget's appearance covers the
    page with a forgery (new signature fields are what P=2 lets a later signer add)."""
    u = Update(data)
    ap = u.new(forged_xobject())
    widget = g.DictionaryObject({
        name("Type"): name("Annot"), name("Subtype"): name("Widget"), name("FT"): name("Sig"),
        name("T"): g.TextStringObject("Chu ky 3"), name("Rect"): rect(0, 0, 595, 842),
        name("F"): g.NumberObject(4), name("AP"): g.DictionaryObject({name("N"): ref(ap)})})
    return add_signature_field(u, widget)


def ssa_widget_appearance(data):
    """Sneaky signature: the certification's own widget gets a new appearance, the size of
    the page, that draws the forgery."""
    u = Update(data)
    fr, fd, _ = first_sig(u)
    ap = u.new(forged_xobject())
    f = copy(fd)
    f[name("Rect")] = rect(0, 0, 595, 842)
    f[name("AP")] = g.DictionaryObject({name("N"): ref(ap)})
    u.put(fr.idnum, f)
    return u.finish()


# --- Legitimate changes ---------------------------------------------------------------------

class Legit:
    def __init__(self, tsa_url, pki_dir, work):
        self.tsa_url, self.pki, self.work = tsa_url, pki_dir, work
        cred = os.path.join(pki_dir, "credentials", "stp-appraiser")
        key_pem = os.path.join(work, "appraiser-key.pem")
        self.p12 = os.path.join(work, "appraiser.p12")
        self.chain = os.path.join(pki_dir, "stp", "ca.pem")
        subprocess.run(["openssl", "pkey", "-inform", "DER", "-in", os.path.join(cred, "key.pk8"),
                        "-out", key_pem], check=True)
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", key_pem, "-in",
                        os.path.join(cred, "cert.pem"), "-certfile", self.chain,
                        "-passout", "pass:", "-out", self.p12], check=True)

    def countersign(self, data):
        """What the report did: `pyhanko sign addsig --field … --timestamp-url …/tsa pkcs12`,
        a new invisible signature field, P=2 permits it."""
        src = os.path.join(self.work, "countersign-in.pdf")
        out = os.path.join(self.work, "countersign-out.pdf")
        with open(src, "wb") as f:
            f.write(data)
        subprocess.run(["pyhanko", "sign", "addsig", "--field", "ThamDinh",
                        "--timestamp-url", self.tsa_url, "pkcs12", "--no-pass",
                        "--chain", self.chain, src, out, self.p12],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out, "rb") as f:
            return f.read()

    def context(self):
        from asn1crypto import crl as asn1_crl, pem, x509
        from pyhanko_certvalidator import ValidationContext

        def load(path):
            with open(path, "rb") as f:
                raw = f.read()
            return pem.unarmor(raw)[2] if pem.detect(raw) else raw
        root = x509.Certificate.load(load(os.path.join(self.pki, "root.pem")))
        crls = [asn1_crl.CertificateList.load(load(os.path.join(self.pki, p)))
                for p in ("root.crl", "stp/ca.crl")]
        return ValidationContext(trust_roots=[root], crls=crls, allow_fetching=False,
                                 revocation_mode="soft-fail"), crls

    def document_timestamp(self, data):
        """pyHanko's own document timestamp (and the DSS it writes for it), from our TSA."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers, timestamps
        vc, _ = self.context()
        out = io.BytesIO()
        w = IncrementalPdfFileWriter(io.BytesIO(data))
        signers.PdfTimeStamper(timestamps.HTTPTimeStamper(self.tsa_url)).timestamp_pdf(
            w, "sha256", validation_context=vc, output=out)
        return out.getvalue()

    def dss_update(self, data):
        """A DSS revision written by pyHanko: the certification's certificates and our CRLs."""
        from asn1crypto import cms
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation.dss import DocumentSecurityStore
        _, crls = self.context()
        sig = PdfFileReader(io.BytesIO(data), strict=False).embedded_regular_signatures[0]
        raw = sig.sig_object["/Contents"]
        certs = list(cms.ContentInfo.load(bytes(raw))["content"]["certificates"])
        out = io.BytesIO(data)
        out.seek(0)
        DocumentSecurityStore.add_dss(out, bytes(raw), certs=[c.chosen for c in certs],
                                      crls=crls, force_write=True)
        return out.getvalue()

    def fill_empty(self, data):
        """Form filling P=2 allows: the field `ghi_chu`, empty when certified, gets a value."""
        u = Update(data)
        fr, fd = field(u.r, "ghi_chu")
        return fill(u, fr, fd, "Da doi chieu ban chinh")


# --- The corpus ---------------------------------------------------------------------------

ATTACKS = [
    # (name, class, bases, what, function)
    ("usf-contents-missing", "USF", ["issued", "form"], "/Contents removed from the certification's dictionary, page forged", usf(drop("Contents"))),
    ("usf-contents-empty", "USF", ["issued"], "/Contents <> in the certification's dictionary, page forged", usf(set_to("Contents", g.ByteStringObject(b"")))),
    ("usf-contents-null", "USF", ["issued"], "/Contents null, page forged", usf(set_to("Contents", g.NullObject()))),
    ("usf-byterange-missing", "USF", ["issued", "form"], "/ByteRange removed, page forged", usf(drop("ByteRange"))),
    ("usf-byterange-malformed", "USF", ["issued"], "/ByteRange [0 0 0] (three numbers), page forged", usf(set_to("ByteRange", rect(0, 0, 0)))),
    ("usf-byterange-null", "USF", ["issued"], "/ByteRange null, page forged", usf(set_to("ByteRange", g.NullObject()))),
    ("usf-subfilter-missing", "USF", ["issued"], "/SubFilter removed, page forged", usf(drop("SubFilter"))),
    ("usf-subfilter-unknown", "USF", ["issued", "form"], "/SubFilter /x.forged, page forged", usf(set_to("SubFilter", name("x.forged")))),
    ("usf-filter-missing", "USF", ["issued"], "/Filter removed, page forged", usf(drop("Filter"))),
    ("usf-cert-null", "USF", ["issued"], "/SubFilter adbe.x509.rsa_sha1 with /Cert null, page forged", usf(usf_cert_null)),
    ("usf-field-elsewhere", "USF", ["issued", "form"], "the field's /V points at a new copy of its signature dictionary, page forged", usf_field_elsewhere),
    ("usf-field-removed", "USF", ["issued"], "the certification's field taken out of /Fields, page forged", usf_field_removed),
    ("usf-seal-contents-missing", "USF", ["issued"], "the seal's /Contents removed, page forged", usf(drop("Contents"), sig=last_sig)),
    ("isa-page-content", "ISA", ["issued", "form"], "a revision adds a content stream to the page", isa_page_content),
    ("isa-stream-redefined", "ISA", ["issued", "form"], "the text's content stream redefined under its own number", isa_stream_redefined),
    ("isa-no-xref", "ISA", ["issued", "form"], "the redefined content stream appended with no xref or trailer", lambda d: isa_stream_redefined(d, skip_xref=True)),
    ("isa-rewritten-last-xref", "ISA", ["issued", "form"], "the last (DSS) xref section rewritten to list a redefined content stream", isa_rewritten_last_xref),
    ("isa-trailer-root", "ISA", ["issued", "form"], "only new objects: a new catalog with its own forged page, the trailer's /Root at it", isa_trailer_root),
    ("isa-prev-skips", "ISA", ["issued"], "a forged revision whose /Prev skips the signature revisions", isa_prev_skips),
    ("isa-same-number-first", "ISA", ["issued"], "the page twice in one revision, the xref at the identical copy", isa_same_number("first")),
    ("isa-same-number-last", "ISA", ["issued"], "the page twice in one revision, the xref at the forged one", isa_same_number("last")),
    ("swa-relocated", "SWA", ["issued", "form"], "the last signature's second range moved behind forged objects in the gap, /ByteRange redefined", swa_relocated),
    ("swa-gap-keys", "SWA", ["issued", "form"], "/Name and /Reason smuggled into the unsigned gap after the CMS", gap_smuggle(b" /Name (Nguyen Van B) /Reason (Gia mao) /X ")),
    ("swa-gap-byterange", "SWA", ["issued"], "a second /ByteRange smuggled into the unsigned gap", gap_smuggle(b" /ByteRange [0 10 20 30] /X ")),
    ("swa-shared-dict", "SWA", ["issued"], "a second field whose /V is the certification's dictionary, page forged", swa_shared_dict),
    ("swa-copied-later", "SWA", ["issued", "form"], "a new field with a copy of the last signature (same ranges), page forged", swa_copied_later),
    ("shadow-hide-overlay", "shadow hide", ["shadow-signed", "shadow-issued"], "the white overlay XObject over a line redefined empty", shadow_hide_overlay),
    ("shadow-hide-annotation", "shadow hide", ["shadow-signed", "shadow-issued"], "the white Square annotation over a line taken off the page", shadow_hide_annotation),
    ("shadow-replace-font", "shadow replace", ["shadow-signed", "shadow-issued"], "the digit's font /Encoding redefined: 0 shows as 7", shadow_replace_font),
    ("shadow-replace-field", "shadow replace", ["form"], "the certified value of field ket_qua changed, with its appearance", form_value_replaced),
    ("shadow-hide-replace-contents", "shadow hide-and-replace", ["shadow-signed", "shadow-issued"], "the page's /Contents now names the planted stream", shadow_contents_to_planted),
    ("shadow-hide-replace-pages", "shadow hide-and-replace", ["shadow-signed", "shadow-issued"], "the catalog's /Pages now names the planted page tree", shadow_pages_to_planted),
    ("shadow-hide-replace-root", "shadow hide-and-replace", ["shadow-signed", "shadow-issued"], "a new catalog copy with the planted page tree, the trailer's /Root at it", shadow_root_to_planted),
    ("eaa-freetext", "EAA", ["issued", "form"], "a FreeText annotation with the forged words (form: through the /Annots array object)", eaa_freetext),
    ("eaa-stamp", "EAA", ["issued", "form"], "a Stamp annotation whose appearance whites out the page and draws a forgery", eaa_stamp_appearance),
    ("ssa-empty-field", "SSA", ["issued", "form"], "a new unsigned signature field whose appearance covers the page with a forgery", ssa_empty_field),
    ("ssa-widget-appearance", "SSA", ["issued", "form"], "the certification's widget gets a page-sized forged appearance", ssa_widget_appearance),
]


def corpus(work, tsa_url, pki_dir):
    cases_dir = os.path.join(work, "cases")
    os.makedirs(cases_dir, exist_ok=True)
    bases = {}
    for base in ("issued", "form-signed", "shadow-signed", "shadow-issued"):
        with open(os.path.join(work, base + ".pdf"), "rb") as f:
            bases[base if base != "form-signed" else "form"] = f.read()
    cases = []

    def emit(name_, klass, base, what, expect, data):
        path = os.path.join(cases_dir, name_ + ".pdf")
        with open(path, "wb") as f:
            f.write(data)
        cases.append({"name": name_, "class": klass, "base": base, "what": what,
                      "expect": expect, "file": path})

    for case, klass, on, what, attack in ATTACKS:
        for base in on:
            emit(f"{case}@{base}", klass, base, what, "NOT_VALID", attack(bases[base]))
    legit = Legit(tsa_url, pki_dir, work)
    for base in ("issued", "form", "shadow-signed", "shadow-issued"):
        emit(f"unchanged@{base}", "legitimate", base, "the signed document as it came", "VALID", bases[base])
    for base in ("issued", "form"):
        emit(f"countersign-pyhanko@{base}", "legitimate", base, "pyHanko countersigns in a new invisible field, timestamp from our /tsa", "VALID", legit.countersign(bases[base]))
        emit(f"doc-timestamp-pyhanko@{base}", "legitimate", base, "pyHanko adds a document timestamp (and its DSS) from our /tsa", "VALID", legit.document_timestamp(bases[base]))
    emit("dss-update-pyhanko@issued", "legitimate", "issued", "pyHanko writes a DSS revision (certificates, CRLs)", "VALID", legit.dss_update(bases["issued"]))
    emit("form-fill@form", "legitimate", "form", "the field ghi_chu, empty when certified, filled (value and appearance)", "VALID", legit.fill_empty(bases["form"]))
    emit("form-fill-countersign@form", "legitimate", "form", "the empty field filled, then a pyHanko countersignature", "VALID", legit.countersign(legit.fill_empty(bases["form"])))
    with open(os.path.join(work, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


def main():
    if sys.argv[1:2] == ["inputs"]:
        inputs.write_inputs(sys.argv[2])
    elif sys.argv[1:2] == ["corpus"]:
        corpus(*sys.argv[2:5])
    else:
        sys.exit(__doc__)


main()
