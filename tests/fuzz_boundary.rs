//! Property tests (proptest) over what untrusted parties hand the host: config files,
//! script manifests and component bytes, and the values crossing the WIT boundary
//! (function configs, schedule offsets, payload lists, storage keys, log text). None
//! may panic; accepted values must be safe to use.

use std::time::{Duration, Instant};

use faaslab::capabilities::convert::{config_from_wit, config_to_wit};
use faaslab::capabilities::log::sanitize;
use faaslab::capabilities::platform::check_schedule;
use faaslab::capabilities::storage::is_granted;
use faaslab::config::{GuestLimits, Price, RunConfig};
use faaslab::driver::Budgets;
use faaslab::engine::bindings::types::{Architecture, FunctionConfig};
use faaslab::script::ScriptManifest;
use faaslab::script::manifest::find_section;
use faaslab::storage::{Access, BucketKind, Grant, key_path};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Numbers of every magnitude (plain `any::<f64>()` rarely reaches 1e300).
fn magnitude() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-320i32..320, any::<bool>()).prop_map(|(e, neg)| {
            let v = 10f64.powi(e);
            if neg { -v } else { v }
        }),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(0.0),
        any::<f64>(),
    ]
}

/// Config fields that become durations or deadlines.
const SECONDS: &[&[&str]] = &[
    &["limits", "max_wall_time_s"],
    &["limits", "max_wasm_time_s"],
    &["limits", "max_sleep_s"],
    &["limits", "max_gb_seconds"],
    &["limits", "max_cost_usd"],
    &["platforms", "local-process", "idle_timeout_s"],
    &["prices", "local-process", "gb_second_usd"],
];

/// Field paths of a run config, to put arbitrary values where real fields are.
const FIELDS: &[&[&str]] = &[
    &["benchmark"],
    &["input_size"],
    &["platform"],
    &["seed"],
    &["resource_id"],
    &["function"],
    &["function", "memory_mb"],
    &["function", "timeout_s"],
    &["function", "architecture"],
    &["experiment"],
    &["limits"],
    &["limits", "max_wall_time_s"],
    &["limits", "max_wasm_time_s"],
    &["limits", "max_sleep_s"],
    &["limits", "max_memory_mb"],
    &["limits", "max_gb_seconds"],
    &["limits", "max_cost_usd"],
    &["limits", "max_concurrency"],
    &["platforms", "local-process", "idle_timeout_s"],
    &["platforms", "local-process", "max_instances"],
    &["platforms", "local-docker"],
    &["storage"],
    &["storage", "grants"],
    &["grants"],
    &["grants", "benchmarks"],
    &["prices"],
    &["prices", "local-process", "gb_second_usd"],
];

fn set_path(root: &mut Value, path: &[&str], v: Value) {
    let mut cur = root;
    for (i, key) in path.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let obj = cur.as_object_mut().unwrap();
        if i + 1 == path.len() {
            obj.insert(key.to_string(), v);
            return;
        }
        cur = obj.entry(key.to_string()).or_insert_with(|| json!({}));
    }
}

/// A parsed config must be usable: its limits become durations and deadlines.
fn use_config(c: &RunConfig) {
    let l = &c.limits;
    for s in [l.max_wall_time_s, l.max_wasm_time_s, l.max_sleep_s] {
        let d = Duration::from_secs_f64(s);
        assert!(Instant::now().checked_add(d).is_some());
    }
    if let Some(t) = c.platforms.local_process.idle_timeout_s {
        let _ = Duration::from_secs_f64(t);
    }
    let _ = serde_json::to_string(c).unwrap();
}

proptest! {
    // No regression files in the source tree: a failure prints its minimal input.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn config_text_never_panics(text in ".{0,200}") {
        if let Ok(c) = RunConfig::parse(&text, "fuzz.json") {
            use_config(&c);
        }
    }

    #[test]
    fn config_values_never_panic(
        field in prop::sample::select(FIELDS),
        value in json_value(),
        second in prop::sample::select(FIELDS),
        other in json_value(),
    ) {
        let mut c = json!({"benchmark": "010.sleep"});
        set_path(&mut c, field, value);
        set_path(&mut c, second, other);
        match RunConfig::parse(&c.to_string(), "fuzz.json") {
            Ok(c) => use_config(&c),
            Err(e) => {
                let e = e.to_string();
                prop_assert!(e.starts_with("fuzz.json: "), "{}", e);
                prop_assert!(!e.contains('\n'), "{}", e);
            }
        }
    }

    #[test]
    fn numeric_limits_accept_only_usable_values(field in prop::sample::select(SECONDS), v in magnitude()) {
        let mut c = json!({"benchmark": "010.sleep"});
        set_path(&mut c, field, json!(v));
        if let Ok(c) = RunConfig::parse(&c.to_string(), "fuzz.json") {
            use_config(&c);
        }
    }

    #[test]
    fn manifests_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), value in json_value()) {
        let _ = ScriptManifest::parse(&bytes, "m");
        if let Ok(m) = ScriptManifest::parse(value.to_string().as_bytes(), "m") {
            let mut c = RunConfig::load(None).unwrap();
            m.narrow(&mut c);
            prop_assert!(c.limits.max_invocations <= GuestLimits::default().max_invocations);
        }
    }

    #[test]
    fn component_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..400), component in any::<bool>()) {
        let mut bytes = if component { b"\0asm\x0d\0\x01\0".to_vec() } else { b"\0asm\x01\0\0\0".to_vec() };
        bytes.extend_from_slice(&tail);
        let _ = find_section(&bytes);
        let _ = find_section(&tail);
    }

    #[test]
    fn function_configs_from_guests_round_trip_and_validate(
        memory_mb in any::<u32>(),
        timeout_s in any::<u32>(),
        language in ".{0,20}",
        language_version in ".{0,20}",
        arm in any::<bool>(),
    ) {
        let wit = FunctionConfig {
            memory_mb,
            timeout_s,
            language: language.clone(),
            language_version: language_version.clone(),
            architecture: if arm { Architecture::Arm64 } else { Architecture::X8664 },
        };
        let domain = config_from_wit(wit);
        let _ = domain.validate();
        let back = config_to_wit(&domain);
        prop_assert_eq!(back.memory_mb, memory_mb);
        prop_assert_eq!(back.timeout_s, timeout_s);
        prop_assert_eq!(back.language, language);
        prop_assert_eq!(back.language_version, language_version);
    }

    #[test]
    fn accepted_schedules_are_safe_to_fire(
        offsets in prop::collection::vec(any::<u64>(), 0..50),
        sorted in any::<bool>(),
        payloads in 0usize..60,
        max_batch in any::<u64>(),
        wall_left_us in any::<u64>(),
    ) {
        let mut offsets = offsets;
        if sorted {
            offsets.sort_unstable();
        }
        let wall_left = Duration::from_micros(wall_left_us % (1u64 << 50));
        if check_schedule(&offsets, payloads, max_batch, wall_left).is_ok() {
            prop_assert!(offsets.len() as u64 <= max_batch);
            prop_assert!(payloads == 1 || payloads == offsets.len());
            let start = Instant::now() + Duration::from_millis(5);
            for o in &offsets {
                prop_assert!(start.checked_add(Duration::from_micros(*o)).is_some());
            }
        }
    }

    #[test]
    fn storage_keys_never_panic_and_never_escape(
        key in ".{0,40}",
        prefix in "[a-z/.]{0,12}",
        write in any::<bool>(),
    ) {
        let _ = key_path(&key);
        let grants = vec![Grant { bucket: BucketKind::Experiments, prefix: prefix.clone(), access: Access::ReadWrite }];
        let granted = is_granted(&grants, BucketKind::Experiments, &key, write);
        if granted && !prefix.trim_matches('/').is_empty() {
            // A granted key lies below the prefix once both are normalised.
            let k = key_path(&key).unwrap();
            let p = key_path(&prefix).unwrap();
            prop_assert!(k.as_ref().starts_with(p.as_ref()), "{} vs {}", key, prefix);
        }
        prop_assert!(!is_granted(&grants, BucketKind::Benchmarks, &key, write));
    }

    #[test]
    fn sanitised_text_has_no_control_characters(text in ".{0,200}", raw in prop::collection::vec(any::<char>(), 0..100)) {
        let joined: String = raw.into_iter().collect();
        for t in [text, joined] {
            let s = sanitize(&t);
            prop_assert!(!s.chars().any(|c| c.is_control() && c != '\t'), "{:?}", s);
        }
    }

    #[test]
    fn budgets_never_panic(
        charges in prop::collection::vec((any::<u32>(), any::<u64>()), 0..20),
        max_gb_s in prop::option::of(0.0f64..1e12),
        price in 0.0f64..1e6,
    ) {
        let b = Budgets::new(u64::MAX);
        let limits = GuestLimits { max_gb_seconds: max_gb_s, ..GuestLimits::default() };
        b.set_compute(&limits, Price { gb_second_usd: price, request_usd: price });
        for (mb, us) in charges {
            b.charge(mb, us);
            let _ = b.compute_exhausted();
        }
        let (gb_s, cost) = b.compute_used();
        prop_assert!(gb_s >= 0.0 && cost >= 0.0);
        prop_assert_eq!(b.reserve(u64::MAX), u64::MAX);
        prop_assert_eq!(b.reserve(1), 0);
    }
}
