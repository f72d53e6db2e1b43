//! Progress of long operations: a bar on a terminal (the CLI), a log line every few seconds otherwise (services,
//! CronJobs, redirected output).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static BARS: AtomicBool = AtomicBool::new(false);

/// Lets progress bars be drawn when stderr is a terminal (called by the CLI only).
pub fn enable_bars() {
    BARS.store(std::io::stderr().is_terminal(), Ordering::Relaxed);
}

/// What is being counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Items,
}

pub enum Progress {
    Bar(ProgressBar),
    Log(Mutex<LogState>),
}

pub struct LogState {
    label: String,
    unit: Unit,
    total: Option<u64>,
    pos: u64,
    last: Instant,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// `total` when known (items, or bytes).
    pub fn new(label: &str, unit: Unit, total: Option<u64>) -> Progress {
        if BARS.load(Ordering::Relaxed) {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            let template = match (unit, total) {
                (Unit::Bytes, Some(_)) => "{msg:24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                (Unit::Bytes, None) => "{spinner} {msg:24} {bytes} {bytes_per_sec}",
                (Unit::Items, Some(_)) => "{msg:24} [{bar:30}] {pos}/{len} eta {eta}",
                (Unit::Items, None) => "{spinner} {msg:24} {pos}",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Bar(bar)
        } else {
            Progress::Log(Mutex::new(LogState { label: label.into(), unit, total, pos: 0, last: Instant::now() }))
        }
    }

    pub fn inc(&self, n: u64) {
        match self {
            Progress::Bar(b) => b.inc(n),
            Progress::Log(state) => {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.pos += n;
                if s.last.elapsed() >= LOG_EVERY {
                    s.last = Instant::now();
                    tracing::info!(done = %s.shown(s.pos), total = %s.total.map(|t| s.shown(t)).unwrap_or_default(), "{}", s.label);
                }
            }
        }
    }

    pub fn finish(&self) {
        match self {
            Progress::Bar(b) => b.finish(),
            Progress::Log(state) => {
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                tracing::info!(done = %s.shown(s.pos), "{} done", s.label);
            }
        }
    }
}

impl LogState {
    fn shown(&self, n: u64) -> String {
        match self.unit {
            Unit::Bytes => human_bytes(n),
            Unit::Items => n.to_string(),
        }
    }
}

/// `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
