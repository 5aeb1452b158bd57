#!/usr/bin/env bash
# Signs each Postal fixture as a Postal server does (RSA with SHA-1 over the exact body, base64)
# with the demo key pair in events/ (a demo key, never a real server's), into
# fixtures/postal/demo-signatures.txt: one "<name> <signature>" line per fixture. Run after
# changing a Postal fixture; tests, the demo and the benchmark read the file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fixtures/postal/demo-signatures.txt
: > "$out"
for path in fixtures/postal/*.json; do
  name=$(basename "$path" .json)
  signature=$(openssl dgst -sha1 -sign events/demo-postal-private-key.pem "$path" | base64 -w0)
  echo "$name $signature" >> "$out"
done
echo "wrote $out"
