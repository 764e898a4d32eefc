//! Bar charts as inline SVG, written by hand: no script, no font file, no URL, and the
//! same bytes for the same numbers (so a snapshot test can hold them).
//!
//! Each chart is `<svg data-chart="NAME">` with one `<rect class="bar">` per bar (its
//! `data-label` and `data-value`, and a `<title>` a browser shows on hover); a bar's
//! length is `value / max` of the chart's length, so the longest bar is the largest
//! value. All bars zero: the bars are there, flat, with a line saying so.

use std::fmt::Write as _;

/// Text and attribute values made inert: `& < > " '` escaped.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: what it is and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: u64) -> Bar {
        Bar {
            label: label.into(),
            value,
        }
    }
}

/// A label cut to `max` characters (an ellipsis marks the cut).
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// `value / max` of `length`, one decimal; 0 when `max` is 0.
#[allow(clippy::cast_precision_loss)]
fn scaled(value: u64, max: u64, length: f64) -> f64 {
    if max == 0 {
        0.0
    } else {
        (value as f64 / max as f64 * length * 10.0).round() / 10.0
    }
}

fn open(out: &mut String, chart: &str, title: &str, width: u32, height: u32) {
    let _ = write!(
        out,
        "<svg data-chart=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" \
         height=\"{height}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(chart),
        esc(title),
        esc(title)
    );
}

fn bar(out: &mut String, b: &Bar, colour: &str, xywh: (f64, f64, f64, f64)) {
    let (x, y, w, h) = xywh;
    let _ = write!(
        out,
        "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
         fill=\"{colour}\" data-label=\"{}\" data-value=\"{}\"><title>{}: {}</title></rect>",
        esc(&b.label),
        b.value,
        esc(&b.label),
        b.value
    );
}

/// Vertical bars, left to right (a time series): every `step`-th bar's label under
/// the axis so at most about twelve labels show.
pub fn columns(chart: &str, title: &str, colour: &str, bars: &[Bar], empty: &str) -> String {
    const WIDTH: u32 = 900;
    const HEIGHT: u32 = 260;
    let (left, top, bottom) = (48.0, 12.0, 36.0);
    let plot_w = f64::from(WIDTH) - left - 8.0;
    let plot_h = f64::from(HEIGHT) - top - bottom;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let mut out = String::new();
    open(&mut out, chart, title, WIDTH, HEIGHT);
    let base = top + plot_h;
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#444\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\">{max}</text>\
         <text x=\"{}\" y=\"{base}\" text-anchor=\"end\" class=\"axis\">0</text>",
        left + plot_w,
        left - 6.0,
        top + 10.0,
        left - 6.0
    );
    #[allow(clippy::cast_precision_loss)]
    let slot = plot_w / bars.len().max(1) as f64;
    let step = bars.len().div_ceil(12).max(1);
    #[allow(clippy::cast_precision_loss)]
    for (i, b) in bars.iter().enumerate() {
        let x = left + slot * i as f64;
        let h = scaled(b.value, max, plot_h);
        bar(
            &mut out,
            b,
            colour,
            (x + slot * 0.1, base - h, slot * 0.8, h),
        );
        if i % step == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"axis\">{}</text>",
                x + slot / 2.0,
                base + 16.0,
                esc(&short(&b.label, 10))
            );
        }
    }
    if max == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"empty\">{}</text>",
            left + plot_w / 2.0,
            top + plot_h / 2.0,
            esc(empty)
        );
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, top to bottom (categories), each labelled on the left and valued on
/// the right.
pub fn rows(chart: &str, title: &str, colour: &str, bars: &[Bar], empty: &str) -> String {
    const WIDTH: u32 = 900;
    const ROW: f64 = 26.0;
    let (left, right, top) = (190.0, 70.0, 8.0);
    let plot_w = f64::from(WIDTH) - left - right;
    #[allow(clippy::cast_precision_loss)]
    let plot_h = ROW * bars.len().max(1) as f64;
    // At most a few hundred rows: the height fits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let height = (top * 2.0 + plot_h) as u32;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let mut out = String::new();
    open(&mut out, chart, title, WIDTH, height);
    #[allow(clippy::cast_precision_loss)]
    for (i, b) in bars.iter().enumerate() {
        let y = top + ROW * i as f64;
        let w = scaled(b.value, max, plot_w);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"label\">{}</text>",
            left - 8.0,
            y + ROW * 0.65,
            esc(&short(&b.label, 26))
        );
        bar(&mut out, b, colour, (left, y + 4.0, w, ROW - 8.0));
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"value\">{}</text>",
            left + w + 6.0,
            y + ROW * 0.65,
            b.value
        );
    }
    if max == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"empty\">{}</text>",
            left + plot_w / 2.0,
            top + plot_h / 2.0 + 4.0,
            esc(empty)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_three_day_series_draws_three_bars_scaled_to_the_largest() {
        let bars = [
            Bar::new("2026-11-01", 10),
            Bar::new("2026-11-02", 0),
            Bar::new("2026-11-03", 40),
        ];
        let svg = columns(
            "signins-per-day",
            "Sign-ins per day",
            "#1f77b4",
            &bars,
            "none",
        );
        assert_eq!(
            svg,
            "<svg data-chart=\"signins-per-day\" viewBox=\"0 0 900 260\" width=\"900\" \
             height=\"260\" role=\"img\" aria-label=\"Sign-ins per day\"><title>Sign-ins per \
             day</title><line x1=\"48\" y1=\"224\" x2=\"892\" y2=\"224\" stroke=\"#444\"/>\
             <text x=\"42\" y=\"22\" text-anchor=\"end\" class=\"axis\">40</text><text x=\"42\" \
             y=\"224\" text-anchor=\"end\" class=\"axis\">0</text><rect class=\"bar\" \
             x=\"76.1\" y=\"171.0\" width=\"225.1\" height=\"53.0\" fill=\"#1f77b4\" \
             data-label=\"2026-11-01\" data-value=\"10\"><title>2026-11-01: 10</title></rect>\
             <text x=\"188.7\" y=\"240\" text-anchor=\"middle\" class=\"axis\">2026-11-01</text>\
             <rect class=\"bar\" x=\"357.5\" y=\"224.0\" width=\"225.1\" height=\"0.0\" \
             fill=\"#1f77b4\" data-label=\"2026-11-02\" data-value=\"0\"><title>2026-11-02: \
             0</title></rect><text x=\"470.0\" y=\"240\" text-anchor=\"middle\" \
             class=\"axis\">2026-11-02</text><rect class=\"bar\" x=\"638.8\" y=\"12.0\" \
             width=\"225.1\" height=\"212.0\" fill=\"#1f77b4\" data-label=\"2026-11-03\" \
             data-value=\"40\"><title>2026-11-03: 40</title></rect><text x=\"751.3\" \
             y=\"240\" text-anchor=\"middle\" class=\"axis\">2026-11-03</text></svg>"
        );
    }

    #[test]
    fn all_zero_bars_stay_flat_and_say_so() {
        let bars = [Bar::new("a", 0), Bar::new("b", 0)];
        let svg = rows(
            "top-unused-apps",
            "Unused",
            "#d62728",
            &bars,
            "no unused assignments",
        );
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert!(svg.contains("width=\"0.0\""));
        assert!(svg.contains(">no unused assignments</text>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn labels_are_escaped_in_text_and_attributes() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let svg = rows("c", "t", "#000", &[Bar::new("<script>x</script>", 1)], "");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("data-label=\"&lt;script&gt;x&lt;/script&gt;\""));
    }
}
