//! Scripted faults: what the next N matching calls get instead of (or on top of) Okta's
//! normal answer.
//!
//! Faults are kept in the order they were added. A call takes the first fault whose
//! method and path prefix match and that has uses left; each fault serves `times` calls
//! and then is gone. A fault never changes the rules of the org: a change applied by a
//! faulted call (a delayed answer, a `500` after apply) counts as applied.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a faulted call gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// `429 E0000047` with `X-Rate-Limit-Remaining: 0` and a reset `reset_in_secs` from
    /// now (the double's clock). Nothing is applied.
    RateLimited {
        /// Seconds from now to the advertised reset.
        reset_in_secs: u64,
    },
    /// This status (`500`, `502`, `503`, …) with an `E0000009` body. Nothing is applied.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The call is applied as usual at once, and its answer is held for `millis` — a
    /// client with a shorter timeout sees a timeout for a change that did happen.
    Delay {
        /// How long the answer is held.
        millis: u64,
    },
    /// The call is NOT applied; after `millis` the double answers `503`. A client with a
    /// shorter timeout sees a timeout for a change that did not happen.
    Hang {
        /// How long before the `503`.
        millis: u64,
    },
    /// The change is applied, then the double answers `500 E0000009`: the case where a
    /// retry must not apply it twice.
    #[serde(rename = "after_apply_500")]
    AfterApply500,
    /// An Okta error of the test's choosing — e.g. `403 E0000006` on `/api/v1/logs` for
    /// a credential without System Log access. Nothing is applied.
    Okta {
        /// The HTTP status.
        status: u16,
        /// `errorCode`, e.g. `E0000006`.
        code: String,
        /// `errorSummary`.
        summary: String,
    },
}

/// A scripted fault: which calls, what they get, how many times.
///
/// ```
/// use okta_double::Fault;
/// let fault = Fault::after_apply_500("POST", "/api/v1/users/00u1/lifecycle/suspend").times(1);
/// assert_eq!(fault.times, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// HTTP method, or `*` for any.
    pub method: String,
    /// Path prefix (no query), e.g. `/api/v1/users/00u1/lifecycle/`.
    pub path: String,
    /// What the call gets.
    pub kind: FaultKind,
    /// How many matching calls get it (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault of any kind for one matching call.
    pub fn new(method: impl Into<String>, path: impl Into<String>, kind: FaultKind) -> Fault {
        Fault {
            method: method.into(),
            path: path.into(),
            kind,
            times: 1,
        }
    }

    /// `429 E0000047`, the advertised reset one second away.
    pub fn rate_limited(method: impl Into<String>, path: impl Into<String>) -> Fault {
        Fault::new(method, path, FaultKind::RateLimited { reset_in_secs: 1 })
    }

    /// `500 E0000009`, nothing applied.
    pub fn server_error(method: impl Into<String>, path: impl Into<String>) -> Fault {
        Fault::status(method, path, 500)
    }

    /// This status (`502`, `503`, …), nothing applied.
    pub fn status(method: impl Into<String>, path: impl Into<String>, status: u16) -> Fault {
        Fault::new(method, path, FaultKind::Status { status })
    }

    /// Applied at once, answered after `delay`.
    pub fn delay(method: impl Into<String>, path: impl Into<String>, delay: Duration) -> Fault {
        Fault::new(
            method,
            path,
            FaultKind::Delay {
                millis: millis(delay),
            },
        )
    }

    /// Not applied; `503` after `delay`.
    pub fn hang(method: impl Into<String>, path: impl Into<String>, delay: Duration) -> Fault {
        Fault::new(
            method,
            path,
            FaultKind::Hang {
                millis: millis(delay),
            },
        )
    }

    /// Applied, then answered `500 E0000009`.
    pub fn after_apply_500(method: impl Into<String>, path: impl Into<String>) -> Fault {
        Fault::new(method, path, FaultKind::AfterApply500)
    }

    /// This Okta error (`403`, `E0000006`, "You do not have permission to perform the
    /// requested action"), nothing applied.
    pub fn okta_error(
        method: impl Into<String>,
        path: impl Into<String>,
        status: u16,
        code: impl Into<String>,
        summary: impl Into<String>,
    ) -> Fault {
        Fault::new(
            method,
            path,
            FaultKind::Okta {
                status,
                code: code.into(),
                summary: summary.into(),
            },
        )
    }

    /// For the next `n` matching calls instead of one.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = n;
        self
    }

    /// For a `RateLimited` fault: the advertised reset this far from now.
    pub fn reset_in(mut self, reset_in: Duration) -> Fault {
        if let FaultKind::RateLimited { reset_in_secs } = &mut self.kind {
            *reset_in_secs = reset_in.as_secs();
        }
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && path.starts_with(&self.path)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Takes the first matching fault's kind, using up one of its calls.
pub(crate) fn take(faults: &mut Vec<Fault>, method: &str, path: &str) -> Option<FaultKind> {
    let index = faults.iter().position(|f| f.matches(method, path))?;
    let fault = &mut faults[index];
    fault.times -= 1;
    let kind = fault.kind.clone();
    if fault.times == 0 {
        faults.remove(index);
    }
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_serve_their_count_in_the_order_they_were_added() {
        let mut faults = vec![
            Fault::server_error("POST", "/api/v1/users/").times(2),
            Fault::status("*", "/api/v1/", 503),
        ];
        assert_eq!(
            take(&mut faults, "GET", "/api/v1/users/00u1"),
            Some(FaultKind::Status { status: 503 })
        );
        assert_eq!(
            take(&mut faults, "POST", "/api/v1/users/00u1"),
            Some(FaultKind::Status { status: 500 })
        );
        assert_eq!(
            take(&mut faults, "post", "/api/v1/users/00u2"),
            Some(FaultKind::Status { status: 500 })
        );
        assert_eq!(take(&mut faults, "POST", "/api/v1/users/00u1"), None);
        assert!(faults.is_empty());
    }

    #[test]
    fn a_fault_spec_reads_from_json_with_one_use_by_default() {
        let fault: Fault = serde_json::from_str(
            r#"{"method":"PUT","path":"/api/v1/groups/","kind":{"type":"after_apply_500"}}"#,
        )
        .unwrap();
        assert_eq!(fault.times, 1);
        assert_eq!(fault.kind, FaultKind::AfterApply500);
    }

    #[test]
    fn an_okta_error_fault_reads_from_json_with_its_status_code_and_summary() {
        let fault: Fault = serde_json::from_str(
            r#"{"method":"GET","path":"/api/v1/logs","times":3,
                "kind":{"type":"okta","status":403,"code":"E0000006","summary":"no"}}"#,
        )
        .unwrap();
        assert_eq!(
            fault,
            Fault::okta_error("GET", "/api/v1/logs", 403, "E0000006", "no").times(3)
        );
    }
}
