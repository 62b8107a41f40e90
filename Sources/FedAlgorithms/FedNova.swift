import FedCore

/// FedNova, normalized averaging (Wang et al., "Tackling the Objective Inconsistency Problem in
/// Heterogeneous Federated Optimization", NeurIPS 2020, Eq. (6)–(7)):
/// `x^{t+1} = x^t − τ_eff Σ_i p_i d_i` with `d_i = (x^t − x_i) / ‖a_i‖₁` the normalized update and
/// `τ_eff = Σ_i p_i ‖a_i‖₁`, `p_i = n_i / n`. For local SGD `‖a_i‖₁ = τ_i`, the client's local steps;
/// with momentum ρ, `‖a_i‖₁ = [τ_i − ρ(1 − ρ^{τ_i})/(1 − ρ)] / (1 − ρ)` (Appendix, momentum SGD).
/// Equal τ_i everywhere gives FedAvg (up to float rounding).
public struct FedNova: Strategy {
    /// `fednova`.
    public let name = "fednova"

    /// FedNova; clients report ‖a_i‖₁ as `nova_norm` (``FedNovaClient``).
    public init() {}

    /// ‖a_i‖₁ for τ local steps of SGD with momentum ρ.
    public static func normalizer(steps: Int, momentum rho: Double) -> Double {
        let tau = Double(max(steps, 1))
        guard rho > 0 else { return tau }
        return max((tau - rho * (1 - pow(rho, tau)) / (1 - rho)) / (1 - rho), 1e-12)
    }

    /// Deltas weighted by `n_i / ‖a_i‖₁`, denominators `n_i`.
    public func makeAccumulator(global: ModelState) -> FitAccumulator {
        FitAccumulator(global: global) { result, _ in
            let n = Double(result.numExamples)
            let norm = result.metrics["nova_norm"] ?? result.metrics["steps"] ?? 1
            return (n / max(norm, 1e-12), n)
        }
    }

    /// `x + τ_eff Σ p_i Δ_i / ‖a_i‖₁` with `τ_eff = Σ p_i ‖a_i‖₁` (the example-weighted metric mean).
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        guard let delta = results.combinedDelta() else { return nil }
        let tauEff = results.meanMetric("nova_norm") ?? results.meanMetric("steps") ?? 1
        return global.adding(delta, scale: tauEff)
    }
}

/// FedNova's client: local SGD (with the configured momentum ρ), reporting ‖a_i‖₁ as `nova_norm`
/// (Wang et al., NeurIPS 2020, Section 4; τ_i for plain SGD).
public struct FedNovaClient: ClientAlgorithm {
    /// `fednova`.
    public let name = "fednova"

    /// FedNova's client.
    public init() {}

    /// Reports ‖a_i‖₁ from the step count and the local momentum.
    public func finish(_ task: ClientTask, local: [Float], steps: Int, state: inout ClientState) -> ClientOutput {
        ClientOutput(metrics: ["nova_norm": FedNova.normalizer(steps: steps, momentum: task.config.momentum)])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
