//! The snapshot as one self-contained HTML page with SVG charts drawn by ddf: no script, no
//! style sheet or font from the network, so it prints and archives as it is.

use super::Snapshot;
use std::fmt::Write;

/// Escapes text for HTML and SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const BLUE: &str = "#2f6fb0";
const GREEN: &str = "#3c8d4f";
const RED: &str = "#b8412c";

/// A horizontal bar chart of `items` (label, value).
pub fn bars(title: &str, items: &[(String, f64)], color: &str, max: Option<f64>) -> String {
    let row = 22.0;
    let label_w = 190.0;
    let plot_w = 300.0;
    let h = 30.0 + row * items.len().max(1) as f64;
    let top = max
        .unwrap_or_else(|| items.iter().map(|i| i.1).fold(0.0, f64::max))
        .max(1.0);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title><text x="0" y="16" font-size="13" font-weight="bold">{t}</text>"#,
        w = label_w + plot_w + 60.0,
        t = esc(title)
    );
    if items.is_empty() {
        s.push_str(r##"<text x="0" y="42" font-size="12" fill="#666">none</text>"##);
    }
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 26.0 + row * i as f64;
        let w = (plot_w * v / top).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end">{l}</text><rect x="{x}" y="{y}" width="{w:.1}" height="16" fill="{color}"/><text x="{vx:.1}" y="{ty}" font-size="12">{v}</text>"#,
            lx = label_w - 6.0,
            ty = y + 12.0,
            l = esc(label),
            x = label_w,
            vx = label_w + w + 4.0,
            v = if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars per month: new (blue) and remediated (green) side by side.
pub fn monthly(title: &str, months: &[(String, usize, usize)]) -> String {
    let col = 34.0;
    let left = 50.0;
    let plot_h = 120.0;
    let w = left + col * months.len().max(1) as f64 + 20.0;
    let h = plot_h + 70.0;
    let top = months
        .iter()
        .map(|m| m.1.max(m.2))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title><text x="0" y="16" font-size="13" font-weight="bold">{t}</text><rect x="{lx}" y="22" width="10" height="10" fill="{BLUE}"/><text x="{lx2}" y="31" font-size="11">new</text><rect x="{rx}" y="22" width="10" height="10" fill="{GREEN}"/><text x="{rx2}" y="31" font-size="11">remediated</text>"#,
        t = esc(title),
        lx = left,
        lx2 = left + 14.0,
        rx = left + 60.0,
        rx2 = left + 74.0
    );
    let base = 40.0 + plot_h;
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{base}" x2="{x2}" y2="{base}" stroke="#888"/><text x="{tx}" y="{ty}" font-size="10" text-anchor="end">{top}</text>"##,
        x2 = w - 10.0,
        tx = left - 4.0,
        ty = base - plot_h + 8.0,
        top = top as usize
    );
    for (i, (m, new, closed)) in months.iter().enumerate() {
        let x = left + 4.0 + col * i as f64;
        for (j, (v, c)) in [(*new, BLUE), (*closed, GREEN)].iter().enumerate() {
            let bh = plot_h * *v as f64 / top;
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="12" height="{bh:.1}" fill="{c}"><title>{} {}: {v}</title></rect>"#,
                x + 13.0 * j as f64,
                base - bh,
                esc(m),
                if j == 0 { "new" } else { "remediated" }
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="9" transform="rotate(-45 {:.1} {:.1})" text-anchor="end">{}</text>"#,
            x + 12.0,
            base + 12.0,
            x + 12.0,
            base + 12.0,
            esc(m)
        );
    }
    s.push_str("</svg>");
    s
}

fn map_items(m: &std::collections::BTreeMap<String, usize>) -> Vec<(String, f64)> {
    m.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "-".into()
    } else {
        esc(&ids.join(", "))
    }
}

/// Renders the snapshot as an HTML page.
pub fn render(s: &Snapshot) -> String {
    let mut b = String::new();
    let v = &s.vulnerabilities;
    let _ = write!(
        b,
        "<h1>Management review snapshot: {}</h1><p>Period {} to {}; computed on {} from <code>{}</code>; {} records.<br>Content hash (sha256): <code>{}</code></p><p>Cite the file the snapshot is saved in, in the MR record's <code>inputs.snapshot</code>: <code>ddf review --out FILE</code> prints the line.</p>",
        esc(&s.project), s.period.from, s.period.to, s.generated_on, esc(&s.source.describe), s.records, s.sha256
    );
    let _ = write!(b, "<h2>Vulnerability trends</h2><div class=charts>");
    let months: Vec<(String, usize, usize)> = v
        .monthly
        .iter()
        .map(|m| (m.month.clone(), m.new, m.closed))
        .collect();
    b.push_str(&monthly("Vulnerabilities per month", &months));
    b.push_str(&bars("By state", &map_items(&v.by_state), BLUE, None));
    b.push_str(&bars(
        "By exploitability",
        &map_items(&v.by_exploitability),
        RED,
        None,
    ));
    b.push_str(&bars(
        "By severity (patient harm)",
        &map_items(&v.by_severity),
        RED,
        None,
    ));
    b.push_str(&bars(
        "By component",
        &map_items(&v.by_component),
        BLUE,
        None,
    ));
    b.push_str(&bars("By supplier", &map_items(&v.by_supplier), BLUE, None));
    let _ = write!(
        b,
        "</div><table><tr><th></th><th>count</th><th>records</th></tr><tr><td>new in the period</td><td>{}</td><td>{}</td></tr><tr><td>remediated in the period</td><td>{}</td><td>{}</td></tr><tr><td>open at the end</td><td>{}</td><td>{}</td></tr><tr><td>known exploited (KEV)</td><td>{}</td><td>{}</td></tr></table>",
        v.new.count, list(&v.new.ids), v.closed.count, list(&v.closed.ids), v.open.count, list(&v.open.ids), v.kev.count, list(&v.kev.ids)
    );
    let p = &s.patch_timelines;
    let _ = write!(
        b,
        "<h2>Patch timelines</h2><ul><li>Identified: {}; patched: {} ({})</li><li>Median days from discovery to remediation: {}</li><li>Uncontrolled, notified after 30 days (or not yet): {} ({})</li><li>Uncontrolled, remediated after 60 days (or not yet): {} ({})</li><li>Time from patch to field deployment: not available without history</li></ul>",
        p.identified,
        p.patched,
        p.patched_percent.map_or("n/a".into(), |x| format!("{x:.1} %")),
        p.median_days_to_remediation.map_or("n/a".into(), |x| format!("{x:.1}")),
        p.notification_breaches.count,
        list(&p.notification_breaches.ids),
        p.remediation_breaches.count,
        list(&p.remediation_breaches.ids)
    );
    let r = &s.risk_posture;
    let _ = write!(b, "<h2>Open risk posture</h2><div class=charts>");
    b.push_str(&bars(
        "Hazardous situations by residual zone",
        &map_items(&r.hs_residual_zones),
        BLUE,
        None,
    ));
    b.push_str(&bars(
        "Threats by residual zone",
        &map_items(&r.thr_residual_zones),
        BLUE,
        None,
    ));
    let comps = vec![
        (
            "past end of support".to_string(),
            r.components_past_eos.count as f64,
        ),
        (
            "near end of support".to_string(),
            r.components_near_eos.count as f64,
        ),
        (
            "support unknown".to_string(),
            r.components_support_unknown.count as f64,
        ),
        ("abandoned".to_string(), r.components_abandoned.count as f64),
    ];
    b.push_str(&bars("Components", &comps, RED, None));
    let _ = write!(
        b,
        "</div><p>Uncontrolled vulnerabilities: {} ({}). Components past end of support: {}. Near: {}.</p>",
        r.uncontrolled_vulns.count,
        list(&r.uncontrolled_vulns.ids),
        list(&r.components_past_eos.ids),
        list(&r.components_near_eos.ids)
    );
    if !r.deferred_findings.is_empty() {
        b.push_str("<table><tr><th>release</th><th>deferred finding</th></tr>");
        for d in &r.deferred_findings {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&d.release),
                esc(&d.finding)
            );
        }
        b.push_str("</table>");
    }
    let c = &s.capa;
    let _ = write!(b, "<h2>CAPA ageing</h2><div class=charts>");
    let ages: Vec<(String, f64)> = c
        .open_by_age
        .iter()
        .map(|(k, l)| (format!("open {k} days"), l.count as f64))
        .collect();
    b.push_str(&bars("Open CAPAs by age", &ages, BLUE, None));
    let _ = write!(
        b,
        "</div><p>Overdue actions: {}. Pending effectiveness check: {}. Opened in the period: {}. Closed in the period: {}.</p>",
        list(&c.overdue_actions.ids),
        list(&c.pending_effectiveness.ids),
        list(&c.opened.ids),
        list(&c.closed.ids)
    );
    let g = &s.signals;
    let _ = write!(b, "<h2>Feedback and complaints</h2><div class=charts>");
    b.push_str(&bars(
        "Signals received, by kind",
        &map_items(&g.by_kind),
        BLUE,
        None,
    ));
    b.push_str(&bars("Reportability", &map_items(&g.reportable), RED, None));
    let _ = write!(b, "</div><p>Open signals: {}.</p>", list(&g.open.ids));
    let t = &s.trace_coverage;
    let _ = write!(b, "<h2>Trace coverage</h2><div class=charts>");
    let cov = |c: &super::Coverage| c.percent.unwrap_or(0.0);
    let items = vec![
        ("DIs verified".to_string(), cov(&t.di_verified)),
        ("UNs validated".to_string(), cov(&t.un_validated)),
        (
            "RCs verified effective".to_string(),
            cov(&t.rc_verified_effective),
        ),
        (
            "THRs with complete chain".to_string(),
            cov(&t.thr_complete_chain),
        ),
    ];
    b.push_str(&bars("Coverage (%)", &items, GREEN, Some(100.0)));
    let failing: Vec<(String, f64)> = t
        .failing_rules
        .iter()
        .map(|(k, n)| (k.clone(), (n.errors + n.warnings) as f64))
        .collect();
    b.push_str(&bars("Findings by rule", &failing, RED, None));
    let _ = write!(b, "</div><p>Orphan records: {}.</p>", list(&t.orphans.ids));
    let cc = &s.change_control;
    let _ = write!(b, "<h2>Change control</h2><div class=charts>");
    b.push_str(&bars(
        "Change requests by cyber class",
        &map_items(&cc.by_cyber_class),
        BLUE,
        None,
    ));
    b.push_str(&bars(
        "Change requests by status",
        &map_items(&cc.by_status),
        BLUE,
        None,
    ));
    let _ = write!(
        b,
        "</div><p>Emergency changes: {}. Merges without a CR: not available without history.</p>",
        list(&cc.emergency.ids)
    );
    let su = &s.suppliers;
    let _ = write!(
        b,
        "<h2>Suppliers</h2><p>Overdue re-evaluations: {}. Disapproved suppliers still in use: {}.</p>",
        list(&su.overdue_reevaluation.ids),
        list(&su.disapproved_in_use.ids)
    );
    let _ = write!(
        b,
        "<h2>Documents and follow-up</h2><p>Overdue document reviews: {}.</p>",
        list(&s.documents.overdue_reviews.ids)
    );
    match &s.follow_up.last_review {
        None => b.push_str("<p>No previous management review.</p>"),
        Some(mr) => {
            let _ = write!(
                b,
                "<p>Open actions of the previous review {}: {}</p>",
                esc(mr),
                s.follow_up.open_actions.len()
            );
            if !s.follow_up.open_actions.is_empty() {
                b.push_str(
                    "<table><tr><th>action</th><th>owner</th><th>due</th><th>overdue</th></tr>",
                );
                for a in &s.follow_up.open_actions {
                    let _ = write!(
                        b,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(&a.text),
                        esc(a.owner.as_deref().unwrap_or("-")),
                        esc(a.due.as_deref().unwrap_or("-")),
                        if a.overdue { "yes" } else { "no" }
                    );
                }
                b.push_str("</table>");
            }
        }
    }
    b.push_str("<h2>Not available</h2><ul>");
    for n in &s.not_available {
        let _ = write!(
            b,
            "<li><code>{}</code>: {}</li>",
            esc(&n.metric),
            esc(&n.reason)
        );
    }
    b.push_str("</ul>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Management review snapshot: {}</title><style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left}}.charts{{display:flex;flex-wrap:wrap;gap:1.5em}}code{{background:#f4f4f4;padding:0 .2em}}</style></head><body>\n{b}\n</body></html>\n",
        esc(&s.project)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_and_scale() {
        let svg = bars(
            "A <b>",
            &[("x&y".into(), 2.0), ("z".into(), 4.0)],
            BLUE,
            None,
        );
        assert!(svg.contains("A &lt;b&gt;") && svg.contains("x&amp;y"));
        assert!(svg.contains(r#"width="300.0""#), "{svg}");
        assert!(!svg.contains("<script"));
        let m = monthly("m", &[("2026-01".into(), 1, 0)]);
        assert!(m.starts_with("<svg") && m.ends_with("</svg>"));
    }
}
