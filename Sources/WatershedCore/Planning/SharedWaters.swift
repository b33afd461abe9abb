import Foundation

extension PlanDocument {
    /// The river and sea playbook ids the plan touches, nearest the spill first: the spill's own (river or sea),
    /// every river the plume is predicted to reach in order of arrival, and the playbook of every planned task (a
    /// sea's receptors, a park's outfall river); each once.
    public var touchedPlaybooks: [String] {
        var ids: [String] = []
        switch input.location {
        case .river(let id, _), .sea(let id, _, _): ids.append(id)
        case .park: break
        }
        for id in arrivals.compactMap(\.river) + tasks.map(\.source.playbook) where !ids.contains(id) {
            ids.append(id)
        }
        return ids
    }
}

extension Basin {
    /// Notifications of kind ``PeerNotificationKind/sharedWater`` for a plan: one per neighbour whose agreement lists
    /// (`rivers` / `seas` of `peers.yaml`) a playbook the plan touches (``PlanDocument/touchedPlaybooks``; the one
    /// nearest the spill names the boundary) and that
    /// the plan does not already notify of a crossing. Rule: MEE–MWR 2020 guidance (环应急〔2020〕5号) — provinces
    /// sharing a river notify each other promptly of an incident or anomaly that may cross the border *or may have
    /// a cause on the other side*; a plan that predicts no crossing (a spill below the boundary, a slick drifting
    /// away from it) is still news to the province across it. Advisory (no crossing, so no Art. 4 cross-border
    /// trigger); `deadline` = spill time + the agreement's `notifyWithinH` (no crossing to keep a margin before);
    /// `crossingAt` = the spill time; `boundary` = the playbook's boundary between our province and the neighbour
    /// (river boundary receptor or maritime boundary), else one towards the neighbour, else the playbook id itself.
    /// Exercises are notified like any plan (the link marks their events as exercise). In neighbour-code order.
    ///
    /// - Parameter ownProvince: our province (never notified).
    public func sharedWaterNotifications(for plan: PlanDocument, ownProvince: UnitCode) -> [PeerNotification] {
        let touched = plan.touchedPlaybooks
        let notified = Set(plan.peerNotifications.map(\.province))
        var notifications: [PeerNotification] = []
        for agreement in agreements.values.sorted(by: { $0.province < $1.province }) {
            let peer = agreement.province
            guard peer != ownProvince, !notified.contains(peer) else { continue }
            let listed = Set((agreement.rivers ?? []) + (agreement.seas ?? []))
            guard let playbook = touched.first(where: listed.contains) else { continue }
            let boundary = sharedBoundary(of: playbook, between: ownProvince, and: peer)
            notifications.append(
                PeerNotification(
                    province: peer, name: units[peer]?.name ?? agreement.name, requirement: .advisory,
                    boundary: boundary.id, boundaryName: boundary.name, crossingAt: plan.input.at, peakMgL: nil,
                    ratioToStandard: nil, deadline: plan.input.at.addingTimeInterval(agreement.notifyWithinH * 3_600),
                    agreement: agreement.agreement, kind: .sharedWater))
        }
        return notifications
    }

    /// The boundary node of a river or sea playbook between `own` and `peer` (either side), else one towards
    /// `peer`, else the playbook's own id and name.
    func sharedBoundary(of playbook: String, between own: UnitCode, and peer: UnitCode) -> (id: String, name: String) {
        let pair: Set<UnitCode> = [own, peer]
        if let river = rivers[playbook] {
            let boundaries = river.receptors.filter { $0.kind == .boundary && $0.beyond != nil }
            let sides = { (receptor: Receptor) -> Set<UnitCode> in
                [receptor.owner.provinceCode, receptor.beyond!.provinceCode]
            }
            let found =
                boundaries.first { sides($0) == pair }
                ?? boundaries.first { $0.beyond!.provinceCode == peer || $0.owner.provinceCode == peer }
            return found.map { ($0.id, $0.name) } ?? (river.id, river.name)
        }
        if let sea = seas[playbook] {
            let found =
                sea.boundaries.first { [sea.owner.provinceCode, $0.beyond.provinceCode] == pair }
                ?? sea.boundaries.first { $0.beyond.provinceCode == peer }
            return found.map { ($0.id, $0.name) } ?? (sea.id, sea.name)
        }
        return (playbook, playbook)
    }
}
