//! Key-value tables for benchmark functions (130.crud-api): which store the function
//! instances use, passed to them in their environment, and the function-side client
//! shipped into every code package (`faaslab_nosql.py`, standard library only).
//!
//! `storage.nosql` in the run config: `{"backend": "local"}` (default: a SQLite file
//! under the local storage root, or `path`) or `{"backend": "redis", "redis":
//! "127.0.0.1:6379"}`. See docs/benchmarks.md.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The function-side client: `import faaslab_nosql; faaslab_nosql.get().table(name)`.
pub const FUNCTION_CLIENT: crate::packaging::WrapperFile = crate::packaging::WrapperFile {
    name: "faaslab_nosql.py",
    content: include_bytes!("faaslab_nosql.py"),
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoSqlBackend {
    /// A SQLite file on this machine (bind-mounted into containers with the storage root).
    #[default]
    Local,
    /// A Redis server the instances connect to.
    Redis,
}

/// `storage.nosql` in the run config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSqlConfig {
    #[serde(default)]
    pub backend: NoSqlBackend,
    /// local: the SQLite file [default: `<local storage root>/.faaslab-nosql/tables.sqlite3`].
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// redis: `host:port` the function instances can reach.
    #[serde(default)]
    pub redis: Option<String>,
}

impl NoSqlConfig {
    /// Check the section; the error names the field.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        match (self.backend, &self.redis) {
            (NoSqlBackend::Redis, None) => Err((
                "nosql.redis",
                "backend `redis` needs the server's `host:port`".into(),
            )),
            (NoSqlBackend::Redis, Some(a))
                if a.rsplit_once(':')
                    .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()) =>
            {
                Err(("nosql.redis", format!("`{a}` is not `host:port`")))
            }
            _ => Ok(()),
        }
    }

    /// The variables `faaslab_nosql.py` reads.
    pub fn function_env(&self) -> Vec<(String, String)> {
        let mut env = vec![(
            "FAASLAB_NOSQL_BACKEND".to_string(),
            match self.backend {
                NoSqlBackend::Local => "local",
                NoSqlBackend::Redis => "redis",
            }
            .to_string(),
        )];
        match self.backend {
            NoSqlBackend::Local => {
                if let Some(p) = &self.path {
                    env.push(("FAASLAB_NOSQL_PATH".into(), p.display().to_string()));
                }
            }
            NoSqlBackend::Redis => {
                if let Some(a) = &self.redis {
                    env.push(("FAASLAB_NOSQL_REDIS".into(), a.clone()));
                }
            }
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_needs_an_address() {
        let c: NoSqlConfig = serde_json::from_str(r#"{"backend": "redis"}"#).unwrap();
        assert_eq!(c.validate().unwrap_err().0, "nosql.redis");
        let c: NoSqlConfig =
            serde_json::from_str(r#"{"backend": "redis", "redis": "localhost"}"#).unwrap();
        assert!(c.validate().is_err());
        let c: NoSqlConfig =
            serde_json::from_str(r#"{"backend": "redis", "redis": "127.0.0.1:6379"}"#).unwrap();
        assert!(c.validate().is_ok());
        assert!(
            c.function_env()
                .contains(&("FAASLAB_NOSQL_REDIS".into(), "127.0.0.1:6379".into()))
        );
    }
}
