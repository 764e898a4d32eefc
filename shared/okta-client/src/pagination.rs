//! Cursor pagination through `Link` headers, and System Log polling.
//!
//! Okta's cursors are opaque: the `next` URL is followed verbatim, never rebuilt. A list
//! ends when a response has no `rel="next"` link — except a System Log *polling* query
//! (no `until`, ascending), whose `next` link never ends: there the caller stores the
//! link and resumes from it on the next run.

use std::marker::PhantomData;

use futures_util::stream::{self, Stream, TryStreamExt};
use http::HeaderMap;
use http::Method;
use okta_events::LogEvent;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{Call, OktaClient, ResponseMeta, parse_answer};
use crate::error::{OktaError, Result};
use crate::request::describe;

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The `rel="next"` link, verbatim; `None` on the last page.
    pub next: Option<Url>,
    /// Status, request id, rate limits of this page's response.
    pub meta: ResponseMeta,
}

/// A list operation not yet sent: read it as pages, as items, or one page at a time.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    client: OktaClient,
    first: Url,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Send + 'static> Paged<T> {
    pub(crate) fn new(client: OktaClient, first: Url) -> Self {
        Paged {
            client,
            first,
            _item: PhantomData,
        }
    }

    /// The URL of the first page.
    pub fn url(&self) -> &Url {
        &self.first
    }

    /// Fetches only the first page.
    pub async fn first_page(&self) -> Result<Page<T>> {
        self.client.page(self.first.clone()).await
    }

    /// Every page, following `next` until there is none. Stops after the first error.
    pub fn pages(self) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let client = self.client;
        stream::try_unfold(Some(self.first), move |next| {
            let client = client.clone();
            async move {
                let Some(url) = next else { return Ok(None) };
                let page: Page<T> = client.page(url).await?;
                let following = page.next.clone();
                Ok(Some((page, following)))
            }
        })
    }

    /// Every item of every page, in order.
    pub fn items(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every item, collected. For bounded lists only.
    pub async fn all(self) -> Result<Vec<T>> {
        self.items().try_collect().await
    }
}

impl OktaClient {
    /// GETs one page at `url` (a first URL or a `next` link, verbatim).
    pub async fn page<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>> {
        let what = describe(&Method::GET, &url);
        let raw = self.execute(Call::new(Method::GET, url)).await?;
        let items: Vec<T> = parse_answer(&what, &raw)?;
        let next = next_link(&raw.meta.headers, self.org_url());
        if let Some(next) = &next {
            self.check_origin(next)?;
        }
        Ok(Page {
            items,
            next,
            meta: raw.meta,
        })
    }
}

/// Where a System Log poll resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogCursor {
    /// The first poll: a URL built from a [`crate::endpoints::logs::LogQuery`] (it
    /// must have no `until`, and ascending order, to be a polling query).
    Start(Url),
    /// A `next` link stored from an earlier poll.
    Next(Url),
}

impl LogCursor {
    fn url(&self) -> &Url {
        match self {
            LogCursor::Start(u) | LogCursor::Next(u) => u,
        }
    }
}

/// The result of polling the System Log.
#[derive(Debug, Clone)]
pub struct LogPoll {
    /// The events read, in the order Okta persisted them.
    pub events: Vec<LogEvent>,
    /// Where to resume: store this link (not a timestamp) and pass it back as
    /// [`LogCursor::Next`].
    pub next: Url,
    /// Pages read.
    pub pages: usize,
    /// True when the last page was empty: the poll has caught up with Okta.
    pub caught_up: bool,
    /// Metadata of the last response.
    pub meta: ResponseMeta,
}

impl OktaClient {
    /// Polls the System Log from `cursor`, reading pages until one comes back empty
    /// (caught up) or `max_pages` pages were read, whichever is first. The returned
    /// `next` is where the following poll must start.
    ///
    /// A polling query's `next` link never ends; a response without one means the
    /// query was a bounded one, which is refused as an error rather than silently
    /// losing the position.
    pub async fn poll_logs(&self, cursor: &LogCursor, max_pages: usize) -> Result<LogPoll> {
        let mut url = cursor.url().clone();
        let mut events = Vec::new();
        let mut pages = 0;
        loop {
            let page: Page<LogEvent> = self.page(url.clone()).await?;
            pages += 1;
            let empty = page.items.is_empty();
            events.extend(page.items);
            // A dry run that does not read Okta stays where it is, caught up.
            let next = match page.next {
                None if page.meta.is_dry_run() => Some(url),
                next => next,
            };
            let next = next.ok_or_else(|| {
                OktaError::InvalidRequest(
                    "System Log answered without a next link: not a polling query (drop `until`, keep ascending order)"
                        .into(),
                )
            })?;
            if empty || pages >= max_pages.max(1) {
                return Ok(LogPoll {
                    events,
                    next,
                    pages,
                    caught_up: empty,
                    meta: page.meta,
                });
            }
            url = next;
        }
    }
}

/// The `rel="next"` target among all `Link` headers (RFC 8288), resolved against `base`.
pub(crate) fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_links)
        .find(|(_, rels)| {
            rels.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("next"))
        })
        .and_then(|(target, _)| base.join(&target).ok())
}

/// Splits one `Link` header value into (target, rel) pairs. Targets are inside `<…>`
/// and may contain commas; parameters follow, separated by `;`.
fn parse_links(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let target = after[..end].trim().to_owned();
        let params_and_more = &after[end + 1..];
        // Parameters run to the next '<' that starts a new link (a comma precedes it).
        let params_end = params_and_more.find('<').unwrap_or(params_and_more.len());
        let params = &params_and_more[..params_end];
        let rel = params
            .split(';')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("rel").then(|| {
                    v.trim()
                        .trim_matches(',')
                        .trim()
                        .trim_matches('"')
                        .to_owned()
                })
            })
            .next()
            .unwrap_or_default();
        out.push((target, rel));
        rest = &params_and_more[params_end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn base() -> Url {
        Url::parse("https://ex.okta.com").unwrap()
    }

    #[test]
    fn next_from_separate_link_headers() {
        let mut h = HeaderMap::new();
        h.append(
            "link",
            HeaderValue::from_static("<https://ex.okta.com/api/v1/users?limit=2>; rel=\"self\""),
        );
        h.append(
            "link",
            HeaderValue::from_static(
                "<https://ex.okta.com/api/v1/users?after=00u1&limit=2>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&h, &base()).unwrap().as_str(),
            "https://ex.okta.com/api/v1/users?after=00u1&limit=2"
        );
    }

    #[test]
    fn next_from_one_comma_joined_header_with_commas_in_targets() {
        let mut h = HeaderMap::new();
        h.append(
            "link",
            HeaderValue::from_static(
                "<https://ex.okta.com/api/v1/logs?filter=a,b>; rel=\"self\", <https://ex.okta.com/api/v1/logs?after=x,y>; rel=next",
            ),
        );
        assert_eq!(
            next_link(&h, &base()).unwrap().as_str(),
            "https://ex.okta.com/api/v1/logs?after=x,y"
        );
    }

    #[test]
    fn no_next_on_last_page() {
        let mut h = HeaderMap::new();
        h.append(
            "link",
            HeaderValue::from_static("<https://ex.okta.com/api/v1/users?limit=2>; rel=\"self\""),
        );
        assert_eq!(next_link(&h, &base()), None);
        assert_eq!(next_link(&HeaderMap::new(), &base()), None);
    }
}
