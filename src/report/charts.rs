//! The report's charts, drawn with plotters' SVG backend into strings the page inlines. Each takes
//! ready-made points (the page decides what to show and samples big runs); legends are left to the
//! page, in HTML, so they never cover a point.

use crate::evaluate::Status;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

pub const WIDTH: u32 = 520;
pub const HEIGHT: u32 = 300;

/// Colours for series (families or runs): Okabe and Ito's palette, distinguishable with colour-blindness.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

pub fn series_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub fn status_colour(status: Status) -> RGBColor {
    match status {
        Status::Ok => RGBColor(0, 114, 178),
        Status::Failed => RGBColor(213, 94, 0),
        Status::Crashed => RGBColor(128, 0, 64),
        Status::Timeout => RGBColor(230, 159, 0),
        Status::Pruned => RGBColor(160, 160, 160),
    }
}

/// The colour of work a thread did for a trial it was not running.
pub const HELPING_COLOUR: RGBColor = RGBColor(86, 180, 233);

/// `#rrggbb` of a colour, for the page's legends.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A numeric axis: its range and whether it is logarithmic, or categories at 0, 1, 2, ...
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    Linear(f64, f64),
    Log(f64, f64),
    Categories(Vec<String>),
}

impl Scale {
    /// The scale of these values: logarithmic when all are positive and they span two decades or
    /// more; padded so no mark sits on the frame.
    pub fn fit(values: impl Iterator<Item = f64> + Clone) -> Scale {
        let (lo, hi) = values
            .clone()
            .filter(|&v| drawable(v))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        if !lo.is_finite() {
            return Scale::Linear(0.0, 1.0);
        }
        if lo > 0.0 && hi / lo >= 100.0 {
            return Scale::Log(lo / 1.3, hi * 1.3);
        }
        // A single value sits in the middle of a range of its own size (so a time stays positive).
        let pad = if hi > lo {
            (hi - lo) * 0.06
        } else if lo != 0.0 {
            lo.abs() * 0.5
        } else {
            1.0
        };
        Scale::Linear(lo - pad, hi + pad)
    }
}

/// Values beyond this size are left out of charts: an axis over them would overflow (its padding,
/// ticks and log ends become infinite and the drawing never ends).
pub const DRAWABLE: f64 = 1e100;

/// Whether a value can sit on an axis.
pub fn drawable(v: f64) -> bool {
    v.is_finite() && v.abs() <= DRAWABLE
}

/// One mark: position, and a vertical spread around it (0 for none).
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub spread: f64,
}

/// A set of marks in one colour, optionally joined by a line in x order.
pub struct Series {
    pub colour: RGBColor,
    pub marks: Vec<Mark>,
    /// Draw the marks as circles (else only the line).
    pub points: bool,
    /// Join the marks as a step line (best so far) or a straight line (a front).
    pub line: Option<Line>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Steps,
    Straight,
}

/// A scatter plot of series on an x scale against a linear y, with axis titles.
pub fn scatter(
    x: &Scale,
    y_title: &str,
    x_title: &str,
    series: &[Series],
) -> anyhow::Result<String> {
    let mut left_out = 0;
    let series: Vec<Series> = series
        .iter()
        .map(|s| Series {
            marks: s
                .marks
                .iter()
                .filter(|m| {
                    let keep = drawable(m.x) && drawable(m.y);
                    left_out += usize::from(!keep);
                    keep
                })
                .map(|m| Mark {
                    spread: if drawable(m.spread) { m.spread } else { 0.0 },
                    ..*m
                })
                .collect(),
            ..*s
        })
        .collect();
    let series = series.as_slice();
    let ys = series.iter().flat_map(|s| {
        s.marks
            .iter()
            .flat_map(|m| [m.y - m.spread, m.y + m.spread])
    });
    let y = match Scale::fit(ys) {
        Scale::Linear(a, b) | Scale::Log(a, b) if a < b => (a, b),
        _ => (0.0, 1.0),
    };
    let frame = Frame {
        x_title,
        y_title,
        y,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        match x {
            Scale::Linear(a, b) => {
                let span = b - a;
                draw_scatter(&root, *a..*b, &frame, series, None, |v| tick(*v, span))?
            }
            Scale::Log(a, b) => {
                draw_scatter(&root, (*a..*b).log_scale(), &frame, series, None, |v| {
                    short_number(*v)
                })?
            }
            Scale::Categories(names) => {
                let names = names.clone();
                let k = names.len().max(1);
                let x = -0.5..k as f64 - 0.5;
                draw_scatter(&root, x, &frame, series, Some(k), move |v| {
                    category_label(&names, *v)
                })?
            }
        }
        if left_out > 0 {
            let note = format!("{left_out} mark(s) not drawn: not finite or beyond ±1e100");
            root.draw_text(&note, &("sans-serif", 14).into_text_style(&root), (80, 2))
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// Axis titles and the y range of a scatter plot.
struct Frame<'a> {
    x_title: &'a str,
    y_title: &'a str,
    y: (f64, f64),
}

fn draw_scatter<X>(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    x: X,
    frame: &Frame,
    series: &[Series],
    categories: Option<usize>,
    x_label: impl Fn(&f64) -> String,
) -> anyhow::Result<()>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(62)
        .build_cartesian_2d(x, frame.y.0..frame.y.1)
        .map_err(plot_error)?;
    // A category axis gets one label per category and no grid lines between them.
    let mut mesh = chart.configure_mesh();
    if categories.is_some() {
        mesh.disable_x_mesh();
    }
    mesh.light_line_style(RGBColor(238, 238, 238))
        .x_labels(categories.unwrap_or(6))
        .y_labels(6)
        .x_label_formatter(&x_label)
        .y_label_formatter(&|v| tick(*v, frame.y.1 - frame.y.0))
        .x_desc(frame.x_title)
        .y_desc(frame.y_title)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(plot_error)?;
    for s in series {
        let faint = s.colour.mix(0.35);
        chart
            .draw_series(
                s.marks.iter().filter(|m| m.spread > 0.0).map(|m| {
                    PathElement::new([(m.x, m.y - m.spread), (m.x, m.y + m.spread)], faint)
                }),
            )
            .map_err(plot_error)?;
        if let Some(kind) = s.line {
            let mut path = Vec::with_capacity(s.marks.len() * 2);
            for m in &s.marks {
                if let (Line::Steps, Some(&(_, last_y))) = (kind, path.last()) {
                    path.push((m.x, last_y));
                }
                path.push((m.x, m.y));
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    path,
                    s.colour.stroke_width(2),
                )))
                .map_err(plot_error)?;
        }
        if s.points {
            chart
                .draw_series(
                    s.marks
                        .iter()
                        .map(|m| Circle::new((m.x, m.y), 3, s.colour.mix(0.8).filled())),
                )
                .map_err(plot_error)?;
        }
    }
    Ok(())
}

/// Horizontal bars, one per name, of values in 0..=1.
pub fn bars(
    names: &[String],
    values: &[f64],
    x_title: &str,
    colour: RGBColor,
) -> anyhow::Result<String> {
    let rows = Rows {
        names,
        x: 0.0..1.0,
        x_title,
        x_labels: 6,
        size: (WIDTH, (60 + 26 * names.len().max(1) as u32).max(120)),
        thickness: 0.32,
    };
    row_bars(
        &rows,
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i, 0.0, v.clamp(0.0, 1.0), colour)),
    )
}

/// One bar of a timeline: lane, start and end (seconds), and the trial's status (its colour), or
/// `None` for work done for a trial the lane was not running.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub lane: usize,
    pub start: f64,
    pub end: f64,
    pub status: Option<Status>,
}

/// Lanes of bars against time: one lane per worker.
pub fn timeline(lanes: &[String], spans: &[Span], end: f64) -> anyhow::Result<String> {
    let end = if drawable(end) { end } else { DRAWABLE };
    let rows = Rows {
        names: lanes,
        x: 0.0..end.max(1e-3) * 1.01,
        x_title: "seconds since the run started",
        x_labels: 10,
        size: (
            2 * WIDTH,
            (70 + 24 * lanes.len().max(1) as u32).clamp(130, 900),
        ),
        thickness: 0.38,
    };
    row_bars(
        &rows,
        spans
            .iter()
            .filter(|s| drawable(s.start) && drawable(s.end))
            .map(|s| {
                let colour = s.status.map_or(HELPING_COLOUR, status_colour);
                (s.lane, s.start, s.end.max(s.start), colour)
            }),
    )
}

/// A chart of named rows holding horizontal bars: its rows, x range and title, and drawing size.
struct Rows<'a> {
    names: &'a [String],
    x: std::ops::Range<f64>,
    x_title: &'a str,
    x_labels: usize,
    size: (u32, u32),
    /// Half a bar's height, in rows.
    thickness: f64,
}

/// Draws `bars` (row, from, to, colour) on the rows.
fn row_bars(
    rows: &Rows,
    bars: impl Iterator<Item = (usize, f64, f64, RGBColor)>,
) -> anyhow::Result<String> {
    let n = rows.names.len().max(1);
    let label_width = rows
        .names
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(4) as u32
        * 7
        + 16;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, rows.size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(label_width.min(WIDTH / 2))
            .build_cartesian_2d(rows.x.clone(), -0.5..n as f64 - 0.5)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_labels(rows.x_labels)
            .y_labels(n)
            .y_label_formatter(&|v| category_label(rows.names, *v))
            .x_label_formatter(&|v| short_number(*v))
            .x_desc(rows.x_title)
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(bars.map(|(row, from, to, colour)| {
                let y = row as f64;
                Rectangle::new(
                    [(from, y - rows.thickness), (to, y + rows.thickness)],
                    colour.filled(),
                )
            }))
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// The name at an integer position of a category axis; nothing between positions.
fn category_label(names: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names
        .get(i as usize)
        .map(|s| truncate(s, 18))
        .unwrap_or_default()
}

/// `s` cut to `max` characters, with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    // Controls and bidi overrides in a name are shown escaped, as on the rest of the page.
    let s = &crate::error::escaped(s);
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

/// A linear axis's tick label; a tick at zero computed as rounding noise (7e-18) reads 0.
fn tick(v: f64, span: f64) -> String {
    short_number(if v.abs() < span * 1e-9 { 0.0 } else { v })
}

/// A tick label: few digits, exponent form for very small or large numbers.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        // Two significant digits, so neighbouring ticks (1.5e-4, 2e-4) stay apart.
        format!("{v:.1e}").replace(".0e", "e")
    } else {
        let text = format!("{v:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_string()
    }
}

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("cannot draw a chart: {e:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_go_logarithmic_only_over_two_decades_of_positive_values() {
        assert!(matches!(
            Scale::fit([0.001, 10.0].into_iter()),
            Scale::Log(..)
        ));
        assert!(matches!(
            Scale::fit([1.0, 50.0].into_iter()),
            Scale::Linear(..)
        ));
        assert!(matches!(
            Scale::fit([0.0, 1000.0].into_iter()),
            Scale::Linear(..)
        ));
        assert_eq!(short_number(0.00012), "1.2e-4");
        assert_eq!(short_number(0.0002), "2e-4");
        assert_eq!(short_number(2.5), "2.5");
        assert_eq!(tick(7e-18, 0.1), "0");
        assert_eq!(category_label(&["a".into(), "b".into()], 1.0), "b");
        assert_eq!(category_label(&["a".into(), "b".into()], 0.5), "");
    }

    #[test]
    fn a_scatter_has_one_circle_per_mark_and_labels_its_axes() {
        let marks = (0..7)
            .map(|i| Mark {
                x: i as f64,
                y: 0.5 + i as f64 / 100.0,
                spread: 0.01,
            })
            .collect();
        let svg = scatter(
            &Scale::Linear(-1.0, 8.0),
            "accuracy",
            "fit seconds",
            &[Series {
                colour: series_colour(0),
                marks,
                points: true,
                line: Some(Line::Steps),
            }],
        )
        .unwrap();
        assert_eq!(svg.matches("<circle").count(), 7);
        assert!(svg.contains("\naccuracy\n</text>") && svg.contains("\nfit seconds\n</text>"));
    }
}
