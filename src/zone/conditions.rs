//! Licence conditions beyond a zone's own definition: per-subject authorised
//! absences and alert suspensions (zone versions are zones with an
//! [`Effective`](super::Effective) interval), and the interval arithmetic
//! that turns them into the instants a (subject, zone) rule is lifted.
//!
//! Time inside an authorised absence or a suspension is never a breach: the
//! engine subtracts these intervals from a zone's active windows for that
//! subject, so an episode crossing one is cut there, and curfew rows report
//! the time apart (`authorised_s`, `suspended_s`). A suspension takes
//! precedence over an absence where both apply.

use std::collections::HashMap;

/// An authorised absence: the subject may be outside its inclusion zones
/// (and inside the listed exclusion zones) during `[from_us, until_us)`.
/// Often recorded after the event (the person phoned in); a monitor applies
/// it retroactively with `Monitor::update_conditions`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Absence {
    /// The subject it authorises.
    pub subject: String,
    /// Start, UTC µs (inclusive).
    pub from_us: i64,
    /// End, UTC µs (exclusive).
    pub until_us: i64,
    /// The zone ids it covers (every version of each); `None` = every zone
    /// that applies to the subject.
    pub zones: Option<Vec<String>>,
    /// Why (e.g. "hospital appointment").
    pub reason: String,
    /// The authorising record (case or decision reference), if any.
    pub reference: Option<String>,
}

/// A suspension of alerts for some subjects (custody, a device known to be
/// faulty): no rule applies to them during `[from_us, until_us)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Suspension {
    /// The subjects suspended (at least one).
    pub subjects: Vec<String>,
    /// Start, UTC µs (inclusive).
    pub from_us: i64,
    /// End, UTC µs (exclusive).
    pub until_us: i64,
    /// Why (e.g. "in custody").
    pub reason: String,
    /// The record it comes from, if any.
    pub reference: Option<String>,
}

/// Authorised absences and suspensions, as read from a zone file's
/// `conditions` member (see `docs/schema/zones.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conditions {
    /// Authorised absences, in file order.
    pub absences: Vec<Absence>,
    /// Suspensions, in file order.
    pub suspensions: Vec<Suspension>,
}

impl Conditions {
    /// Whether there is no absence and no suspension.
    pub fn is_empty(&self) -> bool {
        self.absences.is_empty() && self.suspensions.is_empty()
    }
}

/// The instants a (subject, zone) rule is lifted, UTC µs, each list sorted,
/// disjoint and merged. `suspended` wins where both apply, so the two never
/// overlap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifted {
    /// Inside an authorised absence and not suspended.
    pub authorised: Vec<(i64, i64)>,
    /// Inside a suspension.
    pub suspended: Vec<(i64, i64)>,
}

impl Lifted {
    /// Whether nothing is lifted.
    pub fn is_empty(&self) -> bool {
        self.authorised.is_empty() && self.suspended.is_empty()
    }

    /// Both lists as one sorted, merged list.
    pub fn all(&self) -> Vec<(i64, i64)> {
        let mut v: Vec<(i64, i64)> = self.authorised.iter().chain(&self.suspended).copied().collect();
        merge(&mut v);
        v
    }
}

/// The conditions indexed by subject (built once with the zone set).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConditionIndex {
    /// Absences by subject (indices into `Conditions::absences`).
    absences: HashMap<String, Vec<usize>>,
    /// Suspensions by subject (indices into `Conditions::suspensions`).
    suspensions: HashMap<String, Vec<usize>>,
}

impl ConditionIndex {
    pub(crate) fn new(c: &Conditions) -> Self {
        let mut ix = ConditionIndex::default();
        for (i, a) in c.absences.iter().enumerate() {
            ix.absences.entry(a.subject.clone()).or_default().push(i);
        }
        for (i, s) in c.suspensions.iter().enumerate() {
            for subject in &s.subjects {
                let v = ix.suspensions.entry(subject.clone()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        ix
    }

    /// Whether `subject` has any absence or suspension.
    pub(crate) fn has(&self, subject: &str) -> bool {
        self.absences.contains_key(subject) || self.suspensions.contains_key(subject)
    }

    /// The lifted intervals of `subject` for the zone `zone_id`.
    pub(crate) fn lifted(&self, c: &Conditions, subject: &str, zone_id: &str) -> Lifted {
        let mut suspended: Vec<(i64, i64)> = self
            .suspensions
            .get(subject)
            .into_iter()
            .flatten()
            .map(|&i| (c.suspensions[i].from_us, c.suspensions[i].until_us))
            .filter(|(a, b)| a < b)
            .collect();
        merge(&mut suspended);
        let mut authorised: Vec<(i64, i64)> = self
            .absences
            .get(subject)
            .into_iter()
            .flatten()
            .map(|&i| &c.absences[i])
            .filter(|a| a.zones.as_ref().is_none_or(|z| z.iter().any(|z| z == zone_id)))
            .map(|a| (a.from_us, a.until_us))
            .filter(|(a, b)| a < b)
            .collect();
        merge(&mut authorised);
        let authorised = subtract(&authorised, &suspended);
        Lifted { authorised, suspended }
    }
}

/// Sorts and merges intervals that overlap or touch.
pub(crate) fn merge(v: &mut Vec<(i64, i64)>) {
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for &(a, b) in v.iter() {
        match out.last_mut() {
            Some(m) if a <= m.1 => m.1 = m.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *v = out;
}

/// `a` minus `b`, both sorted and disjoint; the result sorted and disjoint
/// (empty pieces dropped).
pub(crate) fn subtract(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &(mut s, e) in a {
        while j < b.len() && b[j].1 <= s {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].0 < e {
            if b[k].0 > s {
                out.push((s, b[k].0));
            }
            s = s.max(b[k].1);
            k += 1;
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

/// Total length of the overlap of `[a, b)` with sorted, disjoint intervals.
pub(crate) fn overlap_us(a: i64, b: i64, ivs: &[(i64, i64)]) -> i64 {
    ivs.iter().map(|&(s, e)| (e.min(b) - s.max(a)).max(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_arithmetic() {
        let mut v = vec![(5, 7), (1, 3), (3, 4), (6, 9)];
        merge(&mut v);
        assert_eq!(v, vec![(1, 4), (5, 9)]);
        assert_eq!(subtract(&[(0, 10)], &[(2, 3), (5, 7)]), vec![(0, 2), (3, 5), (7, 10)]);
        assert_eq!(
            subtract(&[(0, 10), (12, 14)], &[(-5, 1), (9, 13)]),
            vec![(1, 9), (13, 14)]
        );
        assert_eq!(subtract(&[(0, 10)], &[(0, 10)]), vec![]);
        assert_eq!(overlap_us(0, 10, &[(-3, 2), (4, 5), (9, 30)]), 4);
    }

    #[test]
    fn suspension_wins_over_absence() {
        let c = Conditions {
            absences: vec![Absence {
                subject: "S".into(),
                from_us: 0,
                until_us: 100,
                zones: Some(vec!["home".into()]),
                reason: "hospital".into(),
                reference: None,
            }],
            suspensions: vec![Suspension {
                subjects: vec!["S".into()],
                from_us: 50,
                until_us: 150,
                reason: "custody".into(),
                reference: None,
            }],
        };
        let ix = ConditionIndex::new(&c);
        let l = ix.lifted(&c, "S", "home");
        assert_eq!(l.authorised, vec![(0, 50)]);
        assert_eq!(l.suspended, vec![(50, 150)]);
        assert_eq!(l.all(), vec![(0, 150)]);
        // The absence covers "home" only; the suspension every zone.
        assert_eq!(ix.lifted(&c, "S", "school").authorised, vec![]);
        assert_eq!(ix.lifted(&c, "S", "school").suspended, vec![(50, 150)]);
        assert!(ix.lifted(&c, "T", "home").is_empty());
    }
}
