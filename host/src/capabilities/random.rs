//! `random`: a ChaCha12 stream seeded by the host; the seed is in the manifest.

use rand::{Rng, RngExt};

use super::HostState;
use crate::engine::bindings::random;

impl random::Host for HostState {
    async fn seed(&mut self) -> wasmtime::Result<u64> {
        Ok(self.ctx.seed)
    }

    async fn next_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.rng.next_u64())
    }

    async fn next_f64(&mut self) -> wasmtime::Result<f64> {
        Ok(self.rng.random::<f64>())
    }
}
