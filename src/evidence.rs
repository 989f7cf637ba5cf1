//! The statistical model of the evidence behind a verdict: what a fix's
//! `accuracy_m` means, how far beyond a boundary a fix is in units of its
//! error, which fixes are outliers, how the fixes of an episode combine
//! (errors of a stationary device are correlated in time), and the
//! probability that the subject really was on the violating side. The
//! episode engine (batch breaches, curfews and the monitor alike) folds each
//! violating fix into an [`Evidence`] accumulator; nothing else decides
//! `confirmed` or `possible`. DESIGN.md ("Evidence and verdicts") says why.

use crate::geodesy::LocalFrame;

/// Largest margin shown for one fix, in units of its error (σ): beyond it
/// the distance to the boundary is not computed exactly (it cannot change a
/// verdict), and the fix is shown as "at least this many σ".
pub const MAX_SHOWN_SIGMA: f64 = COMBINE_CAP_SIGMA;

/// The evidence model: how fixes become a probability. Every field is
/// documented with its unit; [`EvidenceModel::default`] is what every surface
/// uses unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceModel {
    /// The confidence level of the accuracy radius the source reports, in
    /// (0, 1): 0.68 (the default) as Android's `getAccuracy()` documents,
    /// 0.95 for devices that say so. The per-axis error σ (metres) of a fix
    /// is `accuracy_m / sqrt(-2 ln(1 - level))` (a circular Gaussian: the
    /// radius holding `level` of fixes), so 68 % → σ = accuracy / 1.51.
    pub accuracy_level: f64,
    /// Correlation time of a device's position error, seconds (default
    /// 600, indoor drift): errors of fixes `dt` apart correlate as `exp(-dt / drift_tau_s)`
    /// (a Gauss–Markov drift, as indoors at night), so ten fixes a minute
    /// apart are not ten independent pieces of evidence.
    pub drift_tau_s: f64,
    /// A violating fix is an outlier when the detour it implies (reaching it
    /// from the fix before and returning to the fix after, beyond the
    /// straight path, less three of its σ) needs more than this speed,
    /// metres per second (default 3.0: a run; a tagged person at home who
    /// "jumps" 120 m for one fix needs 2 × 120 m in two minutes). Outliers are
    /// kept and shown but add no evidence.
    pub outlier_speed_mps: f64,
    /// Path uncertainty of interpolation as a fraction of the segment length
    /// (default 0.05): an episode seen only between two fixes (a drive-through)
    /// is judged on the interpolated position, whose error adds this much of
    /// the distance between the fixes (the real path may curve).
    pub path_fraction: f64,
    /// Probability at or above which an episode is `confirmed` (default 0.9:
    /// the operating point chosen on the verdict benchmark, see DESIGN.md).
    pub confirm_probability: f64,
    /// Calibration of the probability, `p = 1 / (1 + exp(-(a + b Z + c ln
    /// E + d ln n + e ln Z)))` with `Z` the combined margin (σ, at least
    /// 0.05 inside the logarithm), `E` the evidence's typical error σ in
    /// metres (poor fixes drift and are understated more often, so they need
    /// a larger margin; `ln Z + ln E` is the margin in metres, which an
    /// understated accuracy does not inflate), `n` the supporting fixes (at
    /// least 1), and `(a, b, c, d, e)` chosen by the kind of evidence:
    /// interpolation only (no supporting fix), one supporting fix, two or
    /// more — fifteen numbers in that order. Fitted by logistic regression on
    /// the verdict benchmark (`benches/verdict`, seed 1) and checked on
    /// other seeds; see DESIGN.md.
    pub calibration: [f64; 15],
    /// A monotone map applied after the logistic: the calibrated
    /// probability at each of [`RECALIBRATION_KNOTS`] (the logistic's
    /// value), linear in between. Fitted with the calibration (isotonic
    /// regression, pool-adjacent-violators): the logistic ranks episodes
    /// well but is too flat in the middle. The knots themselves are the
    /// identity.
    pub recalibration: [f64; 13],
}

/// The logistic values at which [`EvidenceModel::recalibration`] is given.
pub const RECALIBRATION_KNOTS: [f64; 13] = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0];

impl Default for EvidenceModel {
    fn default() -> Self {
        EvidenceModel {
            accuracy_level: 0.68,
            drift_tau_s: 600.0,
            outlier_speed_mps: 3.0,
            path_fraction: 0.05,
            confirm_probability: 0.9,
            calibration: DEFAULT_CALIBRATION,
            recalibration: DEFAULT_RECALIBRATION,
        }
    }
}

/// The fitted default calibration (see [`EvidenceModel::calibration`]).
pub const DEFAULT_CALIBRATION: [f64; 15] = [
    -7.7972, -1.1691, 2.9789, 0.0, 2.8592, 4.5224, 0.0967, -3.2117, 0.0, 0.5294, 0.5575, 1.9048, -2.143, 0.4255, 0.4983,
];

/// The fitted default recalibration (see [`EvidenceModel::recalibration`]).
pub const DEFAULT_RECALIBRATION: [f64; 13] = [
    0.0, 0.0356, 0.0928, 0.1854, 0.2498, 0.3783, 0.4008, 0.5192, 0.7417, 0.8984, 0.9749, 0.9818, 1.0,
];

/// The smallest combined margin (σ) inside the calibration's logarithm.
pub const MIN_LOG_SIGMA: f64 = 0.05;

/// The smallest σ (metres) the model takes from a fix: a claimed error below
/// it is not believed (no phone fix is better than this).
pub const MIN_SIGMA_M: f64 = 0.5;

/// The 68 % radius (metres) from which a fix's error is taken to drift for
/// the full [`EvidenceModel::drift_tau_s`].
pub const DRIFT_FULL_ACCURACY_M: f64 = 30.0;

/// Per-fix margins are clipped at this many σ before they are combined:
/// beyond it the Gaussian tail is no longer what limits the evidence
/// (multipath outliers are far more common than 4 σ errors).
pub const COMBINE_CAP_SIGMA: f64 = 4.0;

impl EvidenceModel {
    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::Option`] naming the first bad field.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let unit = |name: &'static str, v: f64| {
            crate::options::check(
                name,
                v,
                v > 0.0 && v < 1.0,
                "must be a probability strictly between 0 and 1",
            )
        };
        unit("accuracy_level", self.accuracy_level)?;
        unit("confirm_probability", self.confirm_probability)?;
        crate::options::positive_seconds("drift_tau_s", self.drift_tau_s)?;
        crate::options::check(
            "outlier_speed_mps",
            self.outlier_speed_mps,
            self.outlier_speed_mps > 0.0 && self.outlier_speed_mps < 1e4,
            "must be a speed in metres per second, > 0",
        )?;
        crate::options::check(
            "path_fraction",
            self.path_fraction,
            (0.0..=1.0).contains(&self.path_fraction),
            "must be a fraction between 0 and 1",
        )?;
        for c in &self.calibration {
            crate::options::check("calibration", *c, c.is_finite(), "must be finite numbers")?;
        }
        let r = &self.recalibration;
        for (k, v) in r.iter().enumerate() {
            crate::options::check(
                "recalibration",
                *v,
                (0.0..=1.0).contains(v) && (k == 0 || r[k - 1] <= *v),
                "must be probabilities in non-decreasing order",
            )?;
        }
        Ok(())
    }

    /// The correlation time (seconds) between two fixes with errors `s0_m`
    /// and `s1_m` (σ, metres): [`EvidenceModel::drift_tau_s`] for poor fixes
    /// (mean 68 % radius of [`DRIFT_FULL_ACCURACY_M`] or more: indoors, where
    /// drift is slow), proportionally shorter for better ones (open sky and
    /// moving devices decorrelate in tens of seconds).
    pub fn drift_tau(&self, s0_m: f64, s1_m: f64) -> f64 {
        let r68 = 0.5 * (s0_m + s1_m) * (-2.0 * (1.0 - 0.68f64).ln()).sqrt();
        (self.drift_tau_s * (r68 / DRIFT_FULL_ACCURACY_M).min(1.0)).max(1.0)
    }

    /// Per-axis error σ in metres of a fix reporting `accuracy_m`.
    #[inline]
    pub fn sigma_m(&self, accuracy_m: f64) -> f64 {
        accuracy_m / (-2.0 * (1.0 - self.accuracy_level).ln()).sqrt()
    }

    /// The probability for a combined margin `z` (σ) from `n` supporting
    /// fixes (0: interpolation only) whose typical error σ is `error_m`
    /// metres (see [`EvidenceModel::calibration`]).
    pub fn probability(&self, z: f64, n: u32, error_m: f64) -> f64 {
        let g = 5 * (n.min(2) as usize);
        let c = &self.calibration[g..g + 5];
        let x = c[0]
            + c[1] * z
            + c[2] * error_m.max(MIN_SIGMA_M).ln()
            + c[3] * f64::from(n.max(1)).ln()
            + c[4] * z.max(MIN_LOG_SIGMA).ln();
        self.recalibrate(1.0 / (1.0 + (-x).exp()))
    }

    /// The [`EvidenceModel::recalibration`] map at logistic value `q`.
    pub fn recalibrate(&self, q: f64) -> f64 {
        let k = RECALIBRATION_KNOTS
            .partition_point(|&x| x <= q)
            .clamp(1, RECALIBRATION_KNOTS.len() - 1);
        let (x0, x1) = (RECALIBRATION_KNOTS[k - 1], RECALIBRATION_KNOTS[k]);
        let (y0, y1) = (self.recalibration[k - 1], self.recalibration[k]);
        (y0 + (y1 - y0) * ((q - x0) / (x1 - x0)).clamp(0.0, 1.0)).clamp(0.0, 1.0)
    }

    /// Whether a detour through `x` from `a` to `b` (each `(lon, lat,
    /// t_us)`; `b` may be unknown) is implausibly fast: see
    /// [`EvidenceModel::outlier_speed_mps`]. `sigma_x` is the fix's σ.
    pub fn is_outlier(
        &self,
        a: Option<(f64, f64, i64)>,
        x: (f64, f64, i64),
        b: Option<(f64, f64, i64)>,
        sigma_x: f64,
    ) -> bool {
        let (Some(a), Some(b)) = (a, b) else { return false };
        if !(a.2 < x.2 && x.2 < b.2) {
            return false;
        }
        let dt_s = (b.2 - a.2) as f64 / 1e6;
        let budget = self.outlier_speed_mps * dt_s + 2.0 * 3.0 * sigma_x;
        // An upper bound of |AX| + |XB| without trigonometry (a degree of
        // longitude or latitude is at most 111.7 km): most fixes stop here.
        let bound = 111_700.0 * ((a.0 - x.0).abs() + (a.1 - x.1).abs() + (b.0 - x.0).abs() + (b.1 - x.1).abs());
        if bound <= budget {
            return false;
        }
        let frame = LocalFrame::new(x.0, x.1);
        let pa = frame.to_xy(a.0, a.1);
        let pb = frame.to_xy(b.0, b.1);
        let d = |p: (f64, f64), q: (f64, f64)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
        let excess = d(pa, (0.0, 0.0)) + d((0.0, 0.0), pb) - d(pa, pb) - 2.0 * 3.0 * sigma_x;
        excess > self.outlier_speed_mps * dt_s
    }
}

/// A fix held back until the fix after it arrives (the outlier test needs
/// both neighbours).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Pending {
    /// Margin beyond the boundary, σ (clipped at [`MAX_SHOWN_SIGMA`]).
    z: f64,
    sigma_m: f64,
    x: (f64, f64, i64),
    a: Option<(f64, f64, i64)>,
}

/// What the fixes of one episode say, folded one fix at a time: bounded in
/// size, serialisable (monitor checkpoints), the same in batch and monitor.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// Σ x·u of the AR(1) generalised-least-squares fit of a constant margin.
    sxu: f64,
    /// Σ x² of that fit (the information, in units of one fix).
    sxx: f64,
    /// The last margin folded in (σ), its fix's σ (metres) and time (UTC
    /// µs; `i64::MIN` none).
    last_z: f64,
    #[serde(default)]
    last_sigma_m: f64,
    last_t_us: i64,
    /// Fixes folded in (violating, with an accuracy, not outliers).
    pub support: u32,
    /// Violating fixes judged outliers.
    pub outliers: u32,
    /// Largest margin of a supporting fix, σ (0 when none).
    pub max_sigma: f64,
    /// Best margin of the interpolated position (σ) for an episode seen only
    /// between fixes; `None` when no segment gave one.
    interp_z: Option<f64>,
    /// Σ ln σ (metres) of the fixes folded in, and ln σ of the interpolated
    /// position behind `interp_z`: the fixes' quality, which the calibration
    /// weighs (poor indoor fixes need a larger margin).
    #[serde(default)]
    sum_ln_sigma: f64,
    #[serde(default)]
    interp_ln_sigma: f64,
    pending: Option<Pending>,
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence {
            sxu: 0.0,
            sxx: 0.0,
            last_z: 0.0,
            last_sigma_m: 0.0,
            last_t_us: i64::MIN,
            support: 0,
            outliers: 0,
            max_sigma: 0.0,
            interp_z: None,
            sum_ln_sigma: 0.0,
            interp_ln_sigma: 0.0,
            pending: None,
        }
    }
}

impl Evidence {
    /// Holds a violating fix `x` with margin `z` (σ) and error `sigma_m`,
    /// whose predecessor is `a`, until its successor is known.
    pub(crate) fn hold(
        &mut self,
        m: &EvidenceModel,
        z: f64,
        sigma_m: f64,
        x: (f64, f64, i64),
        a: Option<(f64, f64, i64)>,
    ) {
        self.resolve(m, None);
        self.pending = Some(Pending { z, sigma_m, x, a });
    }

    /// Decides the held fix with its successor `b` (`None`: there is none).
    pub(crate) fn resolve(&mut self, m: &EvidenceModel, b: Option<(f64, f64, i64)>) {
        let Some(p) = self.pending.take() else { return };
        if m.is_outlier(p.a, p.x, b, p.sigma_m) {
            self.outliers += 1;
        } else {
            self.fold(m, p.z, p.sigma_m, p.x.2);
        }
    }

    /// Folds one supporting margin `z` (σ, of a fix with error `sigma_m`)
    /// at `t_us` into the AR(1) fit.
    fn fold(&mut self, m: &EvidenceModel, z: f64, sigma_m: f64, t_us: i64) {
        self.max_sigma = self.max_sigma.max(z);
        let z = z.min(COMBINE_CAP_SIGMA);
        if self.last_t_us == i64::MIN || t_us <= self.last_t_us {
            self.sxu += z;
            self.sxx += 1.0;
        } else {
            let rho = (-((t_us - self.last_t_us) as f64 / 1e6) / m.drift_tau(self.last_sigma_m, sigma_m)).exp();
            // x = sqrt((1-ρ)/(1+ρ)), u = (z - ρ z₋)/sqrt(1-ρ²): x·u and x² in
            // forms that stay finite as ρ → 1.
            self.sxu += (z - rho * self.last_z) / (1.0 + rho);
            self.sxx += (1.0 - rho) / (1.0 + rho);
        }
        self.last_z = z;
        self.last_sigma_m = sigma_m;
        self.last_t_us = t_us;
        self.support += 1;
        self.sum_ln_sigma += sigma_m.max(MIN_SIGMA_M).ln();
    }

    /// Records the margin `z` (σ) of an interpolated position whose error
    /// is `sigma_m`.
    pub(crate) fn interpolated(&mut self, z: f64, sigma_m: f64) {
        if self.interp_z.is_none_or(|v| z > v) {
            self.interp_z = Some(z);
            self.interp_ln_sigma = sigma_m.max(MIN_SIGMA_M).ln();
        }
    }

    /// Takes `whole`'s interpolation evidence when these fixes (a clipped
    /// part of the episode `whole`) support nothing themselves.
    pub(crate) fn keep_interpolation_of(&mut self, whole: &Evidence) {
        if self.supporting() == 0 {
            self.interp_z = whole.interp_z;
            self.interp_ln_sigma = whole.interp_ln_sigma;
        }
    }

    /// Adds another episode's evidence (debounce merges two episodes; their
    /// fits are added as if independent).
    pub(crate) fn merge(&mut self, m: &EvidenceModel, other: &Evidence) {
        let mut o = *other;
        o.resolve(m, None);
        self.resolve(m, None);
        self.sxu += o.sxu;
        self.sxx += o.sxx;
        if o.last_t_us > self.last_t_us {
            self.last_z = o.last_z;
            self.last_sigma_m = o.last_sigma_m;
            self.last_t_us = o.last_t_us;
        }
        self.support += o.support;
        self.sum_ln_sigma += o.sum_ln_sigma;
        self.outliers += o.outliers;
        self.max_sigma = self.max_sigma.max(o.max_sigma);
        if let Some(z) = o.interp_z {
            if self.interp_z.is_none_or(|v| z > v) {
                self.interp_z = Some(z);
                self.interp_ln_sigma = o.interp_ln_sigma;
            }
        }
    }

    /// The combined margin `Z` (σ of the fitted mean margin), counting the
    /// held fix as supporting: from the fixes when any support the episode,
    /// else from interpolation; `None` without any evidence.
    pub fn combined_sigma(&self, m: &EvidenceModel) -> Option<f64> {
        let mut e = *self;
        if let Some(p) = e.pending.take() {
            e.fold(m, p.z, p.sigma_m, p.x.2);
        }
        if e.support > 0 {
            Some(e.sxu / e.sxx.sqrt())
        } else {
            e.interp_z.map(|z| z.min(COMBINE_CAP_SIGMA))
        }
    }

    /// The typical error of the evidence, metres: the geometric mean σ of
    /// the supporting fixes (a held fix counts), else of the interpolated
    /// position; `None` without evidence.
    pub fn mean_error_m(&self) -> Option<f64> {
        let (n, sum) = match self.pending {
            Some(p) => (self.support + 1, self.sum_ln_sigma + p.sigma_m.max(MIN_SIGMA_M).ln()),
            None => (self.support, self.sum_ln_sigma),
        };
        if n > 0 {
            Some((sum / f64::from(n)).exp())
        } else {
            self.interp_z.map(|_| self.interp_ln_sigma.exp())
        }
    }

    /// The probability that the subject really was on the violating side.
    pub fn probability(&self, m: &EvidenceModel) -> f64 {
        match (self.combined_sigma(m), self.mean_error_m()) {
            (Some(z), Some(e)) => m.probability(z, self.supporting(), e),
            _ => 0.0,
        }
    }

    /// Supporting fixes (a held fix counts).
    pub fn supporting(&self) -> u32 {
        self.support + u32::from(self.pending.is_some())
    }

    /// Largest margin of a supporting fix, σ (a held fix counts).
    pub fn max_margin_sigma(&self) -> f64 {
        self.max_sigma.max(self.pending.map_or(0.0, |p| p.z))
    }
}
