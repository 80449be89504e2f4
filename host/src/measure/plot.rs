//! `faaslab results plot`: plots of a run directory, as SVG and/or PNG, in
//! `<run-dir>/plots/<kind>.<ext>`.
//!
//! * `latency-cdf`: empirical CDF of the client time per series (log x).
//! * `cold-warm-histogram`: client times of cold and of warm invocations, log-spaced
//!   bins, overlaid.
//! * `latency-over-time`: client time against send time, per series; when records
//!   carry `intended_send_time_us` (open-loop schedules), also the latency measured
//!   from the intended send time (free of coordinated omission) at the intended time.
//!
//! `results.jsonl` is streamed: CDFs and histograms come from [`Sample`]s (exact or
//! HDR), and the points over time are thinned to at most [`MAX_POINTS_PER_SERIES`]
//! per series (every k-th, k doubling as needed), so plots of millions of
//! invocations stay small and fast.
//!
//! Text needs a TrueType font: plotters' pure-Rust `ab_glyph` rasteriser is fed
//! `$FAASLAB_FONT` or the first of [`FONT_CANDIDATES`] that exists (Debian:
//! `fonts-dejavu-core`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, anyhow, bail};
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use serde::Deserialize;

use super::RESULTS;
use super::hdr::Sample;
use super::stream::JsonlStream;
use super::summary::read_discards;

/// Points per series drawn in `latency-over-time` at most (before thinning halves them).
pub const MAX_POINTS_PER_SERIES: usize = 20_000;
/// Where to look for a sans-serif TrueType font, in order.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
];
const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (1024, 640);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    Svg,
    Png,
    Both,
}

impl PlotFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Svg => &["svg"],
            Self::Png => &["png"],
            Self::Both => &["svg", "png"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotKind {
    LatencyCdf,
    ColdWarmHistogram,
    LatencyOverTime,
}

impl PlotKind {
    pub const ALL: [PlotKind; 3] = [
        PlotKind::LatencyCdf,
        PlotKind::ColdWarmHistogram,
        PlotKind::LatencyOverTime,
    ];

    /// The file stem in `plots/`.
    pub fn name(self) -> &'static str {
        match self {
            PlotKind::LatencyCdf => "latency-cdf",
            PlotKind::ColdWarmHistogram => "cold-warm-histogram",
            PlotKind::LatencyOverTime => "latency-over-time",
        }
    }
}

/// The fields of a result line the plots need. `intended_send_time_us` is read when
/// present (open-loop schedules) and absent otherwise.
#[derive(Deserialize)]
struct PlotFields {
    series: String,
    request_id: String,
    cold: bool,
    failure: Option<String>,
    send_time_us: u64,
    client_time_us: u64,
    #[serde(default)]
    intended_send_time_us: Option<u64>,
}

/// A point over time: send s, latency ms, cold, and (intended send s, latency from
/// the intended send ms) when known.
type TimePoint = (f64, f64, bool, Option<(f64, f64)>);

/// Every k-th point of a stream, k doubling whenever the buffer is full.
struct Thinned {
    stride: u64,
    seen: u64,
    points: Vec<TimePoint>,
}

impl Thinned {
    fn new() -> Self {
        Self {
            stride: 1,
            seen: 0,
            points: Vec::new(),
        }
    }

    fn push(&mut self, p: TimePoint) {
        if self.seen.is_multiple_of(self.stride) {
            self.points.push(p);
            if self.points.len() >= 2 * MAX_POINTS_PER_SERIES {
                let kept = self.points.iter().step_by(2).copied().collect();
                self.points = kept;
                self.stride *= 2;
            }
        }
        self.seen += 1;
    }
}

struct SeriesData {
    name: String,
    client: Sample,
    over_time: Thinned,
}

struct PlotData {
    series: Vec<SeriesData>,
    cold: Sample,
    warm: Sample,
    any_intended: bool,
}

fn load(run_dir: &Path) -> anyhow::Result<PlotData> {
    let results = run_dir.join(RESULTS);
    if !results.is_file() {
        bail!("{}: no {RESULTS} here", run_dir.display());
    }
    let discards = read_discards(run_dir)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut data = PlotData {
        series: Vec::new(),
        cold: Sample::default(),
        warm: Sample::default(),
        any_intended: false,
    };
    for r in JsonlStream::<PlotFields>::open(&results)? {
        let r = r?;
        if r.failure.is_some() || discards.contains_key(&r.request_id) {
            continue;
        }
        let i = *index.entry(r.series.clone()).or_insert_with(|| {
            data.series.push(SeriesData {
                name: r.series.clone(),
                client: Sample::default(),
                over_time: Thinned::new(),
            });
            data.series.len() - 1
        });
        let s = &mut data.series[i];
        s.client.push(r.client_time_us);
        if r.cold {
            data.cold.push(r.client_time_us);
        } else {
            data.warm.push(r.client_time_us);
        }
        let intended = r.intended_send_time_us.map(|t| {
            // Latency as the schedule saw it: from when the request should have gone.
            let late = r.send_time_us.saturating_sub(t);
            (t as f64 / 1e6, (r.client_time_us + late) as f64 / 1e3)
        });
        data.any_intended |= intended.is_some();
        s.over_time.push((
            r.send_time_us as f64 / 1e6,
            r.client_time_us as f64 / 1e3,
            r.cold,
            intended,
        ));
    }
    if data.series.is_empty() {
        bail!("{}: no accepted invocations to plot", run_dir.display());
    }
    Ok(data)
}

/// Registers the TrueType font plotters draws text with (once per process).
fn ensure_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = REGISTERED.get_or_init(|| {
        let from_env = std::env::var_os("FAASLAB_FONT").map(PathBuf::from);
        let path = from_env
            .into_iter()
            .chain(FONT_CANDIDATES.iter().map(PathBuf::from))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!(
                    "no TrueType font for plot text: install fonts-dejavu-core or set \
                     FAASLAB_FONT to a .ttf file (looked in {})",
                    FONT_CANDIDATES.join(", ")
                )
            })?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // plotters keeps fonts for the whole process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(FONT, FontStyle::Normal, bytes)
            .map_err(|_| format!("{}: not a usable TrueType font", path.display()))?;
        Ok(path)
    });
    result.as_ref().map(|_| ()).map_err(|e| anyhow!("{e}"))
}

/// Draws every plot kind in `format` into `<run_dir>/plots/`; returns the files.
pub fn plot_run(run_dir: &Path, format: PlotFormat) -> anyhow::Result<Vec<PathBuf>> {
    ensure_font()?;
    let mut data = load(run_dir)?;
    let dir = run_dir.join("plots");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    for kind in PlotKind::ALL {
        for ext in format.extensions() {
            let path = dir.join(format!("{}.{ext}", kind.name()));
            let drawn = if *ext == "svg" {
                draw(
                    SVGBackend::new(&path, SIZE).into_drawing_area(),
                    kind,
                    &mut data,
                )
            } else {
                draw(
                    BitMapBackend::new(&path, SIZE).into_drawing_area(),
                    kind,
                    &mut data,
                )
            };
            drawn.map_err(|e| anyhow!("drawing {}: {e}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    kind: PlotKind,
    data: &mut PlotData,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    match kind {
        PlotKind::LatencyCdf => draw_cdf(&root, data)?,
        PlotKind::ColdWarmHistogram => draw_histogram(&root, data)?,
        PlotKind::LatencyOverTime => draw_over_time(&root, data)?,
    }
    root.present()?;
    Ok(())
}

/// A positive log-axis range around `[lo, hi]` (ms).
fn log_range(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.max(1e-3);
    let hi = hi.max(lo * 1.5);
    (lo / 1.2, hi * 1.2)
}

/// Tableau 10: distinguishable, and dark enough on white.
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// Axis tick labels without trailing zeros: 0.5, 10, 200.
fn tick(v: &f64) -> String {
    let s = if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The common frame of every plot: caption, margins, label areas.
fn builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    caption: impl AsRef<str>,
    size: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(root);
    b.caption(caption, (FONT, size))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(65);
    b
}

/// Grid, ticks and axis labels.
fn axes<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(12)
        .y_labels(10)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(BLACK.mix(0.05))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    Ok(())
}

fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, at: SeriesLabelPosition) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn draw_cdf<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &mut PlotData) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let curves: Vec<(String, Vec<(f64, f64)>)> = data
        .series
        .iter_mut()
        .map(|s| {
            let pts = s.client.cdf_points(1000);
            let pts = pts.into_iter().map(|(v, f)| (v / 1e3, f)).collect();
            (s.name.clone(), pts)
        })
        .collect();
    let lo = data
        .series
        .iter()
        .filter_map(|s| s.client.min())
        .min()
        .unwrap_or(1);
    let hi = data
        .series
        .iter()
        .filter_map(|s| s.client.max())
        .max()
        .unwrap_or(1);
    let (lo, hi) = log_range(lo as f64 / 1e3, hi as f64 / 1e3);
    let mut chart = builder(root, "Client latency CDF per series", 24)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.0)?;
    axes(
        &mut chart,
        "client time (ms, log scale)",
        "fraction of invocations",
    )?;
    for (i, (name, pts)) in curves.into_iter().enumerate() {
        let c = color(i);
        // A step function: each value holds its fraction until the next value.
        let mut steps = Vec::with_capacity(pts.len() * 2);
        let mut prev = 0.0;
        for (v, f) in pts {
            steps.push((v.max(lo), prev));
            steps.push((v.max(lo), f));
            prev = f;
        }
        chart
            .draw_series(LineSeries::new(steps, c.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

fn draw_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &mut PlotData,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    const BINS: usize = 60;
    let lo = [data.cold.min(), data.warm.min()]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(1);
    let hi = [data.cold.max(), data.warm.max()]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(1);
    let (lo_ms, hi_ms) = log_range(lo as f64 / 1e3, hi as f64 / 1e3);
    // Log-spaced bin edges in µs, covering [lo, hi].
    let ratio = (hi_ms / lo_ms).powf(1.0 / BINS as f64);
    let edges: Vec<f64> = (0..=BINS)
        .map(|i| lo_ms * 1e3 * ratio.powi(i as i32))
        .collect();
    let cold = data.cold.bin_counts(&edges);
    let warm = data.warm.bin_counts(&edges);
    let top = cold.iter().chain(&warm).copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut chart = builder(
        root,
        format!(
            "Client latency: {} cold vs {} warm invocations",
            data.cold.len(),
            data.warm.len()
        ),
        24,
    )
    .build_cartesian_2d((lo_ms..hi_ms).log_scale(), 0f64..top)?;
    axes(
        &mut chart,
        "client time (ms, log scale)",
        "invocations per bin",
    )?;
    for (label, counts, c) in [("cold", &cold, RED), ("warm", &warm, BLUE)] {
        let bars = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| {
                Rectangle::new(
                    [(edges[i] / 1e3, 0.0), (edges[i + 1] / 1e3, n as f64)],
                    c.mix(0.5).filled(),
                )
            });
        chart.draw_series(bars)?.label(label).legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 15, y + 5)], c.mix(0.5).filled())
        });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

fn draw_over_time<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &mut PlotData,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let all = || data.series.iter().flat_map(|s| s.over_time.points.iter());
    let t_max = all()
        .map(|p| p.0.max(p.3.map_or(0.0, |i| i.0)))
        .fold(0.0, f64::max);
    let y_lo = all().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_hi = all()
        .map(|p| p.1.max(p.3.map_or(0.0, |i| i.1)))
        .fold(0.0, f64::max);
    let (y_lo, y_hi) = log_range(y_lo, y_hi);
    let caption = if data.any_intended {
        "Client latency over time (filled: from actual send; hollow: from intended send)"
    } else {
        "Client latency over time (large points: cold starts)"
    };
    let mut chart = builder(root, caption, 20)
        .build_cartesian_2d(0f64..(t_max * 1.02).max(1e-3), (y_lo..y_hi).log_scale())?;
    axes(
        &mut chart,
        "send time since run start (s)",
        "client time (ms, log scale)",
    )?;
    for (i, s) in data.series.iter().enumerate() {
        let c = color(i);
        let pts = &s.over_time.points;
        chart
            .draw_series(pts.iter().map(|&(t, ms, cold, _)| {
                // Cold starts filled and larger, warm ones small.
                if cold {
                    Circle::new((t, ms.max(y_lo)), 4, c.filled())
                } else {
                    Circle::new((t, ms.max(y_lo)), 2, c.mix(0.7).filled())
                }
            }))?
            .label(s.name.clone())
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        if pts.iter().any(|p| p.3.is_some()) {
            chart
                .draw_series(
                    pts.iter()
                        .filter_map(|p| p.3)
                        .map(|(t, ms)| Circle::new((t, ms.max(y_lo)), 3, c.stroke_width(1))),
                )?
                .label(format!("{} (from intended send)", s.name))
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.stroke_width(1)));
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}
