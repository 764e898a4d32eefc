//! The layering the README's "Layout" section draws, checked against `cargo metadata`:
//! imports only point down, from the composition roots through the adapters and the
//! domain to the ports and value types. A new crate must be placed in a layer here.

use std::collections::BTreeMap;
use std::process::Command;

use integration_tests::workspace_root;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Contracts and the values they speak in; depend on nothing above.
    Ports,
    /// What the product does, free of AWS and of adapters.
    Domain,
    /// The outside world behind the ports (AWS SDK, Okta, Lambda).
    Adapters,
    /// Binaries and test support: they wire everything together.
    Roots,
}

fn layer_of(package: &str) -> Option<Layer> {
    Some(match package {
        "ports" | "fifo-queue" | "org-secrets" | "envelope" | "retry" | "okta-client"
        | "okta-events" | "actions" | "emf" | "env-config" => Layer::Ports,
        "hook-receiver" | "router" | "step-runner" | "log-polling" | "action-calls" | "rules"
        | "shipped-rules" => Layer::Domain,
        "aws-adapters" | "okta-adapters" | "lambda-support" => Layer::Adapters,
        "hook-verify" | "hook-ingest" | "event-router" | "action-executor" | "log-poller"
        | "cli" | "integration-tests" | "okta-double" | "okta-fixtures" | "cold-start-floor" => {
            Layer::Roots
        }
        _ => return None,
    })
}

/// Each workspace package with its normal (not dev, not build) dependencies.
fn workspace_dependencies() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str().map(str::to_owned))
                .collect();
            (p["name"].as_str().unwrap_or_default().to_owned(), deps)
        })
        .collect()
}

#[test]
fn every_crate_has_a_layer_and_depends_only_on_crates_below_or_beside_it() {
    let packages = workspace_dependencies();
    let mut wrong = Vec::new();
    for (package, deps) in &packages {
        let Some(layer) = layer_of(package) else {
            wrong.push(format!(
                "{package} has no layer: add it to layer_of and the README"
            ));
            continue;
        };
        for dep in deps {
            if let Some(below) = layer_of(dep).filter(|l| *l > layer) {
                wrong.push(format!(
                    "{package} ({layer:?}) depends on {dep} ({below:?})"
                ));
            }
        }
    }
    assert!(packages.len() > 20, "the workspace was read: {packages:?}");
    assert!(
        wrong.is_empty(),
        "imports must point down:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_the_aws_adapters_and_the_roots_use_the_aws_sdk() {
    let packages = workspace_dependencies();
    let users: Vec<&String> = packages
        .iter()
        .filter(|(_, deps)| deps.iter().any(|d| d.starts_with("aws-sdk-")))
        .map(|(p, _)| p)
        .filter(|p| !matches!(layer_of(p), Some(Layer::Roots)))
        .collect();
    assert_eq!(users, ["aws-adapters"]);
}

#[test]
fn the_ports_crate_depends_on_no_domain_or_adapter_crate() {
    let packages = workspace_dependencies();
    let ports = &packages["ports"];
    let ours: Vec<&String> = ports.iter().filter(|d| layer_of(d).is_some()).collect();
    assert!(
        ours.iter().all(|d| layer_of(d) == Some(Layer::Ports)),
        "ports depends on {ours:?}"
    );
}
