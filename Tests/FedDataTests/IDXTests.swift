import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FedData
import Testing

@Test(arguments: [true, false])
func idxRoundTripsGzipAndPlain(gzip: Bool) throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    let array = try IDXArray(dimensions: [3, 4, 5], bytes: (0..<60).map { UInt8($0 * 4) })
    let path = dir.file(gzip ? "images.gz" : "images")
    try IDX.write(array, to: path, gzip: gzip)
    #expect(try IDX.read(path: path, rank: 3) == array)
}

@Test func idxRejectsWrongMagicWithClearError() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    let labels = try IDXArray(dimensions: [4], bytes: [1, 2, 3, 4])
    try IDX.write(labels, to: dir.file("labels.gz"), gzip: true)
    let error = fedError { _ = try IDX.read(path: dir.file("labels.gz"), rank: 3) }
    #expect(error?.code == .corruptPayload)
    #expect(error?.detail.contains("magic number is 0x00000801, expected 0x00000803") == true)
}

@Test(arguments: [true, false])
func idxRejectsTruncatedFile(gzip: Bool) throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    let full = try IDXArray(dimensions: [10, 28, 28], bytes: [UInt8](repeating: 7, count: 7840))
    let path = dir.file("full")
    try IDX.write(full, to: path, gzip: gzip)
    // Cut the file: a plain file loses its last 100 values, a gzip stream loses its tail.
    let handle = fopenRead(path)
    let cut = gzip ? handle.count / 2 : handle.count - 100
    dir.writeRaw("cut", Array(handle[..<cut]))
    let error = fedError { _ = try IDX.read(path: dir.file("cut"), rank: 3) }
    #expect(error?.code == .corruptPayload)
    #expect(error?.detail.contains("truncated") == true, "\(String(describing: error))")
}

@Test func idxRejectsTrailingBytes() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    dir.writeRaw("extra", [0, 0, 8, 1, 0, 0, 0, 2, 5, 6, 7])
    #expect(fedError { _ = try IDX.read(path: dir.file("extra"), rank: 1) }?.detail.contains("trailing bytes") == true)
    dir.writeRaw("exact", [0, 0, 8, 1, 0, 0, 0, 2, 5, 6])
    #expect(try IDX.read(path: dir.file("exact"), rank: 1).bytes == [5, 6])
}

@Test func fashionMNISTMissingDirectoryNamesPathAndHint() {
    let error = fedError { _ = try FashionMNIST.load(directory: "/nonexistent/fmnist", split: .train) }
    #expect(error?.code == .io)
    #expect(error?.detail.contains("/nonexistent/fmnist") == true)
    #expect(error?.detail.contains("install Debian's dataset-fashion-mnist or pass --data-dir") == true)
}

@Test func fashionMNISTLoadsGeneratedPlainFilesWithStandardization() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    var pixels = [UInt8](repeating: 0, count: 2 * 784)
    pixels[784] = 255
    try IDX.write(IDXArray(dimensions: [2, 28, 28], bytes: pixels), to: dir.file("t10k-images-idx3-ubyte"), gzip: false)
    try IDX.write(IDXArray(dimensions: [2], bytes: [3, 9]), to: dir.file("t10k-labels-idx1-ubyte"), gzip: false)
    let data = try FashionMNIST.load(directory: dir.path, split: .test, mean: 0.5, std: 0.25)
    #expect(data.count == 2 && data.labels == [3, 9] && data.featureShape == [1, 28, 28])
    #expect(abs(data.features[0] - -2) < 1e-6)
    #expect(abs(data.features[784] - 2) < 1e-6)
    #expect(fedError { _ = try FashionMNIST.load(directory: dir.path, split: .train) }?.detail.contains("train-images-idx3-ubyte.gz") == true)
}

/// The real dataset from Debian's dataset-fashion-mnist, which CI installs; this test fails without it.
@Test func fashionMNISTRealFilesHaveExpectedShapeHistogramAndStatistics() throws {
    let train = try FashionMNIST.load(split: .train)
    let test = try FashionMNIST.load(split: .test)
    #expect(train.count == 60_000 && test.count == 10_000)
    var histogram = [Int](repeating: 0, count: 10)
    for label in train.labels { histogram[Int(label)] += 1 }
    #expect(histogram == [Int](repeating: 6000, count: 10))
    var sum = 0.0, squares = 0.0
    for value in train.features { sum += Double(value); squares += Double(value) * Double(value) }
    let mean = sum / Double(train.features.count)
    let std = (squares / Double(train.features.count) - mean * mean).squareRoot()
    #expect(abs(mean) < 0.01)
    #expect(abs(std - 1) < 0.01)
}

private func fopenRead(_ path: String) -> [UInt8] {
    let handle = fopen(path, "rb")!
    defer { fclose(handle) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 4096, handle) }
        if n == 0 { break }
        out += chunk[..<n]
    }
    return out
}

@Test func sampleOrderReadsLittleEndianInt32PermutationsPerEpoch() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    // Two epochs of 3 samples: [2, 0, 1] then [0, 1, 2], as numpy's astype("<i4").tofile writes them.
    dir.writeRaw("order.i32", [2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0])
    let order = try SampleOrder.read(path: dir.file("order.i32"), samples: 3)
    #expect(order.epochs == [[2, 0, 1], [0, 1, 2]])
    try order.write(path: dir.file("copy.i32"))
    #expect(try SampleOrder.read(path: dir.file("copy.i32"), samples: 3) == order)

    #expect { try SampleOrder(bytes: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], samples: 3) } throws: {
        ($0 as? FedError)?.code == .invalidArgument  // index 1 twice: not a permutation
    }
    #expect { try SampleOrder(bytes: [0, 0, 0, 0, 1, 0, 0, 0], samples: 3) } throws: {
        ($0 as? FedError)?.code == .invalidArgument  // not a whole epoch
    }
    #expect { try SampleOrder.read(path: dir.file("missing.i32"), samples: 3) } throws: { ($0 as? FedError)?.code == .io }
}
