import FedCore
import Metrics

/// The server's metrics, through swift-metrics (stable names, Prometheus style). Until the process
/// bootstraps a backend (`fedswift server --metrics-port`) every call is a no-op.
///
/// Names: `fedswift_rounds_total`, `fedswift_round_seconds` (histogram), `fedswift_bytes_up_total{codec}`,
/// `fedswift_bytes_down_total{codec}`, `fedswift_round_clients_total{outcome=completed|failed}`,
/// `fedswift_rejected_messages_total{code}`, `fedswift_connected_peers`, `fedswift_round`.
public enum FederationMetrics {
    /// A round closed with `record`; `codec` is the upload codec (models go down raw).
    public static func roundClosed(_ record: RoundRecord, uploadCodec codec: String) {
        Counter(label: "fedswift_rounds_total").increment()
        Metrics.Timer(label: "fedswift_round_seconds").recordNanoseconds(Int64(record.seconds * 1e9))
        Counter(label: "fedswift_bytes_up_total", dimensions: [("codec", codec)]).increment(by: Int64(record.bytesUp))
        Counter(label: "fedswift_bytes_down_total", dimensions: [("codec", "raw")]).increment(by: Int64(record.bytesDown))
        Counter(label: "fedswift_round_clients_total", dimensions: [("outcome", "completed")]).increment(by: Int64(record.completed))
        Counter(label: "fedswift_round_clients_total", dimensions: [("outcome", "failed")]).increment(by: Int64(record.failed))
        Gauge(label: "fedswift_round").record(Double(record.round))
    }

    /// A message was answered with ERROR `code`.
    public static func rejected(_ code: FedError.Code) {
        Counter(label: "fedswift_rejected_messages_total", dimensions: [("code", code.name)]).increment()
    }

    /// Client processes currently joined.
    public static func connectedPeers(_ count: Int) {
        Gauge(label: "fedswift_connected_peers").record(Double(count))
    }

    /// A CURVE handshake judged by the ZAP handler (`allowed` or `refused`).
    public static func handshake(allowed: Bool) {
        Counter(label: "fedswift_zap_handshakes_total", dimensions: [("result", allowed ? "allowed" : "refused")]).increment()
    }
}
