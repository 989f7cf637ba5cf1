//! `trailfence audit`: the store's lawful-access log (verify, show, policy),
//! and the access context (`--requested-by`, `--purpose`, `--case-ref`) a
//! trail request records in it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use trailfence::AccessContext;

use crate::Failure;

/// Who asks and why: recorded in the store's audit log with the request.
#[derive(Debug, Args, Default)]
pub struct AccessArgs {
    /// The person asking (name or staff id); recorded in the store's audit log.
    #[arg(long)]
    requested_by: Option<String>,
    /// Why the data is read; recorded in the store's audit log.
    #[arg(long)]
    purpose: Option<String>,
    /// The case or request reference; recorded in the store's audit log.
    #[arg(long)]
    case_ref: Option<String>,
}

impl AccessArgs {
    /// The access context an operation always needs (purge).
    pub fn required(&self, operation: &str) -> Result<AccessContext, Failure> {
        if self.requested_by.is_none() || self.purpose.is_none() {
            return Err(Failure::Input(format!(
                "{operation} is always recorded in the store's audit log: give --requested-by and --purpose (and --case-ref)"
            )));
        }
        let c = AccessContext {
            requested_by: self.requested_by.clone().unwrap_or_default(),
            purpose: self.purpose.clone().unwrap_or_default(),
            case_reference: self.case_ref.clone(),
        };
        c.validate()?;
        Ok(c)
    }

    /// The access context for a read of `store` (or of a file: none). A
    /// store whose policy requires one refuses a read without it.
    pub fn context(&self, store: Option<&Path>) -> Result<Option<AccessContext>, Failure> {
        let given = self.requested_by.is_some() || self.purpose.is_some() || self.case_ref.is_some();
        let Some(dir) = store else {
            if given {
                return Err(Failure::Input(
                    "--requested-by/--purpose/--case-ref record access in a store's audit log: they need --store"
                        .into(),
                ));
            }
            return Ok(None);
        };
        if !given {
            if trailfence::requires_access_context(dir)? {
                return Err(Failure::Input(format!(
                    "{}: this store requires an access context: give --requested-by and --purpose (and --case-ref)",
                    dir.display()
                )));
            }
            return Ok(None);
        }
        let c = AccessContext {
            requested_by: self.requested_by.clone().unwrap_or_default(),
            purpose: self.purpose.clone().unwrap_or_default(),
            case_reference: self.case_ref.clone(),
        };
        c.validate()?;
        Ok(Some(c))
    }
}

/// Arguments of `trailfence audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    action: AuditAction,
}

/// What `trailfence audit` does.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the audit log's chain: exit 0 and the record count and head hash when intact, exit 2
    /// naming the first edited, deleted, reordered or missing record otherwise.
    Verify {
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
    },
    /// Print audit records (JSON lines), filtered by subject, person or date (UTC).
    Show {
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
        /// Only records naming this subject.
        #[arg(long)]
        subject: Option<String>,
        /// Only records requested by this person.
        #[arg(long)]
        person: Option<String>,
        /// Only records made on this UTC date (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
    },
    /// Require (or stop requiring) an access context for every trail request on the store.
    Policy {
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
        /// Require --requested-by and --purpose.
        #[arg(long, conflicts_with = "no_require")]
        require: bool,
        /// Do not require them.
        #[arg(long)]
        no_require: bool,
    },
}

/// Runs `trailfence audit`.
pub fn run(args: AuditArgs) -> Result<(), Failure> {
    match args.action {
        AuditAction::Verify { store } => {
            let s = trailfence::verify_audit(&store)?;
            println!(
                "{}: audit log intact: {} records, head {}",
                store.display(),
                s.records,
                s.head_hash
            );
        }
        AuditAction::Show {
            store,
            subject,
            person,
            date,
        } => {
            let mut out = std::io::stdout().lock();
            for r in trailfence::read_audit(&store)? {
                let keep = subject.as_ref().is_none_or(|s| r.subjects.contains(s))
                    && person.as_ref().is_none_or(|p| &r.context.requested_by == p)
                    && date.as_ref().is_none_or(|d| r.time.starts_with(d.as_str()));
                if keep {
                    let line = serde_json::to_string(&r).map_err(|e| Failure::Io(e.to_string()))?;
                    writeln!(out, "{line}")?;
                }
            }
        }
        AuditAction::Policy {
            store,
            require,
            no_require,
        } => {
            if !require && !no_require {
                let now = trailfence::requires_access_context(&store)?;
                println!("access context required: {now}");
            } else {
                trailfence::set_access_policy(&store, require)?;
            }
        }
    }
    Ok(())
}
