use super::*;

#[test]
fn auto_reads_rfc3339_and_epochs() {
    let p = TimeParser::default();
    assert_eq!(p.parse("2024-01-01T00:00:00Z").unwrap().as_second(), 1_704_067_200);
    assert_eq!(p.parse("1704067200").unwrap().as_second(), 1_704_067_200);
    assert_eq!(p.parse("1704067200000").unwrap().as_second(), 1_704_067_200);
    assert_eq!(p.parse("1704067200.5").unwrap().as_millisecond(), 1_704_067_200_500);
    assert_eq!(
        p.parse("2024-01-01T01:00:00.123+01:00").unwrap().as_millisecond(),
        1_704_067_200_123
    );
}

#[test]
fn naive_time_needs_zone() {
    let p = TimeParser::default();
    assert_eq!(p.parse("2024-01-01T00:00:00"), Err(Reason::TimeWithoutOffset));
    let p = p.with_time_zone("Europe/London").unwrap();
    assert_eq!(
        p.parse("2024-07-01T12:00:00").unwrap().to_string(),
        "2024-07-01T11:00:00Z"
    );
    // 2024-03-31 01:30 does not exist in London; 2024-10-27 01:30 happens twice.
    assert_eq!(p.parse("2024-03-31T01:30:00"), Err(Reason::AmbiguousLocalTime));
    assert_eq!(p.parse("2024-10-27T01:30:00"), Err(Reason::AmbiguousLocalTime));
}

#[test]
fn garbage_is_rejected() {
    let p = TimeParser::default();
    for bad in ["", "yesterday", "2024-13-01T00:00:00Z", "NaN", "1e400"] {
        assert!(p.parse(bad).is_err(), "{bad}");
    }
    assert!(TimeParser::default().with_time_zone("Mars/Olympus").is_err());
}

#[test]
fn window_rules() {
    let a = from_us(0);
    let b = from_us(10);
    assert!(Window::new(b, a).is_err());
    let w = Window::new(a, b).unwrap();
    assert!(w.contains_us(0) && !w.contains_us(10));
    assert!(Window::new(a, a).unwrap().is_empty());
}
