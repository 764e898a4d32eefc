//! `--since`: a duration back from now (`30d`, `12h`) or an RFC 3339 time.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::commands::log_window::{LogWindowError, Window, window};

/// The window `--since` names, ending `now`: a duration as rules write them (`30s`,
/// `10m`, `12h`, `30d`) counted back from `now`, else an RFC 3339 time. Refused (as
/// usage errors, before any credential is read): anything else, a zero duration, a time
/// after `now`, and a window longer than the System Log's 90 days.
pub fn parse_since(text: &str, now: OffsetDateTime) -> Result<Window, LogWindowError> {
    let now = now.to_offset(UtcOffset::UTC);
    let text = text.trim();
    let start = match rules::parse_duration(text) {
        Some(duration) => {
            if duration.is_zero() {
                return Err(LogWindowError::Usage(format!(
                    "--since {text} is an empty window: give a duration such as 30d"
                )));
            }
            let back = Duration::try_from(duration).map_err(|_| too_long(text))?;
            now.checked_sub(back).ok_or_else(|| too_long(text))?
        }
        None => OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
            LogWindowError::Usage(format!(
                "--since {text:?} is neither a duration (30d, 12h, 90m) nor an RFC 3339 time \
                 such as 2026-11-01T00:00:00Z"
            ))
        })?,
    };
    let format = |t: OffsetDateTime| {
        t.to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|e| LogWindowError::Usage(format!("cannot format {t}: {e}")))
    };
    if start >= now {
        return Err(LogWindowError::Usage(format!(
            "--since {text} is in the future (now is {}): the window must start before now",
            format(now)?
        )));
    }
    window(&format(start)?, &format(now)?, now)
}

fn too_long(text: &str) -> LogWindowError {
    LogWindowError::Usage(format!("--since {text} is too long ago"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-12-01T12:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn a_duration_counts_back_from_now_which_ends_the_window() {
        let w = parse_since("30d", now()).unwrap();
        assert_eq!(w.since, "2026-11-01T12:00:00Z");
        assert_eq!(w.until, "2026-12-01T12:00:00Z");
        assert_eq!(
            parse_since("12h", now()).unwrap().since,
            "2026-12-01T00:00:00Z"
        );
    }

    #[test]
    fn an_rfc3339_time_with_an_offset_is_read_as_utc() {
        let w = parse_since("2026-11-20T01:30:00+01:00", now()).unwrap();
        assert_eq!(w.since, "2026-11-20T00:30:00Z");
    }

    #[test]
    fn a_time_in_the_future_is_refused_naming_now() {
        let err = parse_since("2027-01-01T00:00:00Z", now()).unwrap_err();
        assert!(matches!(err, LogWindowError::Usage(_)));
        assert!(err.to_string().contains("in the future"), "{err}");
        assert!(err.to_string().contains("2026-12-01T12:00:00Z"), "{err}");
    }

    #[test]
    fn more_than_90_days_zero_and_garbage_are_usage_errors() {
        let err = parse_since("91d", now()).unwrap_err();
        assert!(err.to_string().contains("90 days"), "{err}");
        assert!(parse_since("90d", now()).is_ok());
        let err = parse_since("0s", now()).unwrap_err();
        assert!(err.to_string().contains("empty window"), "{err}");
        let err = parse_since("last month", now()).unwrap_err();
        assert!(err.to_string().contains("neither a duration"), "{err}");
    }
}
