//! The instance pool of the local platforms (local-process, local-docker): idle
//! instances, most recently used first out (warm), a generation bumped by cold-start
//! enforcement and redeploys so older instances are retired, the deployed code and
//! configuration, and a permit per instance slot.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::FunctionConfig;

/// An instance a pool can hold.
pub trait Pooled: Send + 'static {
    /// The generation the instance was started in.
    fn generation(&self) -> u64;
    fn last_used(&self) -> Instant;
    fn touch(&mut self);
    /// Stop it (in the background).
    fn kill(self);
}

/// What an instance is started from.
pub struct Deployed {
    pub package_dir: PathBuf,
    pub code_hash: String,
    pub config: FunctionConfig,
}

struct State<I> {
    deployed: Deployed,
    generation: u64,
    idle: Vec<I>,
}

pub struct Pool<I> {
    state: Mutex<State<I>>,
    pub permits: Semaphore,
    max_instances: usize,
    idle_timeout: Option<Duration>,
}

impl<I: Pooled> Pool<I> {
    pub fn new(deployed: Deployed, max_instances: u32, idle_timeout: Option<Duration>) -> Self {
        Self {
            state: Mutex::new(State {
                deployed,
                generation: 0,
                idle: Vec::new(),
            }),
            permits: Semaphore::new(max_instances as usize),
            max_instances: max_instances as usize,
            idle_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<I>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Retire every instance: the next invocations are cold.
    pub fn retire_instances(&self) {
        let idle = {
            let mut s = self.lock();
            s.generation += 1;
            std::mem::take(&mut s.idle)
        };
        idle.into_iter().for_each(I::kill);
    }

    pub fn set_code(&self, package_dir: PathBuf, code_hash: String) {
        {
            let mut s = self.lock();
            s.deployed.package_dir = package_dir;
            s.deployed.code_hash = code_hash;
        }
        self.retire_instances();
    }

    /// New configuration: instances are started anew with it.
    pub fn set_config(&self, config: FunctionConfig) {
        self.lock().deployed.config = config;
        self.retire_instances();
    }

    pub fn config(&self) -> FunctionConfig {
        self.lock().deployed.config.clone()
    }

    pub fn code_hash(&self) -> String {
        self.lock().deployed.code_hash.clone()
    }

    /// (package dir, memory MB, generation) for starting an instance.
    pub fn start_params(&self) -> (PathBuf, u32, u64) {
        let s = self.lock();
        (
            s.deployed.package_dir.clone(),
            s.deployed.config.memory_mb,
            s.generation,
        )
    }

    pub fn idle_instances(&self) -> usize {
        self.lock().idle.len()
    }

    /// The most recently used idle instance; idle ones past the timeout are killed.
    pub fn take_idle(&self) -> Option<I> {
        let (found, evicted) = {
            let mut s = self.lock();
            let mut evicted = Vec::new();
            if let Some(limit) = self.idle_timeout {
                let (keep, old): (Vec<_>, Vec<_>) = s
                    .idle
                    .drain(..)
                    .partition(|i| i.last_used().elapsed() < limit);
                s.idle = keep;
                evicted = old;
            }
            (s.idle.pop(), evicted)
        };
        evicted.into_iter().for_each(I::kill);
        found
    }

    /// Back to the pool, unless it is of an older generation or the pool is full.
    pub fn release(&self, mut instance: I) {
        instance.touch();
        let mut s = self.lock();
        if instance.generation() == s.generation && s.idle.len() < self.max_instances {
            s.idle.push(instance);
        } else {
            drop(s);
            instance.kill();
        }
    }

    /// Kill the idle instances (end of a session).
    pub fn shutdown(&self) {
        let idle = std::mem::take(&mut self.lock().idle);
        idle.into_iter().for_each(I::kill);
    }
}
