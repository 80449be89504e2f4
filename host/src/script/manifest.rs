//! What a script declares it needs: a `faaslab:manifest` custom section in the
//! component (JSON) and/or a sidecar file `<guest>.faaslab.json`. Declarations only
//! narrow what the run grants (docs/sandbox.md).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Grants, RunConfig, grants::intersect};
use crate::storage::BucketKind;

/// Name of the custom section that holds the manifest.
pub const SECTION: &str = "faaslab:manifest";
/// Largest manifest accepted (section or sidecar).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// A script's declared needs. An absent field declares nothing on that dimension
/// (the run's grants apply as they are); an empty list declares "none".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptManifest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmarks: Option<Vec<String>>,
    /// Bucket kinds: `benchmarks`, `experiments`, `deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_invocations: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
    #[error("{0}: cannot read: {1}")]
    Read(String, std::io::Error),
}

impl ScriptManifest {
    /// Parse manifest JSON; errors name the source and the field.
    pub fn parse(bytes: &[u8], source_name: &str) -> Result<Self, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(invalid(format!(
                "is {} bytes, over the {MAX_MANIFEST_BYTES} bytes a manifest may have",
                bytes.len()
            )));
        }
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let m: ScriptManifest = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string().replace('\n', " ");
            if path == "." || path.is_empty() {
                invalid(inner)
            } else {
                invalid(format!("field `{path}`: {inner}"))
            }
        })?;
        for (i, b) in m.buckets.iter().flatten().enumerate() {
            if BucketKind::parse(b).is_none() {
                return Err(invalid(format!(
                    "field `buckets[{i}]`: unknown bucket `{b}` (known: benchmarks, experiments, deployment)"
                )));
            }
        }
        Ok(m)
    }

    /// What both declarations allow (a script may carry a section and a sidecar).
    pub fn intersect(&self, other: &ScriptManifest) -> ScriptManifest {
        ScriptManifest {
            platforms: intersect(&self.platforms, &other.platforms),
            benchmarks: intersect(&self.benchmarks, &other.benchmarks),
            buckets: intersect(&self.buckets, &other.buckets),
            max_invocations: match (self.max_invocations, other.max_invocations) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    /// Narrow a run configuration to what the script declared: the effective
    /// permission is declared ∩ granted.
    pub fn narrow(&self, config: &mut RunConfig) {
        config.grants.narrow(&Grants {
            platforms: self.platforms.clone(),
            benchmarks: self.benchmarks.clone(),
        });
        if let Some(max) = self.max_invocations {
            config.limits.max_invocations = config.limits.max_invocations.min(max);
        }
        if let Some(buckets) = &self.buckets {
            config
                .storage
                .grants
                .retain(|g| buckets.iter().any(|b| b == g.bucket.as_str()));
        }
    }
}

/// The sidecar file of a guest: `dir/<stem>.faaslab.json`.
pub fn sidecar_path(guest: &Path) -> PathBuf {
    let stem = guest
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    guest.with_file_name(format!("{stem}.faaslab.json"))
}

/// The custom section's contents, from the component or any module inside it.
pub fn find_section(bytes: &[u8]) -> Result<Option<&[u8]>, String> {
    let mut found = None;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| format!("malformed component: {e}"))?;
        if let wasmparser::Payload::CustomSection(c) = payload
            && c.name() == SECTION
        {
            if found.is_some() {
                return Err(format!("has more than one `{SECTION}` custom section"));
            }
            found = Some(c.data());
        }
    }
    Ok(found)
}

/// Where a declaration came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declared {
    pub manifest: ScriptManifest,
    /// `custom section faaslab:manifest` and/or the sidecar's path.
    pub sources: Vec<String>,
}

/// The script's declaration, from the component's section and/or its sidecar file.
pub fn read_declared(guest: &Path, bytes: &[u8]) -> Result<Option<Declared>, ManifestError> {
    let name = guest.display().to_string();
    let mut declared: Option<Declared> = None;
    let section = find_section(bytes).map_err(|message| ManifestError::Invalid {
        source_name: name.clone(),
        message,
    })?;
    if let Some(data) = section {
        let source = format!("{name}: custom section `{SECTION}`");
        declared = Some(Declared {
            manifest: ScriptManifest::parse(data, &source)?,
            sources: vec![format!("custom section {SECTION}")],
        });
    }
    let sidecar = sidecar_path(guest);
    if sidecar.is_file() {
        let sidecar_name = sidecar.display().to_string();
        let meta = std::fs::metadata(&sidecar)
            .map_err(|e| ManifestError::Read(sidecar_name.clone(), e))?;
        if meta.len() as usize > MAX_MANIFEST_BYTES {
            return Err(ManifestError::Invalid {
                source_name: sidecar_name,
                message: format!(
                    "is {} bytes, over the {MAX_MANIFEST_BYTES} bytes a manifest may have",
                    meta.len()
                ),
            });
        }
        let text =
            std::fs::read(&sidecar).map_err(|e| ManifestError::Read(sidecar_name.clone(), e))?;
        let m = ScriptManifest::parse(&text, &sidecar_name)?;
        declared = Some(match declared {
            None => Declared {
                manifest: m,
                sources: vec![sidecar_name],
            },
            Some(mut d) => {
                d.manifest = d.manifest.intersect(&m);
                d.sources.push(sidecar_name);
                d
            }
        });
    }
    Ok(declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_buckets_are_named() {
        let e = ScriptManifest::parse(br#"{"benchmark": []}"#, "m.json")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("m.json: "), "{e}");
        assert!(e.contains("unknown field `benchmark`"), "{e}");
        let e = ScriptManifest::parse(br#"{"buckets": ["experiments", "secrets"]}"#, "m.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("field `buckets[1]`: unknown bucket `secrets`"),
            "{e}"
        );
    }

    #[test]
    fn declarations_narrow_the_config() {
        let mut c = RunConfig::load(None).unwrap();
        c.grants.benchmarks = Some(vec!["110.dynamic-html".into(), "010.sleep".into()]);
        c.limits.max_invocations = 50;
        let m = ScriptManifest::parse(
            br#"{"benchmarks": ["010.sleep", "311.compression"], "max_invocations": 1000, "buckets": []}"#,
            "m",
        )
        .unwrap();
        m.narrow(&mut c);
        assert_eq!(c.grants.benchmarks, Some(vec!["010.sleep".to_string()]));
        assert_eq!(c.limits.max_invocations, 50);
        assert!(c.storage.grants.is_empty());
        assert!(c.grants.allows_platform("local-process"));
    }
}
