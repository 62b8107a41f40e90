import FedCore
import FedData
import Testing

@Test func uniformSamplerIsDeterministicPerRoundAndDistinct() {
    let clients = Array(0..<100)
    let a = ClientSampler.uniform.sample(round: 3, count: 10, from: clients, seed: 0)
    #expect(a == ClientSampler.uniform.sample(round: 3, count: 10, from: clients, seed: 0))
    #expect(a != ClientSampler.uniform.sample(round: 4, count: 10, from: clients, seed: 0))
    #expect(a != ClientSampler.uniform.sample(round: 3, count: 10, from: clients, seed: 1))
    #expect(a.count == 10 && Set(a).count == 10 && a == a.sorted())
    #expect(ClientSampler.uniform.sample(round: 0, count: 500, from: clients, seed: 0) == clients)
}

@Test func uniformSamplerSelectsEveryClientEquallyOften() {
    var hits = [Int](repeating: 0, count: 20)
    for round in 0..<4000 {
        for client in ClientSampler.uniform.sample(round: round, count: 5, from: Array(0..<20), seed: 2) { hits[client] += 1 }
    }
    #expect(hits.allSatisfy { abs($0 - 1000) < 120 })
}

@Test func proportionalSamplerFavoursLargeClientsWithoutReplacement() {
    let sizes = [1, 1, 1, 1, 100, 0]
    let sampler = ClientSampler.proportional(sizes: sizes)
    var hits = [Int](repeating: 0, count: sizes.count)
    for round in 0..<2000 {
        let chosen = sampler.sample(round: round, count: 2, from: Array(0..<6), seed: 5)
        #expect(Set(chosen).count == 2)
        for client in chosen { hits[client] += 1 }
    }
    #expect(hits[4] > 1900)
    #expect(hits[5] == 0)
    #expect(sampler.sample(round: 9, count: 2, from: Array(0..<6), seed: 5) == sampler.sample(round: 9, count: 2, from: Array(0..<6), seed: 5))
}

@Test func proportionalSamplerMatchesFirstDrawProbabilities() {
    // With one client per round, P(client i) = size_i / total.
    let sampler = ClientSampler.proportional(sizes: [1, 2, 3, 4])
    var hits = [Int](repeating: 0, count: 4)
    for round in 0..<20_000 { hits[sampler.sample(round: round, count: 1, from: [0, 1, 2, 3], seed: 8)[0]] += 1 }
    for (i, p) in [0.1, 0.2, 0.3, 0.4].enumerated() { #expect(abs(Double(hits[i]) / 20_000 - p) < 0.015) }
}
