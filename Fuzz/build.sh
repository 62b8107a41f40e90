#!/usr/bin/env bash
# Builds Fuzz/fuzz-wire: the FedWire receive path under libFuzzer + AddressSanitizer.
# Compiles FedCore, FedWire and the protoc-c code straight from Sources/ (no SwiftPM, so the package's
# own build never sees sanitizer flags). Output: $FUZZ_BUILD (default .build-fuzz/), binary fuzz-wire.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${FUZZ_BUILD:-$ROOT/.build-fuzz}
SWIFTC=${SWIFTC:-swiftc}
CLANG=${CLANG:-$(dirname "$(command -v "$SWIFTC")")/clang}
mkdir -p "$OUT/modules"
SAN=(-sanitize=fuzzer,address -O -g)
# The protoc-c target as a clang module (SwiftPM makes this umbrella map itself).
cat > "$OUT/modules/module.modulemap" <<MAP
module FedProtoC {
    umbrella "$ROOT/Sources/FedProtoC/include"
    export *
}
MAP
"$CLANG" -c -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/FedProtoC/include \
    Sources/FedProtoC/fedswift/v1/envelope.pb-c.c -o "$OUT/envelope.pb-c.o"
"$SWIFTC" "${SAN[@]}" -parse-as-library -wmo -module-name FedCore -emit-module -emit-module-path "$OUT/modules/FedCore.swiftmodule" \
    -c Sources/FedCore/*.swift -o "$OUT/FedCore.o"
"$SWIFTC" "${SAN[@]}" -parse-as-library -wmo -module-name FedWire -emit-module -emit-module-path "$OUT/modules/FedWire.swiftmodule" \
    -I "$OUT/modules" -I Sources/CLZ4 -I Sources/CZlib -c Sources/FedWire/*.swift -o "$OUT/FedWire.o"
"$SWIFTC" "${SAN[@]}" -parse-as-library -module-name FuzzWire -I "$OUT/modules" -I Sources/CLZ4 -I Sources/CZlib \
    Fuzz/FuzzWire.swift "$OUT/FedCore.o" "$OUT/FedWire.o" "$OUT/envelope.pb-c.o" \
    -use-ld=lld -lprotobuf-c -llz4 -lz -o "$OUT/fuzz-wire"
echo "built $OUT/fuzz-wire"
