import X509

/// The names in peer certificates.
public enum PeerNames {
    /// The subject of `province`'s peer-client certificate: `O=Watershed, CN=watershed-peer-<province>` (what
    /// `watershed certs` issues and the peer port checks a client certificate against).
    ///
    /// - Throws: what `DistinguishedName` throws for a name it cannot build.
    public static func clientName(province: String) throws -> DistinguishedName {
        try DistinguishedName {
            OrganizationName("Watershed")
            CommonName("watershed-peer-\(province)")
        }
    }
}
