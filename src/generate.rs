//! Deterministic, seeded generator of realistic tag data for tests, benches
//! and samples: homes, overnight GPS jitter with occasional indoor drift,
//! trips at walking, bus and car speeds, a fix a minute, signal gaps and
//! accuracy values; plus sample zones and crime incidents around the trails.
//!
//! The generator uses its own SplitMix64 stream so that a seed gives the same
//! data on every platform and with every version of the `rand` ecosystem:
//! reproducibility of the committed sample matters more than statistical
//! sophistication.

use std::fmt::Write as _;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::time::to_us;

/// Charing Cross, the conventional centre of London (lon, lat degrees).
pub const LONDON: (f64, f64) = (-0.1276, 51.5072);

/// Generator settings.
#[derive(Debug, Clone)]
pub struct GeneratorConfig {
    /// Seed of the random stream; the same seed gives the same data.
    pub seed: u64,
    /// Number of subjects (named `S0001`, `S0002`, ...).
    pub subjects: usize,
    /// Number of days.
    pub days: u32,
    /// First local day (Europe/London); days run midnight to midnight local.
    pub start: Date,
    /// Nominal interval between fixes, seconds.
    pub fix_interval_s: f64,
    /// Centre of the area (lon, lat degrees).
    pub centre: (f64, f64),
    /// Homes are placed within this radius of the centre, metres.
    pub radius_m: f64,
}

/// Most subject-days one generation may make (about 144 M fixes at one a
/// minute, a few GB of memory): larger requests are refused before anything
/// is allocated.
pub const MAX_SUBJECT_DAYS: u64 = 100_000;

impl GeneratorConfig {
    /// Checks the configuration before anything is allocated: 1 to 100,000
    /// subjects, 1 to 3,660 days, at most [`MAX_SUBJECT_DAYS`] subject-days,
    /// a fix interval of 1 to 86,400 s, a finite radius in 0..=200 km.
    ///
    /// # Errors
    /// [`crate::Error::Option`] naming the first bad value.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad =
            |name: &'static str, value: String, reason: &'static str| Err(crate::Error::Option { name, value, reason });
        if !(1..=100_000).contains(&self.subjects) {
            return bad("subjects", self.subjects.to_string(), "must be 1 to 100,000");
        }
        if !(1..=3_660).contains(&self.days) {
            return bad("days", self.days.to_string(), "must be 1 to 3,660");
        }
        if self.subjects as u64 * u64::from(self.days) > MAX_SUBJECT_DAYS {
            return bad(
                "subjects",
                format!("{} x {} days", self.subjects, self.days),
                "at most 100,000 subject-days per generation (split the request)",
            );
        }
        if !(self.fix_interval_s.is_finite() && (1.0..=86_400.0).contains(&self.fix_interval_s)) {
            return bad(
                "fix_interval_s",
                self.fix_interval_s.to_string(),
                "must be 1 to 86,400 seconds",
            );
        }
        if !(self.radius_m.is_finite() && (0.0..=200_000.0).contains(&self.radius_m)) {
            return bad("radius_m", self.radius_m.to_string(), "must be 0 to 200 km");
        }
        Ok(())
    }
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 42,
            subjects: 20,
            days: 7,
            start: jiff::civil::date(2024, 10, 24),
            fix_interval_s: 60.0,
            centre: LONDON,
            radius_m: 12_000.0,
        }
    }
}

/// Generated fixes, column-wise and in time order per subject, subjects one after another.
#[derive(Debug, Clone, Default)]
pub struct GeneratedFixes {
    /// Subject names; `subject[i]` indexes into it.
    pub names: Vec<String>,
    /// Subject number of each fix.
    pub subject: Vec<u32>,
    /// UTC microseconds since the epoch.
    pub t_us: Vec<i64>,
    /// Longitude, degrees.
    pub lon: Vec<f64>,
    /// Latitude, degrees.
    pub lat: Vec<f64>,
    /// Horizontal accuracy, metres.
    pub accuracy_m: Vec<f64>,
    /// Home of each subject (lon, lat degrees).
    pub homes: Vec<(f64, f64)>,
    /// Places each subject visits (lon, lat degrees).
    pub places: Vec<Vec<(f64, f64)>>,
}

impl GeneratedFixes {
    /// Number of fixes.
    pub fn len(&self) -> usize {
        self.t_us.len()
    }
    /// Whether no fix was generated.
    pub fn is_empty(&self) -> bool {
        self.t_us.is_empty()
    }
    /// The fixes as an in-memory store (default options).
    pub fn store(&self) -> crate::store::TrailStore {
        let mut b = crate::store::TrailStore::builder();
        // Generated fixes are valid by construction.
        let _ = b.extend_columns(
            &self.subject_names(),
            &self.t_us,
            &self.lon,
            &self.lat,
            Some(&self.accuracy_m),
            crate::report::Mode::Strict,
        );
        b.build()
    }

    /// Subject name of every fix (convenience for APIs taking strings).
    pub fn subject_names(&self) -> Vec<&str> {
        self.subject.iter().map(|&s| self.names[s as usize].as_str()).collect()
    }

    /// Every fix as (subject, fix) in time order across subjects: a live
    /// feed for the streaming monitor.
    pub fn arrival_order(&self) -> Vec<(&str, crate::breach::TrackFix)> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| self.t_us[i]);
        order
            .into_iter()
            .map(|i| {
                (
                    self.names[self.subject[i] as usize].as_str(),
                    crate::breach::TrackFix {
                        t_us: self.t_us[i],
                        lon: self.lon[i],
                        lat: self.lat[i],
                        accuracy_m: Some(self.accuracy_m[i] as f32),
                    },
                )
            })
            .collect()
    }
}

/// SplitMix64: a tiny, well-known, platform-independent random stream.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Moves (lon, lat) by (east, north) metres on the WGS84 ellipsoid (local
/// plane at the starting latitude; exact enough for tens of kilometres).
pub fn offset_m(p: (f64, f64), east_m: f64, north_m: f64) -> (f64, f64) {
    let (ky, kx) = crate::geodesy::metres_per_degree(p.1);
    (p.0 + east_m / kx, p.1 + north_m / ky)
}

fn dist_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    crate::geodesy::distance_m(a, b)
}

/// A piece of a day's plan: stay at a place, or travel between two.
#[derive(Debug, Clone, Copy)]
enum Leg {
    Stay { at: (f64, f64), home: bool },
    Travel { from: (f64, f64), to: (f64, f64) },
}

/// Generates fixes for `config`.
pub fn generate_fixes(config: &GeneratorConfig) -> GeneratedFixes {
    let mut rng = SplitMix64::new(config.seed);
    let tz = TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC);
    let mut out = GeneratedFixes::default();
    let per_day = (86_400.0 / config.fix_interval_s) as usize + 2;
    let total = config.subjects * config.days as usize * per_day;
    out.subject.reserve(total);
    out.t_us.reserve(total);
    out.lon.reserve(total);
    out.lat.reserve(total);
    out.accuracy_m.reserve(total);
    for s in 0..config.subjects {
        let name = format!("S{:04}", s + 1);
        let ang = rng.range(0.0, std::f64::consts::TAU);
        let r = config.radius_m * rng.unit().sqrt();
        let home = offset_m(config.centre, r * ang.cos(), r * ang.sin());
        let n_places = 2 + (rng.unit() * 3.0) as usize;
        let places: Vec<(f64, f64)> = (0..n_places)
            .map(|_| {
                let a = rng.range(0.0, std::f64::consts::TAU);
                let d = rng.range(600.0, 8_000.0);
                offset_m(home, d * a.cos(), d * a.sin())
            })
            .collect();
        // Personal habits.
        let jitter_m = rng.range(5.0, 30.0);
        let late_prob = rng.range(0.0, 0.35);
        for day in 0..config.days {
            let date = config
                .start
                .checked_add(jiff::Span::new().days(day as i64))
                .unwrap_or(config.start);
            let local = |h: f64| -> i64 {
                let midnight = date.to_datetime(jiff::civil::time(0, 0, 0, 0));
                let base = tz.to_ambiguous_timestamp(midnight).compatible().map(to_us).unwrap_or(0);
                // Hours after local midnight, in local wall-clock terms for this day.
                let wall = midnight
                    .checked_add(jiff::SignedDuration::from_secs_f64(h * 3600.0))
                    .unwrap_or(midnight);
                tz.to_ambiguous_timestamp(wall).compatible().map(to_us).unwrap_or(base)
            };
            let day_start = local(0.0);
            let day_end = {
                let next = date.checked_add(jiff::Span::new().days(1)).unwrap_or(date);
                tz.to_ambiguous_timestamp(next.to_datetime(jiff::civil::time(0, 0, 0, 0)))
                    .compatible()
                    .map(to_us)
                    .unwrap_or(day_start + 86_400_000_000)
            };
            // Plan: home until leave, visit 1–3 places, return home.
            let mut plan: Vec<(i64, i64, Leg)> = Vec::new();
            let mut t = day_start;
            let leave = local(rng.range(7.0, 10.0));
            plan.push((t, leave, Leg::Stay { at: home, home: true }));
            t = leave;
            let mut here = home;
            let visits = 1 + (rng.unit() * 3.0) as usize;
            let back_by = if rng.chance(late_prob) {
                local(rng.range(19.5, 23.5))
            } else {
                local(rng.range(16.0, 18.8))
            };
            for v in 0..visits {
                let to = places[(rng.unit() * places.len() as f64) as usize % places.len()];
                let speed = match (rng.unit() * 3.0) as u32 {
                    0 => rng.range(1.1, 1.7),
                    1 => rng.range(4.0, 7.0),
                    _ => rng.range(8.0, 14.0),
                };
                let dur = (dist_m(here, to) / speed * 1e6) as i64 + 60_000_000;
                plan.push((t, t + dur, Leg::Travel { from: here, to }));
                t += dur;
                here = to;
                let remaining = visits - v;
                let stay_end = if remaining == 1 {
                    back_by.max(t + 600_000_000)
                } else {
                    t + (rng.range(0.5, 3.0) * 3.6e9) as i64
                };
                plan.push((t, stay_end, Leg::Stay { at: to, home: false }));
                t = stay_end;
            }
            let speed = rng.range(4.0, 12.0);
            let dur = (dist_m(here, home) / speed * 1e6) as i64 + 60_000_000;
            plan.push((t, t + dur, Leg::Travel { from: here, to: home }));
            t += dur;
            plan.push((t, day_end.max(t), Leg::Stay { at: home, home: true }));
            // Signal gap of 15–120 min on some days.
            let gap = if rng.chance(0.3) {
                let g0 = day_start + (rng.range(0.0, 23.0) * 3.6e9) as i64;
                Some((g0, g0 + (rng.range(15.0, 120.0) * 6e7) as i64))
            } else {
                None
            };
            // Indoor drift episodes at home.
            let mut drift: Option<(i64, (f64, f64))> = None;
            let step = (config.fix_interval_s * 1e6) as i64;
            let mut ft = day_start + (rng.unit() * 2e6) as i64;
            let mut leg = 0;
            while ft < day_end {
                while leg + 1 < plan.len() && plan[leg].1 <= ft {
                    leg += 1;
                }
                let in_gap = gap.is_some_and(|(a, b)| a <= ft && ft < b);
                if !in_gap {
                    let (t0, t1, l) = plan[leg];
                    let (pos, acc) = match l {
                        Leg::Stay { at, home: is_home } => {
                            if is_home && drift.is_none() && rng.chance(0.004) {
                                let a = rng.range(0.0, std::f64::consts::TAU);
                                let d = rng.range(40.0, 150.0);
                                drift = Some((ft + (rng.range(5.0, 15.0) * 6e7) as i64, (d * a.cos(), d * a.sin())));
                            }
                            let (dx, dy, acc) = match drift {
                                Some((until, (dx, dy))) if is_home && ft < until => (
                                    dx + rng.normal() * 10.0,
                                    dy + rng.normal() * 10.0,
                                    rng.range(50.0, 150.0),
                                ),
                                _ => {
                                    drift = None;
                                    let sd = if is_home { jitter_m / 2.0 } else { 8.0 };
                                    (rng.normal() * sd, rng.normal() * sd, rng.range(sd, sd * 2.5))
                                }
                            };
                            (offset_m(at, dx, dy), acc)
                        }
                        Leg::Travel { from, to } => {
                            let f = if t1 > t0 {
                                (ft - t0) as f64 / (t1 - t0) as f64
                            } else {
                                1.0
                            };
                            let p = (from.0 + f * (to.0 - from.0), from.1 + f * (to.1 - from.1));
                            (
                                offset_m(p, rng.normal() * 5.0, rng.normal() * 5.0),
                                rng.range(4.0, 15.0),
                            )
                        }
                    };
                    out.subject.push(s as u32);
                    out.t_us.push(ft / 1_000_000 * 1_000_000);
                    out.lon.push((pos.0 * 1e6).round() / 1e6);
                    out.lat.push((pos.1 * 1e6).round() / 1e6);
                    out.accuracy_m.push((acc * 10.0).round() / 10.0);
                }
                ft += step + ((rng.unit() - 0.5) * 2e6) as i64;
            }
        }
        out.names.push(name);
        out.homes.push(home);
        out.places.push(places);
    }
    out
}

/// Writes generated fixes as CSV (`subject,time,lon,lat,accuracy_m`, RFC 3339 UTC).
pub fn fixes_csv(data: &GeneratedFixes) -> String {
    let mut s = String::with_capacity(data.len() * 52 + 40);
    s.push_str("subject,time,lon,lat,accuracy_m\n");
    for i in 0..data.len() {
        let _ = writeln!(
            s,
            "{},{},{:.6},{:.6},{}",
            data.names[data.subject[i] as usize],
            crate::time::from_us(data.t_us[i]),
            data.lon[i],
            data.lat[i],
            data.accuracy_m[i]
        );
    }
    s
}

/// Sample zones as GeoJSON: per subject a 100 m home inclusion circle with a
/// 19:00–07:00 Europe/London curfew, and an exclusion polygon (with a 50 m
/// buffer) around one of the places some subjects visit, plus a few shared
/// exclusion circles.
pub fn zones_geojson(data: &GeneratedFixes, seed: u64) -> String {
    feature_collection(&sample_zone_features(data, seed))
}

/// The features of [`zones_geojson`], one GeoJSON text each.
fn sample_zone_features(data: &GeneratedFixes, seed: u64) -> Vec<String> {
    let mut rng = SplitMix64::new(seed ^ 0x5A0E);
    let mut feats = Vec::new();
    for (i, name) in data.names.iter().enumerate() {
        let h = data.homes[i];
        feats.push(format!(
            r#"{{"type":"Feature","id":"home-{name}","properties":{{"kind":"inclusion","radius_m":100,"subjects":["{name}"],"schedule":{{"tz":"Europe/London","windows":[{{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"19:00","end":"07:00"}}]}}}},"geometry":{{"type":"Point","coordinates":[{:.6},{:.6}]}}}}"#,
            h.0, h.1
        ));
        if i % 3 == 0 {
            // A victim's street near one visited place: a 120 m x 40 m rectangle.
            let p = data.places[i][0];
            let p = offset_m(p, rng.range(-80.0, 80.0), rng.range(-80.0, 80.0));
            let c = [
                (-60.0, -20.0),
                (60.0, -20.0),
                (60.0, 20.0),
                (-60.0, 20.0),
                (-60.0, -20.0),
            ]
            .iter()
            .map(|&(e, n)| {
                let q = offset_m(p, e, n);
                format!("[{:.6},{:.6}]", q.0, q.1)
            })
            .collect::<Vec<_>>()
            .join(",");
            feats.push(format!(
                r#"{{"type":"Feature","id":"victim-street-{name}","properties":{{"kind":"exclusion","subjects":["{name}"],"buffer_m":50}},"geometry":{{"type":"Polygon","coordinates":[[{c}]]}}}}"#
            ));
        }
    }
    for k in 0..3 {
        let p = offset_m(LONDON, rng.range(-6000.0, 6000.0), rng.range(-6000.0, 6000.0));
        feats.push(format!(
            r#"{{"type":"Feature","id":"school-{k}","properties":{{"kind":"exclusion","radius_m":150,"schedule":{{"tz":"Europe/London","windows":[{{"days":["mon","tue","wed","thu","fri"],"start":"08:00","end":"16:00"}}]}}}},"geometry":{{"type":"Point","coordinates":[{:.6},{:.6}]}}}}"#,
            p.0, p.1
        ));
    }
    feats
}

/// Features (GeoJSON texts) as one FeatureCollection, a feature per line.
fn feature_collection(feats: &[String]) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
        feats.join(",\n")
    )
}

/// Sample crime incidents as CSV (`id,lon,lat,radius_m,start,end`): half
/// placed on a generated fix (so someone was near), half at random.
pub fn incidents_csv(data: &GeneratedFixes, seed: u64, count: usize) -> String {
    let mut rng = SplitMix64::new(seed ^ 0x1C1D);
    let mut s = String::from("id,lon,lat,radius_m,start,end\n");
    if data.is_empty() {
        return s;
    }
    for k in 0..count {
        let i = (rng.unit() * data.len() as f64) as usize % data.len();
        let (lon, lat) = if k % 2 == 0 {
            offset_m(
                (data.lon[i], data.lat[i]),
                rng.range(-30.0, 30.0),
                rng.range(-30.0, 30.0),
            )
        } else {
            offset_m(LONDON, rng.range(-10_000.0, 10_000.0), rng.range(-10_000.0, 10_000.0))
        };
        let t = data.t_us[i] - (rng.range(0.0, 2.0) * 3.6e9) as i64;
        let t = t / 60_000_000 * 60_000_000;
        let end = t + (rng.range(0.5, 8.0) * 3.6e9) as i64 / 60_000_000 * 60_000_000;
        let _ = writeln!(
            s,
            "C{:04},{lon:.6},{lat:.6},{},{},{}",
            k + 1,
            [100, 200, 500][k % 3],
            crate::time::from_us(t),
            crate::time::from_us(end)
        );
    }
    s
}

/// A closed star-shaped ring of `k` vertices around `c` (lon, lat): vertex
/// `j` at a random angle within its sector (jitter 5–95 % of it) and a
/// random radius in `[r0_m, r1_m)` metres. Simple (never self-crossing) by
/// construction; the benchmark zones' and the polygon tests' shape.
pub fn star_ring(rng: &mut SplitMix64, c: (f64, f64), k: usize, r0_m: f64, r1_m: f64) -> geo::LineString<f64> {
    let mut pts: Vec<geo::Coord<f64>> = (0..k)
        .map(|j| {
            let t = std::f64::consts::TAU * (j as f64 + rng.range(0.05, 0.95)) / k as f64;
            let r = rng.range(r0_m, r1_m);
            let p = offset_m(c, r * t.cos(), r * t.sin());
            geo::Coord { x: p.0, y: p.1 }
        })
        .collect();
    pts.push(pts[0]);
    geo::LineString(pts)
}

/// Benchmark zones: `count` exclusion zones scattered within `radius_m` of
/// `centre`, half star-shaped polygons with 8–200 vertices and 50–400 m across
/// radius, half circles of 50–300 m.
pub fn bench_zones(count: usize, seed: u64, centre: (f64, f64), radius_m: f64) -> Vec<crate::zone::Zone> {
    use crate::zone::{Zone, ZoneKind, ZoneShape};
    use geo::{MultiPolygon, Polygon};
    let mut rng = SplitMix64::new(seed ^ 0xB3EC);
    (0..count)
        .map(|i| {
            let a = rng.range(0.0, std::f64::consts::TAU);
            let r = radius_m * rng.unit().sqrt();
            let c = offset_m(centre, r * a.cos(), r * a.sin());
            let shape = if i % 2 == 0 {
                ZoneShape::Circle {
                    lon: c.0,
                    lat: c.1,
                    radius_m: rng.range(50.0, 300.0),
                }
            } else {
                let k = 8 + (rng.next_u64() % 193) as usize;
                let (r0, r1) = (rng.range(50.0, 200.0), rng.range(200.0, 400.0));
                ZoneShape::Polygon(MultiPolygon(vec![Polygon::new(
                    star_ring(&mut rng, c, k, r0, r1),
                    vec![],
                )]))
            };
            Zone {
                id: format!("Z{i:05}"),
                kind: ZoneKind::Exclusion,
                shape,
                subjects: None,
                buffer_m: None,
                schedule: None,
                effective: Default::default(),
            }
        })
        .collect()
}

/// [`bench_zones_with_homes`] with benchmark zone `i` applying to subject
/// `i mod subjects` only, as exclusion orders do (each protects one
/// victim from one person), instead of to every subject.
pub fn bench_zones_per_subject(data: &GeneratedFixes, count: usize, seed: u64) -> crate::zone::ZoneSet {
    let all = bench_zones_with_homes(data, count, seed);
    let mut zones: Vec<crate::zone::Zone> = all.zones().iter().map(|z| z.zone.clone()).collect();
    for (i, z) in zones.iter_mut().take(count).enumerate() {
        z.subjects = Some(vec![data.names[i % data.names.len()].clone()]);
    }
    crate::zone::ZoneSet::new(zones).expect("the same ids as bench_zones_with_homes")
}

/// [`bench_zones`] (`count` exclusion zones within 12 km of London) plus the
/// sample zones of [`zones_geojson`] (home curfew zones, victims' streets,
/// schools) as one GeoJSON FeatureCollection: the benchmark zone file the CLI
/// (`generate --bench-zones N`) writes for peer comparisons.
pub fn bench_zones_geojson(data: &GeneratedFixes, count: usize, seed: u64) -> String {
    use crate::zone::ZoneShape;
    let mut feats = Vec::new();
    for z in bench_zones(count, seed, LONDON, 12_000.0) {
        match &z.shape {
            ZoneShape::Circle { lon, lat, radius_m } => feats.push(format!(
                r#"{{"type":"Feature","id":"{}","properties":{{"kind":"exclusion","radius_m":{radius_m}}},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}"#,
                z.id
            )),
            ZoneShape::Polygon(mp) => {
                let coords: Vec<String> = mp.0[0]
                    .exterior()
                    .0
                    .iter()
                    .map(|c| format!("[{},{}]", c.x, c.y))
                    .collect();
                feats.push(format!(
                    r#"{{"type":"Feature","id":"{}","properties":{{"kind":"exclusion"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
                    z.id,
                    coords.join(",")
                ));
            }
        }
    }
    feats.extend(sample_zone_features(data, seed));
    feature_collection(&feats)
}

/// The monitor / breach benchmark zone set: `count` benchmark exclusion zones
/// plus each generated subject's home curfew zone (see [`zones_geojson`]).
pub fn bench_zones_with_homes(data: &GeneratedFixes, count: usize, seed: u64) -> crate::zone::ZoneSet {
    let mut zones = bench_zones(count, seed, LONDON, 12_000.0);
    if let Ok(homes) = crate::zone::zones_from_geojson_str(&zones_geojson(data, seed), "homes") {
        zones.extend(homes.zones().iter().map(|z| z.zone.clone()));
    }
    crate::zone::ZoneSet::new(zones).expect("generated zone ids are unique (Z…, home-…, victim-street-…, school-…)")
}
