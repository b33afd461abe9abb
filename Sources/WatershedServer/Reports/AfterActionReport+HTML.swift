import Foundation
import WatershedCore

/// The after-action report as one HTML document: inline CSS (with `@page` A4 and `@media print`), the inline SVG
/// map, no script and nothing fetched, `<html lang="zh-CN">` or `lang="en"`. Every text that comes from a report,
/// a playbook or the log is escaped (``escape(_:)``): a field holding `<script>` prints as text.
extension AfterActionReport {
    /// `text` safe in HTML text and in a double-quoted attribute: `&`, `<`, `>`, `"` and `'` as entities.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A table: escaped header cells and rows; `classes` gives a row its class (`late`).
    func table(_ headers: [Bilingual], _ rows: [[String]], classes: [String?] = [], testid: String) -> String {
        let head = headers.map { "<th>\(Self.escape($0(language)))</th>" }.joined()
        let body = rows.enumerated().map { index, row in
            let cls = index < classes.count ? classes[index].map { " class=\"\($0)\"" } ?? "" : ""
            return "<tr\(cls)>" + row.map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>"
        }.joined()
        return "<table data-testid=\"\(testid)\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    func heading(_ words: Bilingual, id: String) -> String {
        "<h2 id=\"\(id)\">\(Self.escape(words(language)))</h2>"
    }

    func empty(_ words: Bilingual) -> String { "<p class=\"muted\">\(Self.escape(words(language)))</p>" }

    /// When the incident was closed, on its clock: a drill's by the drill time of its `IncidentClosed`.
    var closedAt: Date? {
        events.last { $0.type == .incidentClosed }.map(Self.clockTime) ?? detail.incident.closedAt
    }

    /// The whole document.
    func html() -> String {
        let incident = detail.incident
        var body: [String] = []
        if incident.exercise {
            body.append(
                "<div class=\"drill-banner\" data-testid=\"drill-banner\">\(Self.escape(ReportWords.exercise(language)))"
                    + "<span>\(Self.escape(ReportWords.exerciseNote(language)))</span></div>")
        }
        body.append(
            "<h1>\(Self.escape(ReportWords.title(language)))<span class=\"ref\">"
                + "\(Self.escape(incident.reference))</span></h1>")
        let state =
            switch incident.state {
            case "closed": ReportWords.closed(language)
            case "cancelled": ReportWords.cancelled(language)
            default: ReportWords.open(language)
            }
        var summary: [(Bilingual, String)] = [
            (ReportWords.reference, incident.reference),
            (ReportWords.level, ReportWords.level(incident.level, language)),
            (ReportWords.place, place),
            (ReportWords.spillUnit, unitName(incident.spillUnit)),
            (ReportWords.pollutant, pollutant),
            (ReportWords.discovered, time(incident.discoveredAt)),
            (ReportWords.state, state + (closedAt.map { " " + time($0) } ?? "")),
        ]
        if let origin = detail.origin {
            summary.append((ReportWords.origin, unitName(origin.province) + " " + origin.reference))
        }
        body.append(
            "<dl class=\"summary\" data-testid=\"summary\">"
                + summary.map { "<dt>\(Self.escape($0.0(language)))</dt><dd>\(Self.escape($0.1))</dd>" }.joined()
                + "<dt>\(Self.escape(ReportWords.times(language)))</dt><dd><code>"
                + "\(Self.escape(timeZone.identifier))</code></dd></dl>")

        body.append(heading(ReportWords.map, id: "map"))
        body.append("<figure>\(mapSVG)</figure>")
        body.append(heading(ReportWords.arrivals, id: "arrivals"))
        let arrivals = self.arrivals
        body.append(
            arrivals.isEmpty
                ? empty(ReportWords.noArrivals)
                : table(
                    [
                        Bilingual("号", "No."), ReportWords.receptor, ReportWords.earliest, ReportWords.likely,
                        ReportWords.latest, ReportWords.observed, ReportWords.difference,
                    ],
                    arrivals.map { row in
                        [
                            "\(row.number)", row.name, time(row.earliest), time(row.likely),
                            row.latest.map(time) ?? "—",
                            row.observed.map(time) ?? ReportWords.notObserved(language),
                            row.difference.map(difference) ?? "—",
                        ]
                    }, testid: "arrivals")
                    + "<p class=\"note\">\(Self.escape(ReportWords.firstPlanNote(language)))</p>")

        body.append(heading(ReportWords.obligations, id: "obligations"))
        let obligations = self.obligations
        body.append(
            obligations.isEmpty
                ? empty(ReportWords.noObligations)
                : table(
                    [ReportWords.obligation, ReportWords.deadline, ReportWords.metAt, ReportWords.state],
                    obligations.map { [$0.text, $0.deadline, $0.metAt, $0.state] },
                    classes: obligations.map { $0.late ? "late" : nil }, testid: "obligations"))

        body.append(heading(ReportWords.tasks, id: "tasks"))
        let tasks = self.tasks
        body.append(
            tasks.isEmpty
                ? empty(ReportWords.noTasks)
                : table(
                    [
                        ReportWords.task, Bilingual("内容", "Title"), ReportWords.assignee, ReportWords.dispatched,
                        ReportWords.acknowledged, ReportWords.escalations, ReportWords.state,
                    ],
                    tasks.map {
                        [$0.reference, $0.title, $0.assignee, $0.dispatched, $0.acknowledged, $0.escalations, $0.state]
                    }, testid: "tasks"))

        body.append(heading(ReportWords.notifications, id: "notifications"))
        let notifications = self.notifications
        body.append(
            notifications.isEmpty
                ? empty(ReportWords.noNotifications)
                : table(
                    [
                        ReportWords.neighbour, ReportWords.notification, ReportWords.sent, ReportWords.received,
                        ReportWords.accepted,
                    ],
                    notifications.map { [$0.province, $0.text, $0.sent, $0.received, $0.accepted] },
                    testid: "notifications"))

        if let drill {
            let score = drill.score
            body.append(heading(ReportWords.score, id: "score"))
            body.append(
                "<p class=\"score\" data-testid=\"score\">\(score.met) / \(score.total)</p>"
                    + table(
                        [
                            ReportWords.expectation, ReportWords.outcome, ReportWords.dueBy, ReportWords.at,
                            ReportWords.elapsed,
                        ],
                        score.results.map { result in
                            [
                                expectation(result), ReportWords.outcome(result.outcome, language), time(result.due),
                                result.at.map(time) ?? "—",
                                result.elapsedMin.map { ReportWords.duration($0 * 60, language) } ?? "—",
                            ]
                        }, classes: score.results.map { $0.outcome == .met ? nil : "late" }, testid: "score-table"))
        }

        body.append(heading(ReportWords.timeline, id: "timeline"))
        body.append(
            table(
                [ReportWords.time, ReportWords.seq, ReportWords.province, ReportWords.event, ReportWords.actor],
                timeline.map { [timeWithSeconds($0.at), "\($0.seq)", unitName($0.province), $0.event, $0.actor] },
                testid: "timeline"))

        body.append(heading(ReportWords.proof, id: "proof"))
        if let proof {
            body.append(
                "<dl class=\"proof\" data-testid=\"proof\">"
                    + "<dt>\(Self.escape(ReportWords.events(language)))</dt><dd>\(events.count)</dd>"
                    + "<dt>\(Self.escape(ReportWords.firstEvent(language)))</dt><dd>\(Self.escape(ReportWords.seq(language))) <span data-testid=\"first-seq\">"
                    + "\(proof.first.seq)</span> · <code data-testid=\"first-hash\">\(proof.first.hash)</code></dd>"
                    + "<dt>\(Self.escape(ReportWords.lastEvent(language)))</dt><dd>\(Self.escape(ReportWords.seq(language))) <span data-testid=\"last-seq\">"
                    + "\(proof.last.seq)</span> · <code data-testid=\"last-hash\">\(proof.last.hash)</code></dd></dl>"
                    + "<p>\(Self.escape(ReportWords.verifyWith(language)))</p>"
                    + "<pre><code data-testid=\"verify\">\(Self.escape(proof.command))</code></pre>")
        }
        return """
            <!DOCTYPE html>
            <html lang="\(language.htmlLang)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.escape(ReportWords.title(language) + " " + incident.reference))</title>
            <style>\(Self.css)</style>
            </head>
            <body\(incident.exercise ? " class=\"exercise\"" : "")>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// The style sheet: screen and print (A4, tables that repeat their header and keep rows whole, the map on one
    /// page, the drill banner on every printed page's first line).
    static let css = """
        @page { size: A4; margin: 14mm 12mm; }
        * { box-sizing: border-box; }
        body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; font-size: 10.5pt;
          color: #111; margin: 0 auto; max-width: 190mm; padding: 8mm 0; line-height: 1.4; }
        h1 { font-size: 17pt; margin: 0 0 4mm; display: flex; justify-content: space-between; align-items: baseline; }
        h1 .ref { font-size: 13pt; font-family: monospace; }
        h2 { font-size: 12.5pt; border-bottom: 1.5px solid #1f4e79; color: #1f4e79; margin: 6mm 0 2mm; }
        .drill-banner { background: repeating-linear-gradient(45deg, #fde68a, #fde68a 8px, #fef3c7 8px, #fef3c7 16px);
          border: 2px solid #b45309; font-weight: bold; font-size: 13pt; padding: 2mm 4mm; margin-bottom: 4mm; }
        .drill-banner span { display: block; font-weight: normal; font-size: 9.5pt; }
        dl.summary, dl.proof { display: grid; grid-template-columns: max-content 1fr; gap: 1mm 5mm; margin: 0; }
        dt { font-weight: bold; color: #333; }
        dd { margin: 0; }
        table { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
        th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
        th { background: #e8eef5; }
        tr.late td { background: #fdecea; }
        .muted, .note { color: #555; font-size: 9pt; }
        figure { margin: 0; }
        svg.map { width: 100%; height: auto; border: 1px solid #bbb; }
        .map-bg { fill: #f7fbff; }
        .map-zone { fill: #dbeafe; stroke: #93c5fd; }
        .map-river { fill: none; stroke: #3b82f6; stroke-width: 3; stroke-linecap: round; stroke-linejoin: round; }
        .map-path { fill: none; stroke: #dc2626; stroke-width: 7; stroke-opacity: 0.45; stroke-linejoin: round; }
        .map-intake { fill: #fff; stroke: #1d4ed8; stroke-width: 3; }
        .map-boundary { fill: #111; }
        .map-other { fill: #6b7280; }
        .map-spill { fill: #dc2626; stroke: #7f1d1d; }
        .map-arrival circle { fill: #fff; stroke: #dc2626; stroke-width: 2; }
        .map-arrival text { font-size: 11px; font-weight: bold; fill: #7f1d1d; }
        .map-label { font-size: 14px; font-weight: bold; fill: #7f1d1d; }
        ul.legend { list-style: none; padding: 0; margin: 1mm 0 0; display: flex; flex-wrap: wrap; gap: 1mm 5mm;
          font-size: 8.5pt; }
        .key { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
        .key-path { background: rgba(220, 38, 38, 0.45); }
        .key-spill { background: #dc2626; clip-path: polygon(50% 0, 61% 35%, 98% 35%, 68% 57%, 79% 91%, 50% 70%,
          21% 91%, 32% 57%, 2% 35%, 39% 35%); }
        .key-intake { border: 2px solid #1d4ed8; border-radius: 50%; width: 10px; }
        .key-boundary { background: #111; width: 4px; }
        .key-other { background: #6b7280; border-radius: 50%; width: 8px; height: 8px; }
        .score { font-size: 16pt; font-weight: bold; margin: 0 0 2mm; }
        pre { white-space: pre-wrap; word-break: break-all; background: #f3f4f6; padding: 2mm; font-size: 8.5pt; }
        code { font-size: 8.5pt; word-break: break-all; }
        @media print {
          body { max-width: none; padding: 0; }
          h2 { break-after: avoid; }
          thead { display: table-header-group; }
          tr, figure, dl, pre { break-inside: avoid; }
          .drill-banner, tr.late td, th, .key { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """
}
