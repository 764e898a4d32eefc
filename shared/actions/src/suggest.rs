//! "Did you mean" hints for a mistyped action name.

use crate::catalog::CATALOG;

/// Levenshtein distance between two short names (characters, not bytes).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The closest of `candidates` to `word` within an edit distance of 3, for "did you
/// mean" hints anywhere a name is mistyped (actions, parameters, keys, event types);
/// ties go to the candidate that sorts first, so the hint is stable.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, found)| found)
}

/// The catalog action closest to `name` (`user.suspnd` → `user.suspend`), for "unknown
/// action … did you mean …?" messages; `None` when nothing is that close.
pub fn closest_action(name: &str) -> Option<&'static str> {
    closest(name, CATALOG.iter().map(|spec| spec.name))
}

/// "unknown action `user.suspnd` — did you mean `user.suspend`?", or without the hint
/// when no action is close: the one wording of the CLI and the request intake.
pub fn unknown_action_message(name: &str) -> String {
    match closest_action(name) {
        Some(close) => format!("unknown action `{name}` — did you mean `{close}`?"),
        None => format!("unknown action `{name}` (`okta-hooks actions list` shows them)"),
    }
}
