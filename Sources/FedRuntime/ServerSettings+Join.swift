import FedCore
import FedWire

/// The join handshake both servers (sync and async) perform: checking a HELLO and filling a WELCOME.
extension ServerSettings {
    /// Checks a HELLO from node `peer`: it announces at least one client, all inside the experiment, and
    /// offers the upload codec this server asks for. Returns that codec's encoding.
    func admit(_ hello: Envelope, peer: String) throws(FedError) -> TensorEncoding {
        let total = experiment.clients
        let outside = hello.clientIDs.map { Int($0) }.filter { $0 >= total }
        guard !hello.clientIDs.isEmpty, outside.isEmpty else {
            throw FedError(.invalidArgument, "node '\(peer)' announces clients \(outside.prefix(5)) outside 0..<\(total), or none")
        }
        guard let wanted = try? TensorEncoding(parsing: codec), hello.codecs.contains(wanted.codec) else {
            throw FedError(.unknownCodec, "node '\(peer)' offers codecs \(hello.codecs) but this server asks for \(codec)")
        }
        return wanted
    }

    /// The configuration a WELCOME carries: the experiment's entries, the upload codec, the heartbeat
    /// the round timeout and the model's float32 bytes (plus the echo model's size for echo runs).
    func welcomeConfig(modelBytes: Int) -> [String: ConfigValue] {
        var config = experiment.entries.mapValues { ConfigValue.string($0) }
        config["codec"] = .string(codec)
        config["heartbeat"] = .double(heartbeat)
        config["round_timeout"] = .double(roundTimeout)
        if let echoParams { config["echo_params"] = .int(Int64(echoParams)) }
        config["model_bytes"] = .int(Int64(modelBytes))
        return config
    }
}
