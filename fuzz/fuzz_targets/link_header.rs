//! The `Link` header parser of pagination: the input is one or more `Link` header
//! values (one per line), resolved against an Okta org URL as the client does.
//!
//! Properties: no panic; a next link found reads back as the same URL (what the
//! client requests next).

#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue, header::LINK};
use libfuzzer_sys::fuzz_target;
use okta_client::fuzzing::next_link;
use reqwest::Url;

static BASE: LazyLock<Url> =
    LazyLock::new(|| Url::parse("https://fuzz.okta.com/api/v1/users?limit=200").expect("a URL"));

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(LINK, value);
        }
    }
    if let Some(next) = next_link(&headers, &BASE) {
        assert_eq!(
            Url::parse(next.as_str()).as_ref(),
            Ok(&next),
            "the next link does not read back"
        );
    }
});
