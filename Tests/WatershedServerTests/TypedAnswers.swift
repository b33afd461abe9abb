import Foundation
import Testing
import WatershedCore
import WatershedWire

// Answers read as the Wire and Core types a client decodes them as, with the API's one JSON configuration
// (``WireJSON``): a renamed or retyped field fails to compile or to decode instead of reading as `nil`.

/// Decodes `data` as `type` with the API's decoder (``WireJSON/makeDecoder()``: times RFC 3339 with an offset).
///
/// - Throws: `DecodingError` when the body does not have the shape of `T`.
func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    try WireJSON.makeDecoder().decode(T.self, from: data)
}

/// The time an RFC 3339 literal of a test names (with or without fractional seconds); fails the test when the
/// literal is not one, so an expected time never compares as `nil`.
func instant(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Date {
    try #require(ReportsTests.date(text), "\"\(text)\" is not an RFC 3339 time", sourceLocation: sourceLocation)
}

extension APIClient.Reply {
    /// The body decoded as `type` (``decode(_:from:)``).
    ///
    /// - Throws: `DecodingError` when the body is not one.
    func decoded<T: Decodable>(_ type: T.Type) throws -> T { try decode(type, from: body) }

    /// The `error` member of a 4xx/5xx body (``ErrorBody``); `nil` when the body is not an error body.
    var error: ErrorBody.Detail? { try? decode(ErrorBody.self, from: body).error }
}

extension StoredEvent {
    /// The payload decoded as the typed payload of its event type, e.g. ``TaskEscalated``.
    ///
    /// - Throws: `DecodingError` when the payload does not have the shape of `T`.
    func payload<T: Decodable>(as type: T.Type) throws -> T { try payload.decode(type) }
}

extension EventActor {
    /// The token id of a person (`yizhou-officer`); `nil` for a peer or the system.
    var token: String? {
        if case .person(_, _, let token) = self { return token }
        return nil
    }
}
