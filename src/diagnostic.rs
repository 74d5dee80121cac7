//! Findings: what a check reports about a record, where, and how to fix it.
//!
//! A [`Diagnostic`] carries a stable rule id, a severity, the record and file it is about, a
//! position counted in the file (1-based line and column), a message and an optional hint. The
//! JSON shape of a diagnostic is part of ddf's machine-output contract (DESIGN.md).

use serde::Serialize;
use std::cmp::Ordering;
use std::fmt;

/// How serious a finding is. `Off` exists only in configuration: such findings are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, but does not fail the check.
    Warning,
    /// Fails the check (exit code 1).
    Error,
}

impl Severity {
    /// The lower-case name used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based line and column inside a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, counted from 1.
    pub line: usize,
    /// Column in characters, counted from 1.
    pub column: usize,
}

impl Pos {
    /// A position from a 1-based line and column.
    pub fn new(line: usize, column: usize) -> Self {
        Pos { line, column }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The stable rule id (`dangling-link`, `di-verified`, ...).
    pub rule: &'static str,
    /// Severity after configuration was applied.
    pub severity: Severity,
    /// The record id, where the finding is about a record whose id is known.
    pub record: Option<String>,
    /// Path of the file, relative to the DDF root, with `/` separators.
    pub path: String,
    /// 1-based line in the file, where known.
    pub line: Option<usize>,
    /// 1-based column in the file, where known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it. Shown in human output; not part of the JSON contract.
    #[serde(skip)]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A new error finding for `rule` about the file at `path`.
    pub fn new(rule: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: Severity::Error,
            record: None,
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the record id.
    pub fn record(mut self, id: impl Into<String>) -> Self {
        self.record = Some(id.into());
        self
    }

    /// Sets the position, if there is one.
    pub fn at(mut self, pos: Option<Pos>) -> Self {
        if let Some(p) = pos {
            self.line = Some(p.line);
            self.column = Some(p.column);
        }
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The position, where both line and column are known.
    pub fn pos(&self) -> Option<Pos> {
        Some(Pos::new(self.line?, self.column.unwrap_or(1)))
    }

    /// The documented output order: path, line, rule, then column and message so that
    /// the order is total and output is deterministic.
    pub fn sort_key_cmp(&self, other: &Self) -> Ordering {
        self.path
            .cmp(&other.path)
            .then(self.line.cmp(&other.line))
            .then(self.rule.cmp(other.rule))
            .then(self.column.cmp(&other.column))
            .then(self.message.cmp(&other.message))
            .then(self.record.cmp(&other.record))
    }
}

/// Sorts diagnostics into the documented order and removes exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(Diagnostic::sort_key_cmp);
    diags.dedup();
}
