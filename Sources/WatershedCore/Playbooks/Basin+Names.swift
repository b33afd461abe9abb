extension Basin {
    /// The name a Chinese reader is given for a place of the playbooks: its `nameZh`, else its English name; `nil`
    /// for an id no playbook has.
    ///
    /// Looks up, in this order: river, sea and park playbooks by id; a river's sites, receptors and monitoring
    /// sections; a sea's zones, receptors and maritime boundaries (which have no `nameZh`); a park's sites.
    public func placeNameZh(_ id: String) -> String? {
        if let river = rivers[id] { return river.nameZh ?? river.name }
        if let sea = seas[id] { return sea.nameZh ?? sea.name }
        if let park = parks[id] { return park.nameZh ?? park.name }
        for river in riverList {
            if let site = river.sites.first(where: { $0.id == id }) { return site.nameZh ?? site.name }
            if let receptor = river.receptors.first(where: { $0.id == id }) { return receptor.nameZh ?? receptor.name }
            if let section = river.monitoringSections.first(where: { $0.id == id }) {
                return section.nameZh ?? section.name
            }
        }
        for sea in seaList {
            if let zone = sea.zones.first(where: { $0.id == id }) { return zone.nameZh ?? zone.name }
            if let receptor = sea.receptors.first(where: { $0.id == id }) { return receptor.nameZh ?? receptor.name }
            if let boundary = sea.boundaries.first(where: { $0.id == id }) { return boundary.name }
        }
        for park in parkList {
            if let site = park.sites.first(where: { $0.id == id }) { return site.nameZh ?? site.name }
        }
        return nil
    }
}
