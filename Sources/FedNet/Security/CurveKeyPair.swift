import CZeroMQ
import FedCore
import Foundation

/// A CURVE key pair (Curve25519, 32-byte keys) and the Z85 text form ZeroMQ tools exchange
/// (zguide ch.5, "Securing ZeroMQ"; RFC 32/Z85).
///
/// Key files hold one Z85 key (40 characters) per line; other lines starting with `#` are comments.
/// The public key is not secret; the secret key file is created with mode 0600.
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key, 32 bytes; clients put it in the server's allowlist, the server's goes to clients.
    public let publicKey: [UInt8]
    /// The secret key, 32 bytes; never leaves the host that generated it.
    public let secretKey: [UInt8]

    /// A fresh random key pair from libzmq (`zmq_curve_keypair`, backed by libsodium's RNG).
    public static func generate() throws(FedError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        _ = try ZMQCall.run("zmq_curve_keypair") { zmq_curve_keypair(&publicText, &secretText) }
        return CurveKeyPair(publicKey: try Z85.decode(Self.text(publicText)),
                            secretKey: try Z85.decode(Self.text(secretText)))
    }

    /// The pair whose secret key is `secretKey` (the public key is derived with `zmq_curve_public`).
    public init(secretKey: [UInt8]) throws(FedError) {
        guard secretKey.count == 32 else { throw FedError(.invalidArgument, "a CURVE secret key is 32 bytes, got \(secretKey.count)") }
        let secretText = try Z85.encode(secretKey)
        var publicText = [CChar](repeating: 0, count: 41)
        _ = try ZMQCall.run("zmq_curve_public") { zmq_curve_public(&publicText, secretText) }
        self.init(publicKey: try Z85.decode(Self.text(publicText)), secretKey: secretKey)
    }

    private init(publicKey: [UInt8], secretKey: [UInt8]) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Reads a secret key file (as `fedswift keygen` writes it) and derives the public key.
    public init(secretKeyFile path: String) throws(FedError) {
        try self.init(secretKey: try Self.readKey(path))
    }

    /// A short printable name of a public key for logs and ZAP user ids: `curve:` + the first 6 bytes in hex.
    public static func fingerprint(_ publicKey: [UInt8]) -> String {
        "curve:" + publicKey.prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// Writes `<name>.key` (the secret key, mode 0600) and `<name>.pub` (the public key) into `directory`.
    ///
    /// - Returns: the two paths written, secret first.
    /// - Throws: `.io` if a file exists (keys are never overwritten) or cannot be written.
    public func write(to directory: String, name: String) throws(FedError) -> (secret: String, public: String) {
        let dir = URL(fileURLWithPath: directory)
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw FedError(.io, "cannot create \(directory): \(error.localizedDescription)")
        }
        let secretPath = dir.appendingPathComponent("\(name).key").path
        let publicPath = dir.appendingPathComponent("\(name).pub").path
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw FedError(.io, "\(path) exists; keys are never overwritten, remove it or pick another --name")
        }
        let header = "# fedswift CURVE key (Z85). "
        try Self.create(secretPath, header + "SECRET: keep on this host only.\n" + Z85.encode(secretKey) + "\n", mode: 0o600)
        try Self.create(publicPath, header + "Public: share freely.\n" + Z85.encode(publicKey) + "\n", mode: 0o644)
        return (secretPath, publicPath)
    }

    /// Reads the first non-comment line of a key file as a Z85 key.
    public static func readKey(_ path: String) throws(FedError) -> [UInt8] {
        let keys = try readKeys(path)
        guard keys.count == 1, let key = keys.first else {
            throw FedError(.invalidArgument, "\(path) should hold exactly one Z85 key, found \(keys.count)")
        }
        return key
    }

    /// Reads every key of a key list (an allowlist): one Z85 key per line, optionally followed by a comment;
    /// blank lines and lines starting with `#` (that are not keys) are ignored.
    public static func readKeys(_ path: String) throws(FedError) -> [[UInt8]] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FedError(.io, "cannot read key file \(path): \(error.localizedDescription)")
        }
        var keys: [[UInt8]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Z85's alphabet contains '#', so a comment is a line starting with '#' whose first word is not a key.
            guard let first = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).first else { continue }
            if let key = try? Z85.decode(String(first)) {
                keys.append(key)
            } else if !first.hasPrefix("#") {
                throw FedError(.invalidArgument, "\(path):\(number + 1): not a 40-character Z85 CURVE key")
            }
        }
        return keys
    }

    /// A NUL-terminated C buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func create(_ path: String, _ text: String, mode: mode_t) throws(FedError) {
        // O_EXCL + the mode at creation: the secret is never readable by others, not even briefly.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw FedError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fchmod(fd, mode)  // the umask may have narrowed the public key's mode; never widens the secret's
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw FedError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}

/// ZeroMQ's Z85 text encoding of binary keys (RFC 32), through libzmq's own encoder.
public enum Z85 {
    /// Encodes bytes whose count is a multiple of 4.
    public static func encode(_ bytes: [UInt8]) throws(FedError) -> String {
        guard bytes.count % 4 == 0 else { throw FedError(.invalidArgument, "Z85 encodes multiples of 4 bytes, got \(bytes.count)") }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { throw FedError(.invalidArgument, "Z85 encoding failed") }
        return CurveKeyPair.text(text)
    }

    /// Decodes a 40-character Z85 key into 32 bytes.
    public static func decode(_ text: String) throws(FedError) -> [UInt8] {
        guard text.utf8.count == 40 else { throw FedError(.invalidArgument, "a Z85 CURVE key has 40 characters, got \(text.utf8.count)") }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, text) != nil else { throw FedError(.invalidArgument, "'\(text.prefix(8))...' is not valid Z85") }
        return bytes
    }
}
