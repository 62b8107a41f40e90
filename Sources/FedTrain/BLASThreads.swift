import CBLAS

/// The number of threads OpenBLAS uses for each matrix product.
///
/// OpenBLAS keeps this as one process-wide setting. FedSwift's default is 1: parallelism comes from
/// training several models on several worker threads, each calling BLAS single-threaded (OpenBLAS's
/// pthread build runs such calls on the caller's thread, so concurrent callers do not contend).
/// Raise it for one large model trained alone.
public enum BLASThreads {
    /// The current setting.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the process-wide BLAS thread count (at least 1).
    public static func set(_ threads: Int) {
        openblas_set_num_threads(Int32(max(threads, 1)))
    }
}
