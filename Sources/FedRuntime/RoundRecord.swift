import Foundation

/// One row of a results file (`--out run.jsonl`): what a round did and what it cost.
public struct RoundRecord: Codable, Sendable, Equatable {
    /// Round number, from 1.
    public var round: Int
    /// Test accuracy of the global model after the round (absent when the round skipped evaluation).
    public var accuracy: Double?
    /// Test loss of the global model after the round (absent when the round skipped evaluation).
    public var loss: Double?
    /// Wall time from sampling to aggregated model, evaluation excluded.
    public var seconds: Double
    /// Wall time of the evaluation.
    public var evalSeconds: Double
    /// Virtual clients selected.
    public var selected: Int
    /// Selected clients whose results were aggregated.
    public var completed: Int
    /// Selected clients that failed, timed out or were rejected.
    public var failed: Int
    /// Bytes sent to clients (0 in simulation).
    public var bytesDown: Int
    /// Bytes received from clients (0 in simulation).
    public var bytesUp: Int
    /// Mean training loss reported by the clients.
    public var trainLoss: Double?
    /// Results that arrived after the round closed and were discarded.
    public var late: Int?
    /// Notes such as which group was missing.
    public var note: String?
    /// Virtual seconds since the start, when client speeds are simulated.
    public var simTime: Double?
    /// Personalized algorithms (Ditto): the example-weighted mean accuracy of the trained clients'
    /// personal models on their personal test samples.
    public var personalAccuracy: Double?

    /// A record; evaluation fields and extras default to absent.
    public init(round: Int, accuracy: Double? = nil, loss: Double? = nil, seconds: Double, evalSeconds: Double = 0,
                selected: Int, completed: Int, failed: Int = 0, bytesDown: Int = 0, bytesUp: Int = 0, trainLoss: Double? = nil) {
        self.round = round
        self.accuracy = accuracy
        self.loss = loss
        self.seconds = seconds
        self.evalSeconds = evalSeconds
        self.selected = selected
        self.completed = completed
        self.failed = failed
        self.bytesDown = bytesDown
        self.bytesUp = bytesUp
        self.trainLoss = trainLoss
    }

    enum CodingKeys: String, CodingKey {
        case round, accuracy, loss, seconds, selected, completed, failed, late, note
        case evalSeconds = "eval_seconds", bytesDown = "bytes_down", bytesUp = "bytes_up", trainLoss = "train_loss"
        case simTime = "sim_time", personalAccuracy = "personal_accuracy"
    }
}
