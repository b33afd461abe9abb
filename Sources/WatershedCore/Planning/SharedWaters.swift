import Foundation

extension PlanDocument {
    /// The river or sea playbook the incident is on: the spill's own river or sea; for a park spill, the water its
    /// escaped runoff enters first (the first river reached, else the first playbook of a task outside the park);
    /// `nil` for a park spill contained in the park.
    public var incidentWater: String? {
        switch input.location {
        case .river(let id, _), .sea(let id, _, _):
            return id
        case .park(let park, _):
            return arrivals.lazy.compactMap(\.river).first
                ?? tasks.lazy.map(\.source.playbook).first { $0 != park }
        }
    }
}

extension Basin {
    /// Notifications of kind ``PeerNotificationKind/sharedWater`` for a plan: one per neighbour whose agreement lists
    /// (`rivers` / `seas` of `peers.yaml`) the water the incident is on (``PlanDocument/incidentWater``) and that the
    /// plan does not already notify of a crossing. Rule: MEE–MWR 2020 guidance (环应急〔2020〕5号) — provinces sharing
    /// a river notify each other promptly of an incident or anomaly that may cross the border *or may have a cause on
    /// the other side*; a plan that predicts no crossing (a spill below the boundary, a slick drifting away from it)
    /// is still news to the province across it. Only the incident's own water counts, not every river the plume
    /// later reaches: crossings downstream are the plan's own notifications, and a river reached far below a
    /// neighbour's border says nothing about a cause there (a Longjiang spill reaches the Liujiang, shared with
    /// Guizhou for the Duliu, without concerning Guizhou). Advisory (no crossing, so no Art. 4 cross-border trigger);
    /// `deadline` = spill time + the agreement's `notifyWithinH` (no crossing to keep a margin before); `crossingAt`
    /// = the spill time; `boundary` = the playbook's boundary between our province and the neighbour (river boundary
    /// receptor or maritime boundary), else one towards the neighbour, else the playbook id itself. Exercises are
    /// notified like any plan (their events never leave: the peer projections skip them). In neighbour-code order.
    ///
    /// - Parameter ownProvince: our province (never notified).
    public func sharedWaterNotifications(for plan: PlanDocument, ownProvince: UnitCode) -> [PeerNotification] {
        guard let water = plan.incidentWater else { return [] }
        let notified = Set(plan.peerNotifications.map(\.province))
        var notifications: [PeerNotification] = []
        for agreement in agreements.values.sorted(by: { $0.province < $1.province }) {
            let peer = agreement.province
            guard peer != ownProvince, !notified.contains(peer) else { continue }
            guard ((agreement.rivers ?? []) + (agreement.seas ?? [])).contains(water) else { continue }
            let boundary = sharedBoundary(of: water, between: ownProvince, and: peer)
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
