//! Hostile fixture: the cases of the hostile-guest catalogue (docs/sandbox.md), picked
//! by `experiment.case`. Cases that trap do so on purpose; the others return, as JSON,
//! what each host call answered, so the tests assert what the guest saw.
//!
//! It declares (custom section `faaslab:manifest`) that it deploys only 110.dynamic-html
//! and 010.sleep on local-process and uses no storage bucket but `experiments`.

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

faaslab_manifest::declare!(
    r#"{"platforms": ["local-process"], "benchmarks": ["110.dynamic-html", "010.sleep"], "buckets": ["experiments"]}"#
);

use std::hint::black_box;

use faaslab::host::log::{Level, log};
use faaslab::host::platform::{self, Function};
use faaslab::host::types::Error;
use faaslab::host::{clock, storage};

struct Hostile;
export!(Hostile);

/// `"key": "value"` or `"key": 123` from the config text (no JSON library: keep it tiny).
fn field(config: &str, key: &str) -> Option<String> {
    let rest = config.split(&format!("\"{key}\":")).nth(1)?.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        return s.split('"').next().map(str::to_string);
    }
    Some(
        rest.chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>(),
    )
}

fn number(config: &str, key: &str, default: u64) -> u64 {
    field(config, key)
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn verdict<T>(r: &Result<T, Error>) -> String {
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

/// `{"k": "v", ...}` from string pairs.
fn object(pairs: &[(&str, String)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

fn deploy(config: &str) -> Result<Function, String> {
    let benchmark = field(config, "target").unwrap_or_else(|| "110.dynamic-html".into());
    platform::deploy(&benchmark, None).map_err(|e| verdict::<()>(&Err(e)))
}

/// Native-stack recursion without end: the engine's stack limit must stop it.
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    black_box(recurse(black_box(n + 1))).wrapping_add(1)
}

impl Guest for Hostile {
    fn run(config: String) -> Result<String, String> {
        let case = field(&config, "case").unwrap_or_default();
        log(Level::Info, &format!("hostile: case {case}"));
        match case.as_str() {
            "deep-recursion" => Ok(recurse(0).to_string()),
            "forged-handle" => {
                // A handle index the host never gave out.
                let forged = unsafe { Function::from_handle(0x00de_adbe) };
                Ok(forged.name())
            }
            "dropped-handle" => {
                let f = deploy(&config)?;
                let raw = f.handle();
                drop(f);
                // Use after drop: the index is no longer in the guest's handle table.
                let stale = unsafe { Function::from_handle(raw) };
                Ok(stale.name())
            }
            "handle-exhaustion" => {
                let mut kept = Vec::new();
                loop {
                    kept.push(deploy(&config)?);
                    log(Level::Debug, &format!("holding {} handles", kept.len()));
                }
            }
            "handle-churn" => {
                let n = number(&config, "n", 10);
                for _ in 0..n {
                    drop(deploy(&config)?);
                }
                Ok(object(&[("deployed", n.to_string())]))
            }
            "huge-argument" => {
                let kib = number(&config, "kib", 2048) as usize;
                log(Level::Info, &"x".repeat(kib * 1024));
                Ok("the host accepted the huge argument".into())
            }
            "huge-requests" => {
                let f = deploy(&config)?;
                let n = number(&config, "n", 1_000_000) as usize;
                let payloads = vec![String::from("{}"); n];
                let batch = f.invoke_batch(&payloads, 1);
                let offsets: Vec<u64> = (0..n as u64).collect();
                let schedule = f.invoke_schedule(&offsets, &payloads[..1]);
                let listed = storage::list_objects("experiments", "");
                Ok(object(&[
                    ("batch", verdict(&batch)),
                    ("schedule", verdict(&schedule)),
                    ("list", verdict(&listed)),
                ]))
            }
            "many-objects" => {
                let n = number(&config, "n", 10);
                let mut uploads = Vec::new();
                for i in 0..n {
                    uploads.push(verdict(&storage::upload(
                        "experiments",
                        &format!("many/{i}"),
                        b"x",
                    )));
                }
                let listed = storage::list_objects("experiments", "many");
                Ok(object(&[
                    ("uploads", uploads.join(",")),
                    ("list", verdict(&listed)),
                ]))
            }
            "absurd-sleep" => {
                let max = clock::sleep_us(u64::MAX);
                let long = clock::sleep_us(10 * 24 * 3600 * 1_000_000);
                Ok(object(&[("max", verdict(&max)), ("ten_days", verdict(&long))]))
            }
            "batch-then-trap" => {
                let f = deploy(&config)?;
                let n = number(&config, "n", 4) as usize;
                let results = f
                    .invoke_batch(&vec![String::from("{}"); n], 2)
                    .map_err(|e| verdict::<()>(&Err(e)))?;
                log(Level::Info, &format!("got {} results, now trapping", results.len()));
                panic!("hostile: trap after a batch of {}", results.len())
            }
            "slow-batch" => {
                // Sleeps longer than the run's wall time, in a batch: the run is cut
                // off in the middle of it.
                let f = deploy(&config)?;
                let n = number(&config, "n", 20) as usize;
                let payload = String::from(r#"{"sleep": 0.5}"#);
                let r = f.invoke_batch(&vec![payload; n], 1);
                Ok(verdict(&r))
            }
            "spend" => {
                // Invoke in batches until a budget says no; return what it said.
                let f = deploy(&config)?;
                let batch = number(&config, "batch", 4) as usize;
                let concurrency = number(&config, "concurrency", 1) as u32;
                let payload = field(&config, "payload_sleep")
                    .map(|s| format!(r#"{{"sleep": 0.{s}}}"#))
                    .unwrap_or_else(|| String::from("{}"));
                let mut made = 0usize;
                for _ in 0..1000 {
                    match f.invoke_batch(&vec![payload.clone(); batch], concurrency) {
                        Ok(r) => made += r.len(),
                        Err(e) => {
                            return Ok(object(&[
                                ("made", made.to_string()),
                                ("stopped", verdict::<()>(&Err(e))),
                            ]));
                        }
                    }
                }
                Ok(object(&[("made", made.to_string()), ("stopped", "never".into())]))
            }
            "open-loop" => {
                // Requests every 10 ms that each take `payload_sleep` tenths of a second:
                // outstanding requests pile up until the concurrency budget says no.
                let f = deploy(&config)?;
                let n = number(&config, "n", 20);
                let payload = field(&config, "payload_sleep")
                    .map(|s| format!(r#"{{"sleep": 0.{s}}}"#))
                    .unwrap_or_else(|| String::from("{}"));
                let offsets: Vec<u64> = (0..n).map(|i| i * 10_000).collect();
                let r = f.invoke_schedule(&offsets, &[payload]);
                Ok(object(&[("schedule", verdict(&r))]))
            }
            "deploy" => {
                let r = deploy(&config);
                let input = platform::benchmark_input(
                    &field(&config, "target").unwrap_or_default(),
                    "test",
                );
                Ok(object(&[
                    ("deploy", r.map(|_| "ok".to_string()).unwrap_or_else(|e| e)),
                    ("input", verdict(&input)),
                ]))
            }
            "log-flood" => {
                let lines = number(&config, "lines", 10_000);
                let line = format!("\u{1b}[31mflood\u{1b}[0m \u{1b}]0;pwned\u{7}{}", "y".repeat(1000));
                for _ in 0..lines {
                    log(Level::Info, &line);
                }
                Ok(object(&[("logged", lines.to_string())]))
            }
            other => Err(format!("unknown case `{other}`")),
        }
    }
}
