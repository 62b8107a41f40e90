import FedCore
import Foundation
import Testing
@testable import FedTrain

@Test func crossEntropyMatchesLogSoftmaxAndFiniteDifferences() {
    let logits: [Float] = [0.5, -1.0, 2.0, 0.1, 0.3, 0.3, -0.7, 1.2]
    let labels: [Int32] = [2, 0]
    var grad = [Float](repeating: 0, count: 8)
    let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, batch: 2, classes: 4, gradient: &grad)
    func reference(_ z: [Float]) -> Double {
        var total = 0.0
        for s in 0..<2 {
            let row = z[(s * 4)..<(s * 4 + 4)].map(Double.init)
            total += log(row.map(exp).reduce(0, +)) - row[Int(labels[s])]
        }
        return total / 2
    }
    #expect(abs(result.loss - reference(logits)) < 1e-6)
    #expect(result.correct == 1)
    for i in 0..<8 {
        var up = logits, down = logits
        up[i] += 1e-3
        down[i] -= 1e-3
        let numeric = (reference(up) - reference(down)) / 2e-3
        #expect(abs(numeric - Double(grad[i])) < 1e-4)
    }
}

@Test func crossEntropyIsStableForHugeLogits() {
    let logits: [Float] = [1e4, -1e4, 0, 3e4]
    var grad = [Float](repeating: 0, count: 4)
    let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: [0], batch: 1, classes: 4, gradient: &grad)
    #expect(abs(result.loss - 2e4) < 1)
    #expect(grad.allSatisfy { $0.isFinite })
    #expect(abs(grad[0] + 1) < 1e-6 && abs(grad[3] - 1) < 1e-6)
}
