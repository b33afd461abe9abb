import Foundation

/// Turns a plan's tasks and report obligations into `TaskDispatched` payloads for this province's units.
public enum TaskDispatch {
    /// The dispatch payloads for the plan's own-province site tasks, then its own-province report obligations,
    /// each in the order given, numbered `existingCount + 1`, `existingCount + 2`… (`"GX-2026-0007/T3"`).
    ///
    /// - A site task (a ``PlannedTask`` whose ``PlannedTask/province`` is the organisation's) goes to its
    ///   `owner` and `dutyPosition`, with `startBy` = ``PlannedTask/latestStart`` and its `source`.
    /// - A report task (a ``ReportObligation`` whose `fromUnit` lies in the province) goes to `fromUnit` and
    ///   `dutyPosition`, with `dueBy` = ``ReportObligation/dueBy`` or, when the anchor time is not known yet
    ///   (the province's 1 h report to MEE counted from receipt, MEP Order No. 17 Art. 3),
    ///   ``ReportObligation/latestDueBy``.
    ///
    /// Each gets the policy of its first assignee's unit (``Organisation/policy(for:)``, falling back to the
    /// default), its chain (``EscalationChain/above(_:units:)``), and `ackBy = at + ackMinutes`.
    ///
    /// - Parameters:
    ///   - incidentReference: `"GX-2026-0007"`.
    ///   - tasks: The plan's tasks (others' units are skipped: their province dispatches them).
    ///   - obligations: The obligations to dispatch as report tasks (others' units are skipped).
    ///   - organisation: This province's organisation.
    ///   - units: The units of `playbooks/units.yaml` by code.
    ///   - existingCount: Tasks the incident already has.
    ///   - at: Dispatch time.
    ///   - newID: Makes each task's identifier (tests pass a fixed sequence).
    public static func make(
        incidentReference: String, tasks: [PlannedTask], obligations: [ReportObligation],
        organisation: Organisation, units: [UnitCode: AdministrativeUnit], existingCount: Int = 0, at: Date,
        newID: () -> UUID = UUID.init
    ) -> [TaskDispatched] {
        var payloads: [TaskDispatched] = []
        func add(
            kind: ResponseTaskKind, title: String, titleZh: String?, assignee: Assignee, obligation: String? = nil,
            source: TaskSource? = nil, startBy: Date? = nil, dueBy: Date? = nil
        ) {
            let number = existingCount + payloads.count + 1
            let policy = organisation.policy(for: assignee.unit)
            payloads.append(
                TaskDispatched(
                    task: newID(), reference: "\(incidentReference)/T\(number)", number: number, kind: kind,
                    obligation: obligation, title: title, assignee: assignee, source: source, startBy: startBy,
                    dueBy: dueBy, policy: policy, chain: EscalationChain.above(assignee, units: units), at: at,
                    ackBy: at.addingTimeInterval(policy.ackInterval), titleZh: titleZh))
        }
        for task in tasks where task.province == organisation.province {
            add(
                kind: .site, title: task.title, titleZh: task.titleZh,
                assignee: Assignee(unit: task.owner, position: task.dutyPosition),
                source: task.source, startBy: task.latestStart)
        }
        for obligation in obligations where obligation.fromUnit.provinceCode == organisation.province {
            add(
                kind: .report, title: title(of: obligation), titleZh: TaskWordsZh.report(obligation, units: units),
                assignee: Assignee(unit: obligation.fromUnit, position: obligation.dutyPosition),
                obligation: obligation.id, dueBy: obligation.dueBy ?? obligation.latestDueBy)
        }
        return payloads
    }

    /// `"File the initial report to Hechi environment bureau, Yizhou District government (MEP Order No. 17,
    /// Art. 3 …)"`.
    static func title(of obligation: ReportObligation) -> String {
        let kind: String
        switch obligation.report {
        case .initial: kind = "initial"
        case .followUp: kind = "follow-up"
        case .final: kind = "final"
        }
        let to = obligation.recipients.map(\.name).joined(separator: ", ")
        return "File the \(kind) report to \(to) (\(obligation.rule))"
    }
}
