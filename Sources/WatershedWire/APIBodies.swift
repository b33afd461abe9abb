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
