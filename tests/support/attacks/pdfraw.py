"""Incremental updates written by hand, for the attack corpus (make.py).

pyHanko's reader parses the signed file and serialises the objects we copy or change; the
revision around them (objects, a classic xref table, the trailer) is written here, byte by
byte, so that an attack changes exactly what it says and nothing else (pyHanko's own
incremental writer would also touch /Info, /Version or the catalog, and an attack could then be
caught for the wrong reason). Deterministic: the same input gives the same bytes.
"""
import io
import re

from pyhanko.pdf_utils import generic as g
from pyhanko.pdf_utils.reader import PdfFileReader


def ser(obj):
    """A pyHanko object as PDF bytes."""
    if isinstance(obj, bytes):
        return obj
    out = io.BytesIO()
    obj.write_to_stream(out, None)
    return out.getvalue()


def name(n):
    return g.NameObject(n if n.startswith("/") else "/" + n)


def ref(num):
    return g.IndirectObject(num, 0, None)


def stream(data, **entries):
    s = g.StreamObject({name(k): v for k, v in entries.items()}, stream_data=data)
    return s


def reader(data):
    return PdfFileReader(io.BytesIO(data), strict=False)


def last_startxref(data):
    m = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data[-1024:])
    assert m, "no startxref at the end"
    return int(m.group(1))


def classic_xref(entries, at):
    """A classic xref table for {num: offset} (generation 0), subsections by runs."""
    nums = sorted(entries)
    out = bytearray(b"xref\n")
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out += b"%d %d\n" % (nums[i], j - i + 1)
        for n in nums[i : j + 1]:
            out += b"%010d 00000 n \n" % entries[n]
        i = j + 1
    return bytes(out)


class Update:
    """One revision appended to `data`: objects (by number), an xref table and a trailer that
    copies /Root, /Info and /ID from the file's current trailer unless told otherwise."""

    def __init__(self, data):
        assert data[last_startxref(data) :].startswith(b"xref"), "a classic xref table expected"
        self.data = data
        self.r = reader(data)
        self.trailer = self.r.trailer_view
        self.size = int(self.trailer["/Size"])
        self.objects = []  # (num, body bytes); a number may come twice (the same-number case)

    def alloc(self):
        self.size += 1
        return self.size - 1

    def get(self, num):
        return self.r.get_object(g.Reference(num, 0))

    def put(self, num, obj):
        self.objects.append((num, ser(obj)))
        return num

    def new(self, obj):
        return self.put(self.alloc(), obj)

    def finish(self, root=None, prev=None, xref_for=None, skip_xref=False, extra=None):
        """The whole file with this revision appended. `root` replaces the trailer's /Root,
        `prev` its /Prev; `xref_for(num, offsets)` picks which definition of a number the xref
        lists (default: the last); `skip_xref` appends the objects with no xref or trailer;
        `extra` adds xref entries {num: offset} for objects already in the data."""
        out = bytearray(self.data)
        if not out.endswith(b"\n"):
            out += b"\n"
        offsets = {}
        for num, body in self.objects:
            offsets.setdefault(num, []).append(len(out))
            out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
        if skip_xref:
            return bytes(out)
        at = len(out)
        pick = xref_for or (lambda num, offs: offs[-1])
        entries = dict(extra or {})
        entries.update({n: pick(n, offs) for n, offs in offsets.items()})
        out += classic_xref(entries, at)
        trailer = g.DictionaryObject()
        trailer[name("Size")] = g.NumberObject(self.size)
        trailer[name("Root")] = ref(root) if root is not None else self.trailer.raw_get("/Root")
        for key in ("/Info", "/ID"):
            if key in self.trailer:
                trailer[name(key)] = self.trailer.raw_get(key)
        trailer[name("Prev")] = g.NumberObject(
            last_startxref(self.data) if prev is None else prev
        )
        out += b"trailer\n" + ser(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % at
        return bytes(out)


def first_page_ref(r):
    """The first page's reference (the corpus' documents have one page, or the result's)."""
    node = r.root["/Pages"]
    while True:
        kid = node["/Kids"].raw_get(0)
        if kid.get_object().get("/Type") == "/Page":
            return kid
        node = kid.get_object()


def copy(d):
    """A shallow copy of a dictionary read from the file (values stay references)."""
    out = g.DictionaryObject()
    for k in d:
        out[k] = d.raw_get(k)
    return out


def fields(r):
    """Every terminal field of the AcroForm: (reference, dictionary)."""
    form = r.root.get("/AcroForm")
    if form is None:
        return []
    out = []

    def walk(refs):
        for f in refs:
            d = f.get_object()
            if "/Kids" in d and "/T" in d and d["/Kids"] and "/FT" not in d:
                walk(d.raw_get("/Kids"))
            else:
                out.append((f.reference, d))

    walk(form["/Fields"])
    return out


def field(r, title):
    for reference, d in fields(r):
        if str(d.get("/T")) == title:
            return reference, d
    raise KeyError(title)


def signature_fields(r):
    """Signed signature fields in the order of the AcroForm: (field ref, dict, sig ref)."""
    return [(fr, d, d.raw_get("/V").reference) for fr, d in fields(r)
            if d.get("/FT") == "/Sig" and isinstance(d.raw_get("/V"), g.IndirectObject)]


def object_offsets(data, start, end):
    """Offsets of `N G obj` headers between start and end (for relocating a byte range)."""
    return [(int(m.group(1)), start + m.start())
            for m in re.finditer(rb"(?m)^(\d+) (\d+) obj\b", data[start:end])]
