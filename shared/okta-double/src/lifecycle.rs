//! Okta's user lifecycle rules: which operation is allowed from which status, and where
//! it leads.
//!
//! Okta gates every lifecycle call on the user's current status and answers `403` when
//! the pair is not allowed — `E0000016` for activating an active user, `E0000038` for
//! everything else, *including* the case where the user already is in the target status
//! (a second suspend). That ambiguity is what the executors must resolve by reading the
//! user afterwards, so the double reproduces it exactly.

use crate::model::Status;

/// A lifecycle operation (`POST /api/v1/users/{id}/lifecycle/{op}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `activate`.
    Activate,
    /// `reactivate`.
    Reactivate,
    /// `deactivate`.
    Deactivate,
    /// `suspend`.
    Suspend,
    /// `unsuspend`.
    Unsuspend,
    /// `unlock`.
    Unlock,
    /// `expire_password`.
    ExpirePassword,
    /// `reset_password`.
    ResetPassword,
}

impl Op {
    /// Every operation.
    pub const ALL: [Op; 8] = [
        Op::Activate,
        Op::Reactivate,
        Op::Deactivate,
        Op::Suspend,
        Op::Unsuspend,
        Op::Unlock,
        Op::ExpirePassword,
        Op::ResetPassword,
    ];

    /// The path segment, which is also the name of the applied change.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Activate => "activate",
            Op::Reactivate => "reactivate",
            Op::Deactivate => "deactivate",
            Op::Suspend => "suspend",
            Op::Unsuspend => "unsuspend",
            Op::Unlock => "unlock",
            Op::ExpirePassword => "expire_password",
            Op::ResetPassword => "reset_password",
        }
    }

    /// Parses the path segment.
    pub fn parse(segment: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == segment)
    }
}

/// Why Okta refuses a lifecycle call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `403 E0000016`: activating a user who is already active.
    #[error("Activation failed because the user is already active")]
    AlreadyActive,
    /// `403 E0000038`: the user's status does not allow the operation (or the user is
    /// already in the target status).
    #[error("This operation is not allowed in the user's current status.")]
    NotAllowed,
}

impl Refusal {
    /// Okta's `errorCode`.
    pub fn error_code(self) -> &'static str {
        match self {
            Refusal::AlreadyActive => "E0000016",
            Refusal::NotAllowed => "E0000038",
        }
    }
}

/// The status `op` leads to from `from`, or Okta's refusal.
///
/// - `activate`: `STAGED`/`DEPROVISIONED` → `ACTIVE` with a password, `PROVISIONED`
///   without; `ACTIVE` → `E0000016`.
/// - `reactivate`: `PROVISIONED`/`RECOVERY` → `PROVISIONED` (the activation flow
///   restarts; the user completes it to become `ACTIVE`).
/// - `deactivate`: anything but `DEPROVISIONED` → `DEPROVISIONED`.
/// - `suspend`: `ACTIVE` → `SUSPENDED`. `unsuspend`: `SUSPENDED` → `ACTIVE`.
/// - `unlock`: `LOCKED_OUT` → `ACTIVE`.
/// - `expire_password`: `ACTIVE` → `PASSWORD_EXPIRED`.
/// - `reset_password`: `ACTIVE`/`PASSWORD_EXPIRED`/`LOCKED_OUT` → `RECOVERY`.
/// - any other pair → `E0000038`.
pub fn transition(op: Op, from: Status, has_password: bool) -> Result<Status, Refusal> {
    use Status::*;
    let to = match (op, from) {
        (Op::Activate, Active) => return Err(Refusal::AlreadyActive),
        (Op::Activate, Staged | Deprovisioned) if has_password => Active,
        (Op::Activate, Staged | Deprovisioned) => Provisioned,
        (Op::Reactivate, Provisioned | Recovery) => Provisioned,
        (Op::Deactivate, from) if from != Deprovisioned => Deprovisioned,
        (Op::Suspend, Active) => Suspended,
        (Op::Unsuspend, Suspended) => Active,
        (Op::Unlock, LockedOut) => Active,
        (Op::ExpirePassword, Active) => PasswordExpired,
        (Op::ResetPassword, Active | PasswordExpired | LockedOut) => Recovery,
        _ => return Err(Refusal::NotAllowed),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspend_is_allowed_from_active_only() {
        for from in Status::ALL {
            let result = transition(Op::Suspend, from, true);
            if from == Status::Active {
                assert_eq!(result, Ok(Status::Suspended));
            } else {
                assert_eq!(result, Err(Refusal::NotAllowed), "suspend from {from}");
            }
        }
    }

    #[test]
    fn an_operation_into_the_status_the_user_already_has_is_refused_with_e0000038() {
        assert_eq!(
            transition(Op::Suspend, Status::Suspended, true),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            transition(Op::Deactivate, Status::Deprovisioned, true),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            transition(Op::Unsuspend, Status::Active, true),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn activating_an_active_user_is_refused_with_e0000016() {
        let refusal = transition(Op::Activate, Status::Active, true).unwrap_err();
        assert_eq!(refusal.error_code(), "E0000016");
    }

    #[test]
    fn activation_leads_to_active_with_a_password_and_to_provisioned_without() {
        assert_eq!(
            transition(Op::Activate, Status::Staged, true),
            Ok(Status::Active)
        );
        assert_eq!(
            transition(Op::Activate, Status::Staged, false),
            Ok(Status::Provisioned)
        );
        assert_eq!(
            transition(Op::Activate, Status::Deprovisioned, false),
            Ok(Status::Provisioned)
        );
        assert_eq!(
            transition(Op::Activate, Status::Suspended, true),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn deactivation_is_allowed_from_every_status_but_deprovisioned() {
        for from in Status::ALL {
            let expected = if from == Status::Deprovisioned {
                Err(Refusal::NotAllowed)
            } else {
                Ok(Status::Deprovisioned)
            };
            assert_eq!(transition(Op::Deactivate, from, true), expected, "{from}");
        }
    }

    #[test]
    fn unlock_unsuspend_reactivate_and_expire_need_their_one_source_status() {
        assert_eq!(
            transition(Op::Unlock, Status::LockedOut, true),
            Ok(Status::Active)
        );
        assert_eq!(
            transition(Op::Unlock, Status::Suspended, true),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            transition(Op::Unsuspend, Status::Suspended, true),
            Ok(Status::Active)
        );
        assert_eq!(
            transition(Op::Reactivate, Status::Recovery, true),
            Ok(Status::Provisioned)
        );
        assert_eq!(
            transition(Op::Reactivate, Status::Active, true),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            transition(Op::ExpirePassword, Status::Active, true),
            Ok(Status::PasswordExpired)
        );
        assert_eq!(
            transition(Op::ExpirePassword, Status::Suspended, true),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            transition(Op::ResetPassword, Status::LockedOut, true),
            Ok(Status::Recovery)
        );
        assert_eq!(
            transition(Op::ResetPassword, Status::Staged, true),
            Err(Refusal::NotAllowed)
        );
    }
}
