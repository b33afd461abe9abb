import Foundation

// The payloads of the text-message events of a task (issue 19, "Sent, delivered and failed are events on the
// incident's timeline"). Each names the task (`task`) and the text (`key`, ``TextDue/key``: which step, which
// occasion), and says who it went to by duty position and by the rota's person id. Mobile numbers are personal
// data: an event carries only `numberHash`, a keyed hash of the number (HMAC-SHA-256 under the installation's SMS
// secret, first 16 hex digits) that tells whether two texts went to the same number without saying which.

/// `TaskTextSent`: the SMS gateway took a task's text for a duty position's holder.
public struct TaskTextSent: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// The text (``TextDue/key``).
    public var key: String
    /// Why it was sent.
    public var occasion: TaskTextMessage.Occasion
    /// The duty position whose holder it went to.
    public var to: Assignee
    /// The rota's id of the holder (``DutyRota/Person/id``).
    public var person: String
    /// A keyed hash of the number (see the file's header), never the number.
    public var numberHash: String
    /// The task's reply code in the text (``TaskTextMessage/code(for:)``).
    public var code: String
    /// Its length in SMS segments (1 for up to 70 UCS-2 characters; 3GPP TS 23.040).
    public var segments: Int
    /// `true` when the gateway queued it because no SMSC was connected (Kannel `3: Queued for later delivery`).
    public var queued: Bool
    /// When the gateway took it.
    public var at: Date

    public init(
        task: UUID, key: String, occasion: TaskTextMessage.Occasion, to: Assignee, person: String, numberHash: String,
        code: String, segments: Int, queued: Bool = false, at: Date
    ) {
        self.task = task
        self.key = key
        self.occasion = occasion
        self.to = to
        self.person = person
        self.numberHash = numberHash
        self.code = code
        self.segments = segments
        self.queued = queued
        self.at = at
    }
}

/// `TaskTextDelivered`: the network reported a sent text delivered to the handset (a Kannel delivery report of type
/// 1, "delivered to phone").
public struct TaskTextDelivered: Codable, Sendable, Hashable {
    public var task: UUID
    public var key: String
    /// When the report came.
    public var at: Date

    public init(task: UUID, key: String, at: Date) {
        self.task = task
        self.key = key
        self.at = at
    }
}

/// `TaskTextFailed`: a task's text could not be sent or delivered.
///
/// Not every failed attempt is an event: the sender retries with backoff and records the first failure of a text
/// (`final: false`), and, when the text has stayed undeliverable for the configured time, the last (`final: true`),
/// which comes with the duty chief's task to phone the holder (``IncidentRules/textUndeliverable(_:on:now:)``). A
/// delivery report of failure (Kannel type 2, or 16 "SMSC rejected") is recorded as it comes.
public struct TaskTextFailed: Codable, Sendable, Hashable {
    public var task: UUID
    public var key: String
    /// What went wrong, in words (the gateway's answer, or the delivery report), never the number.
    public var reason: String
    /// `true` when the sender gave up on the text.
    public var final: Bool
    public var at: Date

    public init(task: UUID, key: String, reason: String, final: Bool, at: Date) {
        self.task = task
        self.key = key
        self.reason = reason
        self.final = final
        self.at = at
    }
}
