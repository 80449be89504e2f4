//! Fixture for the `storage` capability: writes and reads back an object where the run
//! grants it, then asks for a bucket and a prefix it was not granted and for an object
//! over the size cap. Returns what each call answered, as JSON.

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

use faaslab::host::storage;
use faaslab::host::types::Error;

struct StorageProbe;
export!(StorageProbe);

fn verdict<T>(r: Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(Error::Denied(m)) => format!("denied: {m}"),
        Err(Error::NotFound(m)) => format!("not-found: {m}"),
        Err(Error::BudgetExhausted(m)) => format!("budget-exhausted: {m}"),
        Err(Error::Timeout(m)) => format!("timeout: {m}"),
        Err(Error::Invalid(m)) => format!("invalid: {m}"),
        Err(Error::Provider(m)) => format!("provider: {m}"),
    }
}

fn quote(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c if (c as u32) < 0x20 => vec![' '],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

impl Guest for StorageProbe {
    fn run(_config: String) -> Result<String, String> {
        let data = b"hello from a guest".to_vec();
        let granted_upload = verdict(storage::upload("experiments", "probe/hello.txt", &data));
        let read_back = match storage::download("experiments", "probe/hello.txt") {
            Ok(d) if d == data => "ok".to_string(),
            Ok(d) => format!("different: {} bytes", d.len()),
            Err(e) => verdict::<()>(Err(e)),
        };
        let listed = match storage::list_objects("experiments", "probe") {
            Ok(objects) => objects
                .iter()
                .map(|o| format!("{}:{}", o.key, o.size))
                .collect::<Vec<_>>()
                .join(","),
            Err(e) => verdict::<()>(Err(e)),
        };
        let other_bucket = verdict(storage::upload("benchmarks", "probe/x", b"x"));
        let other_prefix = verdict(storage::download("experiments", "elsewhere/x"));
        let unknown_bucket = verdict(storage::list_objects("faaslab-benchmarks-default", ""));
        let escape = verdict(storage::download("experiments", "probe/../elsewhere/x"));
        let too_big = verdict(storage::upload("experiments", "probe/big", &vec![0u8; 5000]));
        let grants = storage::grants().len();
        Ok(format!(
            "{{\"granted_upload\": {}, \"read_back\": {}, \"listed\": {}, \"other_bucket\": {}, \
             \"other_prefix\": {}, \"unknown_bucket\": {}, \"escape\": {}, \"too_big\": {}, \
             \"grants\": {grants}}}",
            quote(&granted_upload),
            quote(&read_back),
            quote(&listed),
            quote(&other_bucket),
            quote(&other_prefix),
            quote(&unknown_bucket),
            quote(&escape),
            quote(&too_big),
        ))
    }
}
