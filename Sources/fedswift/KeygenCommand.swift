import ArgumentParser
import FedNet

/// `fedswift keygen`: a CURVE key pair for `--curve-secret`, `--server-key` and `--allow`.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (public) in --out.",
        discussion: """
            Keys are Z85 text (40 characters). Give the server's NAME.pub to its clients (--server-key) and \
            append each client's NAME.pub line to the server's allowlist file (--allow); every node passes \
            its own NAME.key with --curve-secret. Existing files are never overwritten.
            Example:
              fedswift keygen --out keys --name server
              fedswift keygen --out keys --name client-a
              cat keys/client-a.pub >> keys/allowed.txt
              fedswift server --curve-secret keys/server.key --allow keys/allowed.txt ...
              fedswift client --curve-secret keys/client-a.key --server-key keys/server.pub ...
            """
    )

    @Option(help: "Directory the two key files are written to (created if missing).", completion: .directory)
    var out: String

    @Option(help: "Base name of the files: NAME.key and NAME.pub.")
    var name = "curve"

    func validate() throws {
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain file name") }
    }

    func run() throws {
        let pair = try CurveKeyPair.generate()
        let (secret, publicPath) = try pair.write(to: out, name: name)
        print("secret key: \(secret)")
        print("public key: \(publicPath) (\(CurveKeyPair.fingerprint(pair.publicKey)))")
    }
}
