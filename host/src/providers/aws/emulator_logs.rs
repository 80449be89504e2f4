//! CloudWatch Logs replies of an emulator, made readable by the SDK.
//!
//! moto (5.2.5, the latest release) stores the log events of a Lambda invocation with
//! the timestamp `unix_time_millis()`, a float, and returns it as such:
//! `"timestamp": 1796318095352.123` in FilterLogEvents and GetLogEvents (and fractional
//! first/last event timestamps in DescribeLogStreams). The API defines these fields as
//! longs, so the SDK fails the whole reply with `InvalidNumber`. Events written through
//! PutLogEvents carry the caller's integer timestamps and are not affected.
//!
//! With an endpoint override (`platforms.aws.endpoint_url`), the CloudWatch Logs client
//! reads through [`WholeMillis`]: an HTTP client around the SDK's own that cuts the
//! fraction off timestamp fields (`timestamp`, `…Time`, `…Timestamp`) before the SDK
//! parses the reply. Against AWS itself (no override) the SDK's client is used as is.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use serde_json::Value;

/// An HTTP client whose replies have whole-millisecond timestamps.
#[derive(Debug, Clone)]
pub struct WholeMillis {
    inner: SharedHttpClient,
}

impl WholeMillis {
    pub fn new(inner: SharedHttpClient) -> Self {
        Self { inner }
    }
}

impl HttpClient for WholeMillis {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let pending = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let mut response = pending.await?;
            let body = response.take_body();
            let bytes = ByteStream::new(body)
                .collect()
                .await
                .map_err(|e| ConnectorError::io(e.into()))?
                .into_bytes();
            let fixed = whole_millis(&bytes)
                .map(bytes::Bytes::from)
                .unwrap_or(bytes);
            response
                .headers_mut()
                .insert("content-length", fixed.len().to_string());
            *response.body_mut() = SdkBody::from(fixed);
            Ok(response)
        })
    }
}

fn is_timestamp_field(key: &str) -> bool {
    key == "timestamp" || key.ends_with("Time") || key.ends_with("Timestamp")
}

/// The JSON reply with every fractional timestamp field cut to whole milliseconds;
/// None when there is nothing to change (or the reply is not JSON).
pub fn whole_millis(body: &[u8]) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    if !cut(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

/// Returns whether anything changed.
fn cut(value: &mut Value) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::Number(n) if is_timestamp_field(key) && n.is_f64() => {
                        if let Some(ms) = n.as_f64().filter(|f| f.is_finite()) {
                            *v = Value::from(ms.trunc() as i64);
                            changed = true;
                        }
                    }
                    _ => changed |= cut(v),
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                changed |= cut(v);
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FilterLogEvents as moto 5.2.5 answers it for a Lambda invocation's log.
    const MOTO_REPLY: &str = r#"{"events": [{"eventId": "3", "ingestionTime": 1796318095356, "message": "REPORT RequestId: 5c1e\tDuration: 51.20 ms\tBilled Duration: 52 ms", "timestamp": 1796318095352.6274, "logStreamName": "2026/12/03/[$LATEST]ab12"}], "nextToken": null, "searchedLogStreams": [{"logStreamName": "2026/12/03/[$LATEST]ab12", "searchedCompletely": true}]}"#;

    #[test]
    fn fractional_timestamps_become_whole_milliseconds() {
        let fixed = whole_millis(MOTO_REPLY.as_bytes()).expect("a change");
        let v: Value = serde_json::from_slice(&fixed).unwrap();
        let event = &v["events"][0];
        assert_eq!(event["timestamp"], Value::from(1_796_318_095_352_i64));
        assert_eq!(event["ingestionTime"], Value::from(1_796_318_095_356_i64));
        assert_eq!(
            event["message"],
            Value::from("REPORT RequestId: 5c1e\tDuration: 51.20 ms\tBilled Duration: 52 ms")
        );
        assert_eq!(v["nextToken"], Value::Null);
    }

    #[test]
    fn integer_replies_and_other_numbers_stay_as_they_are() {
        let ok = br#"{"events": [{"timestamp": 1796318095352, "message": "x"}]}"#;
        assert_eq!(whole_millis(ok), None);
        let other = br#"{"statistics": {"bytesScanned": 12.5}}"#;
        assert_eq!(whole_millis(other), None);
        assert_eq!(whole_millis(b"not json"), None);
    }
}
