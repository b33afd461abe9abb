import Foundation
import WatershedCore
import WatershedStore

extension IncidentService {
    /// Folds committed events into the incident list, the drills and the live idempotency keys, in seq order, once
    /// each (events at or below ``folded`` are skipped): the log's commits as it hands them over, this node's and
    /// (on PostgreSQL) the other nodes'. Wakes the scheduler when a task changed and the drill runner when a drill
    /// did, and resumes the appenders whose events are now folded.
    ///
    /// An event whose payload does not have its type's shape (a log written by other code) is skipped (`watershed
    /// audit verify` names it).
    func fold(_ batch: [StoredEvent]) {
        var tasksChanged = false
        var drillsMoved = false
        for event in batch where event.seq > folded {
            folded = event.seq
            foldedHead.withLock { $0 = event.seq }
            let recorded: RecordedEvent
            do {
                if let appended = appending.removeValue(forKey: event.id) {
                    recorded = try RecordedEvent(event, appended: appended)
                } else {
                    recorded = try RecordedEvent(event)
                }
            } catch {
                // The start-up fold refuses such a log; one committed since cannot stop the fold of the others.
                continue
            }
            book.fold(recorded)
            drillTokens.apply(drills.fold(recorded))
            issuedTokens.apply(recorded.event)
            if let (record, entry) = IncidentBook.idempotency(of: recorded) {
                keys[Idempotency.scoped(unit: record.unit, key: record.key)] = entry
            }
            tasksChanged = tasksChanged || TaskChange.eventTypes.contains(event.type)
            drillsMoved = drillsMoved || DrillBook.eventTypes.contains(event.type)
        }
        let ready = foldWaiters.filter { $0.seq <= folded }
        foldWaiters.removeAll { $0.seq <= folded }
        for waiter in ready { waiter.continuation.resume() }
        if tasksChanged { for wake in deadlinesChanged.values { wake() } }
        if drillsMoved { drillsChanged() }
    }

    /// Returns once ``folded`` reaches `seq`.
    func waitFolded(through seq: Int64) async {
        guard folded < seq else { return }
        await withCheckedContinuation { foldWaiters.append((seq, $0)) }
    }

    /// Waits until ``folded`` reaches `seq`, at most `limit` (looking every 10 ms): whether it did.
    func waitFolded(through seq: Int64, limit: Duration) async -> Bool {
        guard folded < seq else { return true }
        let deadline = ContinuousClock.now + limit
        while folded < seq, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return folded >= seq
    }
}

extension IncidentService {
    /// Decides on the incident's fold (`decide`, which reads ``book``) and appends its events on the condition that
    /// nothing of the incident committed since that fold (``WatershedStore/AppendCondition``, issue 18): when another
    /// node — or another path of this one (a neighbour's event, a CAP message) — committed to it meanwhile, waits
    /// until that is folded and decides again, at most three times in all.
    ///
    /// - Throws: what `decide` throws (nothing appended); the log's errors;
    ///   ``WatershedStore/EventLogError/stale(incident:expected:found:)`` after the third stale decision.
    func decideAndAppend(on incident: UUID, _ decide: () throws -> [NewEvent]) async throws -> [StoredEvent] {
        var attempt = 0
        while true {
            attempt += 1
            let lastSeq = book.incident(incident)?.lastSeq ?? 0
            let events = try decide()
            do {
                return try await append(events, condition: AppendCondition(incident: incident, lastSeq: lastSeq))
            } catch EventLogError.stale(_, _, let found) where attempt < 3 {
                await waitFolded(through: found)
            }
        }
    }
}

extension IncidentService {
    /// ``folded``, read from any task without waiting for the actor (the `Watershed-Seq` answer header).
    nonisolated var foldedSeq: Int64 { foldedHead.withLock { $0 } }
}
