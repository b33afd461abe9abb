import Crypto
import Foundation
import WatershedCore

/// The keyed hash of a mobile number that events carry instead of the number (issue 19: "a swap is an event
/// carrying the position, a person id and a keyed hash of the number"): HMAC-SHA-256 (RFC 2104, FIPS 198-1) of the
/// E.164 form under a key derived from the installation's `smsSecret`, its first 8 bytes in hex. Two texts to the
/// same number show the same hash; without the secret a hash cannot be checked against guessed numbers (there are
/// only about 10^11 mainland numbers, so a plain hash would be reversed in hours).
struct NumberHasher: Sendable {
    /// The HMAC key's bytes (`SymmetricKey` is not `Sendable`).
    private let key: Data

    /// A hasher keyed by `secret` (the key is SHA-256 of a label and the secret, so the secret itself is not the
    /// HMAC key the callback URLs' check uses).
    init(secret: String) {
        key = Data(SHA256.hash(data: Data("watershed mobile number hash\n\(secret)".utf8)))
    }

    /// 16 hex digits.
    func callAsFunction(_ number: MobileNumber) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(number.e164.utf8), using: SymmetricKey(data: key)).prefix(8)
            .map { String(format: "%02x", $0) }.joined()
    }
}

extension String {
    /// The text with every run of 7 or more digits (a phone number, possibly with its `+`) replaced by `…`: what a
    /// gateway's error may echo never reaches an event or a log line.
    var withoutNumbers: String {
        var out = ""
        var digits = ""
        func flush() {
            out += digits.count >= 7 ? "…" : digits
            digits = ""
        }
        for character in self {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }
}
