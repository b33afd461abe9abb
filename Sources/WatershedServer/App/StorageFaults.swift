import Foundation
import Hummingbird
import Logging
import Synchronization
import WatershedPostgres
import WatershedStore

/// The answer to each kind of storage failure (issue 15, item 18).
///
/// A full disk used to answer 500 with an empty body and log nothing at `info`. Each kind now answers 503 with the
/// JSON error body and its ``code``, is counted in `watershed_storage_failures_total{kind}` and logged at `error`,
/// at most once per kind every ``StorageFaults/logInterval`` (with the number of failures left unlogged since).
extension StorageFailure {
    /// The error body's code: `storage_full`, `storage_io_error`, `storage_busy`, `storage_read_only`,
    /// `storage_corrupt`, `storage_unreachable`.
    var code: String {
        switch self {
        case .full: "storage_full"
        case .io: "storage_io_error"
        case .busy: "storage_busy"
        case .readOnly: "storage_read_only"
        case .corrupt: "storage_corrupt"
        case .unreachable: "storage_unreachable"
        }
    }

    /// The sentence a client is told. Every kind means the request's events were not stored.
    var message: String {
        switch self {
        case .full:
            "the server's storage is full: nothing was stored; send it again once the operator has freed space"
        case .io:
            "the server cannot read or write its storage (I/O error): nothing was stored; send it again later"
        case .busy: "the server's storage is busy: nothing was stored; send it again"
        case .readOnly:
            "the server's storage cannot be written (read-only): nothing was stored; the operator must fix it"
        case .corrupt: "the server's storage is damaged: nothing was stored; the operator must restore it"
        case .unreachable:
            "the server cannot reach its database: the request may or may not have been stored; send it again "
                + "with the same Idempotency-Key"
        }
    }
}

/// Counts, logs (rate-limited) and answers storage failures; one per application.
final class StorageFaults: Sendable {
    /// The least time between two log lines of one kind: 10 s.
    static let logInterval: Duration = .seconds(10)

    private struct Tally {
        var lastLogged: ContinuousClock.Instant?
        var unlogged = 0
    }

    let metrics: ServerMetrics
    let logger: Logger
    /// The least time between two log lines of one kind (``logInterval`` unless a test shortens it).
    let interval: Duration
    private let tallies = Mutex<[StorageFailure: Tally]>([:])

    init(metrics: ServerMetrics, logger: Logger, interval: Duration = StorageFaults.logInterval) {
        self.metrics = metrics
        self.logger = logger
        self.interval = interval
    }

    /// Counts a failure of `kind` and logs it unless a line for that kind was logged in the last ``interval``.
    ///
    /// - Parameters:
    ///   - error: what SQLite said (logged).
    ///   - during: what was being done, e.g. `POST /v1/incidents`.
    func record(_ kind: StorageFailure, error: any Error, during: String) {
        metrics.storageFailure(kind.rawValue)
        let now = ContinuousClock.now
        let unlogged = tallies.withLock { tallies -> Int? in
            var tally = tallies[kind, default: Tally()]
            defer { tallies[kind] = tally }
            if let last = tally.lastLogged, now - last < interval {
                tally.unlogged += 1
                return nil
            }
            defer {
                tally.lastLogged = now
                tally.unlogged = 0
            }
            return tally.unlogged
        }
        guard let unlogged else { return }
        logger.error(
            "storage failure: \(kind.message)",
            metadata: [
                "kind": "\(kind.rawValue)", "during": "\(during)", "error": "\(error)",
                "unlogged_since_last": "\(unlogged)",
            ])
    }
}

/// Turns a storage failure under a request into 503 with the JSON error body (``StorageFailure``), and records
/// it in ``StorageFaults``. Sits inside ``JSONErrorMiddleware``, outside everything that touches the log.
struct StorageFaultMiddleware<Context: RequestContext>: RouterMiddleware {
    let faults: StorageFaults

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            guard let kind = StorageFailure(error) ?? StorageFailure(postgres: error) else { throw error }
            faults.record(kind, error: error, during: "\(request.method.rawValue) \(request.uri.path)")
            throw APIError(.serviceUnavailable, code: kind.code, message: kind.message)
        }
    }
}
