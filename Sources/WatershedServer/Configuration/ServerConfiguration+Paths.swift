import Foundation

extension ServerConfiguration {
    /// Checks that the folders and files the settings name are there, before anything is opened (issue 20, "a
    /// missing folder or file in the config is a sentence naming the key and the path"): `playbooks` and `seeds`
    /// must be folders, and the province's folder (`seeds/<province>`) must be in `seeds`; `tlsCert`, `tlsKey`,
    /// `peerCert` and `peerKey`, when given, must be readable files.
    ///
    /// - Parameter workingDirectory: what a relative path is relative to (the process's working directory).
    /// - Throws: ``Problem`` whose origin names the key where its value came from (`--playbooks`,
    ///   `WATERSHED_PLAYBOOKS`, `/etc/watershed/watershed.yaml:9:12: playbooks`, or `playbooks (default)`) and whose
    ///   message names the path as given and, when relative, as resolved — the first problem found.
    public func checkPaths(workingDirectory: String = FileManager.default.currentDirectoryPath) throws {
        func origin(_ key: String) -> String { origins[key] ?? "\(key) (default)" }
        func shown(_ path: String) -> String {
            path.hasPrefix("/")
                ? path : "\(path) (\(URL(fileURLWithPath: workingDirectory).appendingPathComponent(path).path))"
        }
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: workingDirectory).appendingPathComponent(path).path
        }
        func isFolder(_ path: String) -> Bool? {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute(path), isDirectory: &folder) else { return nil }
            return folder.boolValue
        }
        let what = [
            "playbooks": "the river and park playbooks",
            "seeds": "the provinces' seeds (organisation, tokens, peers)",
        ]
        for key in ["playbooks", "seeds"] {
            let path = key == "playbooks" ? playbooks : seeds
            switch isFolder(path) {
            case nil:
                throw Problem(
                    origin: origin(key),
                    message: "the folder \(shown(path)) does not exist; set \(key) to the folder of \(what[key]!)")
            case false?:
                throw Problem(
                    origin: origin(key), message: "\(shown(path)) is a file; \(key) names the folder of \(what[key]!)")
            case true?: break
            }
        }
        let provinceFolder = URL(fileURLWithPath: seeds).appendingPathComponent(province).path
        if isFolder(provinceFolder) != true {
            throw Problem(
                origin: origin("seeds"),
                message: "\(shown(seeds)) has no folder \(province) for the province (\(origin("province"))); "
                    + "its seeds are in \(shown(provinceFolder))")
        }
        let files: [(String, String?)] = [
            ("tlsCert", tlsCert), ("tlsKey", tlsKey), ("peerCert", peerCert), ("peerKey", peerKey),
        ]
        for case (let key, let path?) in files {
            switch isFolder(path) {
            case nil:
                throw Problem(origin: origin(key), message: "the file \(shown(path)) does not exist")
            case true?:
                throw Problem(origin: origin(key), message: "\(shown(path)) is a folder; \(key) names a PEM file")
            case false?:
                if !FileManager.default.isReadableFile(atPath: absolute(path)) {
                    throw Problem(
                        origin: origin(key),
                        message: "the file \(shown(path)) cannot be read by this user (uid \(getuid()))")
                }
            }
        }
    }
}
