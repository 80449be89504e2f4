//! The `storage` section of a run configuration: which backend, where, and what the
//! run's experiment script may touch. Holds no secrets: credentials come from the
//! environment or from files named here, read only when the backend is built.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::BucketKind;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// A directory on this machine (the embedded default).
    #[default]
    Local,
    /// AWS S3 or any S3-compatible server (MinIO, moto, Ceph…).
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage.
    Azure,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Local => "local",
            BackendKind::S3 => "s3",
            BackendKind::Gcs => "gcs",
            BackendKind::Azure => "azure",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    #[serde(default)]
    pub backend: BackendKind,
    /// Buckets are named `<bucket_prefix>-<kind>-<resource_id>`.
    #[serde(default = "default_bucket_prefix")]
    pub bucket_prefix: String,
    #[serde(default)]
    pub local: LocalConfig,
    #[serde(default)]
    pub s3: S3Config,
    #[serde(default)]
    pub gcs: GcsConfig,
    #[serde(default)]
    pub azure: AzureConfig,
    /// What the experiment script may read and write (nothing unless granted).
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Largest object a script may upload or download, KiB.
    #[serde(default = "default_max_object_kib")]
    pub max_object_kib: u64,
    /// Most bytes a script may upload in one run, KiB.
    #[serde(default = "default_max_total_kib")]
    pub max_total_kib: u64,
    /// Upload benchmark inputs even when present (`--update-storage`).
    #[serde(default)]
    pub update_inputs: bool,
    /// Key-value tables for functions (130.crud-api): local SQLite or Redis.
    #[serde(default)]
    pub nosql: crate::nosql::NoSqlConfig,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            backend: BackendKind::default(),
            bucket_prefix: default_bucket_prefix(),
            local: LocalConfig::default(),
            s3: S3Config::default(),
            gcs: GcsConfig::default(),
            azure: AzureConfig::default(),
            grants: Vec::new(),
            max_object_kib: default_max_object_kib(),
            max_total_kib: default_max_total_kib(),
            update_inputs: false,
            nosql: crate::nosql::NoSqlConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// Root directory of the buckets [default: `<cache>/storage`].
    #[serde(default)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:9000` for MinIO; none: AWS S3 of `region`.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    /// JSON file with `access_key_id`, `secret_access_key` (and `session_token`);
    /// none: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: default_region(),
            credentials_file: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcsConfig {
    /// Service-account JSON key file; none: `GOOGLE_APPLICATION_CREDENTIALS`.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    /// JSON file with `access_token` (an OAuth 2 access token, e.g. from
    /// `gcloud auth print-access-token`); none: `GOOGLE_OAUTH_ACCESS_TOKEN`. Preferred
    /// over a key: functions get the token to reach the storage themselves.
    #[serde(default)]
    pub access_token_file: Option<PathBuf>,
    /// Base URL, e.g. `http://127.0.0.1:4443` for an emulator; none: Google's.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Project new buckets belong to; none: the service-account key's `project_id`.
    #[serde(default)]
    pub project: Option<String>,
    /// Location of new buckets (e.g. `EUROPE-WEST1`); none: Google's default (`US`).
    #[serde(default)]
    pub location: Option<String>,
    /// The endpoint is fake-gcs-server: credentials only from the files named here
    /// (none: anonymous), object uploads in the form it accepts.
    #[serde(default)]
    pub emulator: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureConfig {
    /// Storage account; none: `AZURE_STORAGE_ACCOUNT_NAME`.
    #[serde(default)]
    pub account: Option<String>,
    /// JSON file with `access_key`; none: `AZURE_STORAGE_ACCOUNT_KEY`.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    /// Custom endpoint (e.g. an emulator).
    #[serde(default)]
    pub endpoint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    pub fn allows_read(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }
    pub fn allows_write(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// Access to the keys under `prefix` (whole path segments) of one of the run's buckets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub bucket: BucketKind,
    /// e.g. "110.dynamic-html-0-output"; empty: the whole bucket.
    #[serde(default)]
    pub prefix: String,
    pub access: Access,
}

fn default_bucket_prefix() -> String {
    "faaslab".into()
}
fn default_region() -> String {
    "us-east-1".into()
}
fn default_max_object_kib() -> u64 {
    1024
}
fn default_max_total_kib() -> u64 {
    64 * 1024
}

impl StorageConfig {
    /// (field, message) of the first invalid setting.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let p = &self.bucket_prefix;
        if p.is_empty()
            || p.len() > 20
            || !p
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err((
                "bucket_prefix".into(),
                "must be 1-20 lowercase letters, digits and '-'".into(),
            ));
        }
        for (i, g) in self.grants.iter().enumerate() {
            if super::key_path(&g.prefix).is_err() {
                return Err((
                    format!("grants[{i}].prefix"),
                    format!("`{}` is not a valid key prefix", g.prefix),
                ));
            }
        }
        if self.max_object_kib == 0 {
            return Err(("max_object_kib".into(), "must be at least 1".into()));
        }
        self.nosql.validate().map_err(|(f, m)| (f.to_string(), m))
    }
}
