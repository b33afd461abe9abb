import Yams

/// How the strict decoder reads scalars (YAML 1.2 core schema, stricter where a
/// playbook needs it): numbers must be plain, finite numbers; booleans are
/// `true`/`false`; a string field takes any scalar text except an empty value.
enum Scalars {
    static let nullTexts: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let trueTexts: Set<String> = ["true", "True", "TRUE"]
    static let falseTexts: Set<String> = ["false", "False", "FALSE"]
    static let infinityTexts: Set<String> = [
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ]
    static let nanTexts: Set<String> = [".nan", ".NaN", ".NAN"]

    static func isNull(_ node: Node?) -> Bool {
        guard case .scalar(let scalar)? = node else { return false }
        return isNull(scalar)
    }

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        (scalar.style == .plain || scalar.style == .any) && nullTexts.contains(scalar.string)
    }

    /// A short description of a node for messages: `"abc"`, `an empty value`, `a mapping`, `a list`.
    static func describe(_ node: Node?) -> String {
        switch node {
        case nil: return "nothing"
        case .scalar(let scalar)?:
            if isNull(scalar) { return "an empty value" }
            let text = scalar.string
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return "\"\(shown)\""
        case .mapping?: return "a mapping"
        case .sequence?: return "a list"
        case .alias?: return "an alias"
        }
    }

    enum Number {
        case integer(Int)
        case decimal(Double)
        case nonFinite
        /// Written as a number, but beyond what a `Double` holds (`1e400`).
        case outOfRange
        case notANumber
    }

    /// Parses a plain scalar as a YAML 1.2 core-schema number.
    static func number(_ text: String) -> Number {
        if infinityTexts.contains(text) || nanTexts.contains(text) { return .nonFinite }
        // Not YAML numbers at all, but plainly meant as the non-finite ones: `NaN`, `inf`, `-Infinity`.
        let bare = text.drop { $0 == "-" || $0 == "+" || $0 == "." }.lowercased()
        if ["nan", "inf", "infinity"].contains(bare) { return .nonFinite }
        if let integer = integer(text) { return .integer(integer) }
        if isDecimal(text) {
            guard let value = Double(text), value.isFinite else { return .outOfRange }
            return .decimal(value)
        }
        return .notANumber
    }

    /// `[-+]?[0-9]+` too large for an `Int` (`99999999999999999999`).
    static func isOversizedInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber } && Int(text) == nil
    }

    /// `[-+]?[0-9]+`, `0x[0-9a-fA-F]+` or `0o[0-7]+`.
    static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
    static func isDecimal(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        let mantissa = rest.prefix { $0 != "e" && $0 != "E" }
        let exponent = rest.dropFirst(mantissa.count)
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            return false
        }
        guard !(parts.first?.isEmpty ?? true) || (parts.count == 2 && !parts[1].isEmpty) else { return false }
        if !exponent.isEmpty {
            var digits = exponent.dropFirst()
            if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        }
        return true
    }
}

extension DecodingState {
    /// Where to report a wrong value: at the value, or at its key when the value is empty.
    func valuePosition(_ node: Node, _ path: String) -> SourcePosition? {
        Scalars.isNull(node) ? positions[path] ?? SourcePosition(node.mark) : SourcePosition(node.mark)
    }

    /// The scalar text for a string field, or `nil` after reporting why there is none.
    func string(_ node: Node?, path: String, silent: Bool) -> String? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node, !Scalars.isNull(scalar) { return scalar.string }
        if !silent { report(path, at: valuePosition(node, path), "expected a string, got \(Scalars.describe(node))") }
        return nil
    }

    /// A finite number for a `Double` field (an integer is accepted), or `nil` after reporting.
    func double(_ node: Node?, path: String, silent: Bool) -> Double? {
        guard let node else { return nil }
        var problem = "expected a number, got \(Scalars.describe(node))"
        if case .scalar(let scalar) = node, !Scalars.isNull(scalar) {
            if scalar.style == .plain || scalar.style == .any {
                switch Scalars.number(scalar.string) {
                case .integer(let value): return Double(value)
                case .decimal(let value): return value
                case .nonFinite: problem = "expected a finite number, got \(scalar.string)"
                case .outOfRange:
                    problem = "the number \(scalar.string) is out of range (a number is at most about 1.8e308)"
                case .notANumber: break
                }
            } else if case .integer = Scalars.number(scalar.string) {
                problem = "expected a number, got the quoted string \(Scalars.describe(node)); remove the quotes"
            } else if case .decimal = Scalars.number(scalar.string) {
                problem = "expected a number, got the quoted string \(Scalars.describe(node)); remove the quotes"
            }
        }
        if !silent { report(path, at: valuePosition(node, path), problem) }
        return nil
    }

    /// A whole number for an integer field, or `nil` after reporting.
    func integer(_ node: Node?, path: String, silent: Bool) -> Int? {
        guard let node else { return nil }
        var problem = "expected a whole number, got \(Scalars.describe(node))"
        if case .scalar(let scalar) = node, !Scalars.isNull(scalar) {
            if scalar.style == .plain || scalar.style == .any {
                if let value = Scalars.integer(scalar.string) { return value }
                if Scalars.isOversizedInteger(scalar.string) {
                    problem = "the number \(scalar.string) is out of range for a whole number"
                } else if Scalars.isDecimal(scalar.string) || Scalars.integer(scalar.string.filter { $0 != "_" }) != nil
                {
                    problem = "expected a whole number, got \(scalar.string)"
                }
            } else if Scalars.integer(scalar.string) != nil {
                problem = "expected a whole number, got the quoted string \(Scalars.describe(node)); remove the quotes"
            }
        }
        if !silent { report(path, at: valuePosition(node, path), problem) }
        return nil
    }

    /// `true` or `false`, or `nil` after reporting.
    func bool(_ node: Node?, path: String, silent: Bool) -> Bool? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any {
            if Scalars.trueTexts.contains(scalar.string) { return true }
            if Scalars.falseTexts.contains(scalar.string) { return false }
        }
        if !silent {
            report(path, at: valuePosition(node, path), "expected true or false, got \(Scalars.describe(node))")
        }
        return nil
    }
}
