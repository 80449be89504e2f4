//! Provider-side metrics from CloudWatch Logs: the REPORT lines of a function's log
//! group in a time window, matched to faaslab's requests through Lambda's request ids,
//! and what each invocation cost.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::Client;

use super::clients::sdk_failure;
use super::report::{Report, reports_in};
use crate::providers::{Invocation, ProviderMetrics, ProviderResult};

/// Every REPORT line logged between `start_ms` and `end_ms` in `group` (a group not
/// there yet has none).
pub async fn reports_between(
    logs: &Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
) -> ProviderResult<Vec<Report>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms)
            .end_time(end_ms)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(out);
            }
            Err(e) => {
                return Err(sdk_failure(
                    &format!("CloudWatch Logs FilterLogEvents {group}"),
                    e,
                ));
            }
        };
        for event in page.events() {
            if let Some(message) = event.message() {
                out.extend(reports_in(message));
            }
        }
        match page.next_token {
            Some(t)
                if Some(&t) != token.as_ref() && !page.events.unwrap_or_default().is_empty() =>
            {
                token = Some(t)
            }
            _ => return Ok(out),
        }
    }
}

/// Poll until a REPORT line of every wanted Lambda id is there, or `wait` passes
/// (CloudWatch Logs shows lines seconds after the invocation).
pub async fn wait_for_reports(
    logs: &Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
    wanted: &HashSet<String>,
    wait: Duration,
) -> ProviderResult<HashMap<String, Report>> {
    let deadline = Instant::now() + wait;
    loop {
        let found: HashMap<String, Report> = reports_between(logs, group, start_ms, end_ms)
            .await?
            .into_iter()
            .filter(|r| wanted.contains(&r.request_id))
            .map(|r| (r.request_id.clone(), r))
            .collect();
        if found.len() >= wanted.len() || Instant::now() >= deadline {
            if found.len() < wanted.len() {
                tracing::warn!(
                    group,
                    found = found.len(),
                    wanted = wanted.len(),
                    "some REPORT lines did not appear in CloudWatch Logs in time"
                );
            }
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Fill each invocation from the metrics of its request id (provider time, billed
/// time stays in the metrics, init duration and so coldness, peak memory); returns how many matched.
pub fn merge_into(invocations: &mut [Invocation], metrics: &[ProviderMetrics]) -> usize {
    let by_id: HashMap<&str, &ProviderMetrics> =
        metrics.iter().map(|m| (m.request_id.as_str(), m)).collect();
    let mut merged = 0;
    for inv in invocations.iter_mut() {
        let Some(m) = by_id.get(inv.request_id.as_str()) else {
            continue;
        };
        if let Some(t) = m.provider_time_us {
            inv.provider_time_us = t;
        }
        if m.init_time_us.is_some() {
            // Lambda reports an init duration exactly when the sandbox was new.
            inv.init_time_us = m.init_time_us;
            inv.cold = true;
        }
        if m.memory_peak_kib.is_some() {
            inv.memory_peak_kib = m.memory_peak_kib;
        }
        merged += 1;
    }
    merged
}
