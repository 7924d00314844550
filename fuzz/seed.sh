#!/usr/bin/env bash
# Seeds the fuzz corpora with genuine inputs: a result signed by a real server (certification,
# seal, DSS), its step records and their CMS signatures, a timestamp query and response, the
# development CRLs, an archive package, a multipart upload and the hostile regression files.
# Usage: fuzz/seed.sh [path to a release ketqua binary]   (corpora go to fuzz/corpus/<target>)
set -euo pipefail
cd "$(dirname "$0")"
BIN="${1:-../target/release/ketqua}"
WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" serve --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --data-dir "$WORK/data" \
  --pki-dir "$WORK/pki" > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^http listening' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
GRPC="http://$(sed -n 's/^grpc listening on //p' "$WORK/serve.out")"
HTTP="http://$(sed -n 's/^http listening on //p' "$WORK/serve.out")"
"$BIN" demo --server "$GRPC" --out "$WORK/demo" > "$WORK/demo.out"
DOSSIER="$(sed -n 's/^dossier //p' "$WORK/demo.out")"
"$BIN" archive export --server "$GRPC" --dossier "$DOSSIER" --out "$WORK/package.zip" > /dev/null
openssl ts -query -data "$WORK/demo/result.pdf" -sha256 -cert -out "$WORK/query.tsq" 2> /dev/null
curl -s -H 'Content-Type: application/timestamp-query' --data-binary @"$WORK/query.tsq" \
  "$HTTP/tsa" -o "$WORK/reply.tsr"

put() { local target="$1"; shift; mkdir -p "corpus/$target"; for f in "$@"; do cp "$f" "corpus/$target/"; done; }
PDFS=("$WORK/demo/result.pdf" ../tests/hostile/*.pdf)
put pdf_read "${PDFS[@]}"
put verify_document "${PDFS[@]}"
put pdf_sign "${PDFS[@]}"
put step_record "$WORK"/demo/records/*.bin
put cms_signed_data "$WORK"/demo/records/*.p7s
put timestamp_token "$WORK/reply.tsr"
put tsa_request "$WORK/query.tsq"
put crl "$WORK"/pki/crls/*.crl 2> /dev/null || put crl $(find "$WORK/pki" -name '*.crl')
put zip_read "$WORK/package.zip"
mkdir -p corpus/multipart
printf 'multipart/form-data; boundary=XyZ\n--XyZ\r\nContent-Disposition: form-data; name="result_code"\r\n\r\n000.00.12.H22-261122-0042-KQ1\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%%PDF-1.7\r\n--XyZ--\r\n' > corpus/multipart/upload
echo "seeded $(find corpus -type f | wc -l) files into fuzz/corpus"
