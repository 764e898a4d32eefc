//! `okta-hooks actions list|show|doc|schema`: the action catalog rules can use, and the
//! JSON Schema of an action request generated from it.

#[derive(clap::Subcommand)]
pub enum ActionsCommand {
    /// One line per action: name, parameters (`?` optional), Okta scope, family.
    List,
    /// One action: its parameters with types and defaults, outputs, an example step.
    Show { name: String },
    /// The whole catalog as Markdown (the page docs/actions.md).
    Doc,
    /// The JSON Schema of an action request (docs/action-request.schema.json).
    Schema,
}

#[derive(Debug, thiserror::Error)]
#[error("no action {0:?} (`okta-hooks actions list` shows them)")]
pub struct UnknownAction(String);

pub fn run(command: ActionsCommand) -> Result<(), UnknownAction> {
    match command {
        ActionsCommand::List => {
            let lines: Vec<String> = actions::catalog()
                .iter()
                .map(|spec| spec.list_line().trim_end().to_owned())
                .collect();
            emit(&(lines.join("\n") + "\n"));
            Ok(())
        }
        ActionsCommand::Show { name } => {
            let spec = actions::find(&name).ok_or(UnknownAction(name))?;
            println!("{} — {}", spec.name, spec.summary);
            println!(
                "family {}, Okta scope {}, admin role {} ({}), destructive: {}",
                spec.family,
                spec.scope,
                spec.admin_role,
                spec.admin_role.label(),
                spec.destructive
            );
            for param in spec.params {
                println!(
                    "  {:<20} {:<16} {}",
                    param.name,
                    param.type_text(),
                    param.default_text()
                );
            }
            if !spec.outputs.is_empty() {
                println!("outputs: {}", spec.outputs.join(", "));
            }
            let secret: Vec<&str> = spec.secret_outputs().collect();
            if !secret.is_empty() {
                println!(
                    "secret outputs (never logged or stored in clear): {}",
                    secret.join(", ")
                );
            }
            if let Some(rule) = spec.status_rule() {
                println!(
                    "needs a user in {}; done when the user is {}",
                    rule.needs.join(", "),
                    rule.done_when.join(" or ")
                );
            }
            println!("example:\n{}", spec.example_step());
            Ok(())
        }
        ActionsCommand::Doc => {
            emit(&actions::markdown());
            Ok(())
        }
        ActionsCommand::Schema => {
            emit(&actions::request_schema_text());
            Ok(())
        }
    }
}

/// Writes to stdout; a reader that stopped early (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
