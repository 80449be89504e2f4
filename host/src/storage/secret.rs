//! Credentials in memory: never printed, never serialised.

use std::path::Path;

/// A credential. `Debug` prints `<redacted>`; there is no `Display` or `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that hands it to a client or a function.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A JSON credentials file the user named. Errors name the file and the field, never
/// the content.
pub(crate) fn read_credentials_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    field: &str,
) -> Result<T, super::StorageError> {
    let bytes = std::fs::read(path).map_err(|e| {
        super::StorageError::Config(format!("{field}: cannot read {}: {e}", path.display()))
    })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        // serde_json's messages quote offending values; keep only the path and category.
        let category = match e.inner().classify() {
            serde_json::error::Category::Data => "missing or mistyped field",
            _ => "not valid JSON",
        };
        super::StorageError::Config(format!(
            "{field}: {}: {category} at `{}`",
            path.display(),
            e.path()
        ))
    })
}

/// An environment variable, if set and not empty.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("ya29.very-secret");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "ya29.very-secret");
    }
}
