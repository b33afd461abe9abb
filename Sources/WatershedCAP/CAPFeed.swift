import Foundation

/// An Atom 1.0 feed (RFC 4287) of CAP messages, newest first, each entry carrying the whole `<alert>` as its
/// XML content (`type="application/cap+xml"`, RFC 4287 §4.1.3.3: an XML media type is the content's one child
/// element) and a link to the incident's latest message.
public enum CAPFeed {
    /// One entry: the message and the path of its incident's CAP route.
    public struct Entry: Sendable {
        /// The message.
        public var alert: CAPAlert
        /// `/v1/incidents/{id}/cap`.
        public var link: String

        /// Creates an entry.
        public init(alert: CAPAlert, link: String) {
            self.alert = alert
            self.link = link
        }
    }

    /// The feed document. `id` is the feed's IRI (`urn:watershed:450000:cap`), `updated` the newest entry's
    /// `sent` (or `now` when empty), each entry's `id` the message's identifier and `updated` its `sent`, its
    /// `title` the first headline (or event).
    public static func atom(id: String, title: String, selfLink: String, entries: [Entry], now: CAPTime) -> String {
        var xml = XMLText()
        xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        xml.open("feed", [("xmlns", "http://www.w3.org/2005/Atom")])
        xml.element("id", id)
        xml.element("title", title)
        xml.element("updated", entries.first?.alert.sent.text ?? now.text)
        xml.empty("link", [("rel", "self"), ("href", selfLink), ("type", "application/atom+xml")])
        xml.open("author")
        xml.element("name", entries.first?.alert.sender ?? title)
        xml.close("author")
        for entry in entries {
            let alert = entry.alert
            xml.open("entry")
            xml.element("id", alert.identifier)
            xml.element(
                "title",
                alert.info.first?.headline ?? alert.info.first?.event ?? "\(alert.msgType.rawValue) \(alert.identifier)"
            )
            xml.element("updated", alert.sent.text)
            xml.empty("link", [("rel", "alternate"), ("href", entry.link), ("type", "application/cap+xml")])
            xml.open("content", [("type", "application/cap+xml")])
            alert.write(into: &xml)
            xml.close("content")
            xml.close("entry")
        }
        xml.close("feed")
        return xml.output
    }
}
