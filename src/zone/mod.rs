//! Zones: exclusion and inclusion areas (polygons, multipolygons with holes,
//! or circles), optional warning buffers, subject lists and schedules; and
//! [`ZoneSet`], the prepared, R-tree-indexed collection queried by the breach
//! engine.

mod circle;
mod geojson;
mod polygon;
mod schedule;
mod validity;

pub use circle::Circle;
pub use geojson::{read_zones, zones_from_geojson_bytes, zones_from_geojson_str};

pub(crate) use polygon::point_segment_distance as point_segment_distance_m;
pub(crate) use polygon::ring_area_m2;
pub use polygon::{PointLocation, PreparedPolygon, MIN_RING_AREA_M2};
pub use schedule::{resolve_local, Schedule, WeeklyWindow, MAX_SCHEDULE_WINDOWS};
pub(crate) use validity::check as validity_check;
pub use validity::MAX_ZONE_VERTICES;

use std::collections::{HashMap, HashSet};

use geo::MultiPolygon;
use rstar::{RTree, RTreeObject, AABB};

use crate::error::Error;

/// What a zone forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// Must not enter (e.g. a victim's street).
    Exclusion,
    /// Must not leave while the schedule is active (e.g. home during curfew).
    Inclusion,
}

impl ZoneKind {
    /// `"exclusion"` or `"inclusion"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneKind::Exclusion => "exclusion",
            ZoneKind::Inclusion => "inclusion",
        }
    }
}

/// A zone's area.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneShape {
    /// A polygon or multipolygon in lon/lat degrees (holes allowed).
    Polygon(MultiPolygon<f64>),
    /// A circle: centre lon/lat degrees and radius in metres.
    Circle {
        /// Centre longitude, degrees.
        lon: f64,
        /// Centre latitude, degrees.
        lat: f64,
        /// Radius, metres.
        radius_m: f64,
    },
}

/// One zone as defined by its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Unique id.
    pub id: String,
    /// Exclusion or inclusion.
    pub kind: ZoneKind,
    /// The area.
    pub shape: ZoneShape,
    /// The subjects it applies to; `None` = every subject.
    pub subjects: Option<Vec<String>>,
    /// Width in metres of a warning ring around an exclusion zone.
    pub buffer_m: Option<f64>,
    /// When the zone is active; `None` = always.
    pub schedule: Option<Schedule>,
}

/// Prepared geometry of a zone or of its buffer.
#[derive(Debug, Clone)]
pub enum Region {
    /// A prepared polygon.
    Polygon(PreparedPolygon),
    /// A circle.
    Circle(Circle),
    /// Everything within `distance_m` metres of a polygon (including it).
    PolygonBuffer(PreparedPolygon, f64),
}

impl Region {
    /// Whether the region covers (lon, lat) (boundary inside).
    #[inline]
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        match self {
            Region::Polygon(p) => p.covers(lon, lat),
            Region::Circle(c) => c.covers(lon, lat),
            Region::PolygonBuffer(p, d) => p.covers(lon, lat) || p.boundary_distance_m(lon, lat) <= *d,
        }
    }

    /// Distance in metres from (lon, lat) to the region's boundary.
    pub fn boundary_distance_m(&self, lon: f64, lat: f64) -> f64 {
        match self {
            Region::Polygon(p) => p.boundary_distance_m(lon, lat),
            Region::Circle(c) => c.boundary_distance_m(lon, lat),
            Region::PolygonBuffer(p, d) => {
                if p.covers(lon, lat) {
                    p.boundary_distance_m(lon, lat) + d
                } else {
                    (p.boundary_distance_m(lon, lat) - d).abs()
                }
            }
        }
    }

    /// Distance in metres from (lon, lat) to the region's boundary, or
    /// `cap_m` when it is farther (cheaper than the exact distance far from
    /// the boundary).
    pub fn boundary_distance_capped_m(&self, lon: f64, lat: f64, cap_m: f64) -> f64 {
        match self {
            Region::Polygon(p) => p.boundary_distance_capped_m(lon, lat, cap_m),
            Region::PolygonBuffer(p, d) => {
                if p.covers(lon, lat) {
                    // Inside the polygon: at least `d` from the buffer's edge.
                    if cap_m <= *d {
                        return cap_m;
                    }
                    (p.boundary_distance_capped_m(lon, lat, cap_m - d) + d).min(cap_m)
                } else {
                    // Outside the polygon, the buffer's boundary is `d` from its edges.
                    let inner = p.boundary_distance_capped_m(lon, lat, cap_m + d);
                    (inner - d).abs().min(cap_m)
                }
            }
            Region::Circle(c) => c.boundary_distance_m(lon, lat).min(cap_m),
        }
    }

    /// Whether (lon, lat) is more than `d_m` metres from the boundary.
    pub fn boundary_farther_than(&self, lon: f64, lat: f64, d_m: f64) -> bool {
        match self {
            Region::Polygon(p) => p.boundary_farther_than(lon, lat, d_m),
            _ => self.boundary_distance_m(lon, lat) > d_m,
        }
    }

    /// [`Region::covered_intervals`] with the ends' coverage already known.
    pub fn covered_intervals_known(&self, a: (f64, f64), b: (f64, f64), ca: bool, cb: bool, out: &mut Vec<(f64, f64)>) {
        match self {
            Region::Polygon(p) => p.covered_intervals_known(a, b, Some(ca), Some(cb), out),
            Region::Circle(c) => c.covered_intervals_known(a, b, ca, cb, out),
            _ => self.covered_intervals(a, b, out),
        }
    }

    /// Appends the closed sub-intervals of `s ∈ [0, 1]` where `a + s (b - a)`
    /// is covered, sorted and disjoint.
    pub fn covered_intervals(&self, a: (f64, f64), b: (f64, f64), out: &mut Vec<(f64, f64)>) {
        match self {
            Region::Polygon(p) => p.covered_intervals(a, b, out),
            Region::Circle(c) => c.covered_intervals(a, b, out),
            Region::PolygonBuffer(p, d) => p.within_intervals(a, b, *d, out),
        }
    }

    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn bbox(&self) -> [f64; 4] {
        match self {
            Region::Polygon(p) => p.bbox(),
            Region::Circle(c) => c.bbox(),
            Region::PolygonBuffer(p, d) => {
                let b = p.bbox();
                let f = p.frame();
                let (dx, dy) = (d / f.kx * 1.01, d / f.ky * 1.01);
                [b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy]
            }
        }
    }
}

/// A zone with its prepared regions.
#[derive(Debug, Clone)]
pub struct PreparedZone {
    /// The zone definition.
    pub zone: Zone,
    /// Its area.
    pub region: Region,
    /// Its warning buffer (area plus ring), if any.
    pub buffer: Option<Region>,
    subjects: Option<HashSet<String>>,
}

impl PreparedZone {
    /// Whether the zone applies to `subject`.
    #[inline]
    pub fn applies_to(&self, subject: &str) -> bool {
        self.subjects.as_ref().is_none_or(|s| s.contains(subject))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ZoneEnvelope {
    pub(crate) index: u32,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for ZoneEnvelope {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Zones prepared once for query-many use: prepared geometry plus an R-tree
/// over the zones' bounding boxes (buffers included).
#[derive(Debug, Clone)]
pub struct ZoneSet {
    zones: Vec<PreparedZone>,
    by_id: HashMap<String, usize>,
    tree: RTree<ZoneEnvelope>,
    /// Zones without a subject list (apply to everyone).
    global: Vec<u32>,
    /// Zones listing each subject.
    by_subject: HashMap<String, Vec<u32>>,
    /// Zone ids, shared (events and results name zones without copying).
    shared_ids: Vec<std::sync::Arc<str>>,
    /// The exclusion zones without a subject list (they apply to everyone),
    /// indexed alone: per-subject zones need no spatial search.
    global_exclusion_tree: RTree<ZoneEnvelope>,
    /// [`ZoneSet::content_hash`], computed on first use.
    content_hash: std::sync::OnceLock<String>,
}

impl ZoneSet {
    /// Prepares zones.
    ///
    /// # Errors
    /// [`Error::Zone`] for a duplicate id or a polygon ring of zero area
    /// (other checks happen when zones are read; zones built in code are
    /// otherwise trusted to be valid).
    pub fn new(zones: Vec<Zone>) -> Result<Self, Error> {
        let mut by_id = HashMap::new();
        let mut prepared = Vec::with_capacity(zones.len());
        for (i, z) in zones.into_iter().enumerate() {
            if by_id.insert(z.id.clone(), i).is_some() {
                return Err(Error::Zone {
                    source_name: "<memory>".into(),
                    index: i,
                    id: Some(z.id.clone()),
                    field: "id".into(),
                    reason: "duplicate zone id".into(),
                });
            }
            if let ZoneShape::Polygon(mp) = &z.shape {
                let rings =
                    mp.0.iter()
                        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
                if mp.0.is_empty()
                    || rings
                        .clone()
                        .any(|r| polygon::ring_area_m2(&r.0) < polygon::MIN_RING_AREA_M2)
                {
                    return Err(Error::Zone {
                        source_name: "<memory>".into(),
                        index: i,
                        id: Some(z.id.clone()),
                        field: "geometry".into(),
                        reason: "a polygon ring has (almost) zero area (under 1 m²): its positions lie on one line"
                            .into(),
                    });
                }
            }
            let region = match &z.shape {
                ZoneShape::Polygon(mp) => Region::Polygon(PreparedPolygon::new(mp)),
                ZoneShape::Circle { lon, lat, radius_m } => Region::Circle(Circle::new(*lon, *lat, *radius_m)),
            };
            let buffer = z.buffer_m.filter(|&d| d > 0.0).map(|d| match &region {
                Region::Circle(c) => Region::Circle(c.grown(d)),
                Region::Polygon(p) | Region::PolygonBuffer(p, _) => Region::PolygonBuffer(p.clone(), d),
            });
            let subjects = z.subjects.as_ref().map(|v| v.iter().cloned().collect());
            prepared.push(PreparedZone {
                zone: z,
                region,
                buffer,
                subjects,
            });
        }
        let envelope = |(i, z): (usize, &PreparedZone)| {
            let b = z.buffer.as_ref().unwrap_or(&z.region).bbox();
            ZoneEnvelope {
                index: i as u32,
                envelope: AABB::from_corners([b[0], b[1]], [b[2], b[3]]),
            }
        };
        let tree = RTree::bulk_load(prepared.iter().enumerate().map(envelope).collect());
        let global_exclusion_tree = RTree::bulk_load(
            prepared
                .iter()
                .enumerate()
                .filter(|(_, z)| z.zone.kind == ZoneKind::Exclusion && z.zone.subjects.is_none())
                .map(envelope)
                .collect(),
        );
        let mut global = Vec::new();
        let mut by_subject: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, z) in prepared.iter().enumerate() {
            match &z.zone.subjects {
                None => global.push(i as u32),
                Some(list) => {
                    for s in list {
                        let v = by_subject.entry(s.clone()).or_default();
                        if v.last() != Some(&(i as u32)) {
                            v.push(i as u32);
                        }
                    }
                }
            }
        }
        let shared_ids = prepared
            .iter()
            .map(|z| std::sync::Arc::from(z.zone.id.as_str()))
            .collect();
        Ok(ZoneSet {
            zones: prepared,
            by_id,
            tree,
            global,
            by_subject,
            shared_ids,
            global_exclusion_tree,
            content_hash: std::sync::OnceLock::new(),
        })
    }

    /// A content hash of every zone as defined — id, kind, geometry (exact
    /// doubles), subjects, buffer and schedule, in order — as `xxh3:` and
    /// 16 hex digits. Two sets with the same ids but another geometry, kind
    /// or schedule hash differently; a monitor checkpoint records it and
    /// refuses other zones.
    pub fn content_hash(&self) -> &str {
        self.content_hash.get_or_init(|| {
            use std::hash::Hasher;
            let mut h = twox_hash::XxHash3_64::with_seed(0);
            for z in &self.zones {
                // Debug prints each f64 exactly (shortest round-trip form)
                // and holds no unordered collections.
                h.write(format!("{:?}", z.zone).as_bytes());
                h.write(&[0]);
            }
            format!("xxh3:{:016x}", h.finish())
        })
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether there is no zone.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Zone number `i`.
    pub fn get(&self, i: usize) -> &PreparedZone {
        &self.zones[i]
    }

    /// The id of zone number `i`, shared (cloning it copies no text).
    pub fn shared_id(&self, i: usize) -> &std::sync::Arc<str> {
        &self.shared_ids[i]
    }

    /// All zones.
    pub fn zones(&self) -> &[PreparedZone] {
        &self.zones
    }

    /// The zone with `id`.
    pub fn by_id(&self, id: &str) -> Option<&PreparedZone> {
        self.by_id.get(id).map(|&i| &self.zones[i])
    }

    /// Numbers of the zones that apply to `subject` (those without a subject
    /// list, and those listing it), ascending.
    pub fn applicable(&self, subject: &str) -> Vec<usize> {
        let mut v: Vec<usize> = self.global.iter().map(|&i| i as usize).collect();
        if let Some(list) = self.by_subject.get(subject) {
            v.extend(list.iter().map(|&i| i as usize));
            v.sort_unstable();
            v.dedup();
        }
        v
    }

    /// Numbers of the zones that list `subject` (not those for everyone),
    /// ascending.
    pub fn listing(&self, subject: &str) -> &[u32] {
        self.by_subject.get(subject).map_or(&[], Vec::as_slice)
    }

    /// Numbers of the exclusion zones for everyone (no subject list) whose
    /// bounding box (buffer included) meets `bbox`, in no particular order.
    pub fn global_exclusion_candidates(&self, bbox: [f64; 4]) -> impl Iterator<Item = usize> + '_ {
        self.global_exclusion_tree
            .locate_in_envelope_intersecting(&AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]))
            .map(|e| e.index as usize)
    }

    /// Whether any exclusion zone applies to everyone.
    pub fn has_global_exclusions(&self) -> bool {
        self.global_exclusion_tree.size() > 0
    }

    /// Numbers of the zones whose bounding box (buffer included) meets the box
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn candidates(&self, bbox: [f64; 4]) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]))
            .map(|e| e.index as usize)
    }
}
