import FedCore
import FedWire
import Foundation

/// The three inputs of `fedswift bench codec`, generated from a fixed seed.
enum CodecBenchInputs {
    /// `normal`, `delta10` and `zeros`, each `count` floats.
    static func make(count: Int) -> [(String, [Float])] {
        var rng = SplitMix64(seed: 1)
        var normal = [Float](repeating: 0, count: count)
        for i in 0..<count { normal[i] = gaussian(&rng) * 0.05 }
        var delta = [Float](repeating: 0, count: count)
        for i in 0..<count where rng.next() % 10 == 0 { delta[i] = gaussian(&rng) * 0.01 }
        return [("normal", normal), ("delta10", delta), ("zeros", [Float](repeating: 0, count: count))]
    }

    private static func gaussian(_ rng: inout SplitMix64) -> Float {
        let u1 = max(SplitMix64.unitFloat(rng.next()), 1e-7)
        let u2 = SplitMix64.unitFloat(rng.next())
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

/// Times one codec on one input, encoding and decoding into buffers allocated before timing.
enum CodecBenchmark {
    /// Returns `encode_gbps`, `decode_gbps`, `ratio` and `max_abs_error`.
    static func measure(_ values: [Float], encoding: TensorEncoding, repeats: Int) throws -> [String: Any] {
        let scratch = CodecScratch()
        var output = [UInt8](repeating: 0, count: TensorCodec.maxEncodedBytes(count: values.count, encoding: encoding))
        var decoded = [Float](repeating: 0, count: values.count)
        var encodeTimes: [Double] = []
        var decodeTimes: [Double] = []
        var result: TensorCodec.Encoded?
        for i in 0..<(repeats + 1) {
            var e = encoding
            e.seed = UInt64(i)
            let t0 = DispatchTime.now().uptimeNanoseconds
            result = try values.withUnsafeBufferPointer { v in
                try output.withUnsafeMutableBytes { o in try TensorCodec.encode(v, encoding: e, into: o, scratch: scratch) }
            }
            let t1 = DispatchTime.now().uptimeNanoseconds
            let encoded = result!
            var header = TensorHeader(name: "t", shape: [values.count], dtype: .float32, codec: encoded.codec,
                                      rawBytes: values.count * 4, encodedBytes: encoded.bytes)
            header.scale = encoded.scale
            header.nonzero = encoded.nonzero
            header.fraction = encoding.fraction
            try output.withUnsafeBytes { o in
                try decoded.withUnsafeMutableBytes { d in
                    try TensorCodec.decode(header, frame: UnsafeRawBufferPointer(rebasing: o[0..<encoded.bytes]), into: d, scratch: scratch)
                }
            }
            let t2 = DispatchTime.now().uptimeNanoseconds
            if i > 0 {  // the first pass warms caches and grows scratch
                encodeTimes.append(Double(t1 - t0) / 1e9)
                decodeTimes.append(Double(t2 - t1) / 1e9)
            }
        }
        var maxError: Float = 0
        for i in 0..<values.count { maxError = max(maxError, abs(values[i] - decoded[i])) }
        let bytes = Double(values.count * 4)
        return [
            "encode_gbps": bytes / median(encodeTimes) / 1e9, "decode_gbps": bytes / median(decodeTimes) / 1e9,
            "ratio": Double(result!.bytes) / bytes, "max_abs_error": Double(maxError), "used_codec": result!.codec.description,
        ]
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
}
