//! Charts drawn on the server as inline SVG (no script, no style attribute: the page's CSP
//! holds): stacked bars and rate lines. Each series is told apart by a pattern as well as a
//! colour, every mark carries its value as a tooltip (`<title>`), and the figures are in a
//! table beside the chart.

use maud::{html, Markup};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Colours of the series, in order (the Okabe–Ito palette, readable by colour-blind people).
const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#555555",
];

/// The hatchings that tell series apart without colour, in order.
const HATCHES: [&str; 8] = [
    "",
    "M0,6 L6,0",
    "M0,0 L6,6 M0,6 L6,0",
    "M3,3 m-1,0 a1,1 0 1,0 2,0 a1,1 0 1,0 -2,0",
    "M0,3 L6,3",
    "M3,0 L3,6",
    "M0,0 L6,6",
    "M0,0 L3,0 L3,3 L0,3 Z",
];

/// How many series have a fill of their own: each colour with its own hatching, then each
/// colour with the next one's (enough for every sending provider); later series repeat.
const SERIES: usize = 2 * COLOURS.len();

/// The colour and hatching of series `i`.
fn look(i: usize) -> (&'static str, &'static str) {
    let i = i % SERIES;
    let colour = i % COLOURS.len();
    let hatch = (colour + i / COLOURS.len()) % HATCHES.len();
    (COLOURS[colour], HATCHES[hatch])
}

/// The fill of series `i`: its pattern's id.
pub fn fill(i: usize) -> String {
    format!("url(#series{})", i % SERIES)
}

/// The pattern definitions of the series fills.
fn patterns() -> Markup {
    html! {
        defs {
            @for i in 0..SERIES {
                @let (colour, hatch) = look(i);
                pattern id=(format!("series{i}")) width="6" height="6" patternUnits="userSpaceOnUse" {
                    rect width="6" height="6" fill=(colour) {}
                    @if !hatch.is_empty() {
                        path d=(hatch) stroke="#ffffff" stroke-width="1.2" fill="#ffffff" fill-opacity="0.6" {}
                    }
                }
            }
        }
    }
}

/// A legend swatch for series `i` (the same pattern as its marks).
pub fn swatch(i: usize) -> Markup {
    html! {
        svg.swatch width="14" height="14" viewBox="0 0 14 14" role="img" aria-hidden="true" {
            (patterns())
            rect width="14" height="14" fill=(fill(i)) stroke="#333333" stroke-width="0.5" {}
        }
    }
}

fn number(n: f64) -> String {
    if n >= 1_000_000.0 {
        format!("{:.1}M", n / 1_000_000.0)
    } else if n >= 10_000.0 {
        format!("{:.0}k", n / 1_000.0)
    } else {
        format!("{n:.0}")
    }
}

/// The x positions of day labels: the first, the last and a few between.
fn day_labels(days: &[String]) -> Vec<usize> {
    match days.len() {
        0 => Vec::new(),
        1 => vec![0],
        n => {
            let steps = 6.min(n - 1);
            (0..=steps).map(|k| k * (n - 1) / steps).collect()
        }
    }
}

/// Where a day label stands on its day: the first and last inside the chart.
fn anchor(d: usize, days: usize) -> &'static str {
    match d {
        0 if days > 1 => "start",
        d if d + 1 == days && days > 1 => "end",
        _ => "middle",
    }
}

/// Volume per day, stacked by series (`(name, one value per day)`), bottom series first.
pub fn stacked_bars(label: &str, days: &[String], series: &[(String, Vec<i64>)]) -> Markup {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let totals: Vec<i64> = (0..days.len())
        .map(|d| series.iter().map(|(_, v)| v.get(d).copied().unwrap_or(0)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = plot_w / days.len().max(1) as f64;
    let bar = (step * 0.8).max(0.5);
    let mut segments: Vec<(f64, f64, f64, usize, String)> = Vec::new();
    for (d, day) in days.iter().enumerate() {
        let x = LEFT + step * d as f64 + (step - bar) / 2.0;
        let mut base = 0i64;
        for (i, (name, values)) in series.iter().enumerate() {
            let v = values.get(d).copied().unwrap_or(0);
            if v > 0 {
                let y = TOP + plot_h * (1.0 - (base + v) as f64 / max);
                segments.push((x, y, plot_h * v as f64 / max, i, format!("{day} · {name}: {v}")));
            }
            base += v;
        }
    }
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(label) {
            title { (label) }
            (patterns())
            @for tick in [0.0, 0.5, 1.0] {
                @let y = TOP + plot_h * (1.0 - tick);
                line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y) y2=(y) stroke="#dde2ea" stroke-width="1" {}
                text x=(LEFT - 6.0) y=(y + 4.0) text-anchor="end" font-size="11" fill="#5b6575" { (number(max * tick)) }
            }
            @for (x, y, h, i, tip) in &segments {
                rect x=(format!("{x:.2}")) y=(format!("{y:.2}")) width=(format!("{bar:.2}")) height=(format!("{h:.2}")) fill=(fill(*i)) {
                    title { (tip) }
                }
            }
            @for d in day_labels(days) {
                text x=(LEFT + step * (d as f64 + 0.5)) y=(HEIGHT - 8.0) text-anchor=(anchor(d, days.len())) font-size="11" fill="#5b6575" { (days[d]) }
            }
        }
    }
}

/// A rate per day (`None` where nothing was sent) as a line with markers, against the lines
/// (`(value, label)`) it must stay under.
pub fn rate_line(label: &str, days: &[String], values: &[Option<f64>], lines: &[(f64, &str)]) -> Markup {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let highest = values.iter().flatten().copied().fold(0.0, f64::max);
    let top_line = lines.iter().map(|(v, _)| *v).fold(0.0, f64::max);
    let max = (highest.max(top_line) * 1.15).max(1e-6);
    let step = plot_w / days.len().max(1) as f64;
    let x = |d: usize| LEFT + step * (d as f64 + 0.5);
    let y = |v: f64| TOP + plot_h * (1.0 - v / max);
    // Runs of days with a value: a day without mail breaks the line.
    let mut runs: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
    for (d, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                if let Some(run) = runs.last_mut() {
                    run.push((d, *v));
                }
            }
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    let percent = |v: f64| format!("{:.2} %", v * 100.0);
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(label) {
            title { (label) }
            @for tick in [0.0, 0.5, 1.0] {
                @let yy = TOP + plot_h * (1.0 - tick);
                line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(yy) y2=(yy) stroke="#dde2ea" stroke-width="1" {}
                text x=(LEFT - 6.0) y=(yy + 4.0) text-anchor="end" font-size="11" fill="#5b6575" { (percent(max * tick)) }
            }
            @for (i, (value, name)) in lines.iter().enumerate() {
                line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(*value)) y2=(y(*value)) stroke="#b42318" stroke-width="1" stroke-dasharray=(["6 3", "2 3", "10 4"][i % 3]) {}
                text x=(WIDTH - RIGHT - 4.0) y=(y(*value) - 4.0) text-anchor="end" font-size="11" fill="#b42318" { (name) " " (percent(*value)) }
            }
            @for run in runs.iter().filter(|r| !r.is_empty()) {
                polyline fill="none" stroke="#0072B2" stroke-width="2" points=(run.iter().map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v))).collect::<Vec<_>>().join(" ")) {}
                @for (d, v) in run {
                    circle cx=(format!("{:.1}", x(*d))) cy=(format!("{:.1}", y(*v))) r="2.5" fill="#0072B2" {
                        title { (days[*d]) ": " (percent(*v)) }
                    }
                }
            }
            @for d in day_labels(days) {
                text x=(x(d)) y=(HEIGHT - 8.0) text-anchor=(anchor(d, days.len())) font-size="11" fill="#5b6575" { (days[d]) }
            }
        }
    }
}
