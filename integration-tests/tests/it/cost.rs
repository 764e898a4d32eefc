//! `make cost` (scripts/cost.py) prices the stack from the template's own settings; the
//! README's cost table is its markdown output, so a change to the template, the functions'
//! metrics or the script's prices that moves a number fails here until the README shows it.

use std::process::Command;

use integration_tests::workspace_root;

fn cost(args: &[&str]) -> String {
    let root = workspace_root();
    let out = Command::new("python3")
        .arg(root.join("scripts/cost.py"))
        .args(args)
        .current_dir(&root)
        .output()
        .expect("python3 runs scripts/cost.py");
    assert!(
        out.status.success(),
        "scripts/cost.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn the_readme_shows_exactly_what_make_cost_prints_as_markdown() {
    let markdown = cost(&["--format", "markdown"]);
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    assert!(
        readme.contains(&markdown),
        "README.md's cost table is not the output of `python3 scripts/cost.py --format markdown`; \
         run `python3 scripts/cost.py --update-readme`. The script prints:\n{markdown}"
    );
}

#[test]
fn the_cost_table_prices_three_volumes_with_a_total_from_the_templates_retention() {
    let text = cost(&[]);
    let header = text
        .lines()
        .find(|l| l.starts_with("Item"))
        .expect("a header row");
    for volume in ["10k/day", "100k/day", "400k/day"] {
        assert!(header.contains(volume), "{header}");
    }
    let total = text
        .lines()
        .find(|l| l.starts_with("Total per month"))
        .expect("a total row");
    let totals: Vec<f64> = total
        .split_whitespace()
        .filter_map(|c| c.strip_prefix('$'))
        .map(|c| c.replace(',', "").parse().expect("a dollar amount"))
        .collect();
    assert_eq!(totals.len(), 3, "{total}");
    assert!(
        totals.windows(2).all(|w| w[0] < w[1]),
        "more events cost more: {total}"
    );
    assert!(
        text.contains("CloudWatch Logs storage (30 days)"),
        "the template's LogRetentionDays default prices the logs:\n{text}"
    );
}

/// The dollar amounts of the first line of `text` starting with `label` (then spaces).
fn amounts(text: &str, label: &str) -> Vec<f64> {
    let line = text
        .lines()
        .find(|l| {
            l.strip_prefix(label)
                .is_some_and(|rest| rest.starts_with("  "))
        })
        .unwrap_or_else(|| panic!("no {label:?} line in\n{text}"));
    line.split_whitespace()
        .filter_map(|c| c.strip_prefix('$'))
        .map(|c| c.replace(',', "").parse().expect("a dollar amount"))
        .collect()
}

#[test]
fn the_cheapest_options_are_template_parameters_that_cost_less_at_every_volume_and_each_target_gets_a_verdict()
 {
    let text = cost(&[]);
    let template =
        std::fs::read_to_string(workspace_root().join("infra/template.yaml")).expect("template");
    let defaults = amounts(&text, "defaults");
    let cheapest = amounts(&text, "cheapest options");
    let free = amounts(&text, "cheapest, with the always-free tier");
    assert_eq!(defaults.len(), 3, "{text}");
    for i in 0..3 {
        assert!(cheapest[i] < defaults[i], "{text}");
        assert!(free[i] <= cheapest[i], "{text}");
    }
    // Each option is a parameter of the template and a value it allows.
    let options: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Cheapest options:")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(options.len() >= 5, "{text}");
    for option in options {
        let (assignment, gives_up) = option.trim().split_once(": ").expect("NAME=VALUE: why");
        let (name, value) = assignment.split_once('=').expect("NAME=VALUE");
        let at = template
            .find(&format!("\n  {name}:\n    Type: "))
            .unwrap_or_else(|| panic!("{name} is no template parameter"));
        // The parameter's lines: the name, then those indented deeper.
        let block: String = template[at + 1..]
            .lines()
            .enumerate()
            .take_while(|(n, l)| *n == 0 || l.starts_with("    "))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        // A pattern of alternatives (a list of names): each item is one of them.
        let pattern = block
            .lines()
            .find_map(|l| l.trim().strip_prefix("AllowedPattern: "));
        let in_pattern = pattern.is_some_and(|p| {
            value.split(',').all(|item| {
                p.contains(&format!("|{item}|"))
                    || p.contains(&format!("({item}|"))
                    || p.contains(&format!("|{item})"))
            })
        });
        assert!(
            block.contains("Type: Number")
                || in_pattern
                || block.contains(&format!("\"{value}\""))
                || block.contains(&format!(" {value}]"))
                || block.contains(&format!(" {value},")),
            "{name} does not allow {value}: {block}"
        );
        assert!(gives_up.len() > 20, "{name}: say what it gives up");
    }
    for volume in ["10k", "400k"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{volume} events a day: "))),
            "a verdict on the {volume} target:\n{text}"
        );
    }
}

/// With Metrics Essential the functions' EMF lines lose their `_aws` member, and the model
/// takes that many bytes off each line it measured at Metrics Full: the figures it prints
/// are what the emf crate's lines lose (the metric names and dimension names of each line).
#[test]
fn the_bytes_the_model_takes_off_each_emf_line_at_metrics_essential_are_what_emf_leaves_out() {
    let text = cost(&[]);
    let length = |level, dimension: (&str, &str), metrics: &[emf::Metric]| {
        let line = emf::line_at(
            level,
            emf::NAMESPACE,
            &[dimension],
            metrics,
            1_764_547_200_000,
        );
        serde_json::to_string(&line).expect("JSON").len()
    };
    let lines = [
        (
            "delivery",
            ("function", "hook-ingest"),
            vec![
                emf::count("EventsAccepted", 1),
                emf::count("EventsPerDelivery", 1),
                emf::millis("EnqueueLatency", 42),
            ],
        ),
        (
            "event",
            ("function", "event-router"),
            vec![emf::count("EventsRouted", 1)],
        ),
        (
            "step",
            ("family", "users"),
            vec![
                emf::count("ActionsDone", 1),
                emf::millis("EventToActionLatency", 1500),
            ],
        ),
    ];
    for (per, dimension, metrics) in lines {
        let cut = length(emf::Level::Full, dimension, &metrics)
            - length(emf::Level::Essential, dimension, &metrics);
        let said = format!("{cut} B less per {per}");
        assert!(
            text.contains(&said),
            "the model should say {said:?} (emf's lines differ by {cut} B):\n{text}"
        );
    }
}

/// `Ingress` `PollOnly` is among the cheapest options, and what meets the 400k target is its
/// modelled router batches: the summary shows the bill with the hook kept and at half
/// those batches, so the price of the latency and of the model are both in view.
#[test]
fn the_summary_prices_the_hook_kept_and_poll_only_at_half_its_modelled_batches() {
    let text = cost(&[]);
    let cheapest = amounts(&text, "cheapest options");
    let hook = amounts(&text, "cheapest keeping the hook (Ingress FunctionUrl)");
    let half = amounts(&text, "cheapest, router batches half as large");
    assert!(text.contains("  Ingress=PollOnly: "), "{text}");
    for i in 0..3 {
        assert!(cheapest[i] < hook[i], "polling only is the cheaper: {text}");
        assert!(cheapest[i] <= half[i], "smaller batches cost more: {text}");
    }
    assert!(
        text.contains("messages per router batch at 10k / 100k / 400k"),
        "the assumptions say how large the batches are modelled: {text}"
    );
}
