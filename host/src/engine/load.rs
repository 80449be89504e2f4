//! Loading guest components: only `.wasm` components, never precompiled artifacts
//! from users; compiled code is cached in faaslab's own cache directory.

use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::GuestEngine;
use super::bindings::ExperimentPre;
use crate::cache::write_atomic;
use crate::capabilities::HostState;

/// Largest guest file accepted.
pub const MAX_COMPONENT_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Rejected { path: String, message: String },
}

/// A guest component compiled by this engine (from the cache or now).
pub struct CompiledComponent {
    pub sha256: String,
    pub bytes: u64,
    pub component: Component,
    pub from_cache: bool,
}

pub struct LoadedScript {
    pub sha256: String,
    pub bytes: u64,
    pub pre: ExperimentPre<HostState>,
    /// Whether compiled code came from the cache.
    pub from_cache: bool,
}

impl GuestEngine {
    pub fn load(&self, path: &Path) -> Result<LoadedScript, LoadError> {
        let name = path.display().to_string();
        let reject = |message: String| LoadError::Rejected {
            path: name.clone(),
            message,
        };
        let compiled = self.compile(path)?;
        let pre = self
            .linker
            .instantiate_pre(&compiled.component)
            .map_err(|e| reject(format!("needs imports faaslab does not provide: {e:#}")))?;
        let pre = ExperimentPre::new(pre).map_err(|e| {
            reject(format!(
                "does not export the `experiment` world's `run` function: {e:#}"
            ))
        })?;
        Ok(LoadedScript {
            sha256: compiled.sha256,
            bytes: compiled.bytes,
            pre,
            from_cache: compiled.from_cache,
        })
    }

    /// Read, check and compile a guest component (compiled code cached on disk by
    /// content hash and engine compatibility).
    pub fn compile(&self, path: &Path) -> Result<CompiledComponent, LoadError> {
        let name = path.display().to_string();
        let reject = |message: String| LoadError::Rejected {
            path: name.clone(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|source| LoadError::Read {
            path: name.clone(),
            source,
        })?;
        if meta.len() as usize > MAX_COMPONENT_BYTES {
            return Err(reject(format!(
                "is {} bytes, over the {} MiB limit for guest components",
                meta.len(),
                MAX_COMPONENT_BYTES >> 20
            )));
        }
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: name.clone(),
            source,
        })?;
        if wasmtime::Engine::detect_precompiled(&bytes).is_some() {
            return Err(reject(
                "is a precompiled artifact; faaslab only loads .wasm components and compiles them itself".into(),
            ));
        }
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            return Err(reject("is not a WebAssembly file".into()));
        }
        if bytes[6..8] == [0, 0] {
            return Err(reject(
                "is a core WebAssembly module, not a component (wrap it with `wasm-tools component new`)".into(),
            ));
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let cached_path = self
            .components_dir
            .join(format!("{sha256}-{}.cwasm", self.compatibility_key()));
        let mut from_cache = false;
        let mut component = None;
        if cached_path.is_file() {
            // SAFETY: the file is in faaslab's own cache, written by `serialize` of an
            // engine with the same compatibility key; users' files are never loaded here.
            match unsafe { Component::deserialize_file(&self.engine, &cached_path) } {
                Ok(c) => {
                    component = Some(c);
                    from_cache = true;
                }
                Err(e) => tracing::warn!(
                    "compiled guest {} is unusable ({e}); compiling again",
                    cached_path.display()
                ),
            }
        }
        let component = match component {
            Some(c) => c,
            None => {
                let c = Component::new(&self.engine, &bytes)
                    .map_err(|e| reject(format!("invalid component: {e:#}")))?;
                match c.serialize() {
                    Ok(compiled) => {
                        if let Err(e) = write_atomic(&cached_path, &compiled) {
                            tracing::warn!("cannot cache the compiled guest: {e}");
                        }
                    }
                    Err(e) => tracing::warn!("cannot serialize the compiled guest: {e}"),
                }
                c
            }
        };
        Ok(CompiledComponent {
            sha256,
            bytes: bytes.len() as u64,
            component,
            from_cache,
        })
    }
}
