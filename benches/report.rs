//! The practitioner's trail report and the evidence pack: one subject, 1 day
//! and 90 days of a fix a minute (≈ 130,000 fixes) against the sample zones.

use std::hint::black_box;

use criterion::Criterion;
use trailfence::generate::{generate_fixes, zones_geojson, GeneratorConfig};
use trailfence::pack::build_evidence_pack;
use trailfence::trail_report::{trail_report, ReportRequest};
use trailfence::{zones_from_geojson_str, Window};

use crate::trail::scale;

const DAY_US: i64 = 86_400_000_000;

pub fn bench(c: &mut Criterion) {
    let days = scale(91, 2) as i64;
    let data = generate_fixes(&GeneratorConfig {
        subjects: 1,
        days: days as u32,
        ..Default::default()
    });
    let text = zones_geojson(&data, 42);
    let zones = zones_from_geojson_str(&text, "zones.geojson").unwrap();
    let store = data.store();
    let t0 = data.t_us[0];
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    for (name, span) in [("1_day", 1), ("90_days", days - 1)] {
        let request = ReportRequest::new("S0001", Window::from_us(t0, t0 + span * DAY_US));
        g.bench_function(name, |b| {
            b.iter(|| {
                let html = trail_report(&store, Some(&zones), &request).unwrap().to_html();
                assert!(html.contains("class=\"trail-part\""));
                black_box(html.len())
            })
        });
    }
    let request = ReportRequest::new("S0001", Window::from_us(t0, t0 + (days - 1) * DAY_US));
    g.bench_function("evidence_pack_90_days", |b| {
        b.iter(|| {
            let pack = build_evidence_pack(&store, Some((&zones, text.as_bytes())), &request, None).unwrap();
            assert_eq!(pack.files.len(), 11);
            black_box(pack.manifest_sha256())
        })
    });
    g.finish();
}
