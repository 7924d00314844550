#!/usr/bin/env python3
"""pyHanko's verdict on every case of the attack corpus, in one process (a second per file
with a fresh interpreter would be most of the test's time).

usage: judge.py CASES.json ROOT.pem CRL... > verdicts.json

For each case: {"name", "valid", "summary"}. VALID when the file has a signature, every
signature's bottom line holds (intact, valid, trusted, modifications allowed by pyHanko's
difference analysis) with DocMDP respected, and every signature timestamp and document
timestamp is intact, valid and trusted. Revocation: the CRLs given, required for every
certificate (as ketqua requires; soft-fail would skip certificates without CRL pointers, and
the development ones have none). A file pyHanko cannot read is not valid.
"""
import json
import logging
import sys

from asn1crypto import crl as asn1_crl, pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext


def load_der(path):
    with open(path, "rb") as f:
        data = f.read()
    return pem.unarmor(data)[2] if pem.detect(data) else data


def judge(path, root, crls):
    def context():
        return ValidationContext(trust_roots=[root], crls=crls, allow_fetching=False,
                                 revocation_mode="require")
    parts, ok = [], True
    try:
        with open(path, "rb") as f:
            r = PdfFileReader(f, strict=False)
            sigs = list(r.embedded_regular_signatures)
            if not sigs:
                return False, "no signature"
            for s in sigs:
                st = validate_pdf_signature(s, context())
                good = bool(st.bottom_line) and st.docmdp_ok is not False
                t = st.timestamp_validity
                if t is not None:
                    good = good and t.intact and t.valid and t.trusted
                level = st.modification_level.name if st.modification_level else "?"
                parts.append(f"{s.field_name}: {'ok' if good else 'BAD'} "
                             f"({level.lower()}{'' if st.docmdp_ok is not False else ', docmdp violated'}"
                             f"{'' if st.intact else ', not intact'}"
                             f"{'' if st.trusted else ', untrusted'})")
                ok = ok and good
            for s in r.embedded_timestamp_signatures:
                st = validate_pdf_timestamp(s, validation_context=context())
                good = st.intact and st.valid and st.trusted
                parts.append(f"{s.field_name} (doc ts): {'ok' if good else 'BAD'}")
                ok = ok and good
    except Exception as e:  # a file pyHanko cannot even read is not valid
        return False, f"error: {type(e).__name__}: {str(e)[:120]}"
    return ok, "; ".join(parts)


def main():
    # pyHanko logs every refused difference with a traceback; the summary says it in a line.
    logging.disable(logging.CRITICAL)
    cases_path, root_path, crl_paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    root = x509.Certificate.load(load_der(root_path))
    crls = [asn1_crl.CertificateList.load(load_der(p)) for p in crl_paths]
    with open(cases_path) as f:
        cases = json.load(f)
    out = []
    for case in cases:
        valid, summary = judge(case["file"], root, crls)
        out.append({"name": case["name"], "valid": valid, "summary": summary})
    json.dump(out, sys.stdout, indent=1)


main()
