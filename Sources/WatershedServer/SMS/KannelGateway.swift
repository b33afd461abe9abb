import AsyncHTTPClient
import Foundation
import NIOCore
import WatershedCore

/// Text messages out through Kannel's smsbox (issue 19, "A real gateway"): an HTTP `GET` of its `sendsms`
/// interface (Kannel 1.4 User's Guide, "Using the HTTP interface to send SMS messages", the send-sms CGI
/// variables), with the text in UTF-8 (`charset=UTF-8`) to be sent as UCS-2 (`coding=2`: Chinese), and a delivery
/// report asked for every outcome (`dlr-mask=31`: delivered, failed, buffered, SMSC accepted, SMSC refused) at
/// `deliveryReports` when set.
///
/// Kannel splits a text longer than one segment into a concatenated message only when its `sendsms-user` has
/// `max-messages` above 1 and `concatenation = true` (`Tests/kannel/kannel.conf.template`, docs/sms.md).
///
/// The number is sent E.164 with its `+`; it is never logged here (a failure names the message's key).
public struct KannelGateway: Sendable {
    /// What smsbox said of a message it took.
    public enum Accepted: Sendable, Equatable {
        /// `0: Accepted for delivery` (202).
        case accepted
        /// `3: Queued for later delivery` (202): bearerbox has no SMSC connected now; it sends when one connects.
        case queued
    }

    /// smsbox's send-sms URL, e.g. `http://127.0.0.1:13013/cgi-bin/sendsms`.
    public var endpoint: String
    /// The `sendsms-user` Kannel knows Watershed as.
    public var username: String
    public var password: String
    /// Where Kannel is to report delivery (`dlr-url`): a URL on Watershed's SMS listener, with Kannel's escapes
    /// (`%d` the report's type, `%T` its time); the message's key is added as `key=`.
    public var deliveryReports: String?
    /// How long one request may take.
    public var timeout: TimeAmount = .seconds(10)

    public init(endpoint: String, username: String, password: String, deliveryReports: String? = nil) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.deliveryReports = deliveryReports
    }

    /// The URL that sends `text` to `number` (query values percent-encoded; Kannel's escapes in the `dlr-url` kept
    /// for Kannel to fill in).
    func url(text: String, to number: MobileNumber, key: String) -> String {
        var items = [
            ("username", username), ("password", password), ("to", number.e164), ("text", text),
            ("charset", "UTF-8"), ("coding", "2"),
        ]
        if let deliveryReports {
            let separator = deliveryReports.contains("?") ? "&" : "?"
            items += [("dlr-mask", "31"), ("dlr-url", deliveryReports + separator + "key=" + Self.encode(key))]
        }
        return endpoint + "?" + items.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    /// Sends `text` to `number`; `key` names the message in the delivery report.
    ///
    /// - Throws: ``SMSGatewayError`` when smsbox cannot be reached, refuses (`403` wrong user, `4xx` a bad request) or
    ///   answers something it should not.
    public func send(_ text: String, to number: MobileNumber, key: String, client: HTTPClient) async throws
        -> Accepted
    {
        let request = HTTPClientRequest(url: url(text: text, to: number, key: key))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw SMSGatewayError.unreachable("\(error)")
        }
        let body: String
        do {
            // smsbox answers a line (`0: Accepted for delivery`); anything much longer is not smsbox.
            body = String(buffer: try await response.body.collect(upTo: 64 << 10))
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw SMSGatewayError.refused(status: Int(response.status.code), answer: "an answer over 64 KB")
        }
        switch (response.status.code, body.prefix(2)) {
        case (202, "0:"): return .accepted
        case (202, "3:"): return .queued
        default: throw SMSGatewayError.refused(status: Int(response.status.code), answer: String(body.prefix(200)))
        }
    }

    /// Percent-encodes a query value: everything but RFC 3986's unreserved characters.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(.init(charactersIn: Unicode.Scalar(0)..<"\u{80}"))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// Why a text was not handed to the gateway.
public enum SMSGatewayError: Error, Equatable, CustomStringConvertible {
    /// No answer (connection refused, timeout).
    case unreachable(String)
    /// An answer other than accepted or queued.
    case refused(status: Int, answer: String)

    public var description: String {
        switch self {
        case .unreachable(let why): "the SMS gateway did not answer: \(why)"
        case .refused(let status, let answer): "the SMS gateway refused the message (\(status)): \(answer)"
        }
    }
}
