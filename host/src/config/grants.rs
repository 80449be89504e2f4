//! What the user grants a script (`grants` in the run config, narrowed by CLI flags
//! and by what the script itself declares; see docs/sandbox.md). Absent: everything.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Platforms the script may deploy to; none: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    /// Benchmarks the script may deploy (and generate inputs of); none: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmarks: Option<Vec<String>>,
}

/// `allowed ∩ narrower`, where `None` means "everything".
pub fn intersect(
    allowed: &Option<Vec<String>>,
    narrower: &Option<Vec<String>>,
) -> Option<Vec<String>> {
    match (allowed, narrower) {
        (None, None) => None,
        (Some(a), None) => Some(a.clone()),
        (None, Some(n)) => Some(n.clone()),
        (Some(a), Some(n)) => Some(a.iter().filter(|x| n.contains(x)).cloned().collect()),
    }
}

impl Grants {
    pub fn allows_platform(&self, platform: &str) -> bool {
        self.platforms
            .as_ref()
            .is_none_or(|p| p.iter().any(|x| x == platform))
    }

    pub fn allows_benchmark(&self, benchmark: &str) -> bool {
        self.benchmarks
            .as_ref()
            .is_none_or(|b| b.iter().any(|x| x == benchmark))
    }

    /// Narrow to what `other` allows too (grants only ever narrow).
    pub fn narrow(&mut self, other: &Grants) {
        self.platforms = intersect(&self.platforms, &other.platforms);
        self.benchmarks = intersect(&self.benchmarks, &other.benchmarks);
    }

    /// Every name must be known; returns the offending field and why.
    pub fn check_names(
        &self,
        benchmarks: &[String],
        platforms: &[&str],
    ) -> Result<(), (String, String)> {
        for (i, b) in self.benchmarks.iter().flatten().enumerate() {
            if !benchmarks.contains(b) {
                return Err((
                    format!("grants.benchmarks[{i}]"),
                    format!("unknown benchmark `{b}`"),
                ));
            }
        }
        for (i, p) in self.platforms.iter().flatten().enumerate() {
            if !platforms.contains(&p.as_str()) {
                return Err((
                    format!("grants.platforms[{i}]"),
                    format!("unknown platform `{p}` (known: {})", platforms.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn grants_only_narrow() {
        let mut g = Grants {
            platforms: None,
            benchmarks: some(&["a", "b"]),
        };
        g.narrow(&Grants {
            platforms: some(&["local-process"]),
            benchmarks: some(&["b", "c"]),
        });
        assert_eq!(g.benchmarks, some(&["b"]));
        assert_eq!(g.platforms, some(&["local-process"]));
        assert!(g.allows_benchmark("b"));
        assert!(!g.allows_benchmark("c"));
        assert!(!g.allows_platform("local-docker"));
        assert!(Grants::default().allows_platform("anything"));
    }
}
