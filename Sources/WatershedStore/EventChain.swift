import Crypto
import Foundation
import WatershedCore

/// The hash chain of the event log (DESIGN.md "Hash chain").
///
/// `hash = SHA-256(prevHash ‖ bytes)`, where `prevHash` enters as its 64 lowercase hexadecimal ASCII characters
/// and `bytes` are the event's stored canonical JSON; the first event's `prevHash` is 64 zeros.
public enum EventChain {
    /// The `prevHash` of seq 1: 64 zeros.
    public static let genesis = StoredEvent.genesisHash

    /// The hash of an event stored as `canonicalBytes` after an event whose hash is `prevHash`: 64 lowercase hex
    /// characters.
    public static func hash(prevHash: String, canonicalBytes: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(prevHash.utf8))
        hasher.update(data: canonicalBytes)
        return hex(hasher.finalize())
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hexadecimal of any byte sequence (two characters per byte).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
