import FedCore
import Foundation
import Testing
@testable import FedWire

/// Golden fixtures: the committed bytes are what this build encodes, decode to the catalog's values,
/// and re-encode byte for byte. `FEDSWIFT_REGENERATE_FIXTURES=1 swift test --filter Fixture` rewrites them.
@Suite struct FixtureTests {
    static let regenerate = ProcessInfo.processInfo.environment["FEDSWIFT_REGENERATE_FIXTURES"] == "1"

    @Test(arguments: FixtureCatalog.entries.map(\.envelope.kind))
    func fixtureDecodesAndReencodesByteIdentically(kind: MessageKind) throws {
        let entry = try #require(FixtureCatalog.entries.first { $0.envelope.kind == kind })
        let expected = try FixtureCatalog.message(entry)
        let binURL = FixtureCatalog.fixturesDirectory.appendingPathComponent("\(kind.description).bin")
        let jsonURL = FixtureCatalog.fixturesDirectory.appendingPathComponent("\(kind.description).json")
        if Self.regenerate {
            try FileManager.default.createDirectory(at: FixtureCatalog.fixturesDirectory, withIntermediateDirectories: true)
            try Data(FixtureCatalog.fileBytes(expected.parts())).write(to: binURL)
            try FixtureJSON.data(FixtureJSON.object(expected, entry: entry)).write(to: jsonURL)
        }
        let fileBytes = [UInt8](try Data(contentsOf: binURL))
        let parts = FixtureCatalog.parts(fromFile: fileBytes)
        let decoded = try WireMessage(parts: parts)
        #expect(decoded.envelope == expected.envelope)
        #expect(decoded.frames.map(\.bytes) == expected.frames.map(\.bytes))
        // Re-encoding what was decoded gives the file back, byte for byte.
        #expect(FixtureCatalog.fileBytes(decoded.parts()) == fileBytes)
        // The JSON twin states the same envelope and the decoded values.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any])
        #expect(json["envelope_hex"] as? String == decoded.envelope.encoded().map { String(format: "%02x", $0) }.joined())
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(tensors.count == decoded.frames.count)
        let scratch = CodecScratch()
        for (i, (h, frame)) in zip(decoded.envelope.tensors, decoded.frames).enumerated() {
            var values = [Float](repeating: 0, count: h.elements)
            try values.withUnsafeMutableBytes { out in
                try frame.withUnsafeBytes { bytes in try TensorCodec.decode(h, frame: bytes, into: out, scratch: scratch) }
            }
            let listed = try #require(tensors[i]["decoded"] as? [Double])
            #expect(listed.map { Float($0) } == values)
            if h.codec.isLossless { #expect(values == entry.tensors[i].values) }
        }
    }

    @Test func everyKindHasAFixture() {
        #expect(Set(FixtureCatalog.entries.map(\.envelope.kind)) == Set(MessageKind.allCases))
        #expect(Set(FixtureCatalog.entries.flatMap { $0.tensors.map(\.encoding.codec) }) == Set(Codec.allCases))
    }
}
