import Foundation

/// The plan a `PlanComputed` event carries: decoded already, or kept as the event's stored bytes and decoded the
/// first time it is read.
///
/// A plan is tens of KB of JSON (40 arrivals and their tasks for the Longjiang), most of a long log's bytes, and most
/// plans are replaced by a later one or never read before a person opens the incident. Reading a log for start-up
/// (``RecordedEvent/init(canonicalBytes:)``) therefore reads only the plan's ``spillUnit`` and its pollutant's names
/// (what an incident list shows) and leaves the rest to ``document()``; events built in this process (``init(_:)``) and events read through ``RecordedEvent/init(_:)``
/// hold the decoded plan. The decoded plan is kept once read, and the bytes are dropped then.
///
/// Equal when the plans are equal.
public struct PlanRecord: Sendable, Hashable {
    /// The unit where the spill is (``PlanDocument/spillUnit``): what the fold needs without the rest of the plan.
    public let spillUnit: UnitCode
    /// The English name of the plan's pollutant (``PlanDocument/pollutant``), read without the rest of the plan;
    /// `nil` for stored bytes without one (a payload that is no plan).
    public let pollutantName: String?
    /// Its Chinese name, where the registry has one.
    public let pollutantNameZh: String?
    private let storage: Storage

    /// A plan already decoded (or just computed).
    public init(_ document: PlanDocument) {
        spillUnit = document.spillUnit
        pollutantName = document.pollutant.name
        pollutantNameZh = document.pollutant.nameZh
        storage = Storage(.decoded(document))
    }

    /// A plan left in `eventBytes`, the canonical bytes of its `PlanComputed` event (`{"payload":{…plan…},…}`).
    init(spillUnit: UnitCode, pollutantName: String?, pollutantNameZh: String?, eventBytes: Data) {
        self.spillUnit = spillUnit
        self.pollutantName = pollutantName
        self.pollutantNameZh = pollutantNameZh
        storage = Storage(.stored(eventBytes))
    }

    /// Whether the plan has been decoded (or was never stored): a test's window on ``document()``'s laziness.
    package var isDecoded: Bool { storage.isDecoded }

    /// The plan, decoded from the stored bytes on first read.
    ///
    /// - Throws: `DecodingError` when the stored payload is not a plan (a log written by other code; the hash chain
    ///   keeps the bytes as written, so this is a payload that never was a plan); the error is thrown again on every
    ///   read.
    public func document() throws -> PlanDocument {
        try storage.document()
    }

    public static func == (lhs: PlanRecord, rhs: PlanRecord) -> Bool {
        lhs.storage === rhs.storage || (try? lhs.document()) == (try? rhs.document())
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(spillUnit)
    }

    /// The decoded plan or its bytes, behind a lock: the first read decodes and keeps the plan.
    private final class Storage: @unchecked Sendable {
        enum State {
            case decoded(PlanDocument)
            case stored(Data)
            case unreadable(String)
        }

        private let lock = NSLock()
        private var state: State

        init(_ state: State) { self.state = state }

        var isDecoded: Bool {
            lock.lock()
            defer { lock.unlock() }
            if case .decoded = state { return true }
            return false
        }

        func document() throws -> PlanDocument {
            lock.lock()
            defer { lock.unlock() }
            switch state {
            case .decoded(let document):
                return document
            case .unreadable(let reason):
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: reason))
            case .stored(let bytes):
                do {
                    let document = try CanonicalJSON.decode(PayloadOnly.self, from: bytes).payload
                    state = .decoded(document)
                    return document
                } catch {
                    state = .unreadable("the stored plan is not a plan: \(error)")
                    throw error
                }
            }
        }
    }

    /// An event's bytes read for their payload only.
    private struct PayloadOnly: Decodable {
        let payload: PlanDocument
    }
}
