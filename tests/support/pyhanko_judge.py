"""Judge a signed PDF with pyHanko's API, because the CLI (pyHanko 0.38 / CLI 0.6) neither
validates nor lists document timestamps: every signature and every document timestamp must
be intact, valid and trusted, every signature timestamp too, and DocMDP must hold.

usage: pyhanko_judge.py ROOT.pem FILE.pdf
"""
import sys

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext
from asn1crypto import pem, x509


def main():
    root_path, pdf_path = sys.argv[1], sys.argv[2]
    with open(root_path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    root = x509.Certificate.load(data)
    failures = []
    with open(pdf_path, "rb") as f:
        r = PdfFileReader(f)
        for s in r.embedded_regular_signatures:
            vc = ValidationContext(trust_roots=[root], revocation_mode="soft-fail")
            st = validate_pdf_signature(s, vc)
            ok = st.intact and st.valid and st.trusted
            print(f"signature {s.field_name}: intact={st.intact} valid={st.valid} "
                  f"trusted={st.trusted} coverage={st.coverage.name} "
                  f"modifications={st.modification_level.name if st.modification_level else None} "
                  f"docmdp_ok={st.docmdp_ok} timestamp={'yes' if st.timestamp_validity else 'no'}")
            if st.timestamp_validity is not None:
                t = st.timestamp_validity
                ok = ok and t.intact and t.valid and t.trusted
            if not ok or st.docmdp_ok is False:
                failures.append(s.field_name)
        for s in r.embedded_timestamp_signatures:
            vc = ValidationContext(trust_roots=[root], revocation_mode="soft-fail")
            st = validate_pdf_timestamp(s, validation_context=vc)
            print(f"document timestamp {s.field_name}: intact={st.intact} valid={st.valid} "
                  f"trusted={st.trusted} coverage={st.coverage.name}")
            if not (st.intact and st.valid and st.trusted):
                failures.append(s.field_name)
    if failures:
        print("FAILED: " + ", ".join(failures))
        sys.exit(1)
    print("ALL VALID")


main()
