//! `faaslab script inspect`: what a guest component imports and exports, what it
//! declares it needs, and its hash, read without compiling or running it.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::manifest::{Declared, read_declared};
use crate::engine::MAX_COMPONENT_BYTES;

#[derive(Debug, Serialize)]
pub struct Inspection {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// Top-level imports (interfaces, functions), e.g. `faaslab:host/platform@0.1.0`.
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// Declared needs (section and/or sidecar); none: the run's grants apply as is.
    pub declared: Option<Declared>,
}

/// Read a component; errors are one line naming the file.
pub fn inspect(path: &Path) -> anyhow::Result<Inspection> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    if meta.len() as usize > MAX_COMPONENT_BYTES {
        anyhow::bail!(
            "{name}: is {} bytes, over the {} MiB limit for guest components",
            meta.len(),
            MAX_COMPONENT_BYTES >> 20
        );
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    if !wasmparser::Parser::is_component(&bytes) {
        anyhow::bail!("{name}: is not a WebAssembly component");
    }
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let payload = payload.map_err(|e| anyhow::anyhow!("{name}: malformed component: {e}"))?;
        match payload {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(r) if depth == 0 => {
                for import in r {
                    let import =
                        import.map_err(|e| anyhow::anyhow!("{name}: malformed import: {e}"))?;
                    imports.push(import.name.name.to_string());
                }
            }
            wasmparser::Payload::ComponentExportSection(r) if depth == 0 => {
                for export in r {
                    let export =
                        export.map_err(|e| anyhow::anyhow!("{name}: malformed export: {e}"))?;
                    exports.push(export.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    let declared = read_declared(path, &bytes)?;
    Ok(Inspection {
        path: name,
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
        imports,
        exports,
        declared,
    })
}

impl Inspection {
    /// Human-readable text.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{}\n  sha256   {}\n  size     {} bytes\n",
            self.path, self.sha256, self.bytes
        );
        out.push_str("  imports\n");
        for i in &self.imports {
            out.push_str(&format!("    {i}\n"));
        }
        out.push_str("  exports\n");
        for e in &self.exports {
            out.push_str(&format!("    {e}\n"));
        }
        match &self.declared {
            None => out.push_str(
                "  declares nothing: the run's grants apply as they are (docs/sandbox.md)\n",
            ),
            Some(d) => {
                let m = &d.manifest;
                let list = |v: &Option<Vec<String>>| match v {
                    None => "(not declared)".to_string(),
                    Some(v) if v.is_empty() => "none".to_string(),
                    Some(v) => v.join(", "),
                };
                out.push_str(&format!("  declares (from {})\n", d.sources.join(" and ")));
                out.push_str(&format!("    platforms        {}\n", list(&m.platforms)));
                out.push_str(&format!("    benchmarks       {}\n", list(&m.benchmarks)));
                out.push_str(&format!("    buckets          {}\n", list(&m.buckets)));
                out.push_str(&format!(
                    "    max_invocations  {}\n",
                    m.max_invocations
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "(not declared)".into())
                ));
            }
        }
        out
    }
}
