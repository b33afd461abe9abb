import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

extension ReportCommand {
    /// `watershed report forward ID --to MEE [--report SEQ]`: the province forwards a lower unit's report (MEP Order
    /// No. 17 Art. 3: to MEE within 1 h of receiving the county's report on the II/I path).
    struct Forward: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forward",
            abstract: "Forward a county's report to MEE for the province (commander): meets the province's report.",
            discussion: """
                POST /v1/incidents/{id}/forwards. The report is the one with seq --report (its IncidentReported or \
                ReportFiled), or without it the latest report signed by a unit other than this province. It meets \
                the province's obligation to the recipient counted from receipt (1 h after the county's report was \
                filed); after its deadline it is met late, and the answer says by how much. Exit 0 forwarded, 1 \
                refused (no such report, nothing to forward, already forwarded, not a commander), 2 usage, 3 cannot \
                connect.
                  watershed report forward GX-2026-0001 --to MEE --token wsd-dev-commander-gx
                """
        )

        @Argument(help: ArgumentHelp("The incident's reference (GX-2026-0001) or UUID.", valueName: "id"))
        var id: String

        @Option(help: ArgumentHelp("The recipient: MEE (the Ministry) or a unit code.", valueName: "recipient"))
        var to: String

        @Option(
            help: ArgumentHelp(
                "The seq of the report to forward (default: the latest of another unit).", valueName: "seq"))
        var report: Int64?

        @Flag(help: "Print the API's JSON answer (the incident, the forward, the obligations met, the seqs).")
        var json = false

        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answer = try await client.withClient { try await $0.forwardReport(on: id, to: to, report: report) }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(answer))
                return
            }
            let forward = answer.forward.forwarded
            out.write(
                "Forwarded the \(ClientFormat.report(forward.report)) report (seq \(forward.reportSeq)) of "
                    + "\(forward.reportingUnit) to \(forward.to) for \(forward.from) on "
                    + "\(ClientFormat.reference(answer.incident)); events seq \(answer.firstSeq)–\(answer.lastSeq).")
            for due in answer.met {
                out.write(
                    "Obligation \(due.obligation.id) (\(due.obligation.fromName) → \(forward.to), due "
                        + (due.obligation.dueBy.map { client.time($0) } ?? "on receipt") + "): "
                        + ClientFormat.obligationState(due) + ".")
            }
            if answer.met.isEmpty { out.write("No obligation of \(forward.from) to \(forward.to) was due.") }
        }
    }
}
