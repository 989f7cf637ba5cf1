//! Agreement with independent oracles: the IANA tz vectors of
//! `../shared/testdata` and a brute-force scan of the index.

mod dst;
mod index;
