import FedCore
import Foundation

/// Virtual client id lists as typed on a command line: `0-9`, `0-4,7`, `3`.
public enum ClientIDList {
    /// Parses a comma-separated list of ids and inclusive ranges; the result is sorted and unique.
    public static func parse(_ text: String) throws(FedError) -> [Int] {
        var ids = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1, let one = bounds[0], one >= 0 {
                ids.insert(one)
            } else if bounds.count == 2, let low = bounds[0], let high = bounds[1], low >= 0, low <= high {
                ids.formUnion(low...high)
            } else {
                throw FedError(.invalidArgument, "'\(part)' in --clients '\(text)' is not an id or a range like 0-9")
            }
        }
        return ids.sorted()
    }

    /// The inverse of ``parse(_:)``: sorted unique ids with consecutive runs as ranges (`0-3,7`); empty for none.
    public static func format(_ ids: [Int]) -> String {
        var runs: [ClosedRange<Int>] = []
        for id in Set(ids).sorted() {
            if let last = runs.last, id == last.upperBound + 1 { runs[runs.count - 1] = last.lowerBound...id } else { runs.append(id...id) }
        }
        return runs.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }
}
