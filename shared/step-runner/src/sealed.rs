//! Secret step outputs (temporary passwords, reset and activation links: the catalog's
//! [`actions::is_secret_output`]) never travel or rest in clear.
//!
//! After a step, each secret field of its output is either dropped, when no step of the
//! plan reads `steps.<name>.<field>` ([`rules::Plan::references`]), or *sealed*: replaced
//! by `{"$secret": "<kid>:<base64(nonce ‖ ciphertext ‖ tag)>"}`, AES-256-GCM under a key
//! derived from the org's signing key `kid` (HMAC-SHA256 of [`KEY_LABEL`]), with the org,
//! rule, event, step and field as associated data, so a sealed value opens only where it
//! was made. That form is what the next envelope, the step's DynamoDB record (from which
//! a duplicate run re-sends the next step), DLQ letters and logs can ever hold. Only the
//! router and the executors hold signing keys; the executor opens sealed values just to
//! render the parameters of the step that reads them, and never in a dry run.
//!
//! A sealed value opens as long as the org secret still holds its signing key: a step
//! re-sent from a record older than a key rotation's clean-up fails with a clear reason.
//!
//! The key stays derived from the HMAC signing key, not from the router's plan keys:
//! secret outputs are made by executors, which hold no plan key, and must be opened by
//! executors. So any executor of the org can open them — as before plan signatures; a
//! plan signature restricts who can make a plan, not who can read a step's outputs.

use std::collections::BTreeMap;

use action_calls::{FailureClass, FailureReport};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use envelope::Envelope;
use hmac::{Hmac, KeyInit, Mac};
use org_secrets::{SecretCache, SecretError, SecretSource, SigningKeys};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use rules::Plan;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::failure::{permanent, report};

/// The one key of a sealed value's object.
pub const SEALED: &str = "$secret";

/// What a dry run renders in place of a sealed value: it never opens one.
pub const DRY_RUN_PLACEHOLDER: &str = "[sealed secret]";

/// The label the output-encryption key is derived under, so it differs from the
/// signing key itself.
const KEY_LABEL: &[u8] = b"okta-hooks/step-output-encryption/v1";

/// Why a secret output could not be sealed or opened. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealedError {
    /// A secret must be sealed but the org secret does not hold the signing key it names
    /// as active (empty when no keys were given): nothing can be sealed until it does.
    #[error("the org secret names active signing key {0:?}, which it does not hold")]
    NoActiveKey(String),
    /// The value was sealed under a key the org secret no longer holds (a record older
    /// than a key rotation's clean-up): it can never open again.
    #[error(
        "output {step}.{field} was sealed under signing key {kid:?}, which the org secret no longer holds"
    )]
    UnknownKey {
        /// The step whose output holds the value.
        step: String,
        /// The secret field of that output.
        field: String,
        /// The signing key id the value names.
        kid: String,
    },
    /// The key is there but the value does not open under it and this place (org, rule,
    /// event, step, field): corrupt, or copied from elsewhere.
    #[error("output {step}.{field} is sealed but does not open (corrupt, or sealed elsewhere)")]
    DoesNotOpen {
        /// The step whose output holds the value.
        step: String,
        /// The secret field of that output.
        field: String,
    },
    /// Sealing failed (key derivation, serialisation or encryption); the value is never
    /// recorded or sent in clear instead.
    #[error("output {step}.{field} could not be sealed")]
    Seal {
        /// The step whose output is being sealed.
        step: String,
        /// The secret field being sealed.
        field: String,
    },
}

/// Where a secret output belongs: it opens only under the same org, rule, event,
/// producing step and field.
struct Place<'a> {
    org: &'a str,
    rule: &'a str,
    event: &'a str,
    step: &'a str,
    field: &'a str,
}

impl Place<'_> {
    /// Length-prefixed parts: no two places share associated data.
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::new();
        for part in [self.org, self.rule, self.event, self.step, self.field] {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }

    fn does_not_open(&self) -> SealedError {
        SealedError::DoesNotOpen {
            step: self.step.to_owned(),
            field: self.field.to_owned(),
        }
    }

    fn seal_error(&self) -> SealedError {
        SealedError::Seal {
            step: self.step.to_owned(),
            field: self.field.to_owned(),
        }
    }
}

fn place<'a>(envelope: &'a Envelope<Plan>, step: &'a str, field: &'a str) -> Place<'a> {
    Place {
        org: envelope.org.as_str(),
        rule: &envelope.rule_id,
        event: &envelope.event.uuid,
        step,
        field,
    }
}

/// The AES-256-GCM key derived from a signing key. Each seal draws a fresh random
/// 96-bit nonce (`seal_value`), stored before the ciphertext.
fn cipher(signing_key: &str) -> Option<LessSafeKey> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(signing_key.as_bytes()).ok()?;
    mac.update(KEY_LABEL);
    let key = mac.finalize().into_bytes();
    UnboundKey::new(&AES_256_GCM, &key)
        .ok()
        .map(LessSafeKey::new)
}

/// Whether the output of the envelope's current step has a secret field that must be
/// sealed (a named step whose field a step of the plan reads). Lets the caller fetch
/// keys only when needed.
pub fn needs_keys(envelope: &Envelope<Plan>, output: &Value) -> bool {
    let (Some(name), Value::Object(fields)) = (step_name(envelope), output) else {
        return false;
    };
    fields.iter().any(|(field, value)| {
        actions::is_secret_output(field)
            && !is_sealed(value)
            && envelope.plan.references(name, field)
    })
}

/// The output of the envelope's current step as it may be recorded and sent on: each
/// secret field in clear is sealed under the active key of `keys` when a step of the
/// plan reads it, dropped otherwise (always, for an unnamed step, which no step can
/// name). `keys` may be `None` when [`needs_keys`] said no.
pub fn protect(
    envelope: &Envelope<Plan>,
    output: Value,
    keys: Option<&SigningKeys>,
) -> Result<Value, SealedError> {
    let Value::Object(fields) = output else {
        return Ok(output);
    };
    let name = step_name(envelope);
    let mut kept = Map::new();
    for (field, value) in fields {
        if !actions::is_secret_output(&field) || is_sealed(&value) {
            kept.insert(field, value);
            continue;
        }
        let Some(name) = name.filter(|n| envelope.plan.references(n, &field)) else {
            continue; // nobody reads it: it goes nowhere
        };
        let keys = keys.ok_or_else(|| SealedError::NoActiveKey(String::new()))?;
        let sealed = seal_value(keys, &place(envelope, name, &field), &value)?;
        kept.insert(field, sealed);
    }
    Ok(Value::Object(kept))
}

/// The envelope's outputs with every sealed value opened, for rendering the step's
/// parameters; with `keys` `None` (a dry run), sealed values become
/// [`DRY_RUN_PLACEHOLDER`] instead. The result must not be logged or stored.
pub fn open_outputs(
    envelope: &Envelope<Plan>,
    keys: Option<&SigningKeys>,
) -> Result<BTreeMap<String, Value>, SealedError> {
    let mut outputs = BTreeMap::new();
    for (step, output) in &envelope.outputs {
        let mut output = output.clone();
        if let Value::Object(fields) = &mut output {
            for (field, value) in fields.iter_mut() {
                let Some(sealed) = sealed_text(value) else {
                    continue;
                };
                *value = match keys {
                    Some(keys) => open_value(keys, &place(envelope, step, field), sealed)?,
                    None => Value::String(DRY_RUN_PLACEHOLDER.to_owned()),
                };
            }
        }
        outputs.insert(step.clone(), output);
    }
    Ok(outputs)
}

/// Whether any output of the envelope holds a sealed value.
pub fn has_sealed(envelope: &Envelope<Plan>) -> bool {
    envelope
        .outputs
        .values()
        .filter_map(Value::as_object)
        .any(|fields| fields.values().any(is_sealed))
}

/// [`protect`], with the org's signing keys fetched only when a secret must be sealed.
/// `Err` is a reason to retry (the secret store is unreachable, or the org has no
/// active signing key).
pub(crate) async fn protect_with<S: SecretSource>(
    secrets: &SecretCache<S>,
    envelope: &Envelope<Plan>,
    output: Value,
) -> Result<Value, String> {
    if !needs_keys(envelope, &output) {
        return protect(envelope, output, None).map_err(|e| e.to_string());
    }
    let org = &envelope.org;
    let secret = secrets.get(org).await.map_err(|e| e.to_string())?;
    let keys = secret
        .signing
        .as_ref()
        .ok_or_else(|| format!("org {org} has no signing keys"))?;
    protect(envelope, output, Some(keys)).map_err(|e| e.to_string())
}

/// [`open_outputs`] for rendering the envelope's step: the org's keys are fetched only
/// when an output is sealed and this is no dry run. A secret store that cannot answer
/// now is retryable; a value that does not open is a permanent failure.
pub(crate) async fn open_with<S: SecretSource>(
    secrets: &SecretCache<S>,
    envelope: &Envelope<Plan>,
    dry_run: bool,
) -> Result<BTreeMap<String, Value>, FailureReport> {
    if dry_run || !has_sealed(envelope) {
        return open_outputs(envelope, None).map_err(|e| permanent(e.to_string()));
    }
    let org = &envelope.org;
    let secret = match secrets.get(org).await {
        Ok(secret) => secret,
        Err(e @ (SecretError::NotFound { .. } | SecretError::Malformed { .. })) => {
            return Err(permanent(e.to_string()));
        }
        Err(e) => return Err(report(FailureClass::Retryable, e.to_string())),
    };
    let keys = secret
        .signing
        .as_ref()
        .ok_or_else(|| permanent(format!("org {org} has no signing keys")))?;
    open_outputs(envelope, Some(keys)).map_err(|e| permanent(e.to_string()))
}

/// The clear text of each value [`open_outputs`] opened into `outputs` (strings, and
/// other values as JSON), so a failure message that happens to echo one (a webhook
/// answering with the body it got) can be [`scrub`]bed before it is logged or lettered.
pub(crate) fn opened_texts(
    envelope: &Envelope<Plan>,
    outputs: &BTreeMap<String, Value>,
) -> Vec<String> {
    let mut texts = Vec::new();
    for (step, output) in &envelope.outputs {
        let Value::Object(fields) = output else {
            continue;
        };
        for (field, value) in fields {
            if !is_sealed(value) && !actions::is_secret_output(field) {
                continue;
            }
            let text = match outputs.get(step).and_then(|o| o.get(field)) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => continue,
                Some(other) => other.to_string(),
            };
            if !text.is_empty() && text != DRY_RUN_PLACEHOLDER {
                texts.push(text);
            }
        }
    }
    texts
}

/// `report` with each of `texts` replaced by `[secret]` in its message and summary.
pub(crate) fn scrub(mut report: FailureReport, texts: &[String]) -> FailureReport {
    for text in texts {
        report.message = report.message.replace(text.as_str(), "[secret]");
        if let Some(summary) = &mut report.error_summary {
            *summary = summary.replace(text.as_str(), "[secret]");
        }
    }
    report
}

fn step_name(envelope: &Envelope<Plan>) -> Option<&str> {
    crate::next::current_step(envelope).and_then(|s| s.name.as_deref())
}

/// Whether `value` is a sealed secret (`{"$secret": "…"}`).
pub(crate) fn is_sealed(value: &Value) -> bool {
    sealed_text(value).is_some()
}

fn sealed_text(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(SEALED).and_then(Value::as_str),
        _ => None,
    }
}

fn seal_value(keys: &SigningKeys, place: &Place<'_>, value: &Value) -> Result<Value, SealedError> {
    let key = keys
        .active_key()
        .ok_or_else(|| SealedError::NoActiveKey(keys.active.clone()))?;
    let cipher = cipher(key.expose_secret()).ok_or_else(|| place.seal_error())?;
    let mut data = serde_json::to_vec(value).map_err(|_| place.seal_error())?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| place.seal_error())?;
    cipher
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(place.aad()),
            &mut data,
        )
        .map_err(|_| place.seal_error())?;
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&data);
    let text = format!("{}:{}", keys.active, STANDARD_NO_PAD.encode(bytes));
    let mut sealed = Map::new();
    sealed.insert(SEALED.to_owned(), Value::String(text));
    Ok(Value::Object(sealed))
}

fn open_value(keys: &SigningKeys, place: &Place<'_>, sealed: &str) -> Result<Value, SealedError> {
    let (kid, data) = sealed
        .rsplit_once(':')
        .ok_or_else(|| place.does_not_open())?;
    let key = keys.key(kid).ok_or_else(|| SealedError::UnknownKey {
        step: place.step.to_owned(),
        field: place.field.to_owned(),
        kid: kid.to_owned(),
    })?;
    let cipher = cipher(key.expose_secret()).ok_or_else(|| place.does_not_open())?;
    let mut bytes = STANDARD_NO_PAD
        .decode(data)
        .map_err(|_| place.does_not_open())?;
    if bytes.len() < NONCE_LEN {
        return Err(place.does_not_open());
    }
    let mut data = bytes.split_off(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| place.does_not_open())?;
    let plain = cipher
        .open_in_place(nonce, Aad::from(place.aad()), &mut data)
        .map_err(|_| place.does_not_open())?;
    serde_json::from_slice(plain).map_err(|_| place.does_not_open())
}

#[cfg(test)]
mod tests {
    use actions::Family;
    use envelope::{Cursor, EventRef, Phase};
    use org_secrets::OrgName;
    use rules::{Deferred, DeferredPart, DeferredTemplate, Step};
    use serde_json::json;

    use super::*;

    const PASSWORD: &str = "Temp-SECRET-9931";

    fn keys() -> SigningKeys {
        SigningKeys::new(
            "k2",
            &[
                ("k1", "old-key-0123456789abcdef0123456789ab"),
                ("k2", "new-key-0123456789abcdef0123456789ab"),
            ],
        )
    }

    /// `temp` (`expire_with_temp`) then a webhook that reads `steps.temp.tempPassword`
    /// when `told`.
    fn envelope(told: bool) -> Envelope<Plan> {
        let deferred = if told {
            vec![Deferred {
                pointer: "/body/text".into(),
                template: DeferredTemplate::Parts(vec![
                    DeferredPart::Text("password: ".into()),
                    DeferredPart::Expr("steps.temp.tempPassword".into()),
                ]),
            }]
        } else {
            Vec::new()
        };
        let plan = Plan {
            rule_id: "r".into(),
            dry_run: false,
            max_destructive_per_hour: None,
            steps: vec![
                Step {
                    name: Some("temp".into()),
                    action: "user.password.expire_with_temp".into(),
                    family: Family::Credentials,
                    destructive: false,
                    params: Map::new(),
                    deferred: Vec::new(),
                },
                Step {
                    name: None,
                    action: "notify.webhook".into(),
                    family: Family::Notify,
                    destructive: false,
                    params: Map::new(),
                    deferred,
                },
            ],
            on_failure: Vec::new(),
            aliases: Default::default(),
            gate: None,
        };
        Envelope {
            id: "e1".into(),
            org: OrgName::parse("acme").unwrap(),
            rule_id: "r".into(),
            cursor: Cursor {
                phase: Phase::Steps,
                index: 0,
            },
            group: "00u1".into(),
            dry_run: false,
            event: EventRef {
                uuid: "u1".into(),
                event_type: "user.lifecycle.create".into(),
                published: None,
                delivery_id: None,
                request: None,
            },
            plan,
            outputs: Map::new(),
            failure: None,
            done: Vec::new(),
        }
    }

    fn output() -> Value {
        json!({"tempPassword": PASSWORD, "status": "PASSWORD_EXPIRED"})
    }

    /// The envelope of the next step carrying `output` as `temp`'s.
    fn carrying(mut envelope: Envelope<Plan>, output: Value) -> Envelope<Plan> {
        envelope.outputs.insert("temp".into(), output);
        envelope.cursor.index = 1;
        envelope
    }

    #[test]
    fn the_same_secret_sealed_twice_reads_differently_and_both_open() {
        // Each seal draws its own nonce: equal ciphertexts would mean a reused nonce,
        // which breaks AES-GCM.
        let made = envelope(true);
        let first = protect(&made, output(), Some(&keys())).expect("sealed");
        let second = protect(&made, output(), Some(&keys())).expect("sealed");
        assert_ne!(first["tempPassword"], second["tempPassword"]);
        for sealed in [first, second] {
            let opened = open_outputs(&carrying(made.clone(), sealed), Some(&keys()));
            assert_eq!(opened.expect("opens")["temp"]["tempPassword"], PASSWORD);
        }
    }

    #[test]
    fn a_read_secret_is_sealed_and_opens_only_where_it_was_made() {
        let made = envelope(true);
        assert!(needs_keys(&made, &output()));
        let sealed = protect(&made, output(), Some(&keys())).expect("sealed");
        let text = sealed.to_string();
        assert!(!text.contains(PASSWORD), "{text}");
        assert_eq!(sealed["status"], "PASSWORD_EXPIRED");
        assert!(
            sealed["tempPassword"][SEALED]
                .as_str()
                .is_some_and(|s| s.starts_with("k2:"))
        );

        let next = carrying(made.clone(), sealed.clone());
        assert!(has_sealed(&next));
        let opened = open_outputs(&next, Some(&keys())).expect("opens");
        assert_eq!(opened["temp"]["tempPassword"], PASSWORD);
        assert_eq!(opened["temp"]["status"], "PASSWORD_EXPIRED");
        // A dry run never opens it.
        let dry = open_outputs(&next, None).expect("placeholder");
        assert_eq!(dry["temp"]["tempPassword"], DRY_RUN_PLACEHOLDER);

        // Moved to another event's envelope, it does not open.
        let mut elsewhere = next.clone();
        elsewhere.event.uuid = "u2".into();
        assert!(matches!(
            open_outputs(&elsewhere, Some(&keys())),
            Err(SealedError::DoesNotOpen { .. })
        ));
        // Once its key is gone, the reason names the key, not the value.
        let rotated = SigningKeys::new("k3", &[("k3", "k3-key-0123456789abcdef0123456789abc")]);
        let err = open_outputs(&next, Some(&rotated)).expect_err("key gone");
        assert!(
            matches!(&err, SealedError::UnknownKey { kid, .. } if kid == "k2"),
            "{err}"
        );
    }

    #[test]
    fn a_failure_that_echoes_an_opened_secret_is_scrubbed() {
        let made = envelope(true);
        let sealed = protect(&made, output(), Some(&keys())).expect("sealed");
        let next = carrying(made, sealed);
        let opened = open_outputs(&next, Some(&keys())).expect("opens");
        let texts = opened_texts(&next, &opened);
        assert_eq!(texts, vec![PASSWORD.to_owned()]);
        let report = crate::failure::permanent(format!(
            "the webhook answered HTTP 400: bad text 'password: {PASSWORD}'"
        ));
        let scrubbed = scrub(report, &texts);
        assert!(!scrubbed.message.contains(PASSWORD), "{}", scrubbed.message);
        assert!(scrubbed.message.contains("[secret]"));
    }

    #[test]
    fn a_secret_no_step_reads_is_dropped() {
        let quiet = envelope(false);
        assert!(!needs_keys(&quiet, &output()));
        let kept = protect(&quiet, output(), None).expect("dropped");
        assert_eq!(kept, json!({"status": "PASSWORD_EXPIRED"}));
    }

    #[test]
    fn an_unnamed_steps_secret_is_dropped() {
        let mut unnamed = envelope(true);
        unnamed.plan.steps[0].name = None;
        let kept = protect(&unnamed, output(), Some(&keys())).expect("dropped");
        assert_eq!(kept, json!({"status": "PASSWORD_EXPIRED"}));
    }

    #[test]
    fn a_sealed_value_is_left_as_it_is() {
        let made = envelope(true);
        let sealed = protect(&made, output(), Some(&keys())).expect("sealed");
        assert!(!needs_keys(&made, &sealed));
        assert_eq!(protect(&made, sealed.clone(), None).expect("as is"), sealed);
    }
}
