//! Reports on real run directories (synthetic results written as real JSONL files):
//! `results stats`, `results plot`, `results compare`, and the HDR path.

use std::path::Path;
use std::process::Command;

use faaslab::measure::{
    self, JsonlWriter, PlotFormat, StatsMethod, Verdict, compare_runs, plot_run, summarize_run,
    summarize_run_with,
};
use serde_json::json;

fn faaslab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One invocation as the host writes it to results.jsonl.
struct Rec<'a> {
    series: &'a str,
    cold: bool,
    send_us: u64,
    client_us: u64,
    intended_us: Option<u64>,
    failure: Option<&'a str>,
}

/// Writes `results.jsonl` (and an `events.jsonl` with `discards`) into `dir`.
fn write_run<'a>(dir: &Path, recs: impl IntoIterator<Item = Rec<'a>>, discards: &[u64]) {
    std::fs::create_dir_all(dir).unwrap();
    let results = JsonlWriter::open(&dir.join(measure::RESULTS)).unwrap();
    for (i, r) in recs.into_iter().enumerate() {
        let seq = i as u64 + 1;
        let mut line = json!({
            "seq": seq, "request_id": format!("r{seq}"), "series": r.series,
            "platform": "local-process", "benchmark": "010.sleep", "function": "f",
            "memory_mb": 128, "cold": r.cold, "reported_cold": r.cold, "instance_id": "i1",
            "send_time_us": r.send_us, "client_time_us": r.client_us,
            "exec_time_us": r.client_us * 9 / 10, "provider_time_us": r.client_us * 19 / 20,
            "connection_time_us": 50, "init_time_us": null, "memory_peak_kib": null,
            "begin_us": null, "end_us": null, "payload_bytes": 10, "output_bytes": 2,
            "output_truncated": false, "output": "{}", "failure": r.failure,
        });
        if let Some(t) = r.intended_us {
            line["intended_send_time_us"] = json!(t);
        }
        results.append(&line).unwrap();
    }
    let events = JsonlWriter::open(&dir.join(measure::EVENTS)).unwrap();
    for seq in discards {
        events
            .append(&json!({"type": "discard", "request_id": format!("r{seq}"), "reason": "warmup: first"}))
            .unwrap();
    }
}

/// `n` values `median + step * k`, k = -(n/2)..=(n/2), shuffled deterministically:
/// odd `n` gives exactly `median` as the median.
fn around(median: u64, step: u64, n: u64) -> Vec<u64> {
    let half = n / 2;
    let mut v: Vec<u64> = (0..n).map(|k| median + step * k - step * half).collect();
    // A fixed permutation so that order does not matter.
    let len = v.len();
    for i in 0..len {
        v.swap(i, (i * 7919 + 13) % len);
    }
    v
}

/// Two series, cold starts, failures and discards, and (for "open-loop") intended
/// send times.
fn mixed_run(dir: &Path) {
    let mut recs = Vec::new();
    let mut t = 0;
    for (i, c) in around(40_000, 300, 101).into_iter().enumerate() {
        t += 5_000;
        let cold = i % 25 == 0;
        let client_us = if cold { c * 8 } else { c };
        recs.push(Rec {
            series: "warm-128",
            cold,
            send_us: t,
            client_us,
            intended_us: None,
            failure: None,
        });
    }
    for (i, c) in around(20_000, 100, 301).into_iter().enumerate() {
        let intended = 600_000 + i as u64 * 2_000;
        let late = (i as u64 % 7) * 150;
        recs.push(Rec {
            series: "open-loop",
            cold: i == 0,
            send_us: intended + late,
            client_us: if i == 0 { 250_000 } else { c },
            intended_us: Some(intended),
            failure: None,
        });
    }
    recs.push(Rec {
        series: "warm-128",
        cold: false,
        send_us: t + 1,
        client_us: 1,
        intended_us: None,
        failure: Some("boom"),
    });
    write_run(dir, recs, &[1, 2]);
}

#[test]
fn stats_table_shows_cold_and_warm_apart() {
    let dir = tempfile::tempdir().unwrap();
    mixed_run(dir.path());
    let run = dir.path().to_str().unwrap();
    let (code, out, err) = faaslab(&["results", "stats", run]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("403 invocations, 2 discarded by the script, 1 failed"),
        "{out}"
    );
    let rows: Vec<&str> = out.lines().collect();
    let at = rows
        .iter()
        .position(|l| l.starts_with("warm-128 "))
        .expect(&out);
    assert!(rows[at + 1].starts_with("  cold "), "{out}");
    assert!(rows[at + 2].starts_with("  warm "), "{out}");
    // 99 accepted: invocations 0 and 1 discarded (one of them the cold #0), 25, 50,
    // 75 and 100 cold.
    assert_eq!(rows[at].split_whitespace().nth(1), Some("99"), "{out}");
    assert_eq!(rows[at + 1].split_whitespace().nth(1), Some("4"), "{out}");
    assert_eq!(rows[at + 2].split_whitespace().nth(1), Some("95"), "{out}");

    let s = summarize_run(dir.path()).unwrap();
    let w = &s.series[0];
    assert_eq!(w.stats_method, StatsMethod::Exact);
    assert_eq!((w.accepted_cold, w.accepted_warm), (4, 95));
    for (all, cold, warm) in [
        (&w.client_time, &w.client_time_cold, &w.client_time_warm),
        (&w.exec_time, &w.exec_time_cold, &w.exec_time_warm),
        (
            &w.provider_time,
            &w.provider_time_cold,
            &w.provider_time_warm,
        ),
    ] {
        let (all, cold, warm) = (
            all.as_ref().unwrap(),
            cold.as_ref().unwrap(),
            warm.as_ref().unwrap(),
        );
        assert_eq!((all.count, cold.count, warm.count), (99, 4, 95));
        assert!(cold.median_us > 5.0 * warm.median_us);
    }
    let (code, json_out, _) = faaslab(&["results", "stats", run, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(v["exact_max_samples"], 100_000);
    assert_eq!(v["series"][0]["stats_method"], "exact");
    assert_eq!(v["series"][1]["exec_time_warm"]["count"], 300);
}

fn svg_check(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
    assert_eq!(
        doc.root_element().tag_name().name(),
        "svg",
        "{}",
        path.display()
    );
    let count = |tag: &str| {
        doc.descendants()
            .filter(|n| n.tag_name().name() == tag)
            .count()
    };
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        texts.iter().any(|t| t.contains("client time (ms")),
        "{}: no axis label",
        path.display()
    );
    let name = path.file_stem().unwrap().to_str().unwrap();
    match name {
        // Step curves: one polyline per series with many points.
        "latency-cdf" => {
            let long_lines = doc
                .descendants()
                .filter(|n| n.tag_name().name() == "polyline")
                .filter(|n| {
                    n.attribute("points")
                        .is_some_and(|p| p.split(' ').count() > 100)
                })
                .count();
            assert!(long_lines >= 2, "{name}: {long_lines} data curves");
        }
        "cold-warm-histogram" => assert!(count("rect") >= 10, "{name}: {} bars", count("rect")),
        "latency-over-time" => {
            // 99 + 300 actual-send points plus 300 intended-send points.
            assert!(count("circle") >= 699, "{name}: {} points", count("circle"));
            assert!(
                texts.iter().any(|t| t.contains("from intended send")),
                "{name}: no intended series"
            );
        }
        other => panic!("unexpected plot {other}"),
    }
}

fn png_check(path: &Path) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1024, 640), "{}", path.display());
    let px = info.line_size / info.width as usize;
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    let non_white = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let mut colors: Vec<&[u8]> = pixels.clone();
    colors.sort();
    colors.dedup();
    assert!(
        non_white > pixels.len() / 100,
        "{}: blank ({non_white} non-white pixels)",
        path.display()
    );
    assert!(
        colors.len() > 10,
        "{}: only {} colours",
        path.display(),
        colors.len()
    );
}

#[test]
fn plot_writes_valid_svg_and_png_for_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    mixed_run(dir.path());
    let (code, out, err) = faaslab(&["results", "plot", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let plots = dir.path().join("plots");
    for kind in ["latency-cdf", "cold-warm-histogram", "latency-over-time"] {
        let svg = plots.join(format!("{kind}.svg"));
        let png = plots.join(format!("{kind}.png"));
        assert!(out.contains(svg.to_str().unwrap()), "{out}");
        svg_check(&svg);
        png_check(&png);
    }
    // --format svg writes only SVGs.
    let only = tempfile::tempdir().unwrap();
    mixed_run(only.path());
    let written = plot_run(only.path(), PlotFormat::Svg).unwrap();
    assert_eq!(written.len(), 3);
    assert!(written.iter().all(|p| p.extension().unwrap() == "svg"));
    let (code, _, err) = faaslab(&["results", "plot", "/nonexistent", "--format", "gif"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown format `gif`"), "{err}");
}

#[test]
fn compare_gives_median_ratio_interval_and_verdict() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    let rec = |series, c| Rec {
        series,
        cold: false,
        send_us: 0,
        client_us: c,
        intended_us: None,
        failure: None,
    };
    let same = around(50_000, 40, 201);
    let mut ra: Vec<Rec> = around(100_000, 50, 201)
        .into_iter()
        .map(|c| rec("sleep", c))
        .collect();
    ra.extend(same.iter().map(|&c| rec("same", c)));
    ra.push(rec("only-a", 1000));
    ra.extend([1000, 1100, 1200].map(|c| rec("tiny", c)));
    let mut rb: Vec<Rec> = around(80_000, 40, 201)
        .into_iter()
        .map(|c| rec("sleep", c))
        .collect();
    rb.extend(same.iter().rev().map(|&c| rec("same", c)));
    rb.extend([500, 550, 600].map(|c| rec("tiny", c)));
    write_run(&a, ra, &[]);
    write_run(&b, rb, &[]);

    let cmp = compare_runs(&a, &b, None, 0.95).unwrap();
    assert_eq!(cmp.only_in_a, vec!["only-a".to_string()]);
    assert_eq!(cmp.series.len(), 3);
    // Three invocations a side: no 95 % interval, so no verdict.
    let tiny = &cmp.series[2];
    assert_eq!((tiny.ratio, tiny.ratio_ci), (0.5, None));
    assert_eq!(tiny.verdict, Verdict::Undetermined);
    let sleep = &cmp.series[0];
    assert_eq!(
        (sleep.median_a_us, sleep.median_b_us),
        (100_000.0, 80_000.0)
    );
    assert!((sleep.ratio - 0.8).abs() < 1e-12);
    let [lo, hi] = sleep.ratio_ci.unwrap();
    assert!(lo < 0.8 && 0.8 < hi && hi < 1.0, "[{lo}, {hi}]");
    assert_eq!(sleep.verdict, Verdict::Faster);
    let same = &cmp.series[1];
    assert_eq!(same.ratio, 1.0);
    assert_eq!(same.verdict, Verdict::NoSignificantDifference);
    // And the other way round.
    let back = compare_runs(&b, &a, Some("sleep"), 0.95).unwrap();
    assert_eq!(back.series.len(), 1);
    assert!((back.series[0].ratio - 1.25).abs() < 1e-12);
    assert_eq!(back.series[0].verdict, Verdict::Slower);

    let (code, out, err) = faaslab(&[
        "results",
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("sleep ")).expect(&out);
    assert!(line.contains("0.800") && line.ends_with("faster"), "{line}");
    assert!(out.contains("no significant difference"), "{out}");
    let (code, _, err) = faaslab(&[
        "results",
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--series",
        "nope",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("series `nope` is not in both runs"), "{err}");
}

/// A deterministic skewed series: 1 ms .. ~400 ms, log-uniform.
fn skewed(n: usize) -> impl Iterator<Item = u64> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        (1000.0 * (6.0 * u).exp()) as u64
    })
}

#[test]
fn hdr_summary_agrees_with_exact_within_a_tenth_of_a_percent() {
    let dir = tempfile::tempdir().unwrap();
    let n = 150_000;
    let recs = skewed(n).enumerate().map(|(i, c)| Rec {
        series: "big",
        cold: i % 1000 == 0,
        send_us: i as u64 * 100,
        client_us: c,
        intended_us: None,
        failure: None,
    });
    write_run(dir.path(), recs, &[]);
    let hdr = summarize_run(dir.path()).unwrap();
    let exact = summarize_run_with(dir.path(), usize::MAX).unwrap();
    assert_eq!(hdr.series[0].stats_method, StatsMethod::Hdr);
    assert_eq!(exact.series[0].stats_method, StatsMethod::Exact);
    let pairs = [
        (&hdr.series[0].client_time, &exact.series[0].client_time),
        (&hdr.series[0].exec_time, &exact.series[0].exec_time),
        (
            &hdr.series[0].client_time_warm,
            &exact.series[0].client_time_warm,
        ),
    ];
    for (h, e) in pairs {
        let (h, e) = (h.as_ref().unwrap(), e.as_ref().unwrap());
        assert_eq!(h.count, e.count);
        let fields = [
            (h.mean_us, e.mean_us),
            (h.std_us, e.std_us),
            (h.median_us, e.median_us),
            (h.p50_us, e.p50_us),
            (h.p90_us, e.p90_us),
            (h.p95_us, e.p95_us),
            (h.p99_us, e.p99_us),
            (h.p999_us, e.p999_us),
            (h.min_us, e.min_us),
            (h.max_us, e.max_us),
            (h.median_ci95_us.unwrap()[0], e.median_ci95_us.unwrap()[0]),
            (h.median_ci95_us.unwrap()[1], e.median_ci95_us.unwrap()[1]),
            (h.median_ci99_us.unwrap()[1], e.median_ci99_us.unwrap()[1]),
            (h.t_ci95_us.unwrap()[0], e.t_ci95_us.unwrap()[0]),
        ];
        for (i, (a, b)) in fields.into_iter().enumerate() {
            assert!((a - b).abs() <= 1e-3 * b, "field {i}: hdr {a} vs exact {b}");
        }
    }
    // 150 cold ones stay exact: equal to the exact path to the bit.
    assert_eq!(
        hdr.series[0].client_time_cold,
        exact.series[0].client_time_cold
    );
}

/// A `/proc/self/status` field in KiB (`VmHWM`: peak RSS, `VmRSS`: current).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn vm_hwm_kib() -> u64 {
    status_kib("VmHWM:")
}

fn vm_rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// Resets VmHWM to the current RSS (Linux >= 4.0).
fn reset_hwm() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// Benchmark, not a timed test: `cargo test -p faaslab --test results_reports --
/// --ignored --nocapture summarize_million`. Prints the peak RSS of summarising
/// 1M records by streaming, against loading them all the old way.
#[test]
#[ignore = "benchmark: writes a ~400 MB results.jsonl"]
fn summarize_million_records_peak_rss() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1_000_000;
    let series = ["a", "b", "c", "d"];
    let t = std::time::Instant::now();
    let recs = skewed(n).enumerate().map(|(i, c)| Rec {
        series: series[i % 4],
        cold: i % 500 == 0,
        send_us: i as u64 * 10,
        client_us: c,
        intended_us: None,
        failure: None,
    });
    write_run(dir.path(), recs, &[]);
    let bytes = std::fs::metadata(dir.path().join(measure::RESULTS))
        .unwrap()
        .len();
    eprintln!(
        "wrote {n} records, {:.0} MB, in {:.1?}",
        bytes as f64 / 1e6,
        t.elapsed()
    );

    reset_hwm();
    let base = vm_rss_kib();
    let t = std::time::Instant::now();
    let s = summarize_run(dir.path()).unwrap();
    let streamed = vm_hwm_kib();
    eprintln!(
        "streaming summary: {:.1?}, RSS before {} KiB, peak {} KiB (+{} KiB)",
        t.elapsed(),
        base,
        streamed,
        streamed - base
    );
    assert_eq!(s.invocations, n as u64);
    assert!(s.series.iter().all(|x| x.stats_method == StatsMethod::Hdr));

    let t = std::time::Instant::now();
    plot_run(dir.path(), PlotFormat::Both).unwrap();
    let plotted = vm_hwm_kib();
    eprintln!(
        "plots (svg+png): {:.1?}, peak {} KiB (+{} KiB)",
        t.elapsed(),
        plotted,
        plotted - base
    );

    reset_hwm();
    let base2 = vm_rss_kib();
    let all: Vec<measure::ExecutionRecord> =
        measure::read_all(&dir.path().join(measure::RESULTS)).unwrap();
    let loaded = vm_hwm_kib();
    eprintln!(
        "for comparison, read_all of the same file: peak {} KiB (+{} KiB)",
        loaded,
        loaded - base2
    );
    assert_eq!(all.len(), n);
    // Bounded: the streaming summary's growth is a small fraction of the file.
    assert!(
        (streamed - base) * 1024 < bytes / 4,
        "streaming summary grew by {} KiB",
        streamed - base
    );
}
