import FedCore
import FedRuntime
import Foundation
import Testing

/// The server's checkpoint files and the client id lists of the command line.
@Suite(.timeLimit(.minutes(1)))
struct CheckpointTests {
    @Test func checkpointRoundTripsAndKeepsOnlyTheLatestModel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try Checkpoint.read(from: directory) == nil)
        let layout = try ModelLayout([TensorSpec(name: "w", shape: [2, 3]), TensorSpec(name: "b", shape: [3])])
        for round in 1...3 {
            let model = try ModelState(layout: layout, values: (0..<9).map { Float($0 * round) })
            try Checkpoint(round: round, attempts: round - 1, algorithm: "fedavg", seed: 42, config: ["clients": "4"], model: model)
                .write(to: directory)
        }
        let restored = try #require(try Checkpoint.read(from: directory))
        #expect(restored.round == 3 && restored.attempts == 2 && restored.seed == 42 && restored.config == ["clients": "4"])
        #expect(restored.model.layout == layout)
        #expect(restored.model.values == (0..<9).map { Float($0 * 3) })
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == ["model-3.safetensors", "state.json"])
    }

    @Test func clientListsAcceptRangesAndRejectNonsense() throws {
        #expect(try ClientIDList.parse("0-4,7") == [0, 1, 2, 3, 4, 7])
        #expect(try ClientIDList.parse("3, 1-2 ,3") == [1, 2, 3])
        for bad in ["", "4-2", "a", "1-", "-1", "1,,2"] {
            #expect(throws: FedError.self) { try ClientIDList.parse(bad) }
        }
    }
}
