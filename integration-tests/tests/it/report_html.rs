//! `okta-hooks report --format html` rendered by a real headless Chromium: the page the
//! binary writes from the Okta double has its three charts and its tables in the DOM
//! the browser builds, the hostile app label as text, and the charts are painted (their
//! colours counted in a screenshot: a NaN height or a bad viewBox would paint nothing).
//!
//! The browser is `$OKTA_HOOKS_CHROMIUM`, else `/usr/bin/chromium` (`make browser` and
//! `.ci/run` install Debian's `chromium`). It runs with no network (every host resolves
//! to nothing) and a fresh profile; it is killed after 60 s (a hang guard, not a timing
//! assertion).

use std::path::{Path, PathBuf};
use std::time::Duration;

use okta_double::OktaDouble;
use tokio::process::Command;

use super::report_cli::{Days, HOSTILE, TempDir, env, report, seed};

fn chromium() -> PathBuf {
    let path = std::env::var_os("OKTA_HOOKS_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} is missing: apt-get install chromium (`make browser` and .ci/run do)",
        path.display()
    );
    path
}

/// Runs Chromium headless on `page` with `extra` arguments; its stdout.
async fn browse(page: &Path, profile: &Path, extra: &[String]) -> String {
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("chromium finished within 60 s")
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `<svg data-chart="NAME">…</svg>` element of the DOM.
fn chart<'a>(dom: &'a str, name: &str) -> &'a str {
    let start = dom
        .find(&format!("data-chart=\"{name}\""))
        .unwrap_or_else(|| panic!("no chart {name} in the DOM"));
    let end = start + dom[start..].find("</svg>").expect("the chart ends");
    &dom[start..end]
}

/// Pixels of exactly each colour in a PNG.
fn count_colours(png_bytes: &[u8], colours: &[[u8; 3]]) -> Vec<usize> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    assert!(
        channels >= 3,
        "colour PNG expected, got {:?}",
        info.color_type
    );
    let mut counts = vec![0; colours.len()];
    for pixel in buf[..info.buffer_size()].chunks_exact(channels) {
        for (i, c) in colours.iter().enumerate() {
            if pixel[..3] == c[..] {
                counts[i] += 1;
            }
        }
    }
    counts
}

#[tokio::test]
async fn the_html_report_renders_in_chromium_with_its_charts_and_tables() {
    let okta = OktaDouble::start().await;
    let days = Days::new();
    seed(&okta, &days);
    let dir = TempDir::new("html");
    let page = dir.0.join("report.html");
    let ran = report(
        &[
            "--since",
            &days.since,
            "--format",
            "html",
            "--out",
            page.to_str().unwrap(),
        ],
        &env(&okta, &dir),
    )
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    assert!(ran.stdout.is_empty(), "{}", ran.all());

    // 1. The DOM Chromium builds from the page.
    let dom = browse(
        &page,
        &dir.0.join("profile-dom"),
        &["--dump-dom".to_owned()],
    )
    .await;
    assert_eq!(dom.matches("<svg data-chart=").count(), 3, "{dom}");
    let per_day = chart(&dom, "signins-per-day");
    assert_eq!(per_day.matches("class=\"bar\"").count(), days.dates.len());
    assert!(per_day.contains("data-value=\"2\""), "{per_day}");
    let statuses = chart(&dom, "users-by-status");
    assert!(
        statuses.contains("data-label=\"ACTIVE\" data-value=\"4\""),
        "{statuses}"
    );
    let unused = chart(&dom, "top-unused-apps");
    assert_eq!(unused.matches("class=\"bar\"").count(), 3, "{unused}");
    for table in ["users", "mfa", "apps", "risk"] {
        assert!(
            dom.contains(&format!("<table id=\"{table}\">")),
            "{table}: {dom}"
        );
    }
    let apps = &dom[dom.find("<table id=\"apps\">").unwrap()..];
    let apps = &apps[..apps.find("</table>").unwrap()];
    assert_eq!(apps.matches("<tr>").count(), 1 + 3, "{apps}");
    // The hostile label is text in the DOM: no script element was made of it.
    assert!(!dom.contains(HOSTILE), "{dom}");
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<script"), "{dom}");

    // 2. The charts are painted: their colours in a screenshot of the whole page.
    let shot = dir.0.join("report.png");
    browse(
        &page,
        &dir.0.join("profile-shot"),
        &[
            "--window-size=1280,3000".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--screenshot={}", shot.display()),
        ],
    )
    .await;
    let png_bytes = std::fs::read(&shot).expect("a screenshot");
    let counts = count_colours(
        &png_bytes,
        &[[0x1f, 0x77, 0xb4], [0x2c, 0xa0, 0x2c], [0xd6, 0x27, 0x28]],
    );
    for (name, n) in ["signins-per-day", "users-by-status", "top-unused-apps"]
        .iter()
        .zip(&counts)
    {
        assert!(*n > 200, "{name}: {n} pixel(s) of its colour ({counts:?})");
    }
}
