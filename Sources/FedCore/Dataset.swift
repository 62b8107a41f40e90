/// A labeled dataset held once in memory as compact arrays; clients refer to it by sample indices.
public struct Dataset: Sendable {
    /// Human-readable name (`fmnist-train`, `synthetic:0.5,0.5`, ...).
    public let name: String
    /// Shape of one sample's features, e.g. `[1, 28, 28]` for an image or `[60]` for a vector.
    public let featureShape: [Int]
    /// Number of classes; labels are in `0..<classes`.
    public let classes: Int
    /// Features, sample after sample, each `featureShape.reduce(1, *)` float32 values.
    public let features: [Float]
    /// One label per sample.
    public let labels: [Int32]

    /// A dataset; the feature count must be a multiple of the sample size and match the labels.
    public init(name: String, featureShape: [Int], classes: Int, features: [Float], labels: [Int32]) throws(FedError) {
        let size = featureShape.reduce(1, *)
        guard size > 0, features.count == size * labels.count else {
            throw FedError(.shapeSizeMismatch, "\(name): \(features.count) feature values for \(labels.count) samples of shape \(featureShape)")
        }
        guard classes > 0, labels.allSatisfy({ $0 >= 0 && Int($0) < classes }) else {
            throw FedError(.invalidArgument, "\(name): a label lies outside 0..<\(classes)")
        }
        self.name = name
        self.featureShape = featureShape
        self.classes = classes
        self.features = features
        self.labels = labels
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Values per sample.
    public var sampleSize: Int { featureShape.reduce(1, *) }
}
