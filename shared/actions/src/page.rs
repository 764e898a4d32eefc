//! The catalog as text: one line per action for `okta-hooks actions list`, and the
//! Markdown page `docs/actions.md` (generated, checked by a test to stay in step).

use std::fmt::Write;

use crate::{ActionSpec, Family, catalog};

impl ActionSpec {
    /// `user.sessions.clear  user, oauth_tokens?, forget_devices?  okta.users.manage  [sessions, destructive]`
    pub fn list_line(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(crate::ParamSpec::signature)
            .collect();
        let params = if params.is_empty() {
            "-".to_owned()
        } else {
            params.join(", ")
        };
        let destructive = if self.destructive {
            ", destructive"
        } else {
            ""
        };
        format!(
            "{:<32} {:<58} {:<22} [{}{destructive}]",
            self.name, params, self.scope, self.family
        )
    }
}

/// The Markdown catalog page: per family, a table of actions, then each action's
/// parameters and an example step.
pub fn markdown() -> String {
    let mut page = String::from(
        "# Action catalog\n\n\
         Generated from `shared/actions` by `make docs` (`okta-hooks actions doc`); a test \
         fails when it is out of date. `okta-hooks actions show NAME` prints the same for one \
         action.\n\n\
         Each action is a rule step: `action:` names it, every other key is a parameter. \
         Parameters marked *required* must be given; an optional parameter left out takes \
         the default shown. The scope is the Okta OAuth 2.0 scope the executors' API \
         Services app needs for it, and the admin role the least-privileged Okta standard \
         role that can perform it: the app needs both (an API token has its admin's \
         permissions instead). `okta-hooks scopes` prints what the rules in use need.\n",
    );
    for family in Family::ALL {
        let _ = write!(
            page,
            "\n## {family}\n\n| action | what it does | scope | admin role |\n| --- | --- | --- | --- |\n"
        );
        for spec in catalog().iter().filter(|a| a.family == family) {
            let mark = if spec.destructive {
                " *(destructive)*"
            } else {
                ""
            };
            let _ = writeln!(
                page,
                "| [`{}`](#{}) | {}{mark} | `{}` | `{}` |",
                spec.name,
                anchor(spec.name),
                spec.summary.replace('|', "\\|"),
                spec.scope,
                spec.admin_role
            );
        }
        for spec in catalog().iter().filter(|a| a.family == family) {
            page.push_str(&action_section(spec));
        }
    }
    page
}

fn action_section(spec: &ActionSpec) -> String {
    let mut out = format!("\n### {}\n\n{}\n\n", spec.name, spec.summary);
    if spec.params.is_empty() {
        out.push_str("No parameters.\n");
    } else {
        out.push_str("| parameter | type | default |\n| --- | --- | --- |\n");
        for p in spec.params {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                p.name,
                p.type_text(),
                p.default_text()
            );
        }
    }
    if !spec.outputs.is_empty() {
        let _ = write!(
            out,
            "\nOutputs for later steps (`steps.<name>.<field>`): {}.\n",
            spec.outputs
                .iter()
                .map(|o| if crate::is_secret_output(o) {
                    format!("`{o}` (secret: never logged or stored in clear)")
                } else {
                    format!("`{o}`")
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(rule) = spec.status_rule() {
        let _ = write!(
            out,
            "
Needs a user in {}; done when the user is {}. Okta refuses the call \
             (`E0000038`/`E0000016`) both for a user already there, which counts as done, and \
             for a user in any other status, which fails the step naming that status.\n",
            rule.needs.join(", "),
            rule.done_when.join(" or ")
        );
    }
    let _ = write!(out, "\n```yaml\n{}```\n", spec.example_step());
    out
}

/// GitHub's heading anchor for an action name (`user.suspend` → `usersuspend`).
fn anchor(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_start_with_the_name_and_carry_params_and_scope() {
        let line = crate::find("user.sessions.clear")
            .map(ActionSpec::list_line)
            .unwrap_or_default();
        assert!(line.starts_with("user.sessions.clear "), "{line}");
        assert!(
            line.contains("user, oauth_tokens?, forget_devices?"),
            "{line}"
        );
        assert!(line.contains("okta.users.manage"), "{line}");
        assert!(line.ends_with("[sessions, destructive]"), "{line}");
    }

    #[test]
    fn the_committed_catalog_page_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/actions.md");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == markdown(),
            "docs/actions.md is out of date: run `make docs`"
        );
        for spec in catalog() {
            assert!(
                committed.contains(&format!("\n### {}\n", spec.name)),
                "{}",
                spec.name
            );
        }
    }
}
