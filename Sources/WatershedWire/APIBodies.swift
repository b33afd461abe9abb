import Foundation
import WatershedCore

/// `201` for `POST /v1/stream-tickets`: a one-use ticket for `/v1/stream?ticket=…`, valid until `expiresAt`
/// (30 s).
public struct StreamTicket: Codable, Sendable, Hashable {
    /// The ticket, to pass as `?ticket=`.
    public var ticket: String
    /// When it stops being accepted.
    public var expiresAt: Date

    /// Creates a ticket answer.
    public init(ticket: String, expiresAt: Date) {
        self.ticket = ticket
        self.expiresAt = expiresAt
    }
}

/// The body of `POST /v1/tasks/{id}/decline`.
public struct DeclineBody: Codable, Sendable, Hashable {
    /// Why the unit cannot take the task (shown to the next assignee), 1–1000 characters.
    public var reason: String

    /// Creates a body.
    public init(reason: String) { self.reason = reason }
}

/// An entry of `GET /v1/playbooks`.
public struct PlaybookListing: Codable, Sendable, Hashable {
    /// The playbook's id, e.g. `longjiang`.
    public var id: String
    /// `river`, `park` or `sea`.
    public var kind: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// The playbook's version.
    public var version: String

    /// Creates an entry.
    public init(id: String, kind: String, name: String, nameZh: String?, version: String) {
        self.id = id
        self.kind = kind
        self.name = name
        self.nameZh = nameZh
        self.version = version
    }
}

/// The body of `POST /v1/incidents/{id}/links`: the incident to link, by UUID or reference on this server
/// (`GD-2013-0002`). Absent or blank: 422 naming `incident`.
public struct IncidentLinkRequest: Codable, Sendable, Hashable {
    /// The other incident's UUID or reference.
    public var incident: String?

    public init(incident: String?) {
        self.incident = incident
    }
}

/// `201` for `POST /v1/incidents/{id}/links`: the incident and every incident now linked to it.
public struct IncidentLinks: Codable, Sendable, Hashable {
    /// The incident of the path.
    public var incident: UUID
    /// Its reference.
    public var reference: String
    /// Its links, in the order they were made (the new one last).
    public var linked: [IncidentDetail.LinkEntry]

    public init(incident: UUID, reference: String, linked: [IncidentDetail.LinkEntry]) {
        self.incident = incident
        self.reference = reference
        self.linked = linked
    }
}

/// The body of `POST /v1/incidents/{id}/forwards` (commander): forward a lower unit's report to a recipient (MEP
/// Order No. 17 Art. 3: the province reports to MEE within 1 h of receiving the county's report).
/// `{"to": "MEE", "report": 12}`: `to` is `"MEE"` or a unit code (absent or blank: 422 naming `to`); `report` is the
/// report's seq (its `IncidentReported` or `ReportFiled`), absent for the latest report signed by a unit other than
/// this province.
public struct ReportForwardRequest: Codable, Sendable, Hashable {
    /// The recipient.
    public var to: String?
    /// The report's seq.
    public var report: Int64?

    public init(to: String?, report: Int64? = nil) {
        self.to = to
        self.report = report
    }
}

/// `201` for `POST /v1/incidents/{id}/forwards`: the incident after the forward (without its plan), the forward, the
/// obligations it met (each with `lateBy` in seconds when met after its `dueBy`) and the seqs appended.
public struct ReportForwardAnswer: Codable, Sendable, Hashable {
    public var incident: IncidentSummary
    public var forward: Incident.Forward
    public var met: [Incident.Obligation]
    public var firstSeq: Int64
    public var lastSeq: Int64

    public init(
        incident: IncidentSummary, forward: Incident.Forward, met: [Incident.Obligation], firstSeq: Int64,
        lastSeq: Int64
    ) {
        self.incident = incident
        self.forward = forward
        self.met = met
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
    }
}
