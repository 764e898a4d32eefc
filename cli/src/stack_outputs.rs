//! A deployed stack's outputs, read with `CloudFormation` `DescribeStacks`: the one place
//! every `--stack NAME` option resolves (`hook setup --stack`, and later `run --stack`).
//!
//! Where the stack is looked for:
//! - the local stack of `okta-hooks stack up`, when its state file exists: `--stack-state
//!   FILE`, else `target/okta-hooks-stack/<NAME>.json` under the workspace (the nearest
//!   directory from the current one up holding `infra/template.yaml`). `DescribeStacks`
//!   goes to the emulator endpoint the file names, in its region, with dummy credentials;
//! - otherwise AWS itself, with the default credential chain and region (`aws-config`:
//!   `AWS_PROFILE`, `AWS_REGION`, SSO, instance roles …).
//!
//! The local emulator does not create the HTTP API, so it leaves `${HookApi}` unresolved in
//! the hook URL outputs; `stack up` stands a loopback URL in for the API and writes every
//! output resolved to its state file. An output the emulator left unresolved is therefore
//! taken from the state file, and only then.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use aws_sdk_cloudformation::error::DisplayErrorContext;
use serde_json::Value;

/// Where `DescribeStacks` was sent: named in every error, so a user sees which stack of
/// which place was missing.
#[derive(Debug, Clone)]
pub enum Location {
    /// The local emulator of `okta-hooks stack up`, found through its state file.
    Local {
        /// The state file that named the emulator.
        state_file: PathBuf,
        /// The emulator's base URL.
        endpoint: String,
        /// The region the stack was created in.
        region: String,
    },
    /// AWS `CloudFormation` through the default credential chain, in this region.
    Aws {
        /// The region of the default chain (`AWS_REGION`, the profile's …).
        region: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local {
                state_file,
                endpoint,
                region,
            } => write!(
                f,
                "the local stack emulator at {endpoint} ({region}; state file {})",
                state_file.display()
            ),
            Location::Aws { region } => write!(
                f,
                "AWS CloudFormation in {region} (default credential chain; no local state file)"
            ),
        }
    }
}

/// Why a stack's output could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StackOutputError {
    /// The state file given, or found, is unreadable or not the one of this stack.
    #[error("stack state file {}: {reason}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No region to ask AWS in.
    #[error(
        "stack {stack}: no AWS region to look for it in (no local state file {}; set \
         AWS_REGION or a profile's region, or give --stack-state for a local stack)",
        state_file.display()
    )]
    NoRegion {
        /// The stack asked for.
        stack: String,
        /// The local state file looked for first.
        state_file: PathBuf,
    },
    /// `CloudFormation` knows no stack of that name.
    #[error("stack {stack} does not exist in {at}")]
    NotFound {
        /// The stack asked for.
        stack: String,
        /// Where it was looked for (a [`Location`], described).
        at: String,
    },
    /// `DescribeStacks` failed for another reason (network, credentials, permissions).
    #[error("DescribeStacks {stack} in {at}: {reason}")]
    Describe {
        /// The stack asked for.
        stack: String,
        /// Where it was looked for (a [`Location`], described).
        at: String,
        /// The SDK error with its causes.
        reason: String,
        /// The SDK error itself.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The stack exists but has no such output (another template, or not created yet).
    #[error("stack {stack} ({status}) in {at} has no output {key} (its outputs: {available})")]
    MissingOutput {
        /// The stack.
        stack: String,
        /// Its status (`CREATE_COMPLETE`, `ROLLBACK_COMPLETE`, …).
        status: String,
        /// Where it was found (a [`Location`], described).
        at: String,
        /// The output asked for.
        key: String,
        /// The outputs it has, comma-separated, or `none`.
        available: String,
    },
    /// The output exists but neither the emulator nor the state file resolved it.
    #[error("stack {stack} in {at}: output {key} is not resolved ({value})")]
    Unresolved {
        /// The stack.
        stack: String,
        /// Where it was found (a [`Location`], described).
        at: String,
        /// The output.
        key: String,
        /// Its value as `DescribeStacks` gave it.
        value: String,
    },
    /// The org is not one the stack serves (`OrgName`, `OtherOrgs`).
    #[error(
        "stack {stack} in {at} does not serve org {org}: it serves {served} (template \
         parameters OrgName and OtherOrgs)"
    )]
    OrgNotServed {
        /// The stack.
        stack: String,
        /// Where it was found (a [`Location`], described).
        at: String,
        /// The org asked for.
        org: String,
        /// The orgs it serves, comma-separated.
        served: String,
    },
    /// The stack was deployed with `Ingress=PollOnly`: there is no hook to point Okta at.
    #[error(
        "stack {stack} in {at} has no event hook endpoint: it was deployed with \
         Ingress=PollOnly, so the log-poller reads the System Log instead and no hook is \
         needed (redeploy with Ingress=HttpApi or FunctionUrl for one)"
    )]
    PollOnly {
        /// The stack.
        stack: String,
        /// Where it was found (a [`Location`], described).
        at: String,
    },
}

/// One stack's outputs and parameters as `DescribeStacks` gave them (local placeholders
/// resolved from the state file).
#[derive(Debug, Clone)]
pub struct StackOutputs {
    stack: String,
    status: String,
    at: Location,
    outputs: BTreeMap<String, String>,
    parameters: BTreeMap<String, String>,
}

impl StackOutputs {
    /// Describes `stack`: on the local emulator when `state_file` (or, without it, the
    /// workspace's `target/okta-hooks-stack/<stack>.json`) exists, else on AWS.
    ///
    /// # Errors
    /// An unreadable state file or one of another stack, a stack that does not exist where
    /// it was looked for, or a failed `DescribeStacks`.
    pub async fn read(stack: &str, state_file: Option<&Path>) -> Result<Self, StackOutputError> {
        let local = match state_file {
            Some(path) => Some(LocalState::read(path, stack)?),
            None => {
                let path = default_state_file(stack);
                if path.is_file() {
                    Some(LocalState::read(&path, stack)?)
                } else {
                    None
                }
            }
        };
        let (client, at) = match &local {
            Some(local) => {
                let config =
                    crate::commands::stack::emulator_aws(&local.endpoint, &local.region).await;
                let at = Location::Local {
                    state_file: local.path.clone(),
                    endpoint: local.endpoint.clone(),
                    region: local.region.clone(),
                };
                (aws_sdk_cloudformation::Client::new(&config), at)
            }
            None => {
                let config = aws_adapters::load_config().await;
                let Some(region) = config.region() else {
                    return Err(StackOutputError::NoRegion {
                        stack: stack.to_owned(),
                        state_file: default_state_file(stack),
                    });
                };
                let at = Location::Aws {
                    region: region.to_string(),
                };
                (aws_sdk_cloudformation::Client::new(&config), at)
            }
        };
        let described = match client.describe_stacks().stack_name(stack).send().await {
            Ok(described) => described,
            Err(error) => {
                // CloudFormation (and moto) answer a missing stack with this validation error.
                let missing = error.as_service_error().is_some_and(|e| {
                    e.meta().code() == Some("ValidationError")
                        && e.meta()
                            .message()
                            .is_some_and(|m| m.contains("does not exist"))
                });
                if missing {
                    return Err(StackOutputError::NotFound {
                        stack: stack.to_owned(),
                        at: at.to_string(),
                    });
                }
                return Err(StackOutputError::Describe {
                    stack: stack.to_owned(),
                    reason: DisplayErrorContext(&error).to_string(),
                    at: at.to_string(),
                    source: Box::new(error),
                });
            }
        };
        let Some(found) = described.stacks().first() else {
            return Err(StackOutputError::NotFound {
                stack: stack.to_owned(),
                at: at.to_string(),
            });
        };
        let mut outputs = BTreeMap::new();
        for output in found.outputs() {
            if let (Some(key), Some(value)) = (output.output_key(), output.output_value()) {
                let resolved = match &local {
                    Some(local) if value.contains("${") => local
                        .outputs
                        .get(key)
                        .cloned()
                        .unwrap_or_else(|| value.to_owned()),
                    _ => value.to_owned(),
                };
                outputs.insert(key.to_owned(), resolved);
            }
        }
        let parameters = found
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                ))
            })
            .collect();
        Ok(StackOutputs {
            stack: found.stack_name().unwrap_or(stack).to_owned(),
            status: found
                .stack_status()
                .map_or_else(|| "status unknown".to_owned(), |s| s.as_str().to_owned()),
            at,
            outputs,
            parameters,
        })
    }

    /// Where the stack was found.
    pub fn location(&self) -> &Location {
        &self.at
    }

    /// The output `key`, resolved.
    ///
    /// # Errors
    /// The stack has no such output, or it is still a placeholder (`${…}`).
    pub fn output(&self, key: &str) -> Result<&str, StackOutputError> {
        let Some(value) = self.outputs.get(key) else {
            let available = if self.outputs.is_empty() {
                "none".to_owned()
            } else {
                self.outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            };
            return Err(StackOutputError::MissingOutput {
                stack: self.stack.clone(),
                status: self.status.clone(),
                at: self.at.to_string(),
                key: key.to_owned(),
                available,
            });
        };
        if value.contains("${") {
            return Err(StackOutputError::Unresolved {
                stack: self.stack.clone(),
                at: self.at.to_string(),
                key: key.to_owned(),
                value: value.clone(),
            });
        }
        Ok(value)
    }

    /// The event hook URL of `org` on this stack.
    ///
    /// The template's `HookUrl` is `https://<api>/hooks/okta/${OrgName}` and
    /// `HookUrlDefaultOrg` the same without `/${OrgName}`; the API routes
    /// `/hooks/okta/{org}` for every org. So `OrgName` gets `HookUrl` itself, and another
    /// org the stack serves (one of `OtherOrgs`) gets `HookUrl` with its last segment,
    /// `OrgName`, replaced by the org. An org the stack does not serve is refused: Okta
    /// could not verify a hook the functions would answer 404 to.
    ///
    /// # Errors
    /// No `HookUrl` output (none at all with `Ingress=PollOnly`), or an org the stack
    /// does not serve.
    pub fn hook_url(&self, org: &str) -> Result<String, StackOutputError> {
        if self.parameters.get("Ingress").map(String::as_str) == Some("PollOnly") {
            return Err(StackOutputError::PollOnly {
                stack: self.stack.clone(),
                at: self.at.to_string(),
            });
        }
        let hook_url = self.output("HookUrl")?;
        let org_name = self.parameters.get("OrgName").map_or("", String::as_str);
        if org == org_name {
            return Ok(hook_url.to_owned());
        }
        let others = self.parameters.get("OtherOrgs").map_or("", String::as_str);
        let served: Vec<&str> = std::iter::once(org_name)
            .chain(others.split(','))
            .filter(|o| !o.is_empty())
            .collect();
        let base = hook_url.strip_suffix(&format!("/{org_name}"));
        match base {
            Some(base) if !org_name.is_empty() && served.contains(&org) => {
                Ok(format!("{base}/{org}"))
            }
            _ => Err(StackOutputError::OrgNotServed {
                stack: self.stack.clone(),
                at: self.at.to_string(),
                org: org.to_owned(),
                served: if served.is_empty() {
                    "no org it names".to_owned()
                } else {
                    served.join(", ")
                },
            }),
        }
    }
}

/// What `okta-hooks stack up` wrote about a running local stack.
struct LocalState {
    path: PathBuf,
    endpoint: String,
    region: String,
    outputs: BTreeMap<String, String>,
}

impl LocalState {
    fn read(path: &Path, stack: &str) -> Result<Self, StackOutputError> {
        let bad = |reason: String| StackOutputError::State {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let state: Value = serde_json::from_str(&text)
            .map_err(|e| bad(format!("not the JSON `okta-hooks stack up` writes: {e}")))?;
        let field = |name: &str| {
            state[name]
                .as_str()
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("no \"{name}\"")))
        };
        let named = field("stack_name")?;
        if named != stack {
            return Err(bad(format!(
                "it is the state of stack {named}, not {stack}"
            )));
        }
        let outputs = state["outputs"]
            .as_object()
            .map(|map| {
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(LocalState {
            path: path.to_owned(),
            endpoint: field("endpoint")?,
            region: field("region")?,
            outputs,
        })
    }
}

/// `target/okta-hooks-stack/<stack>.json` under the workspace (as `stack up` writes it), or
/// under the current directory when no workspace is above it.
fn default_state_file(stack: &str) -> PathBuf {
    let here = std::env::current_dir().unwrap_or_default();
    let workspace = here
        .ancestors()
        .find(|dir| dir.join("infra/template.yaml").is_file())
        .unwrap_or(&here);
    workspace
        .join("target/okta-hooks-stack")
        .join(format!("{stack}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(hook_url: &str, org_name: &str, others: &str) -> StackOutputs {
        StackOutputs {
            stack: "s".to_owned(),
            status: "CREATE_COMPLETE".to_owned(),
            at: Location::Aws {
                region: "eu-west-1".to_owned(),
            },
            outputs: BTreeMap::from([("HookUrl".to_owned(), hook_url.to_owned())]),
            parameters: BTreeMap::from([
                ("OrgName".to_owned(), org_name.to_owned()),
                ("OtherOrgs".to_owned(), others.to_owned()),
            ]),
        }
    }

    #[test]
    fn the_first_org_gets_the_hook_url_and_another_served_org_its_own_path() {
        let stack = outputs("https://a.example/hooks/okta/acme", "acme", "beta,gamma");
        assert_eq!(
            stack.hook_url("acme").unwrap(),
            "https://a.example/hooks/okta/acme"
        );
        assert_eq!(
            stack.hook_url("gamma").unwrap(),
            "https://a.example/hooks/okta/gamma"
        );
    }

    #[test]
    fn an_org_the_stack_does_not_serve_is_refused_naming_the_served_ones() {
        let stack = outputs("https://a.example/hooks/okta/acme", "acme", "beta");
        let error = stack.hook_url("other").unwrap_err().to_string();
        assert!(error.contains("does not serve org other"), "{error}");
        assert!(error.contains("acme, beta"), "{error}");
        assert!(error.contains("AWS CloudFormation in eu-west-1"), "{error}");
    }

    #[test]
    fn a_poll_only_stack_has_no_hook_url_and_says_why() {
        let mut stack = outputs("https://a.example/hooks/okta/acme", "acme", "");
        stack.outputs.clear();
        stack
            .parameters
            .insert("Ingress".to_owned(), "PollOnly".to_owned());
        let error = stack.hook_url("acme").unwrap_err().to_string();
        assert!(
            error.contains("has no event hook endpoint") && error.contains("Ingress=PollOnly"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_or_unresolved_output_is_an_error_naming_the_stack() {
        let stack = outputs("https://${HookApi}.example/hooks/okta/acme", "acme", "");
        let error = stack.output("HookUrl").unwrap_err().to_string();
        assert!(
            error.contains("stack s") && error.contains("not resolved"),
            "{error}"
        );
        let error = stack.output("Nope").unwrap_err().to_string();
        assert!(
            error.contains("has no output Nope (its outputs: HookUrl)"),
            "{error}"
        );
    }

    #[test]
    fn a_state_file_of_another_stack_is_refused() {
        let path = std::env::temp_dir().join(format!(
            "okta-hooks-stack-outputs-{}.json",
            std::process::id()
        ));
        std::fs::write(
            &path,
            r#"{"stack_name": "other", "endpoint": "http://127.0.0.1:1", "region": "us-east-1"}"#,
        )
        .unwrap();
        let error = LocalState::read(&path, "mine").err().unwrap().to_string();
        let _ = std::fs::remove_file(&path);
        assert!(
            error.contains("the state of stack other, not mine"),
            "{error}"
        );
    }
}
