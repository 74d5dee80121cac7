//! `ddf check`: parse, validate schema and links, run the trace rules.

use super::output::{count, csv_line, md_cell, table};
use super::{print, CliError, Env, Format, Style};
use crate::check::Report;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RULES;
use crate::source::Source;
use std::collections::HashMap;

/// Parse every record, validate schema and links, and run the trace rules.
///
/// Exit code 0 when there is no finding at error severity, 1 when there is, 2 when ddf.yaml or
/// the command line is unusable. `--format json` prints the documented report object.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// List every rule with its default and configured severity, and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// Run the release gate for one release (a REL id) and print its readiness summary instead
    /// of the findings: exit 0 when ready, 1 when not (docs/release.md).
    #[arg(long, value_name = "REL")]
    pub release: Option<String>,
}

/// Runs `ddf check`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    if args.list_rules {
        return list_rules(env);
    }
    if let Some(rel) = &args.release {
        return release_gate(env, rel);
    }
    let format = env.format(&[Format::Human, Format::Json, Format::Md, Format::Csv])?;
    let (corpus, graph, history) = env.load_all()?;
    let hctx = history.as_ref().map(super::HistoryData::ctx);
    let started = std::time::Instant::now();
    let tags = env.code_tags(&corpus)?;
    let report = crate::check::run_with(
        &corpus,
        &graph,
        crate::date::Date::today(),
        hctx.as_ref(),
        crate::exchange::code_tags::dangling(&tags, &corpus),
    );
    if env.verbose > 0 {
        eprintln!(
            "ddf: ran {} rules in {:.0?}",
            RULES.len(),
            started.elapsed()
        );
    }
    let text = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::failed(e.to_string()))?;
            s.push('\n');
            s
        }
        // `env.format` refused the export-only formats.
        Format::Human | Format::Reqif | Format::Xlsx | Format::Cyclonedx | Format::Csaf => {
            let source = env.source()?;
            human(&report, source.as_ref(), &env.style)
        }
        Format::Md => markdown(&report),
        Format::Csv => csv(&report),
    };
    print(&text)?;
    let code = if report.passed() { 0 } else { 1 };
    // Freeing every record one by one costs a tenth of a large check; the process is about to
    // exit and the operating system reclaims the memory at once.
    std::mem::forget((corpus, graph, report, history));
    Ok(code)
}

/// `ddf check --release REL`: the release gate of one release.
fn release_gate(env: &Env, id: &str) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    let (corpus, graph, history) = env.load_all()?;
    let hctx = history.as_ref().map(super::HistoryData::ctx);
    let mut ctx = crate::rules::Ctx::new(&corpus, &graph, crate::date::Date::today());
    ctx.history = hctx.as_ref();
    let Some(gate) = crate::rules::release::gate_of(&ctx, id) else {
        return Err(
            CliError::usage(format!("{id} is not a release (REL) record of this DDF")).hint(
                "`ddf trace` or `ls records/` lists the releases; give the REL id, e.g. REL-002",
            ),
        );
    };
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&gate).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Md => crate::rules::release::markdown(&gate),
        _ => crate::rules::release::text(&gate),
    };
    print(&text)?;
    Ok(if gate.ready { 0 } else { 1 })
}

fn list_rules(env: &Env) -> Result<u8, CliError> {
    let config = env.load().map(|(c, _)| c.config).ok();
    let rows: Vec<Vec<String>> = RULES
        .iter()
        .map(|r| {
            let configured = match &config {
                Some(c) => c
                    .severity_of(r.id, r.default)
                    .map_or("off".into(), |s| s.to_string()),
                None => r.default.to_string(),
            };
            vec![
                r.id.to_string(),
                r.family.to_string(),
                configured,
                r.summary.to_string(),
            ]
        })
        .collect();
    match env.format(&[Format::Human, Format::Json])? {
        Format::Json => {
            let v: Vec<_> = RULES
                .iter()
                .zip(&rows)
                .map(|(r, row)| serde_json::json!({ "id": r.id, "family": r.family, "default": r.default, "severity": row[2], "source": r.source, "summary": r.summary }))
                .collect();
            print(
                &(serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))?
                    + "\n"),
            )?;
        }
        _ => print(&table(&["rule", "family", "severity", "checks"], &rows))?,
    }
    Ok(0)
}

/// The human report: one block per finding, rustc-style, with the offending line.
pub(super) fn human(report: &Report, source: &dyn Source, style: &Style) -> String {
    let mut files: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    let mut out = String::new();
    for d in &report.diagnostics {
        let lines = files.entry(d.path.as_str()).or_insert_with(|| {
            source
                .read(&d.path)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
                .map(|t| t.lines().map(String::from).collect())
        });
        render_one(&mut out, d, lines.as_deref(), style);
    }
    let summary = format!(
        "{} {}: {}, {}",
        if report.errors > 0 {
            style.error("Checked")
        } else {
            style.ok("Checked")
        },
        count(report.records, "record"),
        count(report.errors, "error"),
        count(report.warnings, "warning"),
    );
    out.push_str(&summary);
    out.push('\n');
    out
}

fn render_one(out: &mut String, d: &Diagnostic, lines: Option<&[String]>, style: &Style) {
    let sev = match d.severity {
        Severity::Error => style.error(&format!("error[{}]", d.rule)),
        Severity::Warning => style.warning(&format!("warning[{}]", d.rule)),
    };
    out.push_str(&format!("{sev}: {}\n", style.bold(&d.message)));
    let loc = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", d.path),
        (Some(l), None) => format!("{}:{l}", d.path),
        _ => d.path.clone(),
    };
    let text = d
        .line
        .and_then(|l| lines.and_then(|ls| ls.get(l.wrapping_sub(1))));
    let width = d.line.map_or(1, |l| l.to_string().len());
    let pad = " ".repeat(width);
    out.push_str(&format!("{pad}{} {loc}\n", style.dim("-->")));
    if let (Some(l), Some(text)) = (d.line, text) {
        let shown: String = text.chars().take(160).collect();
        out.push_str(&format!("{pad} {}\n", style.dim("|")));
        out.push_str(&format!(
            "{} {} {}\n",
            style.dim(&l.to_string()),
            style.dim("|"),
            shown
        ));
        let col = d.column.unwrap_or(1).max(1);
        let rest: String = shown.chars().skip(col - 1).collect();
        let len = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}' | ':'))
            .count()
            .max(1);
        let caret = format!("{}{}", " ".repeat(col - 1), "^".repeat(len));
        let caret = if d.severity == Severity::Error {
            style.error(&caret)
        } else {
            style.warning(&caret)
        };
        out.push_str(&format!("{pad} {} {caret}\n", style.dim("|")));
    }
    if let Some(h) = &d.hint {
        out.push_str(&format!(
            "{pad} {} {} {h}\n",
            style.dim("="),
            style.bold("hint:")
        ));
    }
    out.push('\n');
}

fn markdown(report: &Report) -> String {
    let mut s = format!(
        "**ddf check**: {}, {}, {}\n\n",
        count(report.records, "record"),
        count(report.errors, "error"),
        count(report.warnings, "warning")
    );
    if report.diagnostics.is_empty() {
        return s;
    }
    s.push_str("| severity | rule | record | location | message |\n|---|---|---|---|---|\n");
    for d in &report.diagnostics {
        let loc = match d.line {
            Some(l) => format!("{}:{l}", d.path),
            None => d.path.clone(),
        };
        s.push_str(&format!(
            "| {} | `{}` | {} | `{}` | {} |\n",
            d.severity,
            d.rule,
            d.record.as_deref().unwrap_or(""),
            md_cell(&loc),
            md_cell(&d.message)
        ));
    }
    s
}

fn csv(report: &Report) -> String {
    let mut s = csv_line(&[
        "severity", "rule", "record", "path", "line", "column", "message",
    ]);
    for d in &report.diagnostics {
        s.push_str(&csv_line(&[
            d.severity.as_str().to_string(),
            d.rule.to_string(),
            d.record.clone().unwrap_or_default(),
            d.path.clone(),
            d.line.map(|l| l.to_string()).unwrap_or_default(),
            d.column.map(|l| l.to_string()).unwrap_or_default(),
            d.message.clone(),
        ]));
    }
    s
}
