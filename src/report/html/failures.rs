//! Failed trials grouped by the shape of their error.

use super::*;

/// An error message with its numbers (pids, sizes, times) taken out, so like failures group together.
fn error_shape(message: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

pub(super) fn failures(page: &mut String, runs: &[Run]) {
    page.push_str("<section id=\"failures\"><h2>Failures</h2>\n");
    // (status, message shape) -> (count, first message, example trials)
    let mut groups: BTreeMap<(&str, String), (usize, String, Vec<String>)> = BTreeMap::new();
    for r in runs {
        for t in r
            .trials
            .iter()
            .filter(|t| !matches!(t.status, Status::Ok | Status::Pruned))
        {
            let g = groups
                .entry((t.status.name(), error_shape(&t.error)))
                .or_insert_with(|| (0, t.error.clone(), Vec::new()));
            g.0 += 1;
            if g.2.len() < 3 {
                g.2.push(if runs.len() > 1 {
                    format!("{}: {}", r.label, t.key)
                } else {
                    t.key.clone()
                });
            }
        }
    }
    if groups.is_empty() {
        page.push_str("<p>No trial failed, crashed or timed out.</p></section>\n");
        return;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.1 .0));
    page.push_str(
        "<table><tr><th>status</th><th>trials</th><th>message</th><th>for example</th></tr>\n",
    );
    for ((status, _), (count, message, examples)) in groups {
        let _ = writeln!(
            page,
            "<tr><td>{status}</td><td class=\"num\">{count}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&charts::truncate(&message, 400)),
            examples
                .iter()
                .map(|k| format!("<code>{}</code>", esc(k)))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    page.push_str("</table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_group_by_their_words_not_their_numbers() {
        assert_eq!(
            error_shape("worker 1234 killed by SIGSEGV after 2.5s"),
            error_shape("worker 99 killed by SIGSEGV after 10.25s")
        );
        assert_ne!(
            error_shape("killed by SIGSEGV"),
            error_shape("killed by SIGKILL")
        );
    }
}
