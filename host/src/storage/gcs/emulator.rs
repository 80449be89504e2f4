//! The HTTP client object_store uses when `storage.gcs.emulator` is set.
//!
//! object_store writes objects with the XML API (`PUT /<bucket>/<object>`), which
//! fake-gcs-server (1.54) accepts only for signed URLs; it serves the XML API's reads,
//! listings and deletes, and the JSON API's media upload. So this client sends each
//! object PUT as the equivalent JSON media upload
//! (`POST /upload/storage/v1/b/<bucket>/o?uploadType=media&name=<object>`) and gives
//! object_store the headers the XML API would have answered with (`ETag`,
//! `x-goog-generation`), taken from the JSON object resource. Every other request
//! (reads, listings, deletes, copies, multipart parts) passes unchanged. Against Google's servers this client is never used.

use std::time::Duration;

use async_trait::async_trait;
use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, ETAG, HeaderName, HeaderValue};

/// Builds [`UploadsAsJsonMedia`] clients for object_store.
#[derive(Debug, Default)]
pub(super) struct EmulatorConnector;

impl HttpConnector for EmulatorConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "GCS",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(UploadsAsJsonMedia { inner: client }))
    }
}

#[derive(Debug)]
struct UploadsAsJsonMedia {
    inner: reqwest::Client,
}

/// `/<bucket>/<object>` of an XML-API object request, as sent (percent-encoded).
fn xml_object_target(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('/')?;
    if rest.starts_with("storage/") || rest.starts_with("upload/") {
        return None;
    }
    let (bucket, object) = rest.split_once('/')?;
    (!bucket.is_empty() && !object.is_empty()).then_some((bucket, object))
}

/// The JSON media upload standing for an XML object PUT (same scheme and authority).
fn media_upload_uri(uri: &str, bucket: &str, object: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split('/').next()?;
    Some(format!(
        "{scheme}://{authority}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={object}"
    ))
}

fn request_error(e: impl std::error::Error + Send + Sync + 'static) -> HttpError {
    HttpError::new(HttpErrorKind::Request, e)
}

#[derive(Debug, thiserror::Error)]
#[error("emulator upload answered with an object resource without `{0}`")]
struct MissingField(&'static str);

#[async_trait]
impl HttpService for UploadsAsJsonMedia {
    async fn call(&self, mut req: HttpRequest) -> Result<HttpResponse, HttpError> {
        // A plain object PUT: no query (multipart parts have one), not a copy.
        let plain_put = req.method() == Method::PUT
            && req.uri().query().is_none()
            && !req.headers().contains_key("x-goog-copy-source");
        let target = plain_put
            .then(|| xml_object_target(req.uri().path()))
            .flatten()
            .and_then(|(b, o)| media_upload_uri(&req.uri().to_string(), b, o));
        let Some(uri) = target else {
            return self.inner.call(req).await;
        };
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri.parse().map_err(request_error)?;
        let response = self.inner.call(req).await?;
        if !response.status().is_success() {
            return Ok(response);
        }
        let (mut parts, body) = response.into_parts();
        let body = body.bytes().await?;
        let resource: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| HttpError::new(HttpErrorKind::Decode, e))?;
        let field = |name: &'static str| {
            resource[name]
                .as_str()
                .ok_or(MissingField(name))
                .map_err(|e| HttpError::new(HttpErrorKind::Decode, e))
        };
        let etag = HeaderValue::from_str(&format!("\"{}\"", field("etag")?))
            .map_err(|e| HttpError::new(HttpErrorKind::Decode, e))?;
        let generation = HeaderValue::from_str(field("generation")?)
            .map_err(|e| HttpError::new(HttpErrorKind::Decode, e))?;
        parts.headers.insert(ETAG, etag);
        parts
            .headers
            .insert(HeaderName::from_static("x-goog-generation"), generation);
        // The XML API answers a PUT with an empty body.
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        Ok(HttpResponse::from_parts(
            parts,
            HttpResponseBody::from(bytes::Bytes::new()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_xml_object_paths_are_uploads() {
        assert_eq!(
            xml_object_target("/b-one/dir%2Fa%2Etxt"),
            Some(("b-one", "dir%2Fa%2Etxt"))
        );
        assert_eq!(xml_object_target("/storage/v1/b/b-one/o"), None);
        assert_eq!(xml_object_target("/upload/storage/v1/b/x/o"), None);
        assert_eq!(xml_object_target("/b-one"), None);
        assert_eq!(xml_object_target("/b-one/"), None);
        assert_eq!(
            media_upload_uri("http://127.0.0.1:4443/b-one/k%2Fx", "b-one", "k%2Fx").unwrap(),
            "http://127.0.0.1:4443/upload/storage/v1/b/b-one/o?uploadType=media&name=k%2Fx"
        );
    }
}
