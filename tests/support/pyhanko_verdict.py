"""pyHanko's verdict on a signed PDF, for comparison with `ketqua verify`: VALID when every
signature's bottom line holds (intact, valid, trusted, allowed modifications, DocMDP) and every
signature timestamp and document timestamp is intact, valid and trusted; otherwise NOT_VALID.
Revocation: the CRLs given on the command line, required for every certificate when any is
given (as ketqua requires); nothing is fetched.

usage: pyhanko_verdict.py ROOT.pem FILE.pdf [CRL ...]
"""
import sys

from asn1crypto import crl as asn1_crl, pem, x509


def load_der(path):
    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return data


def main():
    root_path, pdf_path, crl_paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
        from pyhanko_certvalidator import ValidationContext

        root = x509.Certificate.load(load_der(root_path))
        crls = [asn1_crl.CertificateList.load(load_der(p)) for p in crl_paths]

        def context():
            return ValidationContext(
                trust_roots=[root],
                crls=crls,
                allow_fetching=False,
                # soft-fail and hard-fail only look at certificates that name a CRL or OCSP
                # location (the development ones do not); "require" checks every one, as
                # ketqua does.
                revocation_mode="require" if crls else "soft-fail",
            )

        ok = True
        with open(pdf_path, "rb") as f:
            r = PdfFileReader(f, strict=False)
            sigs = list(r.embedded_regular_signatures)
            if not sigs:
                ok = False
            for s in sigs:
                st = validate_pdf_signature(s, context())
                good = st.bottom_line and st.docmdp_ok is not False
                if st.timestamp_validity is not None:
                    t = st.timestamp_validity
                    good = good and t.intact and t.valid and t.trusted
                print(f"signature {s.field_name}: bottom_line={st.bottom_line} "
                      f"trusted={st.trusted} intact={st.intact} valid={st.valid} "
                      f"modifications={st.modification_level} docmdp_ok={st.docmdp_ok}")
                ok = ok and good
            for s in r.embedded_timestamp_signatures:
                st = validate_pdf_timestamp(s, validation_context=context())
                good = st.intact and st.valid and st.trusted
                print(f"document timestamp {s.field_name}: intact={st.intact} valid={st.valid} "
                      f"trusted={st.trusted}")
                ok = ok and good
    except Exception as e:  # a file pyHanko cannot even read is not valid
        print(f"error: {type(e).__name__}: {e}")
        ok = False
    print("VALID" if ok else "NOT_VALID")


main()
