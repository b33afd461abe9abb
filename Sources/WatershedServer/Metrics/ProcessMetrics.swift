import Foundation
import Prometheus
import Synchronization

/// The process figures operators look for (issue 20, "process metrics (CPU, resident memory, open descriptors,
/// start time)"), under the names Prometheus's own client libraries give them (Prometheus documentation, "Writing
/// client libraries", *Process metrics*): `process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`, `process_start_time_seconds`. Read from
/// Linux's `/proc/self` (proc(5): `stat` fields 14–15 utime and stime in clock ticks, 22 starttime in ticks after
/// boot, 23 vsize in bytes, 24 rss in pages; `/proc/stat` `btime`; `limits` "Max open files") when `/metrics` is
/// asked; nothing on other systems. No kept library here does this (swift-metrics-extras' SystemMetrics is not
/// among the packages this project can resolve).
final class ProcessMetrics: Sendable {
    /// A counter (promtool wants `_total` on counters only), moved on by the CPU time used since the last read.
    let cpu: Counter
    private let cpuCounted = Mutex<Double>(0)
    let resident: Gauge
    let virtual: Gauge
    let openFDs: Gauge
    let maxFDs: Gauge
    let start: Gauge

    init(registry: PrometheusCollectorRegistry) {
        cpu = registry.makeCounter(
            descriptor: .init(
                namespace: "process", metricName: "cpu_seconds", unitName: "total",
                helpText: "Total user and system CPU time spent in seconds."))
        resident = registry.makeGauge(
            descriptor: .init(
                namespace: "process", metricName: "resident_memory", unitName: "bytes",
                helpText: "Resident memory size in bytes."))
        virtual = registry.makeGauge(
            descriptor: .init(
                namespace: "process", metricName: "virtual_memory", unitName: "bytes",
                helpText: "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(
            descriptor: .init(
                namespace: "process", metricName: "open", unitName: "fds",
                helpText: "Number of open file descriptors."))
        maxFDs = registry.makeGauge(
            descriptor: .init(
                namespace: "process", metricName: "max", unitName: "fds",
                helpText: "Maximum number of open file descriptors."))
        start = registry.makeGauge(
            descriptor: .init(
                namespace: "process", metricName: "start_time", unitName: "seconds",
                helpText: "Start time of the process since unix epoch in seconds."))
    }

    /// Reads `/proc` and sets the gauges (on Linux; elsewhere it leaves them at 0).
    func update() {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return }
        // Fields after the command name (which may hold spaces), from field 3 (state) on.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let user = field(14), let system = field(15) {
            let total = (user + system) / ticks
            let delta = cpuCounted.withLock { counted -> Double in
                defer { counted = max(counted, total) }
                return max(0, total - counted)
            }
            if delta > 0 { cpu.increment(by: delta) }
        }
        if let rss = field(24) { resident.set(to: rss * page) }
        if let size = field(23) { virtual.set(to: size) }
        if let started = field(22), let boot = Self.bootTime() { start.set(to: boot + started / ticks) }
        if let count = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count {
            openFDs.set(to: Double(count))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(to: Double(limit.rlim_cur)) }
    }

    /// `btime` of `/proc/stat`: the boot time, Unix seconds.
    static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
