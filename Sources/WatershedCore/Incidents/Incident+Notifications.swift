import Foundation

extension Incident {
    /// A neighbour our notification has not reached in time: not *received* by its server, or received but not
    /// *accepted* by its duty officer, by its deadline.
    public struct OverdueNotification: Sendable, Hashable {
        /// The neighbouring province (GB/T 2260).
        public var province: UnitCode
        /// The earliest deadline of the notifications to it (a dam release warning can bring one forward).
        public var deadline: Date
        /// How far delivery got: `.pending` (not received) or `.received` (not accepted).
        public var delivery: Notification.Delivery
    }

    /// The neighbours whose notification is overdue at `now`, by deadline: for each province notified, the earliest
    /// deadline of its notifications (``PeerNotification/deadline``: MEP Order No. 17 Art. 8 and the agreement's
    /// terms) when it has passed (`deadline <= now`) and delivery has not reached *accepted*. Only an open incident
    /// that is not an exercise owes anything (a drill's notifications are part of the drill).
    ///
    /// What the peer watch phones or escalates about (`peer:<code>:not-received`, `peer:<code>:not-accepted`).
    public func overdueNotifications(at now: Date) -> [OverdueNotification] {
        guard isOpen, !exercise else { return [] }
        var byProvince: [UnitCode: OverdueNotification] = [:]
        var order: [UnitCode] = []
        for notification in notifications {
            let province = notification.notification.province
            if var known = byProvince[province] {
                known.deadline = min(known.deadline, notification.notification.deadline)
                known.delivery = notification.delivery
                byProvince[province] = known
            } else {
                order.append(province)
                byProvince[province] = OverdueNotification(
                    province: province, deadline: notification.notification.deadline,
                    delivery: notification.delivery)
            }
        }
        return order.compactMap { byProvince[$0] }.filter { $0.delivery != .accepted && $0.deadline <= now }
            .sorted { $0.deadline < $1.deadline }
    }
}

extension Incident.Notification {
    /// This notification with its Chinese text: the neighbour's `nameZh` from the basin's units, the boundary's (and
    /// a dam's) from its playbooks (``Basin/placeNameZh(_:)``).
    public func withTextZh(in basin: Basin) -> Incident.Notification {
        var entry = self
        entry.textZh = ReportWordsZh.notification(notification, units: basin.units, placeNames: basin.placeNameZh)
        return entry
    }
}
