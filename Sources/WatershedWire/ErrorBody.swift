import WatershedCore

/// The body of every 4xx/5xx answer: `{"error": {"code": "…", "message": "…", "field": "…"}}`
/// (DESIGN.md "HTTP API"). `field` names the request field at fault, when there is one.
public struct ErrorBody: Codable, Sendable, Hashable {
    /// The error itself.
    public struct Detail: Codable, Sendable, Hashable {
        /// A stable machine-readable code, e.g. `"unknown_river"`.
        public var code: String
        /// A sentence for a person.
        public var message: String
        /// The request field at fault, e.g. `"km"`.
        public var field: String?
    }

    /// The error.
    public var error: Detail

    /// Creates an error body.
    public init(code: String, message: String, field: String? = nil) {
        self.error = Detail(code: code, message: message, field: field)
    }

    /// The body for a planner error: the code is the error's case in snake case, the field its input.
    public init(_ planError: PlanError) {
        self.init(code: planError.code, message: planError.description, field: planError.field)
    }
}

/// `POST /v1/plans` (a later issue serves it): a spill to plan; the answer is a ``PlanDocument``.
public struct PlanRequest: Codable, Sendable, Hashable {
    /// The spill.
    public var spill: SpillInput
    /// Creates a request.
    public init(spill: SpillInput) { self.spill = spill }
}
