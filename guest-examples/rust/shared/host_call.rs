// Helpers shared by the experiment guests, `include!`d by each crate after its
// `wit_bindgen::generate!` (they use the generated `Error`). Not a crate of its own:
// scripts/build-guests.sh builds every crate of this workspace as a guest.

/// A host call's result; an error ends the run, naming the operation and its kind.
fn host<T>(operation: &str, result: Result<T, faaslab::host::types::Error>) -> Result<T, String> {
    use faaslab::host::types::Error;
    result.map_err(|error| {
        let (kind, message) = match error {
            Error::Denied(m) => ("denied", m),
            Error::NotFound(m) => ("not-found", m),
            Error::BudgetExhausted(m) => ("budget-exhausted", m),
            Error::Timeout(m) => ("timeout", m),
            Error::Invalid(m) => ("invalid", m),
            Error::Provider(m) => ("provider", m),
        };
        format!("{operation} failed: {kind}: {message}")
    })
}

/// `experiment.<key>` as a positive integer, or `default` when absent.
#[allow(dead_code)]
fn positive(
    exp: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    default: u64,
) -> Result<u64, String> {
    match exp.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("experiment.{key}: expected a positive integer")),
    }
}

/// The run configuration and its `experiment` section (empty when absent).
#[allow(dead_code)]
fn parse_config(
    config: &str,
) -> Result<
    (
        serde_json::Value,
        serde_json::Map<String, serde_json::Value>,
    ),
    String,
> {
    let root: serde_json::Value =
        serde_json::from_str(config).map_err(|e| format!("config: invalid JSON: {e}"))?;
    let exp = match root.get("experiment") {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(m)) => m.clone(),
        Some(_) => return Err("experiment: expected an object".into()),
    };
    Ok((root, exp))
}

/// `experiment.benchmark`, or `default` when absent.
#[allow(dead_code)]
fn benchmark_or<'a>(
    exp: &'a serde_json::Map<String, serde_json::Value>,
    default: &'a str,
) -> Result<&'a str, String> {
    match exp.get("benchmark") {
        None => Ok(default),
        Some(v) => v
            .as_str()
            .ok_or_else(|| "experiment.benchmark: expected a string".to_string()),
    }
}
