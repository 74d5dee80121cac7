//! Progress of the long steps (the first walk of a long history, rendering a large site),
//! reported to whoever listens, as the `log` crate does for messages: the command line draws a
//! bar on a terminal, while the library itself never prints. Without a listener a step costs a
//! lookup of an unset cell.

use std::sync::OnceLock;

/// Receives the steps; the command line installs one with [`listen`].
pub trait Listener: Send + Sync {
    /// A step named `what` of `total` units begins; the returned task hears of its progress and
    /// is dropped when the step ends.
    fn begin(&self, what: &str, total: u64) -> Box<dyn Task>;
}

/// One step in progress.
pub trait Task: Send + Sync {
    /// `n` more units are done.
    fn add(&self, n: u64);
}

static LISTENER: OnceLock<Box<dyn Listener>> = OnceLock::new();

/// Installs the listener of this process; only the first call takes effect.
pub fn listen(listener: Box<dyn Listener>) {
    let _ = LISTENER.set(listener);
}

/// A step being reported, ended when dropped.
pub struct Step(Option<Box<dyn Task>>);

impl Step {
    /// `n` more units are done.
    pub fn add(&self, n: usize) {
        if let Some(t) = &self.0 {
            t.add(n as u64);
        }
    }
}

/// Begins a step named `what` of `total` units.
pub fn begin(what: &str, total: usize) -> Step {
    Step(LISTENER.get().map(|l| l.begin(what, total as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    /// The total of each step seen, and its units done so far.
    type Seen = Arc<Mutex<Vec<(u64, Arc<AtomicU64>)>>>;

    /// Records the steps named `test step` (other tests of this process report steps too).
    struct Recorder(Seen);

    struct Count(Arc<AtomicU64>);

    impl Task for Count {
        fn add(&self, n: u64) {
            self.0.fetch_add(n, Ordering::Relaxed);
        }
    }

    impl Listener for Recorder {
        fn begin(&self, what: &str, total: u64) -> Box<dyn Task> {
            let done = Arc::new(AtomicU64::new(0));
            if what == "test step" {
                if let Ok(mut v) = self.0.lock() {
                    v.push((total, done.clone()));
                }
            }
            Box::new(Count(done))
        }
    }

    #[test]
    fn steps_reach_the_listener() {
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        listen(Box::new(Recorder(seen.clone())));
        let step = begin("test step", 10);
        step.add(3);
        step.add(7);
        drop(step);
        let v = seen.lock().expect("lock");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, 10);
        assert_eq!(v[0].1.load(Ordering::Relaxed), 10);
    }
}
