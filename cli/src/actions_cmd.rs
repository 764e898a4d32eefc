//! `okta-hooks actions list|show`: the action catalog rules can use.

#[derive(clap::Subcommand)]
pub enum ActionsCommand {
    /// Every action, by family.
    List,
    /// One action: its parameters and an example step.
    Show { name: String },
}

#[derive(Debug, thiserror::Error)]
#[error("no action {0:?} (`okta-hooks actions list` shows them)")]
pub struct UnknownAction(String);

pub fn run(command: ActionsCommand) -> Result<(), UnknownAction> {
    match command {
        ActionsCommand::List => {
            for family in actions::Family::ALL {
                println!("{}:", family.as_str());
                for spec in actions::catalog().iter().filter(|a| a.family == family) {
                    let mark = if spec.destructive {
                        " (destructive)"
                    } else {
                        ""
                    };
                    println!("  {:<34} {}{mark}", spec.name, spec.summary);
                }
            }
            Ok(())
        }
        ActionsCommand::Show { name } => {
            let spec = actions::find(&name).ok_or(UnknownAction(name))?;
            println!("{} — {}", spec.name, spec.summary);
            println!(
                "family {}, Okta scope {}, destructive: {}",
                spec.family.as_str(),
                spec.scope,
                spec.destructive
            );
            for param in spec.params {
                let need = if param.required {
                    "required"
                } else {
                    "optional"
                };
                println!("  {:<20} {:?} ({need})", param.name, param.ty);
            }
            if !spec.outputs.is_empty() {
                println!("outputs: {}", spec.outputs.join(", "));
            }
            println!("example:\n{}", spec.example_step());
            Ok(())
        }
    }
}
