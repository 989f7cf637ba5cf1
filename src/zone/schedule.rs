//! Schedules: weekly local-time windows in an IANA time zone, turned into UTC
//! occurrences.
//!
//! A window belongs to the local day it starts on and may cross midnight
//! (`19:00`–`07:00` ends the next morning). `start == end` is a whole local
//! day. Each occurrence is resolved on its own: on the night the clocks go
//! back a 19:00–07:00 window lasts 13 hours, on the night they go forward 11.
//! A local time the zone skips (spring-forward gap) maps to the first instant
//! after the gap; a local time that happens twice (autumn fold) maps to the
//! earlier instant.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

/// Most weekly windows one schedule may list. Real licence conditions have
/// one or a few (a curfew, a different one at weekends); every window
/// occurrence becomes a curfew row per subject, so an untrusted zone file
/// listing thousands would make reports of millions of rows.
pub const MAX_SCHEDULE_WINDOWS: usize = 64;

use crate::time::{from_us, to_us, Window};

/// One weekly window: on the given weekdays, from `start` to `end` local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyWindow {
    /// Weekdays the window starts on (index 0 = Monday).
    pub days: [bool; 7],
    /// Local start time.
    pub start: Time,
    /// Local end time; at or before `start` means the next day.
    pub end: Time,
}

/// When a zone is active: weekly windows in an IANA zone, optionally bounded
/// by `from` (inclusive) and `until` (exclusive) UTC instants.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The IANA time zone name (e.g. `Europe/London`).
    pub tz_name: String,
    tz: TimeZone,
    /// The weekly windows.
    pub windows: Vec<WeeklyWindow>,
    /// First instant the schedule applies (UTC µs), if bounded.
    pub from_us: Option<i64>,
    /// Instant the schedule stops applying (UTC µs, exclusive), if bounded.
    pub until_us: Option<i64>,
}

/// Resolves a local date-time with the schedule policy: gap → the first
/// instant after the gap; fold → the earlier instant.
pub fn resolve_local(tz: &TimeZone, dt: DateTime) -> Timestamp {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).unwrap_or(Timestamp::MAX),
        AmbiguousOffset::Fold { before, after } => {
            let a = before.to_timestamp(dt).unwrap_or(Timestamp::MAX);
            let b = after.to_timestamp(dt).unwrap_or(Timestamp::MAX);
            a.min(b)
        }
        AmbiguousOffset::Gap { before, after } => {
            let a = before.to_timestamp(dt).unwrap_or(Timestamp::MAX);
            let b = after.to_timestamp(dt).unwrap_or(Timestamp::MAX);
            let lo = a.min(b);
            // The transition lies between the two readings of dt.
            tz.following(lo).next().map(|t| t.timestamp()).unwrap_or(lo)
        }
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

impl Schedule {
    /// A schedule in IANA zone `tz_name`.
    ///
    /// # Errors
    /// A reason when the zone is unknown or there are no windows.
    pub fn new(
        tz_name: &str,
        windows: Vec<WeeklyWindow>,
        from_us: Option<i64>,
        until_us: Option<i64>,
    ) -> Result<Self, String> {
        let tz = TimeZone::get(tz_name).map_err(|_| format!("unknown IANA time zone {tz_name:?}"))?;
        if windows.is_empty() {
            return Err("schedule has no windows".into());
        }
        if let (Some(f), Some(u)) = (from_us, until_us) {
            if f > u {
                return Err("schedule `from` is after `until`".into());
            }
        }
        Ok(Schedule {
            tz_name: tz_name.to_string(),
            tz,
            windows,
            from_us,
            until_us,
        })
    }

    /// The active intervals overlapping `range`, sorted, merged where they
    /// touch or overlap, clipped to `from`/`until` but not to `range`.
    ///
    /// The work is proportional to the number of local days in `range`; pass
    /// a bounded range (an unbounded one is cut to 1900–2200).
    pub fn occurrences(&self, range: Window) -> Vec<Window> {
        const Y1900_US: i64 = -2_208_988_800_000_000;
        const Y2200_US: i64 = 7_258_118_400_000_000;
        let range = Window::from_us(range.start_us.max(Y1900_US), range.end_us.min(Y2200_US));
        let mut out: Vec<Window> = Vec::new();
        if range.is_empty() {
            return out;
        }
        let lo = range.start_us.max(self.from_us.unwrap_or(i64::MIN));
        let hi = range.end_us.min(self.until_us.unwrap_or(i64::MAX));
        if lo >= hi {
            return out;
        }
        let first: Date = self.tz.to_datetime(from_us(lo)).date();
        let last: Date = self.tz.to_datetime(from_us(hi)).date();
        let mut day = first.yesterday().unwrap_or(first);
        while day <= last {
            let wd = weekday_index(day.weekday());
            for w in &self.windows {
                if !w.days[wd] {
                    continue;
                }
                let s = resolve_local(&self.tz, day.to_datetime(w.start));
                let end_day = if w.end <= w.start {
                    day.tomorrow().unwrap_or(day)
                } else {
                    day
                };
                let e = resolve_local(&self.tz, end_day.to_datetime(w.end));
                let (s, e) = (to_us(s), to_us(e));
                let (s, e) = (
                    s.max(self.from_us.unwrap_or(i64::MIN)),
                    e.min(self.until_us.unwrap_or(i64::MAX)),
                );
                if s < e && e > lo && s < hi {
                    out.push(Window::from_us(s, e));
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        out.sort_by_key(|w| w.start_us);
        let mut merged: Vec<Window> = Vec::with_capacity(out.len());
        for w in out {
            match merged.last_mut() {
                Some(m) if w.start_us <= m.end_us => m.end_us = m.end_us.max(w.end_us),
                _ => merged.push(w),
            }
        }
        merged
    }

    /// Whether the schedule is active at `t_us`.
    pub fn is_active(&self, t_us: i64) -> bool {
        self.occurrences(Window::from_us(t_us, t_us + 1))
            .iter()
            .any(|w| w.contains_us(t_us))
    }
}

/// Parses `HH:MM` or `HH:MM:SS` (24-hour).
pub fn parse_local_time(s: &str) -> Option<Time> {
    let s = s.trim();
    if s == "24:00" {
        return None;
    }
    s.parse::<Time>()
        .ok()
        .filter(|_| s.len() >= 5 && s.as_bytes()[2] == b':')
}

/// Parses a weekday name (`mon`, `monday`, case-insensitive) to 0 = Monday.
pub fn parse_weekday(s: &str) -> Option<usize> {
    let l = s.trim().to_ascii_lowercase();
    let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    names
        .iter()
        .position(|n| *n == l)
        .or_else(|| full.iter().position(|n| *n == l))
}
