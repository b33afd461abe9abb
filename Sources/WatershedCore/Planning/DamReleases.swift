import Foundation

extension Basin {
    /// The river emergency site with this id and its river, or `nil`.
    public func emergencySite(_ id: String) -> (site: EmergencySite, river: RiverPlaybook)? {
        for river in rivers.values.sorted(by: { $0.id < $1.id }) {
            if let site = river.sites.first(where: { $0.id == id }) { return (site, river) }
        }
        return nil
    }

    /// The warnings due before an emergency release from a held dam (MEE–MWR 2020 guidance, 环应急〔2020〕5号, task 3:
    /// upstream warns downstream in advance of emergency water releases; DOMAIN.md §3): one per neighbour whose
    /// boundary the released water is predicted to cross, of kind ``PeerNotificationKind/damRelease``, always
    /// ``NotificationRequirement/required``.
    ///
    /// The released water is planned as the incident's pollutant and quantity setting off from the dam's chainage at
    /// the release time (the planner's Jobson travel times, DOMAIN.md §3), so `boundary`, `crossingAt`, `peakMgL` and
    /// `ratioToStandard` are those of its first crossing into that neighbour. `deadline` is the release time — the
    /// warning comes before the water moves — or earlier when the agreement's margin before the crossing comes first
    /// (`crossingAt − marginH`), never before `now`.
    ///
    /// - Parameters:
    ///   - release: the site and time (checked by ``FollowUpReport/problems(in:context:)``).
    ///   - plan: the incident's current plan (its pollutant, release and flow condition are used).
    ///   - now: when the report is filed.
    /// - Returns: the warnings in neighbour-code order; empty for an unknown site or when the water crosses no
    ///   neighbour's boundary.
    public func damReleaseNotifications(_ release: DamRelease, plan: PlanDocument, now: Date) -> [PeerNotification] {
        guard let (site, river) = emergencySite(release.site) else { return [] }
        var input = SpillInput(
            location: .river(id: river.id, km: site.km), at: release.at, pollutant: plan.input.pollutant,
            release: plan.input.release, flowRatio: plan.input.flowRatio, ownProvince: plan.input.ownProvince)
        input.dischargeOverrides = plan.input.dischargeOverrides
        input.velocityOverrides = plan.input.velocityOverrides
        guard let below = try? Planner(basin: self).plan(input) else { return [] }
        return below.peerNotifications.map { crossing in
            var warning = crossing
            let margin = agreement(with: crossing.province).marginH
            warning.kind = .damRelease
            warning.site = site.id
            warning.requirement = .required
            warning.deadline = max(now, min(release.at, crossing.crossingAt.addingTimeInterval(-margin * 3_600)))
            return warning
        }.sorted { $0.province < $1.province }
    }
}
