//! Agreement with independent oracles: the IANA tz vectors of
//! `../shared/testdata` and a brute-force scan of the index.

mod crossings;
mod dst;
mod engine;
mod geometry;
mod index;
mod schedule;
