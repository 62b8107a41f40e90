import FedCore
import FedWire
import Testing
@testable import FedRuntime

/// A raw float32 model message as a client receives it, sliced into frames of at most 100 elements.
private func modelMessage(_ values: [Float]) throws -> WireMessage {
    let layout = try ModelLayout([TensorSpec(name: "echo.weight", shape: [values.count])])
    let (headers, frames) = try ModelCoder(maxFrameElements: 100).encode(try ModelState(layout: layout, values: values),
                                                                        encoding: TensorEncoding(codec: .raw))
    var envelope = Envelope(kind: .model)
    envelope.tensors = headers
    return try WireMessage(parts: WireMessage(envelope: envelope, frames: frames).parts())
}

@Test func rawEchoReturnsModelPlusOneAndReusesItsFrames() throws {
    let values = (0..<250).map { Float($0) / 8 - 10 }
    let model = try modelMessage(values)
    let echo = EchoTrainer()
    var first = try #require(echo.rawEcho(model))
    #expect(first.headers.map(\.elements) == [100, 100, 50] && first.headers.allSatisfy { !$0.isDelta })
    let echoed = first.frames.flatMap { frame in frame.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
    #expect(echoed == values.map { $0 + 1 })
    let addresses = Set(first.frames.map { $0.buffer.unsafeBaseAddress })
    first.frames = []
    #expect(echo.pool.idleBytes == 1000, "released echo frames go back to the pool")
    let second = try #require(echo.rawEcho(model))
    #expect(Set(second.frames.map { $0.buffer.unsafeBaseAddress }) == addresses)
}

@Test func rawEchoRefusesANonFiniteModel() throws {
    var values = [Float](repeating: 1, count: 250)
    values[170] = .nan
    let echo = EchoTrainer()
    #expect(echo.rawEcho(try modelMessage(values)) == nil)
    #expect(echo.pool.idleBytes == 800, "the frames echoed before the NaN are back in the pool")
}
