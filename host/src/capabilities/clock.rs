//! `clock`: wall and run-relative time for decisions, and capped host-side sleeps.

use std::time::{Duration, Instant};

use super::HostState;
use crate::engine::bindings::{clock, types::Error};

impl clock::Host for HostState {
    async fn wall_now_us(&mut self) -> wasmtime::Result<u64> {
        Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0))
    }

    async fn monotonic_now_us(&mut self) -> wasmtime::Result<u64> {
        Ok(self.ctx.recorder.now_us())
    }

    async fn sleep_us(&mut self, duration_us: u64) -> wasmtime::Result<Result<(), Error>> {
        let cap_s = self.ctx.config.limits.max_sleep_s;
        let d = Duration::from_micros(duration_us);
        if d.as_secs_f64() > cap_s {
            return Ok(Err(Error::Invalid(format!(
                "sleep of {} s is over the cap of {cap_s} s (limits.max_sleep_s)",
                d.as_secs_f64()
            ))));
        }
        if Instant::now()
            .checked_add(d)
            .is_none_or(|end| end > self.ctx.deadline)
        {
            return Ok(Err(Error::BudgetExhausted(format!(
                "sleep of {} s would pass the run's wall-time budget (limits.max_wall_time_s)",
                d.as_secs_f64()
            ))));
        }
        tokio::time::sleep(d).await;
        Ok(Ok(()))
    }
}
