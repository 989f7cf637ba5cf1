//! The practitioner's trail report: one subject's trail in a window, the
//! zones in force, breach episodes with their evidence, curfew nights,
//! stops and data quality, as one self-contained HTML file (inline SVG map
//! and timelines, inline CSS, no script, no network) that reads on screen
//! and prints on A4.
//!
//! [`trail_report`] computes everything with the library's own engines
//! (`breaches`, `curfew`, `stops`, trail requests); [`TrailReport::to_html`]
//! only lays it out. The map draws the trail simplified to at most
//! [`ReportRequest::max_map_points`] points (the tolerance is stated under
//! the map); tables and counts always use every fix. The output depends only
//! on the data and the request (no clock, no random ids), so rebuilding a
//! report gives the same bytes.

// Markup is written element by element, each ending its own line.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;
use std::io::Write;

use jiff::tz::TimeZone;

use crate::breach::{breaches, BreachEpisode, BreachOptions, Confidence, EpisodeKind};
use crate::curfew::{curfew, CurfewOptions, CurfewRow};
use crate::error::Error;
use crate::geodesy::metres_per_degree;
use crate::stops::{stops, Stop};
use crate::store::TrailStore;
use crate::time::{from_us, Window};
use crate::trail::Gap;
use crate::zone::{ZoneKind, ZoneSet, ZoneShape};
use crate::{DEFAULT_STOP_MIN_DURATION_S, DEFAULT_STOP_RADIUS_M};

/// Default most points drawn on the map.
pub const DEFAULT_MAX_MAP_POINTS: usize = 4_000;

/// What a report covers and how it is computed.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The subject.
    pub subject: String,
    /// The window `[start, end)`, UTC.
    pub window: Window,
    /// IANA time zone in which times are shown (named in the report).
    pub tz: String,
    /// Breach evaluation options.
    pub breach: BreachOptions,
    /// Curfew evaluation options.
    pub curfew: CurfewOptions,
    /// Stop radius, metres.
    pub stop_radius_m: f64,
    /// Shortest stop shown, seconds.
    pub stop_min_duration_s: f64,
    /// Most trail points drawn on the map (the trail is simplified until it
    /// fits; tables use every fix). At least 100.
    pub max_map_points: usize,
    /// A base-map tile URL template with `{z}`, `{x}` and `{y}` (Web
    /// Mercator slippy-map tiles, e.g. a local or licensed tile server).
    /// `None` (the default): no base map, and the report needs no network;
    /// with one, opening the report fetches the tiles.
    pub tile_url: Option<String>,
    /// The attribution the tile provider requires, printed under the map.
    pub tile_attribution: Option<String>,
    /// Where the data and zones came from (label, value), shown in the
    /// query table (e.g. the store and its manifest generation, the zone
    /// file and its content hash).
    pub provenance: Vec<(String, String)>,
}

impl ReportRequest {
    /// A request with default options, times shown in `Europe/London`.
    pub fn new(subject: &str, window: Window) -> Self {
        ReportRequest {
            subject: subject.to_string(),
            window,
            tz: "Europe/London".into(),
            breach: BreachOptions::default(),
            curfew: CurfewOptions::default(),
            stop_radius_m: DEFAULT_STOP_RADIUS_M,
            stop_min_duration_s: DEFAULT_STOP_MIN_DURATION_S,
            max_map_points: DEFAULT_MAX_MAP_POINTS,
            tile_url: None,
            tile_attribution: None,
            provenance: Vec::new(),
        }
    }
}

/// Data quality of the window's fixes.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct DataQuality {
    /// Fixes in the window.
    pub fixes: u64,
    /// Fixes without a reported accuracy.
    pub without_accuracy: u64,
    /// Median interval between consecutive fixes, seconds (`None` with < 2 fixes).
    pub median_interval_s: Option<f64>,
    /// Spans without data (longer than the store's `max_gap_s`, and before
    /// the first / after the last fix).
    pub gaps: u64,
    /// Seconds without data.
    pub gap_s: f64,
    /// Accuracy percentiles 50, 90, 99 and the maximum, metres (`None`
    /// without any accuracy).
    pub accuracy_m: Option<[f64; 4]>,
    /// Fixes per accuracy class: ≤5, ≤10, ≤20, ≤50, ≤100, >100 m.
    pub accuracy_classes: [u64; 6],
}

/// A place: stops within twice the stop radius of each other's centre,
/// merged (greedily, in time order), with their total dwell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Place {
    /// Dwell-weighted mean longitude of its stops, degrees.
    pub lon: f64,
    /// Dwell-weighted mean latitude of its stops, degrees.
    pub lat: f64,
    /// Stops at the place.
    pub visits: u32,
    /// Total time at the place, seconds.
    pub dwell_s: f64,
    /// First arrival, UTC µs.
    pub first_us: i64,
    /// Last departure, UTC µs.
    pub last_us: i64,
}

/// Groups `stops` into places (see [`Place`]); returns the places and each
/// stop's place index.
fn places_of(stops: &[Stop], radius_m: f64) -> (Vec<Place>, Vec<usize>) {
    let mut places: Vec<Place> = Vec::new();
    let mut of = Vec::with_capacity(stops.len());
    let reach = (2.0 * radius_m).max(1.0);
    for s in stops {
        let (ky, kx) = metres_per_degree(s.lat);
        let near = places
            .iter()
            .position(|p| (((p.lon - s.lon) * kx).powi(2) + ((p.lat - s.lat) * ky).powi(2)).sqrt() <= reach);
        let w = s.duration_s().max(1.0);
        match near {
            Some(k) => {
                let p = &mut places[k];
                let total = p.dwell_s.max(1.0) + w;
                p.lon = (p.lon * p.dwell_s.max(1.0) + s.lon * w) / total;
                p.lat = (p.lat * p.dwell_s.max(1.0) + s.lat * w) / total;
                p.visits += 1;
                p.dwell_s += s.duration_s();
                p.last_us = p.last_us.max(s.end_us);
                of.push(k);
            }
            None => {
                places.push(Place {
                    lon: s.lon,
                    lat: s.lat,
                    visits: 1,
                    dwell_s: s.duration_s(),
                    first_us: s.start_us,
                    last_us: s.end_us,
                });
                of.push(places.len() - 1);
            }
        }
    }
    (places, of)
}

/// A drawn zone: one version of one zone that applies to the subject and is
/// in force during the window.
#[derive(Debug, Clone)]
struct MapZone {
    id: String,
    version: Option<String>,
    kind: ZoneKind,
    shape: ZoneShape,
    buffer_m: Option<f64>,
    schedule: Option<String>,
    index: usize,
}

/// A computed trail report (see the module docs).
#[derive(Debug, Clone)]
pub struct TrailReport {
    /// The request.
    pub request: ReportRequest,
    /// Breach episodes of the subject in the window.
    pub episodes: Vec<BreachEpisode>,
    /// Curfew rows (one per night occurrence, zone and version).
    pub curfew: Vec<CurfewRow>,
    /// Stops.
    pub stops: Vec<Stop>,
    /// Places: stops grouped by where they were (numbered on the map).
    pub places: Vec<Place>,
    /// The place of each stop (index into `places`).
    pub stop_place: Vec<usize>,
    /// Spans without data.
    pub gaps: Vec<Gap>,
    /// Data quality.
    pub quality: DataQuality,
    /// Points drawn on the map.
    pub map_points: usize,
    /// Simplification tolerance of the map, metres (0: every fix drawn).
    pub map_tolerance_m: f64,
    /// Continuous parts of the drawn trail: (t µs, lon, lat).
    parts: Vec<Vec<(i64, f64, f64)>>,
    /// Episode paths at full resolution: (index into `episodes`, points).
    episode_paths: Vec<(usize, Vec<(f64, f64)>)>,
    zones: Vec<MapZone>,
    lifted: Vec<(usize, crate::zone::Lifted)>,
    tz: TimeZone,
    zone_set_hash: Option<String>,
}

/// Computes the report of `request.subject` in `request.window` against
/// `zones` (if any).
///
/// # Errors
/// [`Error::UnknownSubject`]; [`Error::Option`] for an invalid option or an
/// unknown time zone name.
pub fn trail_report(
    store: &TrailStore,
    zones: Option<&ZoneSet>,
    request: &ReportRequest,
) -> Result<TrailReport, Error> {
    let tz = TimeZone::get(&request.tz).map_err(|_| Error::Option {
        name: "tz",
        value: request.tz.clone(),
        reason: "not an IANA time zone name known to this system",
    })?;
    if request.max_map_points < 100 {
        return Err(Error::Option {
            name: "max_map_points",
            value: request.max_map_points.to_string(),
            reason: "must be at least 100",
        });
    }
    if let Some(t) = &request.tile_url {
        let ok_scheme = t.starts_with("https://") || t.starts_with("http://");
        if !ok_scheme || !["{z}", "{x}", "{y}"].iter().all(|p| t.contains(p)) || t.chars().any(char::is_whitespace) {
            return Err(Error::Option {
                name: "tile_url",
                value: t.clone(),
                reason: "must be an http(s) URL template with {z}, {x} and {y} and no spaces",
            });
        }
    }
    let trail = store.trail_of(&request.subject)?;
    // A store of this subject alone: the engines then work on nobody else.
    let one = if store.subject_count() == 1 {
        None
    } else {
        let mut b = TrailStore::builder().max_gap_s(store.max_gap_s())?;
        let n = trail.len();
        let acc: Vec<f64> = (0..n).map(|i| trail.accuracy_m_f64(i).unwrap_or(f64::NAN)).collect();
        b.extend_columns(
            &vec![request.subject.as_str(); n],
            trail.times_us(),
            trail.lons(),
            trail.lats(),
            Some(&acc),
            crate::report::Mode::Strict,
        )?;
        Some(b.build())
    };
    let store = one.as_ref().unwrap_or(store);
    let trail = store.trail_of(&request.subject)?;
    let window = request.window;
    let answer = store.trail(&request.subject, window)?;
    let (episodes, curfew_rows) = match zones {
        Some(z) => (
            breaches(store, z, window, &request.breach)?,
            curfew(store, z, window, &request.curfew)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let stop_list = stops(
        store,
        &request.subject,
        window,
        request.stop_radius_m,
        request.stop_min_duration_s,
    )?;
    let quality = quality_of(trail, answer.range(), answer.gaps());
    let (places, stop_place) = places_of(&stop_list, request.stop_radius_m);
    // The map: simplify until it fits.
    // Doubling finds a tolerance that fits; a few bisection steps then
    // draw as much of the trail as the budget allows.
    let mut tolerance = 0.0;
    let mut drawn = answer.clone();
    while drawn.len() > request.max_map_points {
        tolerance = if tolerance == 0.0 { 2.0 } else { tolerance * 2.0 };
        drawn = answer.clone().simplify(tolerance)?;
    }
    if tolerance > 2.0 {
        let (mut lo, mut hi) = (tolerance / 2.0, tolerance);
        for _ in 0..4 {
            let mid = (lo + hi) / 2.0;
            let d = answer.clone().simplify(mid)?;
            if d.len() <= request.max_map_points {
                (hi, drawn) = (mid, d);
            } else {
                lo = mid;
            }
        }
        tolerance = hi;
    }
    let parts: Vec<Vec<(i64, f64, f64)>> = drawn
        .part_fixes()
        .into_iter()
        .map(|p| p.into_iter().map(|f| (f.t_us, f.lon, f.lat)).collect())
        .collect();
    let episode_paths = episodes
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let mut pts = Vec::new();
            if let Some(p) = trail.position_at(e.start_us, store.max_gap_s()) {
                pts.push(p);
            }
            let r = trail.range(Window::from_us(e.start_us, e.end_us));
            let stride = (r.len() / 400).max(1);
            pts.extend(r.step_by(stride).map(|i| (trail.lons()[i], trail.lats()[i])));
            if let Some(p) = trail.position_at(e.end_us, store.max_gap_s()) {
                pts.push(p);
            }
            (k, pts)
        })
        .collect();
    let mut map_zones = Vec::new();
    let mut lifted = Vec::new();
    if let Some(z) = zones {
        for (i, pz) in z.zones().iter().enumerate() {
            let eff = &pz.zone.effective;
            let in_force =
                eff.from_us.is_none_or(|f| f < window.end_us) && eff.until_us.is_none_or(|u| u > window.start_us);
            if !pz.applies_to(&request.subject) || !in_force {
                continue;
            }
            map_zones.push(MapZone {
                id: pz.zone.id.clone(),
                version: eff.version.clone(),
                kind: pz.zone.kind,
                shape: pz.zone.shape.clone(),
                buffer_m: pz.zone.buffer_m,
                schedule: pz.zone.schedule.as_ref().map(describe_schedule),
                index: i,
            });
            lifted.push((i, z.lifted(&request.subject, i)));
        }
    }
    Ok(TrailReport {
        request: request.clone(),
        episodes,
        curfew: curfew_rows,
        places,
        stop_place,
        stops: stop_list,
        gaps: answer.gaps().to_vec(),
        quality,
        map_points: drawn.len(),
        map_tolerance_m: tolerance,
        parts,
        episode_paths,
        zones: map_zones,
        lifted,
        tz,
        zone_set_hash: zones.map(|z| z.content_hash().to_string()),
    })
}

fn describe_schedule(s: &crate::zone::Schedule) -> String {
    let mut out = String::new();
    for (k, w) in s.windows.iter().enumerate() {
        if k > 0 {
            out.push_str("; ");
        }
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let days: Vec<&str> = (0..7).filter(|&d| w.days[d]).map(|d| names[d]).collect();
        let days = if days.len() == 7 {
            "daily".to_string()
        } else {
            days.join(",")
        };
        let _ = write!(out, "{days} {}–{}", w.start.strftime("%H:%M"), w.end.strftime("%H:%M"));
    }
    let _ = write!(out, " ({})", s.tz_name);
    out
}

fn quality_of(trail: &crate::trail::Trail, range: std::ops::Range<usize>, gaps: &[Gap]) -> DataQuality {
    let mut acc: Vec<f64> = range.clone().filter_map(|i| trail.accuracy_m_f64(i)).collect();
    acc.sort_by(f64::total_cmp);
    let mut classes = [0u64; 6];
    for &a in &acc {
        let c = [5.0, 10.0, 20.0, 50.0, 100.0].iter().position(|&b| a <= b).unwrap_or(5);
        classes[c] += 1;
    }
    let pct = |p: f64| acc[((acc.len() - 1) as f64 * p).round() as usize];
    let t = &trail.times_us()[range.clone()];
    let mut dt: Vec<i64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    dt.sort_unstable();
    DataQuality {
        fixes: range.len() as u64,
        without_accuracy: (range.len() - acc.len()) as u64,
        median_interval_s: (!dt.is_empty()).then(|| dt[dt.len() / 2] as f64 / 1e6),
        gaps: gaps.len() as u64,
        gap_s: gaps.iter().map(|g| (g.end_us - g.start_us) as f64 / 1e6).sum(),
        accuracy_m: (!acc.is_empty()).then(|| [pct(0.5), pct(0.9), pct(0.99), acc[acc.len() - 1]]),
        accuracy_classes: classes,
    }
}

/// Escapes text for HTML (the markup writers' one escape).
fn esc(s: &str) -> String {
    crate::io::xml_escape(s)
}

fn duration(s: f64) -> String {
    let s = s.round() as i64;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {sec:02} s")
    } else {
        format!("{sec} s")
    }
}

const CSS: &str = r#"
:root{--ink:#1b1b1b;--muted:#5a5a5a;--line:#c8c8c8;--excl:#b2182b;--incl:#1a7837;--trail:#2166ac;--conf:#b2182b;--poss:#e08214;--unk:#9e9e9e}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 6px;border-bottom:2px solid var(--ink);padding-bottom:2px}
p.lead{color:var(--muted);margin:0 0 10px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:12.5px}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:2px 0}
figure{margin:8px 0}figcaption{color:var(--muted);font-size:12px}
svg{max-width:100%;height:auto;display:block}
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:600;color:#fff}
.confirmed{background:var(--conf)}.possible{background:var(--poss)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;margin:8px 0}
.summary div{border:1px solid var(--line);padding:6px 8px}.summary b{display:block;font-size:18px}
.legend span{margin-right:14px;white-space:nowrap}.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
@media print{@page{size:A4;margin:12mm}body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}figure,tr{break-inside:avoid}thead{display:table-header-group}a{color:inherit;text-decoration:none}}
"#;

/// Web Mercator radius (the WGS84 semi-major axis), metres.
const MERCATOR_R: f64 = 6_378_137.0;

/// Web Mercator (EPSG:3857) coordinates of (lon, lat), metres.
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let phi = lat.clamp(-85.05, 85.05).to_radians();
    (
        MERCATOR_R * lon.to_radians(),
        MERCATOR_R * (std::f64::consts::FRAC_PI_4 + phi / 2.0).tan().ln(),
    )
}

/// The map's projection: Web Mercator (so base-map tiles line up), scaled
/// into SVG units. Distances in metres are converted at their latitude.
struct Frame {
    x0: f64,
    y1: f64,
    scale: f64,
    lat_mid: f64,
    pad: f64,
    w: f64,
    h: f64,
}

impl Frame {
    fn new(bbox: [f64; 4]) -> Self {
        let lat_mid = (bbox[1] + bbox[3]) / 2.0;
        let stretch = 1.0 / lat_mid.to_radians().cos().max(1e-6);
        let (ax, ay) = mercator(bbox[0], bbox[1]);
        let (bx, by) = mercator(bbox[2], bbox[3]);
        let wm = (bx - ax).max(50.0 * stretch);
        let hm = (by - ay).max(50.0 * stretch);
        let w = 1000.0;
        let pad = 30.0;
        let h = ((w - 2.0 * pad) * hm / wm + 2.0 * pad).clamp(320.0, 1300.0);
        let scale = ((w - 2.0 * pad) / wm).min((h - 2.0 * pad) / hm);
        // Centre the data in the frame.
        let (cx, cy) = ((ax + bx) / 2.0, (ay + by) / 2.0);
        Frame {
            x0: cx - (w / 2.0) / scale,
            y1: cy + (h / 2.0) / scale,
            scale,
            lat_mid,
            pad,
            w,
            h,
        }
    }
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (mx, my) = mercator(lon, lat);
        ((mx - self.x0) * self.scale, (self.y1 - my) * self.scale)
    }
    /// SVG units of `d_m` metres at latitude `lat`.
    fn len(&self, d_m: f64, lat: f64) -> f64 {
        d_m / lat.to_radians().cos().max(1e-6) * self.scale
    }
}

/// The slippy-map tiles (zoom, x, y) covering the frame, at the zoom whose
/// 256-pixel tiles are closest to the map's scale (at most 64 tiles).
fn tiles(f: &Frame) -> (u32, Vec<(u32, u32)>) {
    let world = 2.0 * std::f64::consts::PI * MERCATOR_R;
    let mut z = ((world * f.scale / 256.0).log2().round()).clamp(0.0, 19.0) as u32;
    loop {
        let n = f64::from(1u32 << z);
        let tx = |mx: f64| ((mx + world / 2.0) / world * n).floor().clamp(0.0, n - 1.0) as u32;
        let ty = |my: f64| ((world / 2.0 - my) / world * n).floor().clamp(0.0, n - 1.0) as u32;
        let (x_a, x_b) = (tx(f.x0), tx(f.x0 + f.w / f.scale));
        let (y_a, y_b) = (ty(f.y1), ty(f.y1 - f.h / f.scale));
        let count = (x_b - x_a + 1) * (y_b - y_a + 1);
        if count <= 64 || z == 0 {
            let mut v = Vec::new();
            for y in y_a..=y_b {
                for x in x_a..=x_b {
                    v.push((x, y));
                }
            }
            return (z, v);
        }
        z -= 1;
    }
}

fn pts(frame: &Frame, p: impl Iterator<Item = (f64, f64)>) -> String {
    let mut s = String::new();
    for (lon, lat) in p {
        let (x, y) = frame.xy(lon, lat);
        let _ = write!(s, "{x:.1},{y:.1} ");
    }
    s.pop();
    s
}

impl TrailReport {
    fn local(&self, t_us: i64) -> String {
        from_us(t_us)
            .to_zoned_datetime(self.tz.clone())
            .strftime("%a %d %b %Y %H:%M:%S %Z")
            .to_string()
    }

    fn hm(&self, t_us: i64) -> String {
        from_us(t_us)
            .to_zoned_datetime(self.tz.clone())
            .strftime("%H:%M")
            .to_string()
    }

    /// The report as one self-contained HTML document.
    pub fn to_html(&self) -> String {
        let r = &self.request;
        let mut h = String::with_capacity(64 * 1024);
        let title = format!(
            "Trail report: {} — {} to {}",
            r.subject,
            self.local(r.window.start_us),
            self.local(r.window.end_us)
        );
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"trailfence {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            env!("CARGO_PKG_VERSION"),
            esc(&title)
        );
        let _ = write!(
            h,
            "<header><h1>Trail report: {}</h1>\n<p class=\"lead\">{} to {} (times shown in {}; the window ends before its end time)</p></header>\n<main>\n",
            esc(&r.subject),
            esc(&self.local(r.window.start_us)),
            esc(&self.local(r.window.end_us)),
            esc(&r.tz)
        );
        self.summary(&mut h);
        self.map(&mut h);
        self.curfew_timeline(&mut h);
        self.day_timeline(&mut h);
        self.episode_table(&mut h);
        self.curfew_table(&mut h);
        self.stop_table(&mut h);
        self.quality_table(&mut h);
        self.query_table(&mut h);
        h.push_str("</main>\n</body>\n</html>\n");
        h
    }

    /// Writes [`TrailReport::to_html`] to `out`.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_html<W: Write>(&self, mut out: W) -> Result<(), Error> {
        out.write_all(self.to_html().as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("report output", e))
    }

    fn summary(&self, h: &mut String) {
        let confirmed = self
            .episodes
            .iter()
            .filter(|e| e.confidence == Confidence::Confirmed)
            .count();
        let possible = self.episodes.len() - confirmed;
        let nights = self.curfew.len();
        let violated = self.curfew.iter().filter(|c| c.violations > 0).count();
        let _ = write!(
            h,
            "<section aria-label=\"Summary\"><div class=\"summary\">\
             <div>Fixes<b>{}</b></div><div>Confirmed episodes<b>{confirmed}</b></div>\
             <div>Possible episodes<b>{possible}</b></div><div>Curfew nights with a confirmed violation<b>{violated} of {nights}</b></div>\
             <div>Time without data<b>{}</b></div><div>Stops (places)<b>{} ({})</b></div></div>\
             <p>Confirmed: the evidence model gives at least {:.0}% probability that the subject was on the violating side. \
             Possible: the fixes allow it but do not establish it (within their error, outliers or interpolation alone): not evidence of a breach.</p></section>\n",
            self.quality.fixes,
            duration(self.quality.gap_s),
            self.stops.len(),
            self.places.len(),
            self.request.breach.evidence.confirm_probability * 100.0,
        );
    }

    fn map(&self, h: &mut String) {
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        fn grow(bbox: &mut [f64; 4], lon: f64, lat: f64) {
            *bbox = [bbox[0].min(lon), bbox[1].min(lat), bbox[2].max(lon), bbox[3].max(lat)];
        }
        for p in &self.parts {
            for &(_, lon, lat) in p {
                grow(&mut bbox, lon, lat);
            }
        }
        // Zones near the trail widen the extent; far ones (a zone across
        // town) would shrink the trail to a dot, so they are listed instead.
        let trail_box = bbox;
        let near = |b: [f64; 4]| {
            if !trail_box[0].is_finite() {
                return true;
            }
            let (dx, dy) = (
                (trail_box[2] - trail_box[0]).max(0.005),
                (trail_box[3] - trail_box[1]).max(0.003),
            );
            b[0] <= trail_box[2] + dx
                && b[2] >= trail_box[0] - dx
                && b[1] <= trail_box[3] + dy
                && b[3] >= trail_box[1] - dy
        };
        let mut off_map = Vec::new();
        for z in &self.zones {
            let b = zone_bbox(&z.shape);
            if near(b) {
                grow(&mut bbox, b[0], b[1]);
                grow(&mut bbox, b[2], b[3]);
            } else {
                off_map.push(z.id.as_str());
            }
        }
        h.push_str("<section aria-labelledby=\"map-h\"><h2 id=\"map-h\">Map</h2>\n");
        if !bbox[0].is_finite() {
            h.push_str("<p>No fix in the window and no zone: nothing to draw.</p></section>\n");
            return;
        }
        let f = Frame::new(bbox);
        let desc = format!(
            "Map of the trail of {} ({} parts, {} points drawn of {} fixes), {} zones, {} breach episodes and {} stops.",
            self.request.subject,
            self.parts.len(),
            self.map_points,
            self.quality.fixes,
            self.zones.len(),
            self.episodes.len(),
            self.stops.len()
        );
        let _ = write!(
            h,
            "<figure><svg id=\"map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {:.0} {:.0}\" role=\"img\" aria-labelledby=\"map-title map-desc\" font-family=\"system-ui,Arial,sans-serif\">\n\
             <title id=\"map-title\">Trail map</title><desc id=\"map-desc\">{}</desc>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"#fbfbf8\" stroke=\"#999\"/>\n",
            f.w,
            f.h,
            esc(&desc)
        );
        if let Some(template) = &self.request.tile_url {
            let (z, list) = tiles(&f);
            let world = 2.0 * std::f64::consts::PI * MERCATOR_R;
            let size = world / f64::from(1u32 << z) * f.scale;
            let _ = write!(h, "<g class=\"base-map\" opacity=\"0.55\" data-zoom=\"{z}\">");
            for (x, y) in list {
                let url = template
                    .replace("{z}", &z.to_string())
                    .replace("{x}", &x.to_string())
                    .replace("{y}", &y.to_string());
                let left = (f64::from(x) * world / f64::from(1u32 << z) - world / 2.0 - f.x0) * f.scale;
                let top = (f.y1 - (world / 2.0 - f64::from(y) * world / f64::from(1u32 << z))) * f.scale;
                let _ = write!(
                    h,
                    "<image href=\"{}\" x=\"{left:.2}\" y=\"{top:.2}\" width=\"{size:.2}\" height=\"{size:.2}\" preserveAspectRatio=\"none\"/>",
                    esc(&url)
                );
            }
            h.push_str("</g>\n");
        }
        // Zones (those far from the trail are listed under the map instead).
        for z in self.zones.iter().filter(|z| !off_map.contains(&z.id.as_str())) {
            let (fill, stroke, op, dash) = match z.kind {
                ZoneKind::Exclusion => ("#b2182b", "#8c0d1f", "0.22", ""),
                ZoneKind::Inclusion => ("#1a7837", "#1a7837", "0.12", " stroke-dasharray=\"6 3\""),
            };
            let label = match &z.version {
                Some(v) => format!("{} ({}, version {v})", z.id, z.kind.as_str()),
                None => format!("{} ({})", z.id, z.kind.as_str()),
            };
            let _ = write!(
                h,
                "<g class=\"zone {}\" data-zone=\"{}\"><title>{}</title>",
                z.kind.as_str(),
                esc(&z.id),
                esc(&label)
            );
            let anchor = match &z.shape {
                ZoneShape::Circle { lon, lat, radius_m } => {
                    let (x, y) = f.xy(*lon, *lat);
                    let rr = f.len(*radius_m, *lat);
                    if let Some(b) = z.buffer_m {
                        let _ = write!(
                            h,
                            "<circle class=\"buffer\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\" fill=\"none\" stroke=\"{stroke}\" stroke-dasharray=\"2 3\"/>",
                            f.len(radius_m + b, *lat)
                        );
                    }
                    let _ = write!(
                        h,
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{rr:.1}\" fill=\"{fill}\" fill-opacity=\"{op}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash}/>"
                    );
                    (x, y - rr - 4.0)
                }
                ZoneShape::Polygon(mp) => {
                    let mut d = String::new();
                    let mut top = (f64::INFINITY, f64::INFINITY);
                    for poly in &mp.0 {
                        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                            d.push('M');
                            d.push_str(&pts(&f, ring.0.iter().map(|c| (c.x, c.y))));
                            d.push('Z');
                        }
                        for c in &poly.exterior().0 {
                            let (x, y) = f.xy(c.x, c.y);
                            if y < top.1 {
                                top = (x, y);
                            }
                        }
                    }
                    let _ = write!(
                        h,
                        "<path d=\"{d}\" fill-rule=\"evenodd\" fill=\"{fill}\" fill-opacity=\"{op}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash}/>"
                    );
                    (top.0, top.1 - 4.0)
                }
            };
            let _ = write!(
                h,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"{stroke}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text></g>\n",
                anchor.0.clamp(f.pad + 80.0, f.w - f.pad - 80.0),
                anchor.1.max(12.0),
                esc(&label)
            );
        }
        // Gaps: dashed lines between the end of a part and the next start.
        for w in self.parts.windows(2) {
            if let (Some(a), Some(b)) = (w[0].last(), w[1].first()) {
                let (x1, y1) = f.xy(a.1, a.2);
                let (x2, y2) = f.xy(b.1, b.2);
                let _ = write!(
                    h,
                    "<line class=\"gap\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#9e9e9e\" stroke-width=\"1.5\" stroke-dasharray=\"4 4\"><title>No data from {} to {}</title></line>\n",
                    esc(&self.local(a.0)),
                    esc(&self.local(b.0))
                );
            }
        }
        // The trail, one polyline per continuous part.
        for p in &self.parts {
            if p.len() == 1 {
                let (x, y) = f.xy(p[0].1, p[0].2);
                let _ = write!(
                    h,
                    "<circle class=\"trail-part\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\" fill=\"#2166ac\"/>\n"
                );
                continue;
            }
            let _ = write!(
                h,
                "<polyline class=\"trail-part\" points=\"{}\" fill=\"none\" stroke=\"#2166ac\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n",
                pts(&f, p.iter().map(|&(_, x, y)| (x, y)))
            );
        }
        // Breach episodes over the trail.
        for (k, path) in &self.episode_paths {
            let e = &self.episodes[*k];
            let colour = if e.confidence == Confidence::Confirmed {
                "#b2182b"
            } else {
                "#e08214"
            };
            let tip = format!(
                "Episode {}: {} {} of {}, {} to {} ({}), probability {:.2}",
                k + 1,
                e.confidence.as_str(),
                e.kind.as_str(),
                e.zone,
                self.local(e.start_us),
                self.local(e.end_us),
                duration(e.duration_s()),
                e.probability
            );
            if path.len() == 1 {
                let (x, y) = f.xy(path[0].0, path[0].1);
                let _ = write!(
                    h,
                    "<circle class=\"episode {}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{colour}\"><title>{}</title></circle>\n",
                    e.confidence.as_str(),
                    esc(&tip)
                );
            } else if path.len() > 1 {
                let (width, opacity) = if e.confidence == Confidence::Confirmed {
                    (5, "0.85")
                } else {
                    (3, "0.6")
                };
                let _ = write!(
                    h,
                    "<polyline class=\"episode {}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\" stroke-opacity=\"{opacity}\" stroke-linecap=\"round\"><title>{}</title></polyline>\n",
                    e.confidence.as_str(),
                    pts(&f, path.iter().copied()),
                    esc(&tip)
                );
            }
        }
        self.direction_and_times(h, &f);
        // Places (stops grouped), numbered as in the table, sized by visits.
        for (k, p) in self.places.iter().enumerate() {
            let (x, y) = f.xy(p.lon, p.lat);
            let r = 7.0 + 2.0 * f64::from(p.visits).log2();
            let _ = write!(
                h,
                "<g class=\"place\"><title>Place {}: {} stops, {} in total, {} to {}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"#fff\" fill-opacity=\"0.9\" stroke=\"#1b1b1b\" stroke-width=\"1.5\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" font-weight=\"700\" text-anchor=\"middle\">P{}</text></g>\n",
                k + 1,
                p.visits,
                duration(p.dwell_s),
                esc(&self.local(p.first_us)),
                esc(&self.local(p.last_us)),
                y + 3.5,
                k + 1
            );
        }
        self.scale_and_north(h, &f);
        h.push_str("</svg>\n");
        let _ = write!(
            h,
            "<figcaption><span class=\"legend\"><span><i class=\"sw\" style=\"background:#2166ac\"></i>trail</span>\
             <span><i class=\"sw\" style=\"border-top:2px dashed #9e9e9e\"></i>no data (gap)</span>\
             <span><i class=\"sw\" style=\"background:#b2182b\"></i>confirmed episode / exclusion zone</span>\
             <span><i class=\"sw\" style=\"background:#e08214\"></i>possible episode</span>\
             <span><i class=\"sw\" style=\"background:#1a7837;opacity:.4\"></i>inclusion zone</span>\
             <span>◯ places (P1, P2, …; size: number of stops)</span></span><br>{} points drawn of {} fixes{}. Arrows show the direction of travel; labels give local times ({}).</figcaption></figure>\n",
            self.map_points,
            self.quality.fixes,
            if self.map_tolerance_m > 0.0 {
                format!(
                    " (simplified: within {} m of the full trail, every part's ends kept)",
                    self.map_tolerance_m
                )
            } else {
                String::new()
            },
            esc(&self.request.tz)
        );
        if self.request.tile_url.is_some() {
            let _ = write!(
                h,
                "<p>Base map: {} (fetched when the report is opened; without the network the map shows no base map).</p>\n",
                esc(self.request.tile_attribution.as_deref().unwrap_or("tiles from the configured tile server"))
            );
        }
        if !off_map.is_empty() {
            let _ = write!(
                h,
                "<p>Zones in force beyond the map's extent (far from the trail): {}.</p>\n",
                esc(&off_map.join(", "))
            );
        }
        h.push_str("</section>\n");
    }

    /// Direction arrows and time labels at even steps along the drawn trail.
    fn direction_and_times(&self, h: &mut String, f: &Frame) {
        let pts: Vec<(i64, f64, f64)> = self
            .parts
            .iter()
            .flat_map(|p| {
                p.iter().map(|&(t, lon, lat)| {
                    let (x, y) = f.xy(lon, lat);
                    (t, x, y)
                })
            })
            .collect();
        if pts.len() < 2 {
            return;
        }
        let mut seg_len = Vec::with_capacity(pts.len());
        let mut total = 0.0;
        for w in pts.windows(2) {
            let d = ((w[1].1 - w[0].1).powi(2) + (w[1].2 - w[0].2).powi(2)).sqrt();
            seg_len.push(d);
            total += d;
        }
        // Arrows: about every 80 SVG units of path, at most 40.
        let arrows = ((total / 80.0) as usize).clamp(1, 40);
        let step = total / (arrows as f64 + 1.0);
        let (mut acc, mut next) = (0.0, step);
        h.push_str("<g class=\"direction\" fill=\"#08306b\">");
        for (k, &d) in seg_len.iter().enumerate() {
            while d > 0.0 && acc + d >= next {
                let u = (next - acc) / d;
                let (a, b) = (pts[k], pts[k + 1]);
                let (x, y) = (a.1 + u * (b.1 - a.1), a.2 + u * (b.2 - a.2));
                let ang = (b.2 - a.2).atan2(b.1 - a.1).to_degrees();
                let _ = write!(
                    h,
                    "<path d=\"M6,0L-4,-4L-4,4Z\" transform=\"translate({x:.1} {y:.1}) rotate({ang:.0})\"/>"
                );
                next += step;
            }
            acc += d;
        }
        h.push_str("</g>\n<g class=\"time-labels\" font-size=\"10\" fill=\"#1b1b1b\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">");
        let multi_day = self.request.window.end_us - self.request.window.start_us > 86_400_000_000;
        let label = |t: i64| {
            if multi_day {
                from_us(t)
                    .to_zoned_datetime(self.tz.clone())
                    .strftime("%d %b %H:%M")
                    .to_string()
            } else {
                self.hm(t)
            }
        };
        let first = pts[0];
        let last = pts[pts.len() - 1];
        // Labels near the right edge grow leftwards, so none is cut off.
        let place = |x: f64| {
            if x > f.w - 130.0 {
                (x - 6.0, "end")
            } else {
                (x + 6.0, "start")
            }
        };
        let (sx, sa) = place(first.1);
        let _ = write!(
            h,
            "<text x=\"{sx:.1}\" y=\"{:.1}\" text-anchor=\"{sa}\" font-weight=\"700\">start {}</text>",
            (first.2 - 6.0).max(12.0),
            esc(&label(first.0))
        );
        let (ex, ea) = place(last.1);
        let _ = write!(
            h,
            "<text x=\"{ex:.1}\" y=\"{:.1}\" text-anchor=\"{ea}\" font-weight=\"700\">end {}</text>",
            (last.2 + 14.0).min(f.h - 4.0),
            esc(&label(last.0))
        );
        let labels = 8usize;
        let mut placed: Vec<(f64, f64)> = vec![(first.1, first.2), (last.1, last.2)];
        for k in 1..labels {
            let i = k * (pts.len() - 1) / labels;
            let p = pts[i];
            if placed
                .iter()
                .any(|q| (q.0 - p.1).abs() < 60.0 && (q.1 - p.2).abs() < 14.0)
            {
                continue;
            }
            placed.push((p.1, p.2));
            let (tx, ta) = place(p.1);
            let _ = write!(
                h,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"#1b1b1b\" stroke=\"none\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{ta}\">{}</text>",
                p.1,
                p.2,
                (p.2 - 4.0).max(12.0),
                esc(&label(p.0))
            );
        }
        h.push_str("</g>\n");
    }

    fn scale_and_north(&self, h: &mut String, f: &Frame) {
        // A round length near a fifth of the width.
        let metres_per_unit = f.lat_mid.to_radians().cos() / f.scale;
        let target_m = f.w / 5.0 * metres_per_unit;
        let pow = 10f64.powf(target_m.log10().floor());
        let len_m = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|k| k * pow)
            .rfind(|&l| l <= target_m)
            .unwrap_or(pow);
        let px = f.len(len_m, f.lat_mid);
        let (x, y) = (f.pad, f.h - f.pad + 8.0);
        let text = if len_m >= 1000.0 {
            format!("{} km", len_m / 1000.0)
        } else {
            format!("{len_m} m")
        };
        let _ = write!(
            h,
            "<g class=\"scale-bar\" font-size=\"11\"><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{px:.1}\" height=\"5\" fill=\"#1b1b1b\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\">{text}</text></g>\n",
            y - 5.0,
            y - 9.0
        );
        let (nx, ny) = (f.w - f.pad, f.pad + 6.0);
        let _ = write!(
            h,
            "<g class=\"north-arrow\" transform=\"translate({nx:.1} {ny:.1})\"><path d=\"M0,-14L7,8L0,3L-7,8Z\" fill=\"#1b1b1b\"/>\
             <text y=\"22\" font-size=\"12\" text-anchor=\"middle\" font-weight=\"700\">N</text></g>\n"
        );
    }

    /// Local-time bars per curfew occurrence: inside, outside (confirmed /
    /// possible), unknown, authorised, suspended.
    fn curfew_timeline(&self, h: &mut String) {
        if self.curfew.is_empty() {
            return;
        }
        h.push_str("<section aria-labelledby=\"tl-h\"><h2 id=\"tl-h\">Curfew nights</h2>\n");
        let row_h = 18.0;
        let (x0, w) = (230.0, 740.0);
        let height = self.curfew.len() as f64 * row_h + 30.0;
        let longest = self
            .curfew
            .iter()
            .map(|c| c.window_end_us - c.window_start_us)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let _ = write!(
            h,
            "<figure><svg id=\"curfew-timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 {height:.0}\" role=\"img\" aria-labelledby=\"ct-title ct-desc\" font-family=\"system-ui,Arial,sans-serif\" font-size=\"11\">\
             <title id=\"ct-title\">Curfew timeline</title><desc id=\"ct-desc\">One bar per curfew night from its start (left) to its end; green inside, red confirmed outside, orange possible outside, grey no data, blue authorised absence, purple suspended. The table below gives the same figures.</desc>\n"
        );
        for (k, c) in self.curfew.iter().enumerate() {
            let y = 6.0 + k as f64 * row_h;
            let span = (c.window_end_us - c.window_start_us) as f64;
            let sx = |t: i64| x0 + (t - c.window_start_us) as f64 / longest * w;
            let _ = write!(
                h,
                "<g class=\"night\"><text x=\"0\" y=\"{:.1}\">{} {}</text><rect class=\"inside\" x=\"{x0}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#a6dba0\"/>",
                y + 11.0,
                esc(&from_us(c.window_start_us).to_zoned_datetime(self.tz.clone()).strftime("%a %d %b %H:%M").to_string()),
                esc(&c.zone),
                span / longest * w,
                row_h - 4.0
            );
            let mut bar = |class: &str, colour: &str, a: i64, b: i64| {
                let (a, b) = (a.max(c.window_start_us), b.min(c.window_end_us));
                if b > a {
                    let _ = write!(
                        h,
                        "<rect class=\"{class}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                        sx(a),
                        (sx(b) - sx(a)).max(0.6),
                        row_h - 4.0
                    );
                }
            };
            for g in &self.gaps {
                bar("unknown", "#bdbdbd", g.start_us, g.end_us);
            }
            if let Some((_, l)) = self
                .lifted
                .iter()
                .find(|(i, _)| self.zone_matches(*i, &c.zone, &c.zone_version))
            {
                for &(a, b) in &l.authorised {
                    bar("authorised", "#92c5de", a, b);
                }
                for &(a, b) in &l.suspended {
                    bar("suspended", "#b2abd2", a, b);
                }
            }
            for e in self
                .episodes
                .iter()
                .filter(|e| e.kind == EpisodeKind::Inclusion && e.zone == c.zone && e.zone_version == c.zone_version)
            {
                let (class, colour) = if e.confidence == Confidence::Confirmed {
                    ("outside confirmed", "#b2182b")
                } else {
                    ("outside possible", "#e08214")
                };
                bar(class, colour, e.start_us, e.end_us);
            }
            h.push_str("</g>\n");
        }
        h.push_str("</svg><figcaption>Each bar runs from the curfew start (left) to its end; green: inside; red: confirmed outside; orange: possible outside; grey: no data; blue: authorised absence; purple: suspended.</figcaption></figure></section>\n");
    }

    fn zone_matches(&self, index: usize, id: &str, version: &Option<String>) -> bool {
        self.zones
            .iter()
            .any(|z| z.index == index && z.id == id && &z.version == version)
    }

    /// One bar per local day: episodes of every kind and gaps, 00:00–24:00.
    fn day_timeline(&self, h: &mut String) {
        let w0 = self.request.window;
        let (Some(first), Some(last)) = (
            self.parts.first().and_then(|p| p.first()).map(|p| p.0),
            self.parts.last().and_then(|p| p.last()).map(|p| p.0),
        ) else {
            return;
        };
        let start = if w0.start_us == i64::MIN { first } else { w0.start_us };
        let end = if w0.end_us == i64::MAX { last + 1 } else { w0.end_us };
        let Ok(day0) = from_us(start).to_zoned_datetime(self.tz.clone()).start_of_day() else {
            return;
        };
        let mut days = Vec::new();
        let mut d = day0;
        while d.timestamp().as_microsecond() < end && days.len() < 400 {
            let Ok(next) = d.tomorrow().and_then(|n| n.start_of_day()) else {
                break;
            };
            days.push((
                d.timestamp().as_microsecond(),
                next.timestamp().as_microsecond(),
                d.clone(),
            ));
            d = next;
        }
        let row_h = 16.0;
        let (x0, w) = (110.0, 870.0);
        let height = days.len() as f64 * row_h + 26.0;
        h.push_str("<section aria-labelledby=\"days-h\"><h2 id=\"days-h\">Days</h2>\n");
        let _ = write!(
            h,
            "<figure><svg id=\"day-timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 {height:.0}\" role=\"img\" aria-labelledby=\"dt-title dt-desc\" font-family=\"system-ui,Arial,sans-serif\" font-size=\"10\">\
             <title id=\"dt-title\">Episodes by day</title><desc id=\"dt-desc\">One bar per local day from 00:00 to 24:00: blue with data, grey without data (or outside the window), red confirmed and orange possible breach episodes of any zone. The episode table gives the same times.</desc>\n"
        );
        for (k, hour) in [0, 6, 12, 18, 24].iter().enumerate() {
            let x = x0 + *hour as f64 / 24.0 * w;
            let _ = write!(
                h,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{hour:02}:00</text>",
                height - 4.0,
                ["start", "middle", "middle", "middle", "end"][k]
            );
        }
        for (k, (a, b, z)) in days.iter().enumerate() {
            let y = 4.0 + k as f64 * row_h;
            let len = (b - a) as f64;
            let sx = |t: i64| x0 + ((t - a) as f64 / len) * w;
            let _ = write!(
                h,
                "<g class=\"day\"><text x=\"0\" y=\"{:.1}\">{}</text><rect x=\"{x0}\" y=\"{y:.1}\" width=\"{w}\" height=\"{:.1}\" fill=\"#d1e5f0\"/>",
                y + 10.0,
                esc(&z.strftime("%a %d %b %Y").to_string()),
                row_h - 4.0
            );
            let mut bar = |class: &str, colour: &str, s: i64, e: i64| {
                let (s, e) = (s.max(*a), e.min(*b));
                if e > s {
                    let _ = write!(
                        h,
                        "<rect class=\"{class}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                        sx(s),
                        (sx(e) - sx(s)).max(0.6),
                        row_h - 4.0
                    );
                }
            };
            bar("unknown", "#bdbdbd", *a, start);
            bar("unknown", "#bdbdbd", end, *b);
            for g in &self.gaps {
                bar("unknown", "#bdbdbd", g.start_us, g.end_us);
            }
            for e in &self.episodes {
                let (class, colour) = if e.confidence == Confidence::Confirmed {
                    ("episode confirmed", "#b2182b")
                } else {
                    ("episode possible", "#e08214")
                };
                bar(class, colour, e.start_us, e.end_us);
            }
            h.push_str("</g>\n");
        }
        h.push_str("</svg></figure></section>\n");
    }

    fn episode_table(&self, h: &mut String) {
        h.push_str("<section aria-labelledby=\"ep-h\"><h2 id=\"ep-h\">Breach episodes</h2>\n");
        if self.zones.is_empty() {
            h.push_str("<p>No zones were given: no breach was evaluated.</p></section>\n");
            return;
        }
        if self.episodes.is_empty() {
            h.push_str("<p>No breach episode in the window.</p></section>\n");
            return;
        }
        h.push_str(
            "<table><caption>Every episode with its evidence (margins in units of the fixes' error σ; separation: how far the first / last \
             supporting fix is from the fix before / after it, in σ — near 0 when the fixes scatter about one place across the boundary, \
             large when the subject moved there)</caption>\
             <thead><tr><th scope=\"col\">#</th><th scope=\"col\">Verdict</th><th scope=\"col\">Zone</th><th scope=\"col\">Rule</th>\
             <th scope=\"col\">Start</th><th scope=\"col\">End</th><th scope=\"col\">Duration</th><th scope=\"col\">Probability</th>\
             <th scope=\"col\">Fixes</th><th scope=\"col\">Supporting</th><th scope=\"col\">Outliers</th><th scope=\"col\">Largest margin</th>\
             <th scope=\"col\">Typical error</th><th scope=\"col\">Separation before / after</th></tr></thead><tbody>\n",
        );
        let sep = |s: Option<f64>| s.map_or("—".into(), |s| format!("{s:.1} σ"));
        for (k, e) in self.episodes.iter().enumerate() {
            let zone = match &e.zone_version {
                Some(v) => format!("{} (version {v})", e.zone),
                None => e.zone.clone(),
            };
            let _ = write!(
                h,
                "<tr><td class=\"n\">{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{:.1} σ</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td></tr>\n",
                k + 1,
                e.confidence.as_str(),
                e.confidence.as_str(),
                esc(&zone),
                e.kind.as_str(),
                esc(&self.local(e.start_us)),
                esc(&self.local(e.end_us)),
                duration(e.duration_s()),
                e.probability,
                e.fixes,
                e.supporting_fixes,
                e.outlier_fixes,
                e.max_margin_sigma,
                e.mean_error_m.map_or("—".into(), |m| format!("{m:.1} m")),
                sep(e.separation_before_sigma),
                sep(e.separation_after_sigma),
            );
        }
        h.push_str("</tbody></table></section>\n");
    }

    fn curfew_table(&self, h: &mut String) {
        if self.curfew.is_empty() {
            return;
        }
        h.push_str(
            "<section aria-labelledby=\"cn-h\"><h2 id=\"cn-h\">Curfew compliance</h2>\n<table><caption>Per night: the scheduled time split exactly into inside, outside, no data, authorised and suspended</caption>\
             <thead><tr><th scope=\"col\">Zone</th><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Inside</th>\
             <th scope=\"col\">Outside, confirmed</th><th scope=\"col\">Outside, possible</th><th scope=\"col\">No data</th>\
             <th scope=\"col\">Authorised</th><th scope=\"col\">Suspended</th><th scope=\"col\">Violations</th><th scope=\"col\">Possible</th><th scope=\"col\">First exit</th></tr></thead><tbody>\n",
        );
        for c in &self.curfew {
            let zone = match &c.zone_version {
                Some(v) => format!("{} (version {v})", c.zone),
                None => c.zone.clone(),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                esc(&zone),
                esc(&self.local(c.window_start_us)),
                esc(&self.local(c.window_end_us)),
                duration(c.inside_s),
                duration(c.confirmed_outside_s),
                duration(c.possible_outside_s),
                duration(c.unknown_s),
                duration(c.authorised_s),
                duration(c.suspended_s),
                c.violations,
                c.possible_violations,
                c.first_exit_us.map_or("—".into(), |t| esc(&self.local(t))),
            );
        }
        h.push_str("</tbody></table></section>\n");
    }

    fn stop_table(&self, h: &mut String) {
        let _ = write!(
            h,
            "<section aria-labelledby=\"st-h\"><h2 id=\"st-h\">Places and stops</h2>\n<p>Stops are stays within {} m for at least {}; \
             stops within {} m of each other are one place (P1, P2, … as on the map).</p>\n",
            self.request.stop_radius_m,
            duration(self.request.stop_min_duration_s),
            2.0 * self.request.stop_radius_m
        );
        if self.stops.is_empty() {
            h.push_str("<p>No stop in the window.</p></section>\n");
            return;
        }
        h.push_str(
            "<table><caption>Places, by total time spent</caption><thead><tr><th scope=\"col\">Place</th><th scope=\"col\">Stops</th>\
             <th scope=\"col\">Total dwell</th><th scope=\"col\">First arrival</th><th scope=\"col\">Last departure</th>\
             <th scope=\"col\">Latitude</th><th scope=\"col\">Longitude</th></tr></thead><tbody>\n",
        );
        let mut order: Vec<usize> = (0..self.places.len()).collect();
        order.sort_by(|&a, &b| {
            self.places[b]
                .dwell_s
                .total_cmp(&self.places[a].dwell_s)
                .then(a.cmp(&b))
        });
        for k in order {
            let p = &self.places[k];
            let _ = write!(
                h,
                "<tr><td>P{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.6}</td><td class=\"n\">{:.6}</td></tr>\n",
                k + 1,
                p.visits,
                duration(p.dwell_s),
                esc(&self.local(p.first_us)),
                esc(&self.local(p.last_us)),
                p.lat,
                p.lon
            );
        }
        h.push_str("</tbody></table>\n");
        h.push_str(
            "<table><caption>Every stop</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Place</th><th scope=\"col\">From</th><th scope=\"col\">To</th>\
             <th scope=\"col\">Dwell</th><th scope=\"col\">Fixes</th><th scope=\"col\">Latitude</th><th scope=\"col\">Longitude</th></tr></thead><tbody>\n",
        );
        for (k, s) in self.stops.iter().enumerate() {
            let _ = write!(
                h,
                "<tr><td class=\"n\">{}</td><td>P{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.6}</td><td class=\"n\">{:.6}</td></tr>\n",
                k + 1,
                self.stop_place[k] + 1,
                esc(&self.local(s.start_us)),
                esc(&self.local(s.end_us)),
                duration(s.duration_s()),
                s.fixes,
                s.lat,
                s.lon
            );
        }
        h.push_str("</tbody></table></section>\n");
    }

    fn quality_table(&self, h: &mut String) {
        let q = &self.quality;
        h.push_str("<section aria-labelledby=\"dq-h\"><h2 id=\"dq-h\">Data quality</h2>\n<table><tbody>\n");
        let mut row = |k: &str, v: String| {
            let _ = write!(h, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", esc(k), esc(&v));
        };
        row("Fixes in the window", q.fixes.to_string());
        row(
            "Median interval between fixes",
            q.median_interval_s.map_or("—".into(), duration),
        );
        row("Fixes without a reported accuracy", q.without_accuracy.to_string());
        if let Some([p50, p90, p99, max]) = q.accuracy_m {
            row(
                "Reported accuracy (median / 90th / 99th percentile / largest)",
                format!("{p50:.1} / {p90:.1} / {p99:.1} / {max:.1} m"),
            );
        }
        let c = q.accuracy_classes;
        row(
            "Fixes by reported accuracy",
            format!(
                "≤ 5 m: {}; 5–10 m: {}; 10–20 m: {}; 20–50 m: {}; 50–100 m: {}; over 100 m: {}",
                c[0], c[1], c[2], c[3], c[4], c[5]
            ),
        );
        row(
            "Spans without data",
            format!("{} ({} in total)", q.gaps, duration(q.gap_s)),
        );
        h.push_str("</tbody></table>\n");
        if !self.gaps.is_empty() {
            h.push_str("<table><caption>Spans without data</caption><thead><tr><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Length</th></tr></thead><tbody>\n");
            for g in &self.gaps {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
                    esc(&self.local(g.start_us)),
                    esc(&self.local(g.end_us)),
                    duration((g.end_us - g.start_us) as f64 / 1e6)
                );
            }
            h.push_str("</tbody></table>\n");
        }
        h.push_str("</section>\n");
    }

    fn query_table(&self, h: &mut String) {
        let r = &self.request;
        let b = &r.breach;
        let e = &b.evidence;
        h.push_str("<section aria-labelledby=\"q-h\"><h2 id=\"q-h\">The query</h2>\n<table><tbody>\n");
        let mut row = |k: &str, v: String| {
            let _ = write!(h, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", esc(k), esc(&v));
        };
        row("Subject", r.subject.clone());
        row(
            "Window (UTC, end exclusive)",
            format!("{} to {}", from_us(r.window.start_us), from_us(r.window.end_us)),
        );
        row("Times shown in", r.tz.clone());
        for (k, v) in &r.provenance {
            row(k, v.clone());
        }
        if let Some(hash) = &self.zone_set_hash {
            row("Zone set content hash", hash.clone());
        }
        for z in &self.zones {
            let mut v = format!("{} zone", z.kind.as_str());
            if let Some(ver) = &z.version {
                let _ = write!(v, ", version {ver}");
            }
            if let Some(s) = &z.schedule {
                let _ = write!(v, ", active {s}");
            }
            if let Some(bm) = z.buffer_m {
                let _ = write!(v, ", warning buffer {bm} m");
            }
            row(&format!("Zone {}", z.id), v);
        }
        row(
            "Breach options",
            format!(
                "min_fixes {}, min_duration_s {}, merge_gap_s {}, assumed_accuracy_m {}, max_gap_s {}",
                b.min_fixes,
                b.min_duration_s,
                b.merge_gap_s,
                b.assumed_accuracy_m.map_or("none".into(), |a| a.to_string()),
                b.max_gap_s.map_or("store default".into(), |a| a.to_string())
            ),
        );
        row("Curfew options", format!("grace_s {}", r.curfew.grace_s));
        row(
            "Evidence model",
            format!(
                "accuracy_level {}, confirm_probability {}, drift_tau_s {}, outlier_speed_mps {}",
                e.accuracy_level, e.confirm_probability, e.drift_tau_s, e.outlier_speed_mps
            ),
        );
        if let Some(t) = &r.tile_url {
            row("Base map tiles", t.clone());
        }
        row("Software", format!("trailfence {}", env!("CARGO_PKG_VERSION")));
        h.push_str("</tbody></table></section>\n");
    }
}

fn zone_bbox(shape: &ZoneShape) -> [f64; 4] {
    match shape {
        ZoneShape::Circle { lon, lat, radius_m } => {
            let (ky, kx) = metres_per_degree(*lat);
            let (dx, dy) = (radius_m / kx, radius_m / ky);
            [lon - dx, lat - dy, lon + dx, lat + dy]
        }
        ZoneShape::Polygon(mp) => {
            let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
            for p in &mp.0 {
                for c in &p.exterior().0 {
                    b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
                }
            }
            b
        }
    }
}
