//! Lambda's `REPORT` log lines: one per invocation, written by the service after the
//! handler returns (or times out), e.g.
//! `REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\tInit Duration: 120.50 ms`.

use serde::{Deserialize, Serialize};

use super::config::Price;
use crate::providers::ProviderMetrics;

/// One parsed REPORT line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Lambda's request id (the `RequestId` of the invocation).
    pub request_id: String,
    pub duration_us: u64,
    pub billed_duration_us: u64,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u32,
    /// Present on a cold start only.
    pub init_duration_us: Option<u64>,
    /// `timeout`, `error` … when the invocation did not end normally.
    pub status: Option<String>,
}

/// What an invocation cost, from its REPORT line and the price table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Billing {
    pub request_id: String,
    pub billed_duration_us: u64,
    pub memory_size_mb: u32,
    /// Billed seconds × configured memory in GB (1 GB = 1024 MB, as Lambda bills).
    pub gb_seconds: f64,
    /// GB-seconds × price per GB-second + the price of one request (USD).
    pub cost_usd: f64,
}

/// Why a REPORT line could not be read.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("not a REPORT line")]
    NotReport,
    #[error("REPORT line without `{0}`")]
    Missing(&'static str),
    #[error("REPORT field `{field}` has an unreadable value `{value}`")]
    Bad { field: String, value: String },
}

fn millis_to_us(field: &str, value: &str) -> Result<u64, ReportError> {
    let number = value.trim().trim_end_matches("ms").trim();
    number
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|ms| (ms * 1000.0).round() as u64)
        .ok_or_else(|| ReportError::Bad {
            field: field.into(),
            value: value.into(),
        })
}

fn megabytes(field: &str, value: &str) -> Result<u32, ReportError> {
    value
        .trim()
        .trim_end_matches("MB")
        .trim()
        .parse()
        .map_err(|_| ReportError::Bad {
            field: field.into(),
            value: value.into(),
        })
}

/// Parse one log message. Fields are tab-separated `Name: value` pairs; unknown ones
/// (XRAY, Restore Duration …) are ignored.
pub fn parse_report(line: &str) -> Result<Report, ReportError> {
    let rest = line
        .trim_start()
        .strip_prefix("REPORT ")
        .ok_or(ReportError::NotReport)?;
    let mut request_id = None;
    let mut duration = None;
    let mut billed = None;
    let mut size = None;
    let mut used = None;
    let mut init = None;
    let mut status = None;
    for field in rest.split('\t').map(str::trim).filter(|f| !f.is_empty()) {
        let Some((name, value)) = field.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            "RequestId" => request_id = Some(value.to_string()),
            "Duration" => duration = Some(millis_to_us(name, value)?),
            "Billed Duration" => billed = Some(millis_to_us(name, value)?),
            "Memory Size" => size = Some(megabytes(name, value)?),
            "Max Memory Used" => used = Some(megabytes(name, value)?),
            "Init Duration" => init = Some(millis_to_us(name, value)?),
            "Status" => status = Some(value.to_string()),
            _ => {}
        }
    }
    Ok(Report {
        request_id: request_id
            .filter(|r| !r.is_empty())
            .ok_or(ReportError::Missing("RequestId"))?,
        duration_us: duration.ok_or(ReportError::Missing("Duration"))?,
        billed_duration_us: billed.ok_or(ReportError::Missing("Billed Duration"))?,
        memory_size_mb: size.ok_or(ReportError::Missing("Memory Size"))?,
        max_memory_used_mb: used.ok_or(ReportError::Missing("Max Memory Used"))?,
        init_duration_us: init,
        status,
    })
}

/// Every REPORT line of a log text (other lines skipped; damaged REPORT lines warned).
pub fn reports_in(text: &str) -> Vec<Report> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("REPORT "))
        .filter_map(|l| match parse_report(l) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!("skipping a log line: {e}");
                None
            }
        })
        .collect()
}

impl Report {
    /// As the provider-neutral metrics of `request_id` (the caller's id).
    pub fn metrics(&self, request_id: &str) -> ProviderMetrics {
        ProviderMetrics {
            request_id: request_id.to_string(),
            provider_time_us: Some(self.duration_us),
            billed_time_us: Some(self.billed_duration_us),
            init_time_us: self.init_duration_us,
            memory_peak_kib: Some(u64::from(self.max_memory_used_mb) * 1024),
        }
    }

    pub fn billing(&self, price: &Price) -> Billing {
        let gb_seconds =
            self.billed_duration_us as f64 / 1e6 * f64::from(self.memory_size_mb) / 1024.0;
        Billing {
            request_id: self.request_id.clone(),
            billed_duration_us: self.billed_duration_us,
            memory_size_mb: self.memory_size_mb,
            gb_seconds,
            cost_usd: gb_seconds * price.gb_second + price.per_request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warm_line_has_no_init_duration() {
        let r = parse_report(
            "REPORT RequestId: 6f1c0a1e-1b8e-4d57-9a52-2c7f3c9b1d10\tDuration: 2.51 ms\t\
             Billed Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 39 MB\t",
        )
        .unwrap();
        assert_eq!(r.duration_us, 2510);
        assert_eq!(r.billed_duration_us, 3000);
        assert_eq!(r.init_duration_us, None);
        assert_eq!(r.status, None);
    }

    #[test]
    fn damaged_lines_name_the_field() {
        assert_eq!(
            parse_report("START RequestId: x"),
            Err(ReportError::NotReport)
        );
        assert_eq!(
            parse_report("REPORT RequestId: x\tDuration: 1 ms"),
            Err(ReportError::Missing("Billed Duration"))
        );
        let e = parse_report("REPORT RequestId: x\tDuration: soon ms").unwrap_err();
        assert_eq!(
            e.to_string(),
            "REPORT field `Duration` has an unreadable value `soon ms`"
        );
    }
}
