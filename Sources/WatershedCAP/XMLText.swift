import Foundation

/// A small XML writer: elements with escaped text, two-space indentation, nothing else. Enough for CAP and Atom,
/// whose text content is data, never markup.
struct XMLText {
    private(set) var output = ""
    private var depth = 0

    /// Starts an element on a new line; `attributes` in the order given.
    mutating func open(_ name: String, _ attributes: [(String, String)] = []) {
        line("<\(name)\(Self.attributes(attributes))>")
        depth += 1
    }

    /// Ends the element `open` started.
    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    /// `<name>text</name>` on one line, the text escaped.
    mutating func element(_ name: String, _ text: String, _ attributes: [(String, String)] = []) {
        line("<\(name)\(Self.attributes(attributes))>\(Self.escape(text))</\(name)>")
    }

    /// `<name>text</name>` when `text` is not `nil`.
    mutating func element(_ name: String, _ text: String?) {
        if let text { element(name, text) }
    }

    /// An empty element `<name a="…"/>`.
    mutating func empty(_ name: String, _ attributes: [(String, String)]) {
        line("<\(name)\(Self.attributes(attributes))/>")
    }

    /// Markup written as given (already well-formed XML, e.g. a kept `<Signature>`), on its own line.
    mutating func raw(_ markup: String) {
        line(markup)
    }

    /// Appends text as is (the XML declaration).
    mutating func append(_ text: String) {
        output += text
    }

    private mutating func line(_ text: String) {
        output += String(repeating: "  ", count: depth) + text + "\n"
    }

    private static func attributes(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(escape($0.1, attribute: true))\"" }.joined()
    }

    /// Escapes `&`, `<`, `>` (and `"`, tab and line ends in an attribute; `\r` everywhere, so that XML's line-end
    /// normalisation keeps it). Characters XML 1.0 does not allow at all (C0 controls other than tab, line feed
    /// and carriage return; U+FFFE, U+FFFF) become U+FFFD.
    static func escape(_ text: String, attribute: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"" where attribute: result += "&quot;"
            case "\r": result += "&#13;"
            case "\n" where attribute: result += "&#10;"
            case "\t" where attribute: result += "&#9;"
            case "\t", "\n": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}

/// Numbers as CAP writes them: `xs:decimal` text, never with an exponent; whole numbers without a fraction.
enum CAPNumber {
    /// `38.47`, `-120.14`, `0`, `12.5`.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let text = "\(value)"
        if !text.contains("e") { return text }
        var fixed = String(format: "%.12f", value)
        while fixed.hasSuffix("0") { fixed.removeLast() }
        if fixed.hasSuffix(".") { fixed.removeLast() }
        return fixed
    }
}
