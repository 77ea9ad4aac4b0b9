//! When each trial ran on which worker, and how busy the workers were.

use super::*;
use std::collections::HashMap;

/// A timeline lane: the shard (in a merged sharded run), the worker (none: threads a fit started
/// in the sweep's own process), and whether it holds a worker's helper threads.
type Lane = (Option<usize>, Option<u32>, bool);

/// A lane's name: the thread's index in the pool, or the worker process's id (and its shard, in a
/// merged sharded run); helper threads a fit started get lanes of their own.
fn lane_name(run: &Run, (shard, worker, helper): Lane) -> String {
    let worker = match (worker, run.manifest.execution.backend) {
        (None, _) => "helper threads".to_string(),
        (Some(w), Some(crate::spec::Backend::Processes)) => format!("pid {w}"),
        (Some(w), _) => format!("thread {w}"),
    };
    let worker = match helper && !worker.starts_with("helper") {
        true => format!("{worker} helpers"),
        false => worker,
    };
    match shard {
        Some(s) => format!("shard {s} · {worker}"),
        None => worker,
    }
}

pub(super) fn timelines(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
    page.push_str(
        "<section id=\"timeline\"><h2>Workers over time</h2>\n<p class=\"note\">One lane per worker (a \
         thread of the pool, or a worker process), one bar per trial from its start to its end, coloured \
         by how it ended, with a gap where its thread only waited for folds other threads took; light bars are work a thread did for a trial it was not running (a fold or \
         trees it picked up while idle, a fit's helper threads).</p>\n",
    );
    let mut entries: Vec<(String, plotters::style::RGBColor)> = Status::ALL
        .iter()
        .map(|&s| (s.name().to_string(), status_colour(s)))
        .collect();
    entries.push((
        "work for another lane's trial".into(),
        charts::HELPING_COLOUR,
    ));
    legend(page, &entries);
    for r in runs {
        // A trial's own thread waiting for folds other threads took is a gap in its bar.
        let mut waits: HashMap<usize, Vec<(f64, f64)>> = HashMap::new();
        for p in &r.pool_work {
            if let Some(trial) = p.waiting {
                waits
                    .entry(trial as usize)
                    .or_default()
                    .push((p.started, p.finished));
            }
        }
        let mut timed: Vec<(Lane, (f64, f64), Option<Status>)> = Vec::new();
        let mut trials = 0;
        for t in &r.trials {
            let (Some(worker), Some(span)) = (t.worker, t.span) else {
                continue;
            };
            trials += 1;
            let gaps = waits.get(&t.index).map_or(&[][..], Vec::as_slice);
            for piece in cut(span, gaps) {
                timed.push(((t.shard, Some(worker), false), piece, Some(t.status)));
            }
        }
        timed.extend(
            r.pool_work
                .iter()
                .filter(|p| p.waiting.is_none())
                .map(|p| ((None, p.worker, p.helper), (p.started, p.finished), None)),
        );
        if runs.len() > 1 {
            let _ = writeln!(page, "<h3>{}</h3>", esc(&r.label));
        }
        if trials == 0 {
            page.push_str("<p class=\"note\">No trial has a recorded start, end and worker.</p>\n");
            continue;
        }
        let workers: BTreeSet<Lane> = timed.iter().map(|t| t.0).collect();
        let lanes: Vec<Lane> = workers.into_iter().collect();
        let end = timed.iter().map(|t| t.1 .1).fold(0.0, f64::max);
        let start = timed.iter().map(|t| t.1 .0).fold(f64::INFINITY, f64::min);
        let mut spans: Vec<Span> = timed
            .iter()
            .map(|&(w, (s, e), status)| Span {
                lane: lanes.binary_search(&w).unwrap_or(0),
                start: s.max(0.0),
                end: e.max(0.0),
                status,
            })
            .collect();
        let busy = busy_seconds(&spans);
        let merged = spans.len() > MAX_BARS;
        if merged {
            spans = merge_spans(spans, (end - start.min(end)) / 1000.0);
        }
        let names: Vec<String> = lanes.iter().map(|&w| lane_name(r, w)).collect();
        let svg = charts::timeline(&names, &spans, end)?;
        let window = (end - start).max(f64::MIN_POSITIVE);
        let cpu = match r.manifest.trials_cpu_seconds {
            Some(cpu) if cpu > 0.0 => format!(
                "; the bars cover {busy:.1} s, and the sweep's processes used {cpu:.1} s of CPU \
                 while trials ran ({:.0}%)",
                100.0 * busy / cpu
            ),
            _ => String::new(),
        };
        figure(
            page,
            "timeline-chart",
            &svg,
            &format!(
                "{} on {}; the lanes were busy {:.0}% of the time from the first trial's start to \
                 the last one's end{cpu}{}.",
                count(trials, "trial"),
                count(lanes.len(), "lane"),
                100.0 * busy / (window * lanes.len() as f64),
                if merged {
                    "; neighbouring bars of the same kind closer than a thousandth of the run are drawn as one"
                } else {
                    ""
                }
            ),
        );
    }
    page.push_str("</section>\n");
    Ok(())
}

/// `span` without the stretches in `gaps`.
fn cut((start, end): (f64, f64), gaps: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut gaps = gaps.to_vec();
    gaps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut pieces = Vec::new();
    let mut from = start;
    for (gap_start, gap_end) in gaps {
        if gap_start > from {
            pieces.push((from, gap_start.min(end)));
        }
        from = from.max(gap_end);
    }
    if from < end {
        pieces.push((from, end));
    }
    pieces.retain(|(s, e)| e > s);
    pieces
}

/// Seconds during which each lane ran something, summed over lanes (overlaps within a lane count once).
fn busy_seconds(spans: &[Span]) -> f64 {
    let mut by_lane: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    for s in spans {
        by_lane.entry(s.lane).or_default().push((s.start, s.end));
    }
    let mut total = 0.0;
    for (_, mut v) in by_lane {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut current: Option<(f64, f64)> = None;
        for (s, e) in v {
            current = match current {
                Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    total += ce - cs;
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((cs, ce)) = current {
            total += ce - cs;
        }
    }
    total
}

/// Joins bars on the same lane with the same status whose gap is below `gap`.
fn merge_spans(mut spans: Vec<Span>, gap: f64) -> Vec<Span> {
    spans.sort_by(|a, b| a.lane.cmp(&b.lane).then(a.start.total_cmp(&b.start)));
    let mut out: Vec<Span> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last)
                if last.lane == s.lane && last.status == s.status && s.start - last.end <= gap =>
            {
                last.end = last.end.max(s.end);
            }
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trials_waits_are_cut_out_of_its_bar() {
        assert_eq!(cut((0.0, 10.0), &[(8.0, 10.0)]), [(0.0, 8.0)]);
        assert_eq!(
            cut((0.0, 10.0), &[(6.0, 7.0), (2.0, 3.0)]),
            [(0.0, 2.0), (3.0, 6.0), (7.0, 10.0)]
        );
        assert_eq!(cut((1.0, 2.0), &[]), [(1.0, 2.0)]);
        assert!(cut((1.0, 2.0), &[(0.5, 3.0)]).is_empty());
    }

    #[test]
    fn busy_time_counts_overlaps_once_and_merging_keeps_lanes_and_statuses_apart() {
        let span = |lane, start, end, status| Span {
            lane,
            start,
            end,
            status: Some(status),
        };
        let spans = vec![
            span(0, 0.0, 1.0, Status::Ok),
            span(0, 0.5, 2.0, Status::Ok),
            span(1, 0.0, 1.0, Status::Ok),
            span(0, 2.001, 3.0, Status::Ok),
            span(0, 3.0, 4.0, Status::Failed),
        ];
        assert!((busy_seconds(&spans) - (2.0 + 1.0 + 0.999 + 1.0)).abs() < 1e-9);
        let merged = merge_spans(spans, 0.01);
        assert_eq!(merged.len(), 3, "{merged:?}");
        assert_eq!((merged[0].start, merged[0].end), (0.0, 3.0));
        assert_eq!(merged[1].status, Some(Status::Failed));
        assert_eq!(merged[2].lane, 1);
    }
}
