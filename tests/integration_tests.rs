//! The one integration test binary: public API behaviour (`api`), agreement
//! with independent oracles and brute force (`oracle`), the command line
//! (`cli`) and regression tests named after what they pin (`regression`).

mod api;
mod cli;
mod fuzz;
mod oracle;
mod regression;
mod util;
