//! Per-Store limits. Growth past a limit traps the guest, and the limiter remembers
//! which limit it was so the run ends with a clear error instead of a bare trap.

use wasmtime::ResourceLimiter;

use crate::config::GuestLimits;

/// Which limit stopped a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitHit {
    Memory { limit_bytes: usize },
    Table { limit_elements: usize },
}

pub struct GuestLimiter {
    memory_bytes: usize,
    table_elements: usize,
    instances: usize,
    pub hit: Option<LimitHit>,
}

impl GuestLimiter {
    pub fn new(limits: &GuestLimits) -> Self {
        Self {
            memory_bytes: (limits.max_memory_mb as usize).saturating_mul(1024 * 1024),
            table_elements: limits.max_table_elements as usize,
            instances: limits.max_instances as usize,
            hit: None,
        }
    }
}

impl ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit = Some(LimitHit::Memory {
                limit_bytes: self.memory_bytes,
            });
            return Err(wasmtime::Error::msg(format!(
                "guest memory limit of {} MiB exceeded",
                self.memory_bytes / (1024 * 1024)
            )));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.hit = Some(LimitHit::Table {
                limit_elements: self.table_elements,
            });
            return Err(wasmtime::Error::msg(format!(
                "guest table limit of {} elements exceeded",
                self.table_elements
            )));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.instances.saturating_mul(4)
    }

    fn memories(&self) -> usize {
        self.instances.saturating_mul(2)
    }
}
