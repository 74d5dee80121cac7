//! Progress bars on stderr for the library's long steps ([`crate::progress`]): drawn only on a
//! terminal, never with `--quiet`, and only for steps long enough to be worth one.

use crate::progress::{Listener, Task};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// Steps of fewer units than this are not drawn: they end before a bar would tell anything.
const MIN_UNITS: u64 = 1000;

struct Bars;

struct Bar(ProgressBar);

impl Task for Bar {
    fn add(&self, n: u64) {
        self.0.inc(n);
    }
}

impl Listener for Bars {
    fn begin(&self, what: &str, total: u64) -> Box<dyn Task> {
        if total < MIN_UNITS {
            return Box::new(Bar(ProgressBar::hidden()));
        }
        let style = ProgressStyle::with_template("ddf: {msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        // Cleared when the step ends: the bar is for waiting, not for the record.
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(what.to_string())
            .with_finish(ProgressFinish::AndClear);
        Box::new(Bar(bar))
    }
}

/// Draws the library's steps as bars when stderr is a terminal and `--quiet` was not given.
pub(super) fn install(quiet: bool) {
    use std::io::IsTerminal;
    if !quiet && std::io::stderr().is_terminal() {
        crate::progress::listen(Box::new(Bars));
    }
}
