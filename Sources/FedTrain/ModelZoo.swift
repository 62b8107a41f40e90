import FedCore

/// The built-in models, made by name.
public enum ModelZoo {
    /// Names accepted by ``make(name:inputShape:classes:seed:)``.
    public static let names = ["lr", "mlp", "cnn", "simple-cnn"]

    /// Builds model `name` for samples of `inputShape` and `classes` outputs, initialized from `seed`.
    ///
    /// - `lr`: multinomial logistic regression, one `Linear` (`fc`).
    /// - `mlp`: 2 hidden layers of 200 units with ReLU (McMahan et al., "Communication-Efficient Learning
    ///   of Deep Networks from Decentralized Data", AISTATS 2017); 199,210 parameters on 784 inputs.
    /// - `cnn`: the CNN of McMahan et al. 2017: two 5×5 convolutions (32, 64 channels, padding 2), each
    ///   followed by ReLU and 2×2 max pooling, then 512 ReLU units; 1,663,370 parameters on `[1,28,28]`.
    /// - `simple-cnn`: NIID-Bench's SimpleCNN (Li et al., "Federated Learning on Non-IID Data Silos: An
    ///   Experimental Study", ICDE 2022): 5×5 convolutions with 6 and 16 channels, pooling, 120-84 ReLU.
    ///
    /// Throws `invalidArgument` listing the valid names for an unknown one, `invalidShape` when a
    /// convolutional model gets a flat input.
    public static func make(name: String, inputShape: [Int], classes: Int, seed: UInt64) throws(FedError) -> Sequential {
        guard classes > 0 else { throw FedError(.invalidArgument, "a model needs at least one class") }
        let layers: [any Layer]
        switch name {
        case "lr":
            layers = [Flatten(), Linear("fc", outputs: classes)]
        case "mlp":
            layers = [Flatten(), Linear("fc1", outputs: 200), ReLU(), Linear("fc2", outputs: 200), ReLU(),
                      Linear("fc3", outputs: classes)]
        case "cnn":
            try requireImage(name, inputShape)
            layers = [Conv2d("conv1", outChannels: 32, kernel: 5, padding: 2), ReLU(), MaxPool2d(2),
                      Conv2d("conv2", outChannels: 64, kernel: 5, padding: 2), ReLU(), MaxPool2d(2),
                      Flatten(), Linear("fc1", outputs: 512), ReLU(), Linear("fc2", outputs: classes)]
        case "simple-cnn":
            try requireImage(name, inputShape)
            layers = [Conv2d("conv1", outChannels: 6, kernel: 5), ReLU(), MaxPool2d(2),
                      Conv2d("conv2", outChannels: 16, kernel: 5), ReLU(), MaxPool2d(2),
                      Flatten(), Linear("fc1", outputs: 120), ReLU(), Linear("fc2", outputs: 84), ReLU(),
                      Linear("fc3", outputs: classes)]
        default:
            throw FedError(.invalidArgument, "unknown model '\(name)'; valid models: \(names.joined(separator: ", "))")
        }
        return try Sequential(inputShape: inputShape, layers: layers, seed: seed)
    }

    private static func requireImage(_ name: String, _ shape: [Int]) throws(FedError) {
        guard shape.count == 3 else {
            throw FedError(.invalidShape, "model '\(name)' needs image samples [channels, height, width], got \(shape)")
        }
    }
}
