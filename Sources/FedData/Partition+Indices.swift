import FedCore

extension Partition {
    /// The partition as JSON: `{"clients":[[i, ...], ...]}`, client by client in each client's stored
    /// order, followed by the `extra` lists of per-client index lists under their keys (for instance each
    /// client's personal test samples). Lets another system train on exactly these client datasets.
    public func indicesJSON(extra: [(key: String, lists: [[Int]])] = []) -> String {
        func encode(_ lists: [[Int]]) -> String {
            "[" + lists.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",\n") + "]"
        }
        var fields = ["\"clients\":" + encode(clients)]
        for (key, lists) in extra { fields.append("\"\(key)\":" + encode(lists)) }
        return "{" + fields.joined(separator: ",\n") + "}\n"
    }
}
