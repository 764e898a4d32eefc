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
