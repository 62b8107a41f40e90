import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-client statistics of a partition (FedLab's `partition_report`): sample counts and class histograms.
public struct PartitionReport: Sendable, Equatable {
    /// Number of classes (columns c0..c{classes-1}).
    public let classes: Int
    /// Per client, how many of its samples fall in each class.
    public let classCounts: [[Int]]

    /// Counts the labels each client of `partition` holds.
    public init(labels: [Int32], classes: Int, partition: Partition) {
        self.classes = classes
        classCounts = partition.clients.map { indices in
            var counts = [Int](repeating: 0, count: classes)
            for i in indices { counts[Int(labels[i])] += 1 }
            return counts
        }
    }

    /// Samples per client.
    public var samples: [Int] { classCounts.map { $0.reduce(0, +) } }

    /// Summary figures for people: size spread and label diversity.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        /// Smallest client size.
        public let minimum: Int
        /// Median client size (lower median for an even count).
        public let median: Int
        /// Largest client size.
        public let maximum: Int
        /// Mean number of classes with at least 10 samples per client.
        public let meanClassesAtLeast10: Double
        /// Mean number of classes with at least 1 sample per client.
        public let meanClassesAtLeast1: Double

        /// One line, e.g. `samples per client min 141 / median 617 / max 1092; classes per client ≥10: 6.16, ≥1: 8.29`.
        public var description: String {
            "samples per client min \(minimum) / median \(median) / max \(maximum); mean classes per client "
                + "with ≥10 samples \(format(meanClassesAtLeast10)), with ≥1 \(format(meanClassesAtLeast1))"
        }

        private func format(_ value: Double) -> String {
            let hundredths = Int((value * 100).rounded())
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        }
    }

    /// Min / median / max samples and mean classes per client (with ≥10 and ≥1 samples).
    public var summary: Summary {
        let sorted = samples.sorted()
        let clients = Double(max(classCounts.count, 1))
        func meanClasses(atLeast threshold: Int) -> Double {
            Double(classCounts.reduce(0) { $0 + $1.filter { $0 >= threshold }.count }) / clients
        }
        return Summary(minimum: sorted.first ?? 0, median: sorted.isEmpty ? 0 : sorted[(sorted.count - 1) / 2],
                       maximum: sorted.last ?? 0, meanClassesAtLeast10: meanClasses(atLeast: 10),
                       meanClassesAtLeast1: meanClasses(atLeast: 1))
    }

    /// Mean over clients of KL(client label distribution ‖ global label distribution), in nats:
    /// 0 for a perfectly IID split, large for label skew.
    public var meanKLToGlobal: Double {
        let totals = (0..<classes).map { c in classCounts.reduce(0) { $0 + $1[c] } }
        let all = Double(totals.reduce(0, +))
        var sum = 0.0
        for counts in classCounts {
            let n = Double(counts.reduce(0, +))
            guard n > 0 else { continue }
            for c in 0..<classes where counts[c] > 0 {
                let p = Double(counts[c]) / n
                sum += p * log(p / (Double(totals[c]) / all))
            }
        }
        return sum / Double(max(classCounts.count, 1))
    }

    /// The table as CSV: header `client,samples,c0,...`, then one row per client.
    public var csv: String {
        var out = "client,samples," + (0..<classes).map { "c\($0)" }.joined(separator: ",") + "\n"
        for (client, counts) in classCounts.enumerated() {
            out += "\(client),\(counts.reduce(0, +)),\(counts.map(String.init).joined(separator: ","))\n"
        }
        return out
    }
}
