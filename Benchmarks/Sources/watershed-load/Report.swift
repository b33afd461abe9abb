import Foundation

/// Markdown tables from the JSON Lines a run wrote: Watershed and NATS side by side, ratios Watershed/NATS, and the
/// CPU of the server and of the generator in each measured phase.
struct Report {
    let records: [Record]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        records = text.split(separator: "\n").compactMap { try? decoder.decode(Record.self, from: Data($0.utf8)) }
    }

    func find(_ server: ServerKind, _ scenario: String, _ label: String? = nil) -> [Record] {
        records.filter { $0.server == server && $0.scenario == scenario && (label == nil || $0.label == label) }
    }

    static func number(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value, value.isFinite else { return "–" }
        if abs(value) >= 10_000 { return String(format: "%.0f", value) }
        return String(format: "%.\(digits)f", value)
    }

    static func ratio(_ ours: Double?, _ theirs: Double?) -> String {
        guard let ours, let theirs, ours.isFinite, theirs.isFinite, theirs != 0 else { return "–" }
        return String(format: "%.2f", ours / theirs)
    }

    /// `server% / generator%` of one core over the phase, and which side was the bottleneck: the two cores are
    /// saturated (≥ 160 %) and the generator used at least as much CPU as the server → "generator".
    static func cpu(_ values: [String: Double], _ prefix: String = "") -> String {
        guard let seconds = values[prefix + "seconds"], seconds > 0, let server = values[prefix + "serverCPU"],
            let load = values[prefix + "loadCPU"]
        else { return "–" }
        let serverShare = server / seconds * 100
        let loadShare = load / seconds * 100
        var text = String(format: "%.0f / %.0f", serverShare, loadShare)
        if serverShare + loadShare >= 160 { text += loadShare >= serverShare ? " generator-bound" : " server-bound" }
        return text
    }

    func markdown() -> String {
        var out: [String] = []
        let servers: [ServerKind] = [.watershed, .nats]

        out.append("### (a) Fan-out: one update to N subscribers")
        out.append("")
        out.append(
            "Time until the last subscriber has the update (median of the updates sent), and p50/p99/max over every "
                + "(subscriber, update); CPU % of one core, server / generator, while publishing.")
        out.append("")
        out.append(
            "| subscribers | server | connected | connect s | last subscriber ms | p50 ms | p99 ms | max ms | missing "
                + "| errors | CPU % server / generator |")
        out.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        let fanoutLabels = Set(records.filter { $0.scenario == "fanout" }.map(\.label)).sorted {
            (Int($0) ?? 0) < (Int($1) ?? 0)
        }
        for label in fanoutLabels {
            for server in servers {
                guard let values = find(server, "fanout", label).last?.values else { continue }
                out.append(
                    "| \(label) | \(server.rawValue) | \(Self.number(values["subscribers"], 0)) | "
                        + "\(Self.number(values["connect.seconds"])) | "
                        + "\(Self.number(values["lastSubscriberMedianMs"])) | \(Self.number(values["p50ms"])) | "
                        + "\(Self.number(values["p99ms"])) | \(Self.number(values["maxms"])) | "
                        + "\(Self.number(values["missing"], 0)) | \(Self.number(values["errors"], 0)) | "
                        + "\(Self.cpu(values, "publish.")) |")
            }
            let ours = find(.watershed, "fanout", label).last?.values
            let theirs = find(.nats, "fanout", label).last?.values
            out.append(
                "| \(label) | **ratio W/N** | | \(Self.ratio(ours?["connect.seconds"], theirs?["connect.seconds"])) | "
                    + "\(Self.ratio(ours?["lastSubscriberMedianMs"], theirs?["lastSubscriberMedianMs"])) | "
                    + "\(Self.ratio(ours?["p50ms"], theirs?["p50ms"])) | \(Self.ratio(ours?["p99ms"], theirs?["p99ms"])) | "
                    + "\(Self.ratio(ours?["maxms"], theirs?["maxms"])) | | | |")
        }

        out.append("")
        out.append("### (c) Memory per idle TLS WebSocket connection")
        out.append("")
        out.append(
            "Server resident memory (`VmRSS`) before connecting and 3 s after the last connection was ready, each size "
                + "on a freshly started server (Benchmarks/run.sh restarts it on the same data before each fan-out); "
                + "CPU while connecting (TLS handshakes and upgrades).")
        out.append("")
        out.append(
            "| subscribers | server | RSS before MB | RSS after MB | bytes per connection | generator RSS MB "
                + "| CPU % while connecting |")
        out.append("| ---: | --- | ---: | ---: | ---: | ---: | --- |")
        for label in fanoutLabels {
            for server in servers {
                guard let values = find(server, "fanout", label).last?.values else { continue }
                out.append(
                    "| \(label) | \(server.rawValue) | \(Self.number(values["rssBeforeMB"])) | "
                        + "\(Self.number(values["rssAfterMB"])) | \(Self.number(values["bytesPerConnection"], 0)) | "
                        + "\(Self.number(values["loadRSSMB"])) | \(Self.cpu(values, "connect.")) |")
            }
            let ours = find(.watershed, "fanout", label).last?.values
            let theirs = find(.nats, "fanout", label).last?.values
            out.append(
                "| \(label) | **ratio W/N** | | | "
                    + "\(Self.ratio(ours?["bytesPerConnection"], theirs?["bytesPerConnection"])) | | |")
        }

        out.append("")
        out.append("### (b) Sustained: 1k subscribers, rising publish rate")
        out.append("")
        out.append(
            "Each step publishes for a fixed time at the target rate, then waits up to 5 s for the deliveries; "
                + "deliveries/s = deliveries of the step ÷ (first publish → last receipt). The run stops after the "
                + "first step whose p99 passes the limit or that loses over 10 % of its deliveries.")
        out.append("")
        out.append(
            "| server | target /s | published /s | deliveries /s | p50 ms | p90 ms | p99 ms | max ms | missing "
                + "| CPU % server / generator |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for server in servers {
            for record in find(server, "sustained") {
                let values = record.values
                out.append(
                    "| \(server.rawValue) | \(Self.number(values["rate"], 0)) | \(Self.number(values["publishRate"])) | "
                        + "\(Self.number(values["deliveriesPerSecond"], 0)) | \(Self.number(values["p50ms"])) | "
                        + "\(Self.number(values["p90ms"])) | \(Self.number(values["p99ms"])) | "
                        + "\(Self.number(values["maxms"])) | \(Self.number(values["missing"], 0)) | "
                        + "\(Self.cpu(values)) |")
            }
        }
        func best(_ server: ServerKind) -> Double? {
            find(server, "sustained").filter { ($0.values["p99ms"] ?? .infinity) <= 250 }
                .compactMap { $0.values["deliveriesPerSecond"] }.max()
        }
        out.append("")
        out.append(
            "Highest deliveries/s with p99 ≤ 250 ms: Watershed \(Self.number(best(.watershed), 0)), NATS "
                + "\(Self.number(best(.nats), 0)), ratio W/N \(Self.ratio(best(.watershed), best(.nats))).")

        out.append("")
        // The backlog of this run (10,000; 2,000 with --quick).
        let behind = Self.number(servers.lazy.compactMap { find($0, "resume").last?.values["behind"] }.first, 0)
        out.append("### (d) Resume: a subscriber \(behind) events behind reconnects")
        out.append("")
        out.append(
            "From the start of the TCP connection to the last backlog event (Watershed: the `caughtUp` frame after "
                + "the backlog; NATS: a JetStream push consumer from the stream sequence \(behind) back, the "
                + "\(behind)th message).")
        out.append("")
        out.append("| server | events received | catch-up ms | CPU % server / generator |")
        out.append("| --- | ---: | ---: | --- |")
        for server in servers {
            guard let values = find(server, "resume").last?.values else { continue }
            out.append(
                "| \(server.rawValue) | \(Self.number(values["received"], 0)) | \(Self.number(values["catchUpMs"])) | "
                    + "\(Self.cpu(values)) |")
        }
        out.append(
            "| **ratio W/N** | | \(Self.ratio(find(.watershed, "resume").last?.values["catchUpMs"], find(.nats, "resume").last?.values["catchUpMs"])) | |"
        )

        out.append("")
        out.append("### (e) Durable ingest: 64 concurrent writers")
        out.append("")
        out.append(
            "Watershed: each writer files follow-up reports on its own incident (one event each, committed with "
                + "`synchronous = FULL` before the 201). NATS: each writer publishes to a JetStream file stream and "
                + "waits for its PubAck. Latency is per request.")
        out.append("")
        out.append(
            "| server | writers | events | seconds | events/s | p50 ms | p99 ms | max ms | CPU % server / generator |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for server in servers {
            guard let values = find(server, "ingest").last?.values else { continue }
            out.append(
                "| \(server.rawValue) | \(Self.number(values["writers"], 0)) | \(Self.number(values["events"], 0)) | "
                    + "\(Self.number(values["seconds"])) | \(Self.number(values["eventsPerSecond"], 0)) | "
                    + "\(Self.number(values["p50ms"])) | \(Self.number(values["p99ms"])) | "
                    + "\(Self.number(values["maxms"])) | \(Self.cpu(values)) |")
        }
        let ours = find(.watershed, "ingest").last?.values
        let theirs = find(.nats, "ingest").last?.values
        out.append(
            "| **ratio W/N** | | | | \(Self.ratio(ours?["eventsPerSecond"], theirs?["eventsPerSecond"])) | "
                + "\(Self.ratio(ours?["p50ms"], theirs?["p50ms"])) | \(Self.ratio(ours?["p99ms"], theirs?["p99ms"])) | | |"
        )
        return out.joined(separator: "\n")
    }
}
