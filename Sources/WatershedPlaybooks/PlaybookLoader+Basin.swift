import Foundation
import WatershedCore

extension PlaybookLoader {
    /// Builds the basin from the decoded files, runs ``Basin/problems()`` and places each
    /// problem in its file; throws every problem, or returns the basin when there are none.
    ///
    /// A file with problems of its own (syntax, keys, types) still lends its ids, units and
    /// pollutants to the basin, so other files' references to them hold, but the basin's
    /// problems in it are left out: they would be about the placeholders standing for its wrong
    /// fields. When there are several `units` (or `pollutants`) files, every one after the first
    /// is reported, and references are checked against all of them, the first file without
    /// problems of its own listed first.
    func assemble(_ files: [DecodedPlaybookFile], folder: String) throws(PlaybookLoadError) -> LoadedBasin {
        var diagnostics = files.flatMap(\.diagnostics)
        var lost = LostReferences()
        let broken = files.map { !$0.diagnostics.isEmpty }

        for (index, file) in files.enumerated() where broken[index] {
            switch file.document {
            case nil:
                // The units or pollutants it may hold are decided below, with the other registries.
                if file.declaredKind != "units" && file.declaredKind != "pollutants" {
                    lost.add(kind: file.declaredKind, id: file.declaredID)
                }
            case .river(let river)?:
                lost.add(kind: "river", id: file.declaredID)
                lost.placeholderRivers.insert(river.id)
            case .sea?:
                lost.add(kind: "sea", id: file.declaredID)
            case .park?, .units?, .pollutants?, .peers?: break
            }
        }
        diagnostics += fileNameProblems(files)

        var registries: [String: [Int]] = [:]
        for kind in ["units", "pollutants"] {
            let decoded = files.indices.filter { files[$0].document?.kind == kind }
            // A file that could not be read may be this registry (its kind unknown, or this one).
            let unreadable = files.contains { $0.document == nil && ($0.declaredKind ?? kind) == kind }
            if let first = decoded.first {
                for index in decoded.dropFirst() {
                    let position = files[index].sourceMap.sourcePosition(of: "kind")
                    diagnostics.append(
                        PlaybookDiagnostic(
                            file: files[index].file, line: position.line, column: position.column, field: "kind",
                            message: "a second \(kind) file (the first is \(files[first].file)); list them in one file")
                    )
                }
            } else if !unreadable {
                diagnostics.append(
                    PlaybookDiagnostic(
                        file: folder, line: 1, column: 1, field: "",
                        message: "no file of kind \(kind) in the folder"))
            }
            let valid = decoded.filter { !broken[$0] }
            if valid.isEmpty { lost.add(kind: kind, id: nil) }
            // The first valid file's entries first, then the others' entries with a new key.
            registries[kind] = valid.prefix(1) + decoded.filter { $0 != valid.first }
        }

        var units: [AdministrativeUnit] = []
        var unitOrigins: [(file: Int, index: Int)] = []
        for file in registries["units"] ?? [] {
            guard case .units(let registry)? = files[file].document else { continue }
            let known = Set(units.map(\.code))
            for (index, unit) in registry.units.enumerated() where !known.contains(unit.code) {
                units.append(unit)
                unitOrigins.append((file, index))
            }
        }
        var pollutants: [Pollutant] = []
        var pollutantOrigins: [(file: Int, index: Int)] = []
        for file in registries["pollutants"] ?? [] {
            guard case .pollutants(let table)? = files[file].document else { continue }
            let known = Set(pollutants.map(\.id))
            for (index, pollutant) in table.pollutants.enumerated() where !known.contains(pollutant.id) {
                pollutants.append(pollutant)
                pollutantOrigins.append((file, index))
            }
        }

        var rivers: [(RiverPlaybook, Int)] = []
        var parks: [(ParkPlaybook, Int)] = []
        var seas: [(SeaPlaybook, Int)] = []
        var agreements: [NotificationAgreement] = []
        var peerFiles: [Int] = []
        for (index, file) in files.enumerated() {
            switch file.document {
            case .river(let river)?: rivers.append((river, index))
            case .park(let park)?: parks.append((park, index))
            case .sea(let sea)?: seas.append((sea, index))
            case .peers(let registry)?:
                agreements += registry.peers
                peerFiles.append(index)
            case .units?, .pollutants?, nil: break
            }
        }
        let basin = Basin(
            units: units, pollutants: pollutants, rivers: rivers.map(\.0), parks: parks.map(\.0),
            seas: seas.map(\.0), agreements: agreements)

        // Which files each problem document names, in the order Basin.problems() checks them.
        var documentFiles: [String: [Int]] = [:]
        for (playbook, index) in rivers.map({ ($0.0.id, $0.1) }) + parks.map({ ($0.0.id, $0.1) })
            + seas.map({ ($0.0.id, $0.1) })
        {
            documentFiles[playbook, default: []].append(index)
        }
        documentFiles["agreements"] = peerFiles
        var current: [String: Int] = [:]

        for problem in basin.problems() where !lost.explains(problem.message) {
            var path = String(problem.path.drop { $0 == "." })
            var index: Int
            if problem.document == "units" || problem.document == "pollutants" {
                let origins = problem.document == "units" ? unitOrigins : pollutantOrigins
                guard let (file, entryPath) = Self.registryEntry(path, list: problem.document, origins: origins)
                else { continue }
                index = file
                path = entryPath
            } else {
                guard let candidates = documentFiles[problem.document], !candidates.isEmpty else {
                    diagnostics.append(
                        PlaybookDiagnostic(file: folder, line: 1, column: 1, field: path, message: problem.message))
                    continue
                }
                index = candidates[min(current[problem.document] ?? 0, candidates.count - 1)]
                if candidates.count > 1, path == "id", problem.message.hasPrefix("duplicate id") {
                    // The second (third…) playbook with this id: later problems of this document are its own.
                    let next = min((current[problem.document] ?? 0) + 1, candidates.count - 1)
                    current[problem.document] = next
                    index = candidates[next]
                }
            }
            if problem.document == "agreements",
                let (peerFile, peerPath) = agreementPath(problem, files: files, peerFiles: peerFiles)
            {
                index = peerFile
                path = peerPath
            }
            // A file with problems of its own: the basin's problems in it are about placeholders.
            if broken[index] { continue }
            let file = files[index]
            let position = file.sourceMap.sourcePosition(of: path)
            diagnostics.append(
                PlaybookDiagnostic(
                    file: file.file, line: position.line, column: position.column, field: path,
                    message: problem.message))
        }

        guard diagnostics.isEmpty else { throw PlaybookLoadError(diagnostics: diagnostics) }
        return LoadedBasin(
            basin: basin,
            files: files.compactMap { file in
                file.document.map { PlaybookFileSummary(file: file.file, document: $0) }
            })
    }

    /// `units[7].code` of the joined list → the file that entry came from and its path there.
    static func registryEntry(
        _ path: String, list: String, origins: [(file: Int, index: Int)]
    ) -> (Int, String)? {
        let prefix = list + "["
        guard path.hasPrefix(prefix), let close = path.firstIndex(of: "]"),
            let position = Int(path[path.index(path.startIndex, offsetBy: prefix.count)..<close]),
            origins.indices.contains(position)
        else { return nil }
        let origin = origins[position]
        return (origin.file, "\(list)[\(origin.index)]" + path[path.index(after: close)...])
    }

    /// A river, park or sea playbook whose file is not named after its id
    /// (playbooks/README.md: the file is `<id>.yaml`; `<id>.yml` is read too).
    func fileNameProblems(_ files: [DecodedPlaybookFile]) -> [PlaybookDiagnostic] {
        files.compactMap { file in
            guard let document = file.document, let id = document.id, !id.isEmpty,
                !file.coveredPaths.contains("id")
            else { return nil }
            let name = (file.file as NSString).lastPathComponent
            guard name != id + ".yaml", name != id + ".yml" else { return nil }
            let position = file.sourceMap.sourcePosition(of: "id")
            return PlaybookDiagnostic(
                file: file.file, line: position.line, column: position.column, field: "id",
                message: "id \"\(id)\" does not match the file name \"\(name)\"")
        }
    }

    /// Places an agreements problem (`province: unknown unit "X"`) at `peers[i].province` of the
    /// peers file that lists X.
    private func agreementPath(
        _ problem: PlaybookProblem, files: [DecodedPlaybookFile], peerFiles: [Int]
    ) -> (Int, String)? {
        let quoted = problem.message.split(separator: "\"", omittingEmptySubsequences: false)
        guard quoted.count >= 3 else { return nil }
        let code = String(quoted[1])
        for index in peerFiles {
            guard case .peers(let registry)? = files[index].document else { continue }
            if let position = registry.peers.firstIndex(where: { $0.province == code }) {
                return (index, "peers[\(position)].\(problem.path.isEmpty ? "province" : problem.path)")
            }
        }
        return nil
    }
}

/// The references that cannot be checked because the file that defines them could not be read:
/// problems about them follow from that file's own problem and are left out.
struct LostReferences {
    var units = false
    /// Rivers that are in the basin with placeholders for their wrong fields (a length of 0).
    var placeholderRivers: Set<String> = []
    var pollutants = false
    var allRivers = false
    var allSeas = false
    var rivers: Set<String> = []
    var seas: Set<String> = []

    mutating func add(kind: String?, id: String?) {
        switch kind {
        case "units": units = true
        case "pollutants": pollutants = true
        case "river":
            if let id { rivers.insert(id) } else { allRivers = true }
        case "sea":
            if let id { seas.insert(id) } else { allSeas = true }
        case "park", "peers": break
        default:
            units = true
            pollutants = true
            allRivers = true
            allSeas = true
        }
    }

    /// Whether a problem's message is about a reference that cannot be checked.
    func explains(_ message: String) -> Bool {
        if units && (message.contains("unknown unit") || message.contains("unknown parent unit")) { return true }
        if pollutants && message.contains("unknown pollutant") { return true }
        if allRivers && message.contains("unknown river \"") { return true }
        if allSeas && message.contains("unknown sea area \"") { return true }
        if rivers.contains(where: { message.contains("unknown river \"\($0)\"") }) { return true }
        if seas.contains(where: { message.contains("unknown sea area \"\($0)\"") }) { return true }
        if placeholderRivers.contains(where: { message.contains("outside \($0)'s 0…") }) { return true }
        return false
    }
}
