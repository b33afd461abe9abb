import Foundation
import Synchronization

/// Why the peer port's own certificate check refused a client certificate, kept for the one line logged when the
/// handshake then fails (BoringSSL only reports "certificate verify failed").
public final class VerificationNote: Sendable {
    private let reason = Mutex<String?>(nil)

    public init() {}

    /// Records why the certificate was refused.
    public func refuse(_ why: String) { reason.withLock { $0 = why } }

    /// The reason recorded, if any.
    public var refusal: String? { reason.withLock { $0 } }
}
