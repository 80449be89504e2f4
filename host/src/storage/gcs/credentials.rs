//! Where GCS credentials come from: an access-token file or a service-account key named
//! in the config, else `GOOGLE_OAUTH_ACCESS_TOKEN` or `GOOGLE_APPLICATION_CREDENTIALS`.
//! Against an emulator only the files named in the config count (none: anonymous), so a
//! developer's real credentials in the environment never travel to a test server.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::super::config::GcsConfig;
use super::super::secret::{Secret, env_var, read_credentials_file};
use super::super::{StorageError, StorageResult};

/// `storage.gcs.access_token_file`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessTokenFile {
    access_token: String,
}

/// The part of a service-account key faaslab reads itself (object_store reads the rest).
#[derive(Deserialize)]
struct ServiceAccountKey {
    #[serde(default)]
    project_id: Option<String>,
    // Present in every key; checked, never kept.
    #[allow(dead_code)]
    client_email: IgnoredAny,
    #[allow(dead_code)]
    private_key: IgnoredAny,
}

#[derive(Debug, Clone)]
pub(super) enum GcsAuth {
    /// No credentials (an emulator that checks none).
    Anonymous,
    /// A bearer token used as is (it is not refreshed).
    Token(Secret),
    /// A service-account key; object_store trades it for tokens.
    ServiceAccount {
        path: PathBuf,
        project_id: Option<String>,
    },
}

impl GcsAuth {
    pub(super) fn load(config: &GcsConfig) -> StorageResult<Self> {
        if let Some(path) = &config.access_token_file {
            let f: AccessTokenFile = read_credentials_file(path, "storage.gcs.access_token_file")?;
            return Ok(GcsAuth::Token(Secret::new(f.access_token)));
        }
        if let Some(path) = &config.credentials_file {
            return service_account(path, "storage.gcs.credentials_file");
        }
        if config.emulator {
            return Ok(GcsAuth::Anonymous);
        }
        if let Some(token) = env_var("GOOGLE_OAUTH_ACCESS_TOKEN") {
            return Ok(GcsAuth::Token(Secret::new(token)));
        }
        if let Some(path) = env_var("GOOGLE_APPLICATION_CREDENTIALS") {
            return service_account(Path::new(&path), "GOOGLE_APPLICATION_CREDENTIALS");
        }
        Err(StorageError::Config(
            "GCS credentials: name a file in storage.gcs.access_token_file or \
             storage.gcs.credentials_file, or set GOOGLE_OAUTH_ACCESS_TOKEN or \
             GOOGLE_APPLICATION_CREDENTIALS"
                .into(),
        ))
    }

    /// The project named in a service-account key.
    pub(super) fn project_id(&self) -> Option<&str> {
        match self {
            GcsAuth::ServiceAccount { project_id, .. } => project_id.as_deref(),
            _ => None,
        }
    }
}

fn service_account(path: &Path, field: &str) -> StorageResult<GcsAuth> {
    let key: ServiceAccountKey = read_credentials_file(path, field)?;
    Ok(GcsAuth::ServiceAccount {
        path: path.to_path_buf(),
        project_id: key.project_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> GcsConfig {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn files_named_in_the_config_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("t.json");
        std::fs::write(&token, r#"{"access_token": "tok-1"}"#).unwrap();
        let key = dir.path().join("k.json");
        std::fs::write(
            &key,
            r#"{"project_id": "p1", "client_email": "a@b", "private_key": "k"}"#,
        )
        .unwrap();
        let both = config(serde_json::json!({"access_token_file": token, "credentials_file": key}));
        assert!(
            matches!(GcsAuth::load(&both).unwrap(), GcsAuth::Token(t) if t.expose() == "tok-1")
        );
        let key_only =
            GcsAuth::load(&config(serde_json::json!({"credentials_file": key}))).unwrap();
        assert_eq!(key_only.project_id(), Some("p1"));
        // An emulator without files is anonymous, whatever the environment holds.
        let anon = GcsAuth::load(&config(serde_json::json!({"emulator": true}))).unwrap();
        assert!(matches!(anon, GcsAuth::Anonymous));
    }

    #[test]
    fn a_key_file_must_look_like_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let not_key = dir.path().join("k.json");
        std::fs::write(&not_key, r#"{"access_token": "tok-2"}"#).unwrap();
        let e = GcsAuth::load(&config(serde_json::json!({"credentials_file": not_key})))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("storage.gcs.credentials_file") && !e.contains("tok-2"),
            "{e}"
        );
    }
}
