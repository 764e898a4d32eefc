//! `threshold:` and `suppress:` of a rule, and the durations they take.

use crate::model::{Enrichment, SuppressDef, ThresholdDef};
use crate::yaml::{Kind, Node};

use crate::expr::Expr;

use super::scope::Place;
use super::{Cx, Fields};

const THRESHOLD_KEYS: &[&str] = &["count", "within", "by"];
const SUPPRESS_KEYS: &[&str] = &["for", "by"];

/// The largest `count`: a threshold keeps up to two windows of pending events in one
/// DynamoDB item (400 KB).
pub(crate) const MAX_COUNT: i64 = 1000;
/// The longest `within`: the System Log keeps 90 days, and a counting window longer than
/// a week is a report, not a detection.
const MAX_WITHIN_MS: i64 = 7 * DAY_MS;
/// The longest `for`.
const MAX_SUPPRESS_MS: i64 = 30 * DAY_MS;
const DAY_MS: i64 = 86_400_000;

impl Cx<'_> {
    pub(super) fn threshold(&mut self, node: &Node, enrich: Enrichment) -> Option<ThresholdDef> {
        let fields = self.map(node, "`threshold`", THRESHOLD_KEYS)?;
        let count = match fields.get("count").map(|n| (n, &n.kind)) {
            Some((_, Kind::Int(i))) if (1..=MAX_COUNT).contains(i) => u32::try_from(*i).ok(),
            Some((n, _)) => {
                self.error(
                    n.pos,
                    format!("`count` must be a whole number from 1 to {MAX_COUNT}"),
                );
                None
            }
            None => {
                self.error(
                    node.pos,
                    "a threshold needs `count`: how many events fire the rule",
                );
                None
            }
        };
        let within = self.required_duration(
            node,
            &fields,
            "within",
            MAX_WITHIN_MS,
            "a threshold needs `within`: the window the events fall in (e.g. 10m)",
        );
        let by = self.by(&fields, enrich)?;
        Some(ThresholdDef {
            count: count?,
            within_ms: within?,
            by,
        })
    }

    pub(super) fn suppress(&mut self, node: &Node, enrich: Enrichment) -> Option<SuppressDef> {
        let fields = self.map(node, "`suppress`", SUPPRESS_KEYS)?;
        let for_ms = self.required_duration(
            node,
            &fields,
            "for",
            MAX_SUPPRESS_MS,
            "`suppress` needs `for`: how long the rule stays quiet (e.g. 1h)",
        );
        let by = self.by(&fields, enrich)?;
        Some(SuppressDef {
            for_ms: for_ms?,
            by,
        })
    }

    /// The key expression `by:`: `Some(None)` when it is not written (one key for the
    /// rule), `None` when it is written but does not compile (reported).
    fn by(&mut self, fields: &Fields<'_>, enrich: Enrichment) -> Option<Option<Expr>> {
        match fields.get("by") {
            None => Some(None),
            Some(n) => self.expr(n, Place::Condition, enrich).map(Some),
        }
    }

    /// The duration under `key`, reporting `missing` at `node` when it is not written.
    fn required_duration(
        &mut self,
        node: &Node,
        fields: &Fields<'_>,
        key: &str,
        max_ms: i64,
        missing: &str,
    ) -> Option<i64> {
        match fields.get(key) {
            Some(n) => self.duration(n, &format!("`{key}`"), max_ms),
            None => {
                self.error(node.pos, missing);
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str, max_ms: i64) -> Option<i64> {
        let text = node.as_str().map(str::trim).unwrap_or_default();
        match parse_duration_ms(text) {
            Some(ms) if ms > 0 && ms <= max_ms => Some(ms),
            Some(_) => {
                self.error(
                    node.pos,
                    format!(
                        "{what} must be more than 0 and at most {}",
                        describe_ms(max_ms)
                    ),
                );
                None
            }
            None => {
                self.error(
                    node.pos,
                    format!(
                        "{what} must be a duration: a whole number and s, m, h or d (30s, 10m, 1h, 2d), not {}",
                        shown(node)
                    ),
                );
                None
            }
        }
    }
}

fn shown(node: &Node) -> String {
    match &node.kind {
        Kind::Str(s) => format!("`{s}`"),
        _ => node.kind_name().to_owned(),
    }
}

/// `30s`, `10m`, `1h`, `2d` in milliseconds; `None` for anything else.
pub(crate) fn parse_duration_ms(text: &str) -> Option<i64> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(unit_at);
    let n: i64 = number.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => DAY_MS,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// `7d`, `90m`, `45s`: the largest whole unit, for messages.
pub(crate) fn describe_ms(ms: i64) -> String {
    for (unit, size) in [("d", DAY_MS), ("h", 3_600_000), ("m", 60_000)] {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{}s", ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tests::errors;

    #[test]
    fn durations_are_a_number_and_a_unit() {
        assert_eq!(parse_duration_ms("30s"), Some(30_000));
        assert_eq!(parse_duration_ms("10m"), Some(600_000));
        assert_eq!(parse_duration_ms("2d"), Some(2 * DAY_MS));
        assert_eq!(parse_duration_ms("10"), None);
        assert_eq!(parse_duration_ms("m"), None);
        assert_eq!(parse_duration_ms("1h30m"), None);
        assert_eq!(describe_ms(7 * DAY_MS), "7d");
        assert_eq!(describe_ms(90 * 60_000), "90m");
    }

    #[test]
    fn thresholds_and_suppression_are_checked_with_their_places() {
        let rule = |extra: &str| {
            format!(
                "rules:\n  - id: a\n    on: [user.session.start]\n{extra}    do:\n      - {{action: user.unlock, user: u}}\n"
            )
        };
        assert!(
            errors(&rule(
                "    threshold: {count: 5, within: 10m, by: actor.id}\n    suppress: {for: 1h}\n"
            ))
            .is_empty()
        );
        let errs = errors(&rule(
            "    threshold: {count: 0, within: 10 minutes, by: 'actor.idd +'}\n",
        ));
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert_eq!(
            errs[..2],
            [
                "t.yaml:4:24: error: `count` must be a whole number from 1 to 1000",
                "t.yaml:4:35: error: `within` must be a duration: a whole number and s, m, h or d (30s, 10m, 1h, 2d), not `10 minutes`",
            ]
        );
        assert!(
            errs[2].starts_with("t.yaml:4:51: error: in `actor.idd +`: CEL"),
            "{errs:#?}"
        );
        assert_eq!(
            errors(&rule(
                "    threshold: {within: 8d, by: steps.x}\n    suppress: {by: actor.id, until: 1h}\n"
            )),
            [
                "t.yaml:4:16: error: a threshold needs `count`: how many events fire the rule",
                "t.yaml:4:25: error: `within` must be more than 0 and at most 7d",
                "t.yaml:4:33: error: in `steps.x`: `steps` and `failure` can only be used in step parameters",
                "t.yaml:5:15: error: `suppress` needs `for`: how long the rule stays quiet (e.g. 1h)",
                "t.yaml:5:30: error: unknown key `until` in `suppress` (known: for, by)",
            ]
        );
    }
}
