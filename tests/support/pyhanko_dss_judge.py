"""Judge a signed PDF with pyHanko from its document security store alone: the validation
context holds the root, and the certificates, CRLs and OCSP responses of the file's DSS; nothing
is fetched, and a certificate without revocation information fails (hard-fail). Every signature,
its timestamp and every document timestamp must be intact, valid and trusted.

usage: pyhanko_dss_judge.py ROOT.pem FILE.pdf   (prints one line per signature, exit 0 if all
valid)
"""
import logging
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore


def main():
    logging.basicConfig(level=logging.ERROR)
    root = load_cert_from_pemder(sys.argv[1])
    settings = dict(trust_roots=[root], allow_fetching=False, revocation_mode="hard-fail")
    all_valid = True
    with open(sys.argv[2], "rb") as f:
        reader = PdfFileReader(f)
        dss = DocumentSecurityStore.read_dss(reader)
        if dss is None:
            print("no DSS")
            sys.exit(1)
        for sig in reader.embedded_signatures:
            context = dss.as_validation_context(dict(settings))
            if sig.sig_object.get("/Type") == "/DocTimeStamp":
                status = validate_pdf_timestamp(sig, validation_context=context)
            else:
                status = validate_pdf_signature(
                    sig,
                    signer_validation_context=context,
                    ts_validation_context=dss.as_validation_context(dict(settings)),
                )
            print(sig.field_name, status.summary())
            all_valid = all_valid and status.intact and status.valid and status.trusted
    print("ALL VALID" if all_valid else "NOT ALL VALID")
    sys.exit(0 if all_valid else 1)


if __name__ == "__main__":
    main()
