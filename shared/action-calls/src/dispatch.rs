//! The table from action name to handler, and what a handler is given.
//!
//! Each family module lists its actions in a `HANDLERS` table; the executor finds the
//! action there. A table rather than one big `match` means that "every catalog action
//! has an implementation" is a fact a test can check by iterating the catalog, and
//! that there is no catch-all arm answering "unsupported".

use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use okta_client::{OktaClient, Paged};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ExecError;
use crate::notify::WebhookSender;
use crate::outcome::{Outcome, to_json};
use crate::params::Params;
use crate::secrets::NamedSecrets;

/// Everything one action run may use.
pub(crate) struct Ctx<'a> {
    pub spec: &'static actions::ActionSpec,
    pub p: Params<'a>,
    pub okta: Option<&'a OktaClient>,
    pub org: &'a str,
    pub secrets: Option<&'a dyn NamedSecrets>,
    pub webhook: Option<&'a WebhookSender>,
}

impl<'a> Ctx<'a> {
    /// The action's name.
    pub fn action(&self) -> &'static str {
        self.p.action
    }

    /// The Okta client, which every action but `notify.webhook` needs.
    pub fn okta(&self) -> Result<&'a OktaClient, ExecError> {
        self.okta.ok_or(ExecError::NotConfigured {
            action: self.p.action,
            what: "an Okta client",
        })
    }

    /// The catalog's output fields of this action.
    pub fn outputs(&self) -> &'static [&'static str] {
        self.spec.outputs
    }

    /// An outcome whose output is the catalog's fields of `value`.
    pub fn fields<T: Serialize>(&self, mut out: Outcome, value: &T) -> Result<Outcome, ExecError> {
        out = out.output_fields(self.p.action, value, self.outputs())?;
        Ok(out)
    }
}

/// A handler: runs one action.
pub(crate) type Handler = for<'a> fn(&'a Ctx<'a>) -> BoxFuture<'a, Result<Outcome, ExecError>>;

/// `HANDLERS` of a family module: `"user.get" => get, …`.
macro_rules! handlers {
    ($($name:literal => $f:path),* $(,)?) => {
        pub(crate) const HANDLERS: &[(&str, $crate::dispatch::Handler)] = &[$(
            ($name, {
                fn handler<'a>(
                    ctx: &'a $crate::dispatch::Ctx<'a>,
                ) -> futures_util::future::BoxFuture<
                    'a,
                    Result<$crate::outcome::Outcome, $crate::error::ExecError>,
                > {
                    Box::pin($f(ctx))
                }
                handler as $crate::dispatch::Handler
            }),
        )*];
    };
}
pub(crate) use handlers;

/// Every family's handlers.
const TABLES: &[&[(&str, Handler)]] = &[
    crate::users::HANDLERS,
    crate::credentials::HANDLERS,
    crate::sessions::HANDLERS,
    crate::groups::HANDLERS,
    crate::apps::HANDLERS,
    crate::roles::HANDLERS,
    crate::admin::HANDLERS,
    crate::raw::HANDLERS,
    crate::notify::HANDLERS,
];

/// The handler of `action`.
pub(crate) fn handler(action: &str) -> Option<Handler> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|(name, _)| *name == action)
        .map(|(_, h)| *h)
}

/// Every action name that has a handler (for the coverage test).
pub fn implemented_actions() -> impl Iterator<Item = &'static str> {
    TABLES.iter().flat_map(|t| t.iter()).map(|(name, _)| *name)
}

/// How many items a list action returns when the rule gives no `limit`. The output
/// travels to later steps inside an SQS message (256 KiB at most), so lists are bounded
/// (and their items lose their HAL `_links`).
pub const DEFAULT_LIST_LIMIT: i32 = 100;
/// Pages read at most by one list action: a System Log query without `until` never
/// runs out of `next` links.
pub const MAX_LIST_PAGES: usize = 10;

/// Reads up to `limit` items (default [`DEFAULT_LIST_LIMIT`]) of a list, following
/// `next` links, stopping early on an empty page or after [`MAX_LIST_PAGES`] pages.
pub(crate) async fn collect<T>(
    ctx: &Ctx<'_>,
    paged: Paged<T>,
    limit: Option<i32>,
) -> Result<Outcome, ExecError>
where
    T: DeserializeOwned + Serialize + Send + 'static,
{
    let max = usize::try_from(limit.unwrap_or(DEFAULT_LIST_LIMIT)).unwrap_or(0);
    let mut out = Outcome::new();
    let mut items: Vec<Value> = Vec::new();
    let mut pages = Box::pin(paged.pages());
    let mut read = 0;
    while items.len() < max && read < MAX_LIST_PAGES {
        let Some(page) = pages.try_next().await? else {
            break;
        };
        read += 1;
        out.saw(&page.meta);
        if page.items.is_empty() {
            break;
        }
        for item in &page.items {
            if items.len() == max {
                break;
            }
            items.push(list_item(ctx, item)?);
        }
    }
    Ok(out.output_items(items))
}

/// A list Okta answers in one response (no paging).
pub(crate) fn items<T: Serialize>(
    ctx: &Ctx<'_>,
    mut out: Outcome,
    list: &[T],
) -> Result<Outcome, ExecError> {
    let items = list
        .iter()
        .map(|i| list_item(ctx, i))
        .collect::<Result<Vec<_>, _>>()?;
    out = out.output_items(items);
    Ok(out)
}

/// A list item as output: the object as Okta sent it, without its HAL `_links` (URLs
/// of related operations: no use to a later step, and the bulk of a small object).
fn list_item<T: Serialize>(ctx: &Ctx<'_>, item: &T) -> Result<Value, ExecError> {
    let mut value = to_json(ctx.action(), item)?;
    if let Value::Object(map) = &mut value {
        map.remove("_links");
    }
    Ok(value)
}

/// An outcome that only records the response (actions without outputs).
pub(crate) fn done(meta: &okta_client::ResponseMeta) -> Outcome {
    let mut out = Outcome::new();
    out.saw(meta);
    out
}
