//! Positions inside templates: where in the file the `${` of an expression is written.
//!
//! The YAML parser gives the position of a whole string; a string can hold several
//! `${…}` and span several lines, so a diagnostic about one expression is placed on
//! its own `${` by reading the file's text from the string's start.

use crate::diagnostic::Pos;

/// Where the `n`-th (0-based) `${` of the string that starts at `start` in `text` is
/// written. Falls back to the string's own position when the file does not show it
/// (e.g. YAML escapes such as `\x24{`).
pub(super) fn template_pos(text: &str, start: Pos, n: usize) -> Pos {
    let mut line_start = 0;
    let mut lines = text.split_inclusive('\n');
    for _ in 1..start.line {
        line_start += lines.next().map_or(0, str::len);
    }
    let Some(line) = lines.next() else {
        return start;
    };
    let from = line_start
        + line
            .chars()
            .take(start.column.saturating_sub(1))
            .map(char::len_utf8)
            .sum::<usize>();
    let rest: Vec<char> = text[from..].chars().collect();
    let mut seen = 0;
    let mut pos = start;
    for (i, c) in rest.iter().enumerate() {
        if is_open(&rest, i) {
            if seen == n {
                return pos;
            }
            seen += 1;
        }
        if *c == '\n' {
            pos = Pos {
                line: pos.line + 1,
                column: 1,
            };
        } else {
            pos.column += 1;
        }
    }
    start
}

/// Where a template error is written: `offset` is the 0-based character offset of the
/// `${` it concerns inside the parsed string `value` (as [`crate::template::TemplateError`]
/// gives it), and the string starts at `start` in `text`.
pub(super) fn template_error_pos(text: &str, start: Pos, value: &str, offset: usize) -> Pos {
    let chars: Vec<char> = value.chars().collect();
    let n = count_opens(&chars[..offset.min(chars.len())]);
    template_pos(text, start, n)
}

/// Whether `chars[i..]` starts a `${` that is not the escape `$${`.
fn is_open(chars: &[char], i: usize) -> bool {
    chars[i] == '$' && chars.get(i + 1) == Some(&'{') && (i == 0 || chars[i - 1] != '$')
}

/// How many `${` (not `$${`) `chars` holds.
fn count_opens(chars: &[char]) -> usize {
    (0..chars.len()).filter(|&i| is_open(chars, i)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tests::errors;

    fn pos(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn each_dollar_brace_of_a_line_has_its_own_column() {
        let text = "k: a ${ x } b ${ y }\n";
        assert_eq!(template_pos(text, pos(1, 4), 0), pos(1, 6));
        assert_eq!(template_pos(text, pos(1, 4), 1), pos(1, 15));
    }

    #[test]
    fn the_search_starts_at_the_string_not_at_the_line() {
        // `${ a }` is a key before the string: it is not one of the string's `${`.
        let text = "other: 1\n'${ a }': \"t ${ b }\"\n";
        assert_eq!(template_pos(text, pos(2, 11), 0), pos(2, 14));
    }

    #[test]
    fn an_escaped_dollar_brace_is_not_counted() {
        let text = "k: \"$${x} ${ y }\"\n";
        assert_eq!(template_pos(text, pos(1, 4), 0), pos(1, 11));
        assert_eq!(count_opens(&chars("$${x} ${ y } $${z}")), 1);
        assert_eq!(count_opens(&chars("${ a }${ b }")), 2);
    }

    #[test]
    fn a_string_over_several_lines_counts_lines_and_restarts_columns() {
        let text = "k: >-\n  first ${ a }\n  then ${ b }\n";
        assert_eq!(template_pos(text, pos(1, 4), 0), pos(2, 9));
        assert_eq!(template_pos(text, pos(1, 4), 1), pos(3, 8));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "é: \"ü ${ x }\"\n";
        assert_eq!(template_pos(text, pos(1, 4), 0), pos(1, 7));
    }

    #[test]
    fn a_string_the_file_does_not_show_falls_back_to_its_start() {
        // written with a YAML escape: the file holds no `${`
        let text = "k: \"\\x24{ x }\"\n";
        assert_eq!(template_pos(text, pos(1, 4), 0), pos(1, 4));
        // a position past the end of the text
        assert_eq!(template_pos(text, pos(5, 1), 0), pos(5, 1));
    }

    #[test]
    fn a_template_error_is_placed_on_the_dollar_brace_at_its_offset() {
        let text = "k: \"${ a } and ${ b\"\n";
        let value = "${ a } and ${ b";
        assert_eq!(template_error_pos(text, pos(1, 4), value, 11), pos(1, 16));
        assert_eq!(template_error_pos(text, pos(1, 4), value, 0), pos(1, 5));
    }

    #[test]
    fn template_errors_point_at_their_dollar_brace() {
        let yaml = r#"rules:
  - id: a
    on: [user.account.lock]
    do:
      - action: notify.webhook
        url_secret: s
        body:
          text: "cost $${x}, ${ actor.id } and ${ bogus.id }"
          more: >-
            first line ${ actor.id }
            then ${ steps.nope.id }
          bad: "x ${ actor. }"
"#;
        let errs = errors(yaml);
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert!(
            errs[0].starts_with("t.yaml:8:48: error: in `bogus.id`: unknown variable `bogus`"),
            "{errs:#?}"
        );
        assert!(
            errs[1].starts_with(
                "t.yaml:11:18: error: in `steps.nope.id`: `steps.nope` is not a named step"
            ),
            "{errs:#?}"
        );
        assert!(
            errs[2].starts_with("t.yaml:12:19: error: in `${ actor. }`"),
            "{errs:#?}"
        );
    }
}
