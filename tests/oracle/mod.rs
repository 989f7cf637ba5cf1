//! Agreement with independent oracles: the IANA tz vectors of
//! `../shared/testdata` and a brute-force scan of the index.

mod crossings;
mod dst;
#[cfg(feature = "internals")]
mod engine;
mod geometry;
mod h3;
mod index;
mod near;
mod schedule;
