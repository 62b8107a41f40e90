import FedCore
import FedData
import Testing

@Test func partitionSpecsParseAndPrintBack() throws {
    let cases: [(String, PartitionSpec)] = [
        ("iid", .iid), ("iid-unbalanced:0.3", .iidUnbalanced(sigma: 0.3)), ("dirichlet:0.5", .dirichlet(alpha: 0.5)),
        ("shards:2", .shards(perClient: 2)), ("label-quantity:3", .labelQuantity(k: 3)),
        ("feature-noise:0.1", .featureNoise(sigma: 0.1)), ("natural", .natural),
    ]
    for (text, spec) in cases {
        #expect(try PartitionSpec(parsing: text) == spec)
        #expect(try PartitionSpec(parsing: spec.description) == spec)
    }
}

@Test(arguments: ["dirichlet", "dirichlet:0", "dirichlet:-1", "dirichlet:x", "shards:1.5", "iid:3", "label-quantity:0", "zipf:1", ""])
func invalidPartitionSpecsListTheValidForms(text: String) {
    let error = fedError { _ = try PartitionSpec(parsing: text) }
    #expect(error?.code == .invalidArgument)
    #expect(error?.detail.contains("valid forms: iid, iid-unbalanced:<sigma>, dirichlet:<alpha>") == true)
}

@Test func datasetSpecsParse() throws {
    #expect(try DatasetSpec(parsing: "fmnist") == .fashionMNIST)
    #expect(try DatasetSpec(parsing: "synthetic:0.5,1") == .synthetic(alpha: 0.5, beta: 1))
    for bad in ["mnist", "synthetic:1", "synthetic:a,b", "synthetic:-1,0"] {
        #expect(fedError { _ = try DatasetSpec(parsing: bad) }?.detail.contains("valid forms: fmnist, synthetic") == true)
    }
}
