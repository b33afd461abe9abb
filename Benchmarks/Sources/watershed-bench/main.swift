// Benchmarks for the offline planner and the playbook loader.
//
//   swift run -c release watershed-bench [--playbooks DIR] [--runs N] [--load-runs N]
//
// Prints a Markdown table: median, p90, p99 and max of each measurement. It reads no
// network and writes nothing; Benchmarks/run-planner.sh stores its output in Benchmarks/results/.
import Foundation
import WatershedCore
import WatershedPlaybooks

struct Arguments {
    var playbooks = "playbooks"
    var peers: String? = "seeds/450000/peers.yaml"
    var runs = 10_000
    var loadRuns = 200

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--playbooks": playbooks = iterator.next() ?? playbooks
            case "--peers": peers = iterator.next()
            case "--runs": runs = iterator.next().flatMap(Int.init) ?? runs
            case "--load-runs": loadRuns = iterator.next().flatMap(Int.init) ?? loadRuns
            default:
                FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

/// Durations in microseconds, sorted.
struct Sample {
    var micros: [Double]
    init(_ durations: [Duration]) {
        micros = durations.map { Double($0.components.seconds) * 1e6 + Double($0.components.attoseconds) / 1e12 }
            .sorted()
    }
    func quantile(_ q: Double) -> Double {
        micros[min(micros.count - 1, Int((Double(micros.count) * q).rounded(.up)) - 1)]
    }
    var row: String {
        String(
            format: "%d | %.1f | %.1f | %.1f | %.1f", micros.count, quantile(0.5), quantile(0.9), quantile(0.99),
            micros.last ?? 0)
    }
}

func measure(_ runs: Int, _ body: () throws -> Void) rethrows -> Sample {
    let clock = ContinuousClock()
    var durations: [Duration] = []
    durations.reserveCapacity(runs)
    for _ in 0..<runs {
        let start = clock.now
        try body()
        durations.append(clock.now - start)
    }
    return Sample(durations)
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let peers = arguments.peers.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
let loader = PlaybookLoader()
let loaded: LoadedBasin
do {
    loaded = try loader.load(directory: arguments.playbooks, peersFile: peers)
} catch {
    FileHandle.standardError.write(Data("\(error.description)\n".utf8))
    exit(1)
}
let planner = Planner(basin: loaded.basin)
let spillTime = ISO8601DateFormatter().date(from: "2012-01-15T08:00:00+08:00")!
let longjiang = SpillInput(
    location: .river(id: "longjiang", km: 0), at: spillTime, pollutant: "cadmium",
    release: .instantaneous(massKg: 21_000))
let plan = try planner.plan(longjiang)

// Warm up, then measure.
_ = try measure(200) { _ = try planner.plan(longjiang) }
let planning = try measure(arguments.runs) { _ = try planner.plan(longjiang) }
let loading = try measure(arguments.loadRuns) { _ = try loader.load(directory: arguments.playbooks, peersFile: peers) }

print("| measurement | runs | median µs | p90 µs | p99 µs | max µs |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
print("| plan Longjiang km 0, 21 t Cd (\(plan.arrivals.count) arrivals, \(plan.tasks.count) tasks) | \(planning.row) |")
print("| load \(loaded.files.count) playbook files + peers, validate | \(loading.row) |")
