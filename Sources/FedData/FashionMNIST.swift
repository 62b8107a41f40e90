import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28×28 grey images of 10 clothing classes,
/// 60,000 for training and 10,000 for testing, stored as IDX files.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package installs the IDX files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// Mean of the training pixels after scaling to [0, 1] (the torchvision-style constant).
    public static let mean: Float = 0.2860
    /// Standard deviation of the training pixels after scaling to [0, 1].
    public static let std: Float = 0.3530
    /// Number of classes.
    public static let classes = 10

    /// Which half of the dataset to load.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60,000 training samples (`train-*`).
        case train
        /// The 10,000 test samples (`t10k-*`).
        case test

        /// File-name prefix used by the MNIST-format distribution.
        var prefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads one split from `directory` (any MNIST-format IDX set, gzip or plain) as a dataset of
    /// shape `[1, 28, 28]` whose pixels are scaled to [0, 1] and then standardized: `(x/255 − mean) / std`.
    /// - Throws: `.io` if the directory or a file is missing (with a hint on how to get the data);
    ///   `.corruptPayload` or `.shapeSizeMismatch` if the files are malformed or disagree.
    public static func load(directory: String = defaultDirectory, split: Split,
                            mean: Float = mean, std: Float = std) throws(FedError) -> Dataset {
        guard std > 0, std.isFinite, mean.isFinite else {
            throw FedError(.invalidArgument, "standardization needs a finite mean and a positive std, got \(mean), \(std)")
        }
        let hint = "install Debian's dataset-fashion-mnist or pass --data-dir"
        guard isDirectory(directory) else {
            throw FedError(.io, "Fashion-MNIST directory \(directory) does not exist; \(hint)")
        }
        let imagePath = try locate(directory, "\(split.prefix)-images-idx3-ubyte", hint: hint)
        let labelPath = try locate(directory, "\(split.prefix)-labels-idx1-ubyte", hint: hint)
        let images = try IDX.read(path: imagePath, rank: 3)
        let labels = try IDX.read(path: labelPath, rank: 1)
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw FedError(.shapeSizeMismatch, "\(imagePath) holds \(images.dimensions[0]) images but \(labelPath) holds \(labels.dimensions[0]) labels")
        }
        guard images.dimensions[1] == 28, images.dimensions[2] == 28 else {
            throw FedError(.shapeSizeMismatch, "\(imagePath): images are \(images.dimensions[1])×\(images.dimensions[2]), expected 28×28")
        }
        if let bad = labels.bytes.first(where: { Int($0) >= classes }) {
            throw FedError(.corruptPayload, "\(labelPath): label \(bad) outside 0..<\(classes)")
        }
        let features = standardize(images.bytes, mean: mean, std: std)
        let targets = labels.bytes.map { Int32($0) }
        return try Dataset(name: "fmnist-\(split.rawValue)", featureShape: [1, 28, 28], classes: classes,
                           features: features, labels: targets)
    }

    /// `(x/255 − mean) / std` for every byte, computed as one multiply-add per value.
    static func standardize(_ bytes: [UInt8], mean: Float, std: Float) -> [Float] {
        let scale = 1 / (255 * std)
        let shift = -mean / std
        return [Float](unsafeUninitializedCapacity: bytes.count) { out, count in
            bytes.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = Float(src[i]) * scale + shift }
            }
            count = bytes.count
        }
    }

    /// The gzip file `name.gz` if present, else the plain file `name`.
    private static func locate(_ directory: String, _ name: String, hint: String) throws(FedError) -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for candidate in [base + ".gz", base] where access(candidate, R_OK) == 0 {
            return candidate
        }
        throw FedError(.io, "missing \(base).gz (or \(base)); \(hint)")
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
