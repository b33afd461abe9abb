import Foundation

extension Incident {
    /// A task's text message as its events tell it (issue 19): sent, then delivered, or failed.
    public struct TaskText: Codable, Sendable, Hashable {
        /// Where it stands: sent (the gateway took it), delivered (the handset has it), failing (an attempt failed
        /// and the sender is retrying), undeliverable (the sender gave up; the duty chief phones instead).
        public enum State: String, Codable, Sendable, Hashable {
            case sent, delivered, failing, undeliverable
        }

        /// ``TextDue/key``.
        public var key: String
        /// The task.
        public var task: UUID
        public var state: State
        /// The last `TaskTextSent`, if any: who it went to and when.
        public var sent: TaskTextSent?
        /// When it was reported delivered.
        public var deliveredAt: Date?
        /// When it first failed, and why it last did.
        public var firstFailedAt: Date?
        public var failure: String?

        /// Whether the sender is done with it: it need not be sent again.
        public var isSettled: Bool { state != .failing }
    }

    /// The text with `key`, if any event has named it.
    public func text(_ key: String) -> TaskText? { texts.first { $0.key == key } }

    /// Folds a `TaskTextSent`, `TaskTextDelivered` or `TaskTextFailed`; returns the index of its task, for the
    /// timeline. A delivery report after the sender gave up still says delivered: the handset has it.
    mutating func applyText(_ event: IncidentEvent) -> Int? {
        let task: UUID
        let key: String
        switch event {
        case .textSent(let sent): (task, key) = (sent.task, sent.key)
        case .textDelivered(let delivered): (task, key) = (delivered.task, delivered.key)
        case .textFailed(let failed): (task, key) = (failed.task, failed.key)
        default: return nil
        }
        let index =
            texts.firstIndex { $0.key == key }
            ?? {
                texts.append(TaskText(key: key, task: task, state: .failing))
                return texts.count - 1
            }()
        switch event {
        case .textSent(let sent):
            texts[index].sent = sent
            if texts[index].state != .delivered { texts[index].state = .sent }
        case .textDelivered(let delivered):
            texts[index].deliveredAt = delivered.at
            texts[index].state = .delivered
        case .textFailed(let failed):
            texts[index].firstFailedAt = texts[index].firstFailedAt ?? failed.at
            texts[index].failure = failed.reason
            if texts[index].state != .delivered { texts[index].state = failed.final ? .undeliverable : .failing }
        default: break
        }
        return taskIndex[task]
    }
}
