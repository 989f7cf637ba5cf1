//! The evidence-model flags shared by `breaches`, `curfew` and `monitor`
//! (defaults: the core's [`EvidenceModel::default`]).

use clap::Args;
use trailfence::evidence::EvidenceModel;

/// How fixes become a verdict (see DESIGN.md, "Evidence and verdicts").
#[derive(Debug, Args, Default)]
pub struct EvidenceArgs {
    /// Confidence level of the accuracy radius the source reports, in (0, 1) [default: 0.68].
    #[arg(long)]
    pub accuracy_level: Option<f64>,
    /// Probability at or above which an episode is confirmed, in (0, 1) [default: 0.9].
    #[arg(long)]
    pub confirm_probability: Option<f64>,
    /// Correlation time of a device's position error, seconds [default: 600].
    #[arg(long)]
    pub drift_tau_s: Option<f64>,
    /// A violating fix whose out-and-back detour needs more than this speed is an outlier, m/s [default: 3].
    #[arg(long)]
    pub outlier_speed_mps: Option<f64>,
}

impl EvidenceArgs {
    /// `base` with the flags given in place of its fields.
    pub fn over(&self, base: EvidenceModel) -> EvidenceModel {
        EvidenceModel {
            accuracy_level: self.accuracy_level.unwrap_or(base.accuracy_level),
            confirm_probability: self.confirm_probability.unwrap_or(base.confirm_probability),
            drift_tau_s: self.drift_tau_s.unwrap_or(base.drift_tau_s),
            outlier_speed_mps: self.outlier_speed_mps.unwrap_or(base.outlier_speed_mps),
            ..base
        }
    }

    /// The flags given, with the value each names in `saved` (for refusing
    /// a restart whose flags differ from the checkpoint's).
    pub fn given_against(&self, saved: &EvidenceModel) -> [(&'static str, Option<f64>, Option<f64>); 4] {
        [
            ("--accuracy-level", self.accuracy_level, Some(saved.accuracy_level)),
            (
                "--confirm-probability",
                self.confirm_probability,
                Some(saved.confirm_probability),
            ),
            ("--drift-tau-s", self.drift_tau_s, Some(saved.drift_tau_s)),
            (
                "--outlier-speed-mps",
                self.outlier_speed_mps,
                Some(saved.outlier_speed_mps),
            ),
        ]
    }
}
