import WatershedCore

extension PlaybookLoader {
    /// Builds the basin from the decoded files, runs ``Basin/problems()`` and places each
    /// problem in its file; throws every problem, or returns the basin when there are none.
    func assemble(_ files: [DecodedPlaybookFile], folder: String) throws(PlaybookLoadError) -> LoadedBasin {
        var diagnostics = files.flatMap(\.diagnostics)
        var lost = LostReferences()

        for file in files where file.document == nil {
            lost.add(kind: file.declaredKind, id: file.declaredID)
        }
        let unitFiles = files.indices.filter { files[$0].document?.kind == "units" }
        let pollutantFiles = files.indices.filter { files[$0].document?.kind == "pollutants" }
        for (kind, indices) in [("units", unitFiles), ("pollutants", pollutantFiles)] {
            if let first = indices.first {
                for index in indices.dropFirst() {
                    let position = files[index].sourceMap.sourcePosition(of: "kind")
                    diagnostics.append(
                        PlaybookDiagnostic(
                            file: files[index].file, line: position.line, column: position.column, field: "kind",
                            message: "a second \(kind) file (the first is \(files[first].file)); list them in one file")
                    )
                }
            } else if !files.contains(where: { $0.document == nil && $0.declaredKind == kind }) {
                diagnostics.append(
                    PlaybookDiagnostic(
                        file: folder, line: 1, column: 1, field: "",
                        message: "no file of kind \(kind) in the folder"))
                lost.add(kind: kind, id: nil)
            }
        }

        var units: [AdministrativeUnit] = []
        var pollutants: [Pollutant] = []
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
            case .units(let registry)? where index == unitFiles.first: units = registry.units
            case .pollutants(let table)? where index == pollutantFiles.first: pollutants = table.pollutants
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
        if let first = unitFiles.first { documentFiles["units"] = [first] }
        if let first = pollutantFiles.first { documentFiles["pollutants"] = [first] }
        documentFiles["agreements"] = peerFiles
        var current: [String: Int] = [:]

        for problem in basin.problems() where !lost.explains(problem.message) {
            var path = String(problem.path.drop { $0 == "." })
            guard let candidates = documentFiles[problem.document], !candidates.isEmpty else {
                diagnostics.append(
                    PlaybookDiagnostic(file: folder, line: 1, column: 1, field: path, message: problem.message))
                continue
            }
            var index = candidates[min(current[problem.document] ?? 0, candidates.count - 1)]
            if candidates.count > 1, path == "id", problem.message.hasPrefix("duplicate id") {
                // The second (third…) playbook with this id: later problems of this document are its own.
                let next = min((current[problem.document] ?? 0) + 1, candidates.count - 1)
                current[problem.document] = next
                index = candidates[next]
            }
            if problem.document == "agreements",
                let (peerFile, peerPath) = agreementPath(problem, files: files, peerFiles: peerFiles)
            {
                index = peerFile
                path = peerPath
            }
            let file = files[index]
            if file.coveredPaths.contains(where: { covered in
                CodingPathText.isWithin(path, covered) || (!path.isEmpty && CodingPathText.isWithin(covered, path))
            }) {
                continue
            }
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
        return false
    }
}
