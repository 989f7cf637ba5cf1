//! Instants and half-open time windows.
//!
//! trailfence stores every instant as UTC microseconds since the Unix epoch
//! (`i64`), exposes them as [`jiff::Timestamp`], and parses text with jiff.
//! Local time appears only where a caller names an IANA time zone (inputs
//! without offsets, and schedules). A [`Window`] is always half-open:
//! `start <= t < end`.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

use crate::error::{Error, Reason};

/// Converts a timestamp to UTC microseconds since the Unix epoch (sub-microsecond
/// digits are truncated towards negative infinity).
#[inline]
pub fn to_us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Converts UTC microseconds since the Unix epoch to a timestamp, clamping to
/// jiff's supported range (years -9999..=9999).
#[inline]
pub fn from_us(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 { Timestamp::MIN } else { Timestamp::MAX })
}

/// How a text time is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// RFC 3339 text, or a plain number of epoch seconds (|v| < 10^11) or
    /// epoch milliseconds (|v| >= 10^11). 10^11 s is the year 5138, so no real
    /// fix is misread.
    #[default]
    Auto,
    /// RFC 3339 (`2024-10-27T01:30:00Z`, `2024-10-27T02:30:00+01:00`); a
    /// date-time without offset only with a named time zone.
    Rfc3339,
    /// Seconds since the Unix epoch, possibly fractional.
    EpochSeconds,
    /// Milliseconds since the Unix epoch, possibly fractional.
    EpochMillis,
}

/// Parses text times according to a [`TimeFormat`] and an optional IANA zone
/// for date-times written without an offset.
///
/// A local date-time that the named zone skips (spring-forward gap) or repeats
/// (autumn fold) is rejected with [`Reason::AmbiguousLocalTime`]: evidence must
/// not depend on a guess.
#[derive(Debug, Clone, Default)]
pub struct TimeParser {
    format: TimeFormat,
    tz: Option<TimeZone>,
}

impl TimeParser {
    /// A parser for `format`, with no time zone (offsets required).
    pub fn new(format: TimeFormat) -> Self {
        TimeParser { format, tz: None }
    }

    /// Names the IANA time zone used for date-times without an offset.
    ///
    /// # Errors
    /// [`Error::Option`] when the zone is not in the bundled tz database.
    pub fn with_time_zone(mut self, name: &str) -> Result<Self, Error> {
        let tz = TimeZone::get(name).map_err(|_| Error::Option {
            name: "tz",
            value: name.to_string(),
            reason: "not an IANA time zone name (e.g. Europe/London)",
        })?;
        self.tz = Some(tz);
        Ok(self)
    }

    /// Parses one time.
    ///
    /// # Errors
    /// The [`Reason`] a record should be rejected for.
    pub fn parse(&self, text: &str) -> Result<Timestamp, Reason> {
        let s = text.trim();
        if s.is_empty() {
            return Err(Reason::MissingField);
        }
        match self.format {
            TimeFormat::EpochSeconds => parse_epoch(s, 1e6),
            TimeFormat::EpochMillis => parse_epoch(s, 1e3),
            TimeFormat::Rfc3339 => self.parse_text(s),
            TimeFormat::Auto => {
                let first = s.as_bytes()[0];
                let numeric = s.len() < 18
                    && (first.is_ascii_digit() || first == b'-' || first == b'+')
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
                    && !s[1..].contains('-');
                if numeric {
                    let v: f64 = s.parse().map_err(|_| Reason::UnparseableTime)?;
                    if v.abs() >= 1e11 {
                        parse_epoch(s, 1e3)
                    } else {
                        parse_epoch(s, 1e6)
                    }
                } else {
                    self.parse_text(s)
                }
            }
        }
    }

    /// Resolves a wall-clock time stored without a zone (e.g. a Parquet
    /// timestamp column with no time zone), given as microseconds since
    /// 1970-01-01T00:00 *local*, in this parser's IANA zone.
    ///
    /// # Errors
    /// [`Reason::TimeWithoutOffset`] when the parser has no zone;
    /// [`Reason::AmbiguousLocalTime`] in a gap or fold.
    pub fn wall_clock(&self, local_us: i64) -> Result<Timestamp, Reason> {
        let tz = self.tz.as_ref().ok_or(Reason::TimeWithoutOffset)?;
        let naive = Timestamp::from_microsecond(local_us).map_err(|_| Reason::UnparseableTime)?;
        local_to_instant_strict(tz, TimeZone::UTC.to_datetime(naive))
    }

    /// Whether this parser names an IANA time zone.
    pub fn has_time_zone(&self) -> bool {
        self.tz.is_some()
    }

    fn parse_text(&self, s: &str) -> Result<Timestamp, Reason> {
        if is_leap_second(s) {
            return Err(Reason::LeapSecond);
        }
        if let Ok(t) = s.parse::<Timestamp>() {
            return Ok(t);
        }
        let dt: DateTime = s.parse().map_err(|_| Reason::UnparseableTime)?;
        let tz = self.tz.as_ref().ok_or(Reason::TimeWithoutOffset)?;
        local_to_instant_strict(tz, dt)
    }
}

/// Whether an ISO 8601 / RFC 3339 date-time names second 60 (a leap
/// second), extended (`23:59:60`) or basic (`235960`) form. jiff reads such a
/// second as `:59`, which would silently move the fix.
fn is_leap_second(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(sep) = b.iter().position(|&c| c == b'T' || c == b't' || c == b' ') else {
        return false;
    };
    let t = &b[sep + 1..];
    let digits = |r: std::ops::Range<usize>| t.len() >= r.end && t[r].iter().all(u8::is_ascii_digit);
    if t.len() >= 8 && t[2] == b':' && t[5] == b':' {
        digits(0..2) && digits(3..5) && &t[6..8] == b"60"
    } else {
        digits(0..6) && &t[4..6] == b"60"
    }
}

fn parse_epoch(s: &str, us_per_unit: f64) -> Result<Timestamp, Reason> {
    let v: f64 = s.parse().map_err(|_| Reason::UnparseableTime)?;
    if !v.is_finite() {
        return Err(Reason::UnparseableTime);
    }
    let us = (v * us_per_unit).round();
    if us.abs() > 2.5e17 {
        return Err(Reason::UnparseableTime);
    }
    Timestamp::from_microsecond(us as i64).map_err(|_| Reason::UnparseableTime)
}

/// The error for zone-less (naive) times given without a time zone.
pub(crate) fn naive_without_zone() -> Error {
    Error::Option {
        name: "tz",
        value: "none".into(),
        reason: "times without a time zone (naive datetimes) are wall-clock times with no known instant: \
                 name their IANA zone (e.g. tz=\"Europe/London\") or give timezone-aware times",
    }
}

/// A wall-clock time in microseconds since 1970-01-01T00:00 local, as text
/// (for error messages).
pub(crate) fn wall_clock_text(local_us: i64) -> String {
    match Timestamp::from_microsecond(local_us) {
        Ok(t) => format!("{} (no time zone)", TimeZone::UTC.to_datetime(t)),
        Err(_) => format!("{local_us} µs (no time zone)"),
    }
}

/// Resolves a column of zone-less wall-clock times (microseconds since
/// 1970-01-01T00:00 local time in the IANA zone `tz`) to UTC microseconds,
/// with the same rule as every reader: a local time that a DST change skips
/// or repeats is refused, never guessed.
///
/// # Errors
/// [`Error::Option`] for an unknown zone; [`Error::Record`] naming the first
/// bad row (0-based, field `time`).
///
/// # Example
/// ```
/// // 2024-07-01T19:00 in London (BST) is 18:00 UTC.
/// // Wall-clock µs count local time as if it were UTC: 19:00 on the day.
/// let local_us = "2024-07-01T19:00:00Z".parse::<jiff::Timestamp>()?.as_microsecond();
/// let utc = trailfence::wall_clock_to_us(&[local_us], "Europe/London")?;
/// assert_eq!(trailfence::from_us(utc[0]).to_string(), "2024-07-01T18:00:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wall_clock_to_us(local_us: &[i64], tz: &str) -> Result<Vec<i64>, Error> {
    let parser = TimeParser::new(TimeFormat::Auto).with_time_zone(tz)?;
    local_us
        .iter()
        .enumerate()
        .map(|(i, &us)| {
            parser.wall_clock(us).map(to_us).map_err(|reason| {
                Error::Record(crate::error::RecordError::new(
                    "<memory>",
                    crate::error::Location::Row(i),
                    "time",
                    &wall_clock_text(us),
                    reason,
                ))
            })
        })
        .collect()
}

/// Resolves a local date-time in `tz`, rejecting gaps and folds.
pub(crate) fn local_to_instant_strict(tz: &TimeZone, dt: DateTime) -> Result<Timestamp, Reason> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).map_err(|_| Reason::UnparseableTime),
        AmbiguousOffset::Gap { .. } | AmbiguousOffset::Fold { .. } => Err(Reason::AmbiguousLocalTime),
    }
}

/// Parses a time argument (a query bound, not a data record): RFC 3339, epoch
/// seconds/milliseconds, or a local date-time when `tz` names an IANA zone.
///
/// # Errors
/// [`Error::Time`] naming the text and the reason.
///
/// # Example
/// ```
/// let t = trailfence::parse_time("2024-10-27T01:30:00+01:00", None)?;
/// assert_eq!(t.to_string(), "2024-10-27T00:30:00Z");
/// let t = trailfence::parse_time("2024-07-01T19:00:00", Some("Europe/London"))?;
/// assert_eq!(t.to_string(), "2024-07-01T18:00:00Z");
/// # Ok::<(), trailfence::Error>(())
/// ```
pub fn parse_time(text: &str, tz: Option<&str>) -> Result<Timestamp, Error> {
    let mut parser = TimeParser::new(TimeFormat::Auto);
    if let Some(name) = tz {
        parser = parser.with_time_zone(name)?;
    }
    parser.parse(text).map_err(|reason| Error::Time {
        value: text.to_string(),
        reason: reason.describe().to_string(),
    })
}

/// A half-open interval of UTC time, `start <= t < end`. An interval with
/// `start == end` is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub(crate) start_us: i64,
    pub(crate) end_us: i64,
}

impl Window {
    /// The window `[start, end)`.
    ///
    /// # Errors
    /// [`Error::Window`] when `start > end`.
    ///
    /// # Example
    /// ```
    /// use trailfence::{parse_time, Window};
    /// let w = Window::new(parse_time("2024-01-01T00:00:00Z", None)?, parse_time("2024-01-02T00:00:00Z", None)?)?;
    /// assert_eq!(w.duration_s(), 86_400.0);
    /// # Ok::<(), trailfence::Error>(())
    /// ```
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, Error> {
        if start > end {
            return Err(Error::Window {
                start: start.to_string(),
                end: end.to_string(),
            });
        }
        Ok(Window {
            start_us: to_us(start),
            end_us: to_us(end),
        })
    }

    /// The window of all representable time.
    pub fn all() -> Self {
        Window {
            start_us: i64::MIN,
            end_us: i64::MAX,
        }
    }

    /// From optional UTC microseconds since the epoch (an absent side is
    /// unbounded), refusing a window whose start is after its end: the one
    /// window check every surface (CLI, Python, Dask) uses.
    ///
    /// # Errors
    /// [`Error::Window`] when `start_us > end_us`.
    pub fn try_from_us(start_us: Option<i64>, end_us: Option<i64>) -> Result<Self, Error> {
        let (s, e) = (start_us.unwrap_or(i64::MIN), end_us.unwrap_or(i64::MAX));
        if s > e {
            return Err(Error::Window {
                start: from_us(s).to_string(),
                end: from_us(e).to_string(),
            });
        }
        Ok(Window { start_us: s, end_us: e })
    }

    /// From UTC microseconds since the epoch; `start_us > end_us` is clamped
    /// to empty (for internal spans; use [`Window::try_from_us`] for a
    /// caller's window).
    pub fn from_us(start_us: i64, end_us: i64) -> Self {
        Window {
            start_us,
            end_us: end_us.max(start_us),
        }
    }

    /// Start instant (inclusive).
    pub fn start(&self) -> Timestamp {
        from_us(self.start_us)
    }

    /// End instant (exclusive).
    pub fn end(&self) -> Timestamp {
        from_us(self.end_us)
    }

    /// Start in UTC microseconds since the epoch.
    pub fn start_us(&self) -> i64 {
        self.start_us
    }

    /// End in UTC microseconds since the epoch.
    pub fn end_us(&self) -> i64 {
        self.end_us
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_us as f64 - self.start_us as f64) / 1e6
    }

    /// Whether the window holds no instant.
    pub fn is_empty(&self) -> bool {
        self.start_us >= self.end_us
    }

    /// Whether `t_us` lies in `[start, end)`.
    pub fn contains_us(&self, t_us: i64) -> bool {
        self.start_us <= t_us && t_us < self.end_us
    }
}

#[cfg(test)]
#[path = "time_tests.rs"]
mod tests;
