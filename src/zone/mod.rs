//! Zones: exclusion and inclusion areas (polygons, multipolygons with holes,
//! or circles), optional warning buffers, subject lists and schedules; and
//! [`ZoneSet`], the prepared, R-tree-indexed collection queried by the breach
//! engine.

mod circle;
mod conditions;
mod geojson;
mod polygon;
mod schedule;
mod validity;

pub use circle::Circle;
pub(crate) use conditions::overlap_us;
pub use conditions::{Absence, Conditions, Lifted, Suspension};
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
use crate::time::Window;
use conditions::ConditionIndex;

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

/// One zone as defined by its owner (one version of it, when it has
/// several).
#[derive(Clone, PartialEq)]
pub struct Zone {
    /// Unique id (shared by the versions of one zone).
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
    /// When this version is in force (default: always, unversioned).
    pub effective: Effective,
}

impl std::fmt::Debug for Zone {
    /// As derived, with `effective` left out when it is the default (so an
    /// unversioned zone prints, and hashes, as before versions existed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Zone");
        d.field("id", &self.id)
            .field("kind", &self.kind)
            .field("shape", &self.shape)
            .field("subjects", &self.subjects)
            .field("buffer_m", &self.buffer_m)
            .field("schedule", &self.schedule);
        if self.effective != Effective::default() {
            d.field("effective", &self.effective);
        }
        d.finish()
    }
}

/// When one version of a zone is in force: `[from_us, until_us)`, UTC µs,
/// either side open when `None`. Versions of one zone share its id, carry
/// distinct labels and do not overlap in time; an episode crossing a
/// version change is cut at the change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effective {
    /// First instant in force, UTC µs (inclusive); `None` = since always.
    pub from_us: Option<i64>,
    /// Instant it stops, UTC µs (exclusive); `None` = still in force.
    pub until_us: Option<i64>,
    /// The version's label (e.g. `"2024-11 variation"`); `None` for a zone
    /// with one version.
    pub version: Option<String>,
}

impl Effective {
    /// Whether it is bounded on either side.
    pub fn is_bounded(&self) -> bool {
        self.from_us.is_some() || self.until_us.is_some()
    }

    /// Whether `t_us` falls inside.
    #[inline]
    pub fn contains(&self, t_us: i64) -> bool {
        self.from_us.is_none_or(|f| t_us >= f) && self.until_us.is_none_or(|u| t_us < u)
    }
}

/// Joins a zone id and a version label in a zone key (U+001F, the unit
/// separator: not found in real ids).
pub const VERSION_SEPARATOR: char = '\u{1f}';

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
    /// Authorised absences and suspensions.
    conditions: Conditions,
    /// `conditions` by subject.
    condition_index: ConditionIndex,
    /// Per zone: whether its rule is ever lifted or bounded in time
    /// (a schedule, an effective interval, or conditions that may apply),
    /// so the engine must look up its active windows.
    conditional: Vec<bool>,
    /// Whether any zone has an effective interval.
    versioned: bool,
}

impl ZoneSet {
    /// Prepares zones.
    ///
    /// # Errors
    /// [`Error::Zone`] for a duplicate id (see [`ZoneSet::with_conditions`]
    /// for versions) or a polygon ring of zero area (other checks happen
    /// when zones are read; zones built in code are otherwise trusted to be
    /// valid).
    pub fn new(zones: Vec<Zone>) -> Result<Self, Error> {
        Self::with_conditions(zones, Conditions::default())
    }

    /// Prepares zones under licence conditions: versions of one zone share
    /// its id and need distinct `effective.version` labels and effective
    /// intervals that do not overlap; absences and suspensions lift rules
    /// for their subjects (see [`Conditions`]).
    ///
    /// # Errors
    /// [`Error::Zone`] as [`ZoneSet::new`], and for versions without
    /// labels, with the same label or overlapping in time;
    /// [`Error::Condition`] for an absence naming an unknown zone or an
    /// empty or reversed interval.
    pub fn with_conditions(zones: Vec<Zone>, conditions: Conditions) -> Result<Self, Error> {
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut prepared: Vec<PreparedZone> = Vec::with_capacity(zones.len());
        for (i, z) in zones.into_iter().enumerate() {
            if let Some(&first) = by_id.get(&z.id) {
                let zone_err = |reason: String| Error::Zone {
                    source_name: "<memory>".into(),
                    index: i,
                    id: Some(z.id.clone()),
                    field: "effective".into(),
                    reason,
                };
                let others = prepared[first..].iter().filter(|p| p.zone.id == z.id);
                for o in others {
                    let (a, b) = (&o.zone.effective, &z.effective);
                    if a.version.is_none() || b.version.is_none() {
                        return Err(zone_err(
                            "duplicate zone id: versions of one zone need a `version` label each".into(),
                        ));
                    }
                    if a.version == b.version {
                        return Err(zone_err(format!("duplicate version {:?} of this zone", b.version)));
                    }
                    let lo = a.from_us.unwrap_or(i64::MIN).max(b.from_us.unwrap_or(i64::MIN));
                    let hi = a.until_us.unwrap_or(i64::MAX).min(b.until_us.unwrap_or(i64::MAX));
                    if lo < hi {
                        return Err(zone_err(format!(
                            "version {:?} is in force at the same time as version {:?} (effective intervals overlap)",
                            b.version, a.version
                        )));
                    }
                }
            } else {
                by_id.insert(z.id.clone(), i);
            }
            if let (Some(f), Some(u)) = (z.effective.from_us, z.effective.until_us) {
                if f >= u {
                    return Err(Error::Zone {
                        source_name: "<memory>".into(),
                        index: i,
                        id: Some(z.id.clone()),
                        field: "effective".into(),
                        reason: "`effective_from` is not before `effective_until`".into(),
                    });
                }
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
        check_conditions(&conditions, &by_id)?;
        let versioned = prepared.iter().any(|z| z.zone.effective.is_bounded());
        let condition_index = ConditionIndex::new(&conditions);
        let conditional = prepared
            .iter()
            .map(|z| {
                z.zone.schedule.is_some()
                    || z.zone.effective.is_bounded()
                    || !conditions.suspensions.is_empty()
                    || conditions
                        .absences
                        .iter()
                        .any(|a| a.zones.as_ref().is_none_or(|l| l.contains(&z.zone.id)))
            })
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
            versioned,
            conditions,
            condition_index,
            conditional,
        })
    }

    /// The authorised absences and suspensions.
    pub fn conditions(&self) -> &Conditions {
        &self.conditions
    }

    /// Whether the rule of zone number `i` is ever bounded or lifted in
    /// time (schedule, effective interval, conditions): if not, it is
    /// active at every instant for every subject it applies to.
    #[inline]
    pub fn is_conditional(&self, i: usize) -> bool {
        self.conditional[i]
    }

    /// The instants zone number `i`'s rule is lifted for `subject`
    /// (authorised absences covering the zone, suspensions).
    pub fn lifted(&self, subject: &str, i: usize) -> Lifted {
        if self.conditions.is_empty() || !self.condition_index.has(subject) {
            return Lifted::default();
        }
        self.condition_index
            .lifted(&self.conditions, subject, &self.zones[i].zone.id)
    }

    /// The scheduled windows of zone number `i` overlapping `range`: its
    /// schedule's occurrences (the whole of `range` without a schedule),
    /// clipped to the version's effective interval; not clipped to
    /// `range`, sorted, disjoint. Conditions are not subtracted (see
    /// [`ZoneSet::active_windows`]).
    pub fn scheduled_windows(&self, i: usize, range: Window) -> Vec<(i64, i64)> {
        let z = &self.zones[i].zone;
        let (lo, hi) = (
            z.effective.from_us.unwrap_or(i64::MIN),
            z.effective.until_us.unwrap_or(i64::MAX),
        );
        let base: Vec<(i64, i64)> = match &z.schedule {
            Some(s) => s
                .occurrences(range)
                .into_iter()
                .map(|w| (w.start_us, w.end_us))
                .collect(),
            None => vec![(range.start_us, range.end_us)],
        };
        base.into_iter()
            .map(|(a, b)| (a.max(lo), b.min(hi)))
            .filter(|(a, b)| a < b)
            .collect()
    }

    /// The windows in which zone number `i`'s rule applies to `subject`
    /// overlapping `range`: [`ZoneSet::scheduled_windows`] minus the
    /// subject's authorised absences and suspensions. The one definition
    /// of "active" for the engine, debouncing, curfews and explanations.
    pub fn active_windows(&self, i: usize, subject: &str, range: Window) -> Vec<(i64, i64)> {
        let w = self.scheduled_windows(i, range);
        let lifted = self.lifted(subject, i);
        if lifted.is_empty() {
            w
        } else {
            conditions::subtract(&w, &lifted.all())
        }
    }

    /// Whether zone number `i`'s rule applies to `subject` at `t_us`.
    pub fn is_active(&self, i: usize, subject: &str, t_us: i64) -> bool {
        !self.is_conditional(i)
            || self
                .active_windows(i, subject, Window::from_us(t_us, t_us.saturating_add(1)))
                .iter()
                .any(|&(a, b)| a <= t_us && t_us < b)
    }

    /// Whether any zone has an effective interval (versions): when none
    /// has, every zone is in force at every instant.
    #[inline]
    pub fn has_versions(&self) -> bool {
        self.versioned
    }

    /// Whether zone number `i`'s version is in force at `t_us` (its
    /// effective interval; schedules and conditions aside).
    #[inline]
    pub fn in_force(&self, i: usize, t_us: i64) -> bool {
        self.zones[i].zone.effective.contains(t_us)
    }

    /// The version of zone `id` in force at `t_us`, or its only version.
    pub fn version_at(&self, id: &str, t_us: i64) -> Option<usize> {
        let first = *self.by_id.get(id)?;
        self.zones[first..]
            .iter()
            .enumerate()
            .find(|(_, z)| z.zone.id == id && z.zone.effective.contains(t_us))
            .map(|(k, _)| first + k)
            .or(Some(first))
    }

    /// A zone's key: its id, or for a version its id and label joined by
    /// [`VERSION_SEPARATOR`] (the name checkpoints use to match zones across
    /// a change of conditions).
    pub fn key(&self, i: usize) -> String {
        let z = &self.zones[i].zone;
        match &z.effective.version {
            Some(v) => format!("{}{VERSION_SEPARATOR}{v}", z.id),
            None => z.id.clone(),
        }
    }

    /// A content hash of every zone as defined — id, kind, geometry (exact
    /// doubles), subjects, buffer, schedule and effective interval, in
    /// order, then the absences and suspensions — as `xxh3:` and
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
            if !self.conditions.is_empty() {
                h.write(format!("{:?}", self.conditions).as_bytes());
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

    /// The zone with `id` (its first version when it has several; see
    /// [`ZoneSet::version_at`]).
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

/// Checks absences and suspensions: intervals not empty or reversed, at
/// least one subject per suspension, zones named by an absence known.
fn check_conditions(c: &Conditions, by_id: &HashMap<String, usize>) -> Result<(), Error> {
    let err = |list: &str, index: usize, field: &str, reason: String| Error::Condition {
        source_name: "<memory>".into(),
        list: list.into(),
        index,
        field: field.into(),
        reason,
    };
    for (i, a) in c.absences.iter().enumerate() {
        if a.from_us >= a.until_us {
            return Err(err("absences", i, "until", "must be after `from`".into()));
        }
        if a.subject.trim().is_empty() {
            return Err(err("absences", i, "subject", "must be a non-empty subject id".into()));
        }
        if let Some(zones) = &a.zones {
            if let Some((k, z)) = zones.iter().enumerate().find(|(_, z)| !by_id.contains_key(z.as_str())) {
                return Err(err(
                    "absences",
                    i,
                    &format!("zones[{k}]"),
                    format!("unknown zone id {z:?}"),
                ));
            }
        }
    }
    for (i, s) in c.suspensions.iter().enumerate() {
        if s.from_us >= s.until_us {
            return Err(err("suspensions", i, "until", "must be after `from`".into()));
        }
        if s.subjects.is_empty() || s.subjects.iter().any(|x| x.trim().is_empty()) {
            return Err(err(
                "suspensions",
                i,
                "subjects",
                "must be a non-empty list of subject ids".into(),
            ));
        }
    }
    Ok(())
}
