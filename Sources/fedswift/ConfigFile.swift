import Foundation

/// `--config run.yaml`: a flat YAML file whose keys are the command's long flag names.
///
/// Its entries become flags placed before the ones typed on the command line, so typed flags win
/// (for a repeated option the last value counts). Supported values: scalars, `true`/`false` for flags
/// (`false` leaves the flag out), and comments after `#`.
enum ConfigFile {
    /// Rewrites `arguments` (without the program name), expanding every `--config FILE`.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard let at = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else { return arguments }
        let path: String
        var rest = arguments
        if arguments[at].hasPrefix("--config=") {
            path = String(arguments[at].dropFirst("--config=".count))
            rest.remove(at: at)
        } else {
            guard at + 1 < arguments.count else { throw ConfigFileError("--config needs a file name") }
            path = arguments[at + 1]
            rest.removeSubrange(at...(at + 1))
        }
        let flags = try flags(fromFile: path)
        // Insert after the subcommand path (the leading words that are not flags).
        let insertAt = rest.firstIndex { $0.hasPrefix("-") } ?? rest.count
        rest.insert(contentsOf: flags, at: insertAt)
        return rest
    }

    /// Reads `path` and returns its entries as command-line flags.
    static func flags(fromFile path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigFileError("cannot read config file '\(path)': check the path")
        }
        return try flags(fromYAML: text, source: path)
    }

    /// Parses flat `key: value` lines into flags.
    static func flags(fromYAML text: String, source: String) throws -> [String] {
        var out: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line == "---" { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw ConfigFileError("\(source):\(number + 1): expected 'key: value', got '\(line)'")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "-")
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw ConfigFileError("\(source):\(number + 1): '\(key)' is not a flag name")
            }
            switch value.lowercased() {
            case "true", "yes", "on": out.append("--\(key)")
            case "false", "no", "off": continue
            default: out.append(contentsOf: ["--\(key)", value])
            }
        }
        return out
    }
}

/// A config file that cannot be used; the message says what to fix.
struct ConfigFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
