//! `results`: series labels, discards, the guest's own measurements and notes.

use super::HostState;
use crate::engine::bindings::results;
use crate::measure::Event;

impl results::Host for HostState {
    async fn begin_series(&mut self, name: String) -> wasmtime::Result<()> {
        self.check_arg("name", name.len())?;
        let at_us = self.ctx.recorder.now_us();
        self.ctx.event(&Event::Series {
            name: name.clone(),
            at_us,
        });
        self.series = name;
        Ok(())
    }

    async fn discard(&mut self, request_id: String, reason: String) -> wasmtime::Result<()> {
        self.check_arg("request-id", request_id.len())?;
        self.check_arg("reason", reason.len())?;
        self.ctx.policies.discarded(&request_id);
        self.ctx.event(&Event::Discard { request_id, reason });
        Ok(())
    }

    async fn measurement(
        &mut self,
        series: String,
        name: String,
        value: f64,
        unit: String,
    ) -> wasmtime::Result<()> {
        self.check_arg("series", series.len())?;
        self.check_arg("name", name.len())?;
        self.check_arg("unit", unit.len())?;
        self.ctx.event(&Event::Measurement {
            series,
            name,
            value,
            unit,
        });
        Ok(())
    }

    async fn note(&mut self, text: String) -> wasmtime::Result<()> {
        self.check_arg("text", text.len())?;
        self.ctx.event(&Event::Note { text });
        Ok(())
    }
}
