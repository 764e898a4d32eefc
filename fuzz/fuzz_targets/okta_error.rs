//! Okta's error answers as the client reads them: the input's first line is the
//! headers (`Name: value` pairs separated by `|`; rate limits, `Retry-After`, `Date`,
//! the request id, `WWW-Authenticate`), the rest the body; the status cycles through the
//! ones Okta sends. The error is classified and its accessors read, as callers do.
//!
//! Properties: no panic (no overflow in the rate-limit arithmetic either).

#![no_main]

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;
use okta_client::RateLimit;
use okta_client::fuzzing::api_error;

const STATUSES: [u16; 8] = [400, 401, 403, 404, 409, 429, 500, 503];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let mut headers = HeaderMap::new();
    for pair in head.split(|&b| b == b'|') {
        let Some(colon) = pair.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&pair[..colon]),
            HeaderValue::from_bytes(pair[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let rate_limit = RateLimit::from_headers(&headers);
    let _ = rate_limit.retry_after();
    for elapsed in [Duration::ZERO, Duration::from_secs(3600), Duration::MAX] {
        for reserve in [0, 5, u64::MAX] {
            let _ = rate_limit.headroom_wait(reserve, elapsed);
        }
    }
    let status = StatusCode::from_u16(STATUSES[usize::from(pick) % STATUSES.len()])
        .unwrap_or(StatusCode::BAD_REQUEST);
    let error = api_error(status, headers, body);
    let _ = error.class();
    let _ = error.retry_after();
    let _ = error.error_code();
    let _ = error.request_id();
    let _ = error.status();
    let _ = error.to_string();
    let _ = error.failure();
});
