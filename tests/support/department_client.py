#!/usr/bin/env python3
"""An independent department system: Python grpcio with stubs compiled from proto/ by
grpcio-tools, presenting a development client certificate over TLS, runs one dossier through
the five steps and prints `dossier <code>` and `result <code>`.

usage: department_client.py HOST:PORT PKI_DIR PROTO_DIR
"""
import importlib
import os
import sys
import tempfile
import uuid

import grpc
from grpc_tools import protoc


def stubs(proto_dir, out):
    files = [f"ketqua/v1/{name}.proto" for name in ("records", "dossiers", "signing", "archive", "verification")]
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    code = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}",
                        f"--grpc_python_out={out}", *files])
    if code != 0:
        sys.exit(f"protoc failed ({code})")
    sys.path.insert(0, out)
    return (importlib.import_module("ketqua.v1.dossiers_pb2"),
            importlib.import_module("ketqua.v1.dossiers_pb2_grpc"))


def pdf(text):
    """A one-page PDF, byte offsets computed."""
    content = f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def main():
    address, pki, proto_dir = sys.argv[1:4]
    read = lambda name: open(os.path.join(pki, name), "rb").read()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read("client-ca.pem"),
        private_key=read("clients/stp.key"),
        certificate_chain=read("clients/stp.pem"),
    )
    with tempfile.TemporaryDirectory() as out:
        pb, rpc = stubs(proto_dir, out)
        with grpc.secure_channel(address, credentials) as channel:
            dossiers = rpc.DossiersStub(channel)
            rid = lambda: f"py-{uuid.uuid4()}"
            receipt = dossiers.Receive(pb.ReceiveRequest(
                request_id=rid(), credential_id="stp-receiver", procedure_code="2.000488",
                applicant=pb.Applicant(id="001099012345", name="Nguyễn Văn An"),
                documents=[pb.Document(name="Tờ khai", media_type="application/pdf", content=pdf("to khai")),
                           pb.Document(name="Căn cước", media_type="application/pdf", content=pdf("can cuoc"))],
                note="Hồ sơ đầy đủ"))
            code = receipt.dossier_code
            step = lambda credential, note: pb.StepRequest(
                request_id=rid(), credential_id=credential, dossier_code=code, note=note)
            dossiers.Appraise(step("stp-appraiser", "Đủ điều kiện"))
            dossiers.Approve(step("stp-approver", "Đồng ý"))
            dossiers.Sign(pb.SignRequest(
                request_id=rid(), credential_id="stp-approver", dossier_code=code,
                content=pb.ResultContent(
                    issuing_body="UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP", number_notation="Số: 7/LLTP-STP",
                    place_and_date="Quảng Ninh, ngày 2 tháng 12 năm 2026", title="PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1",
                    body=["Họ và tên: Nguyễn Văn An.", "Tình trạng án tích: Không có án tích."])))
            returned = dossiers.Return(step("stp-receiver", "Đã trả kết quả"))
            # Acting for another department is refused, as for any caller.
            try:
                dossiers.Receive(pb.ReceiveRequest(request_id=rid(), credential_id="skhdt-receiver",
                                                   procedure_code="2.001610"))
                sys.exit("a Receive with another department's credential was accepted")
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.PERMISSION_DENIED:
                    sys.exit(f"expected PERMISSION_DENIED, got {error.code()}")
            print(f"dossier {code}")
            print(f"result {returned.result_code}")


if __name__ == "__main__":
    main()
