//! A one-line progress display on stderr, drawn only when stderr is a terminal, so
//! redirected output and logs collected from stderr stay clean.

use std::{
    io::{IsTerminal, Write},
    time::{Duration, Instant},
};

/// Redrawing more often than this only costs time.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

pub struct Progress {
    label: String,
    visible: bool,
    total: Option<u64>,
    done: u64,
    started: Instant,
    drawn: Option<Instant>,
}

impl Progress {
    /// Shown when stderr is a terminal, hidden otherwise.
    pub fn on_terminal(label: impl Into<String>) -> Self {
        Self::new(label, std::io::stderr().is_terminal())
    }

    pub fn hidden(label: impl Into<String>) -> Self {
        Self::new(label, false)
    }

    fn new(label: impl Into<String>, visible: bool) -> Self {
        Self {
            label: label.into(),
            visible,
            total: None,
            done: 0,
            started: Instant::now(),
            drawn: None,
        }
    }

    /// Whether anything is drawn: counting a total costs a query, skip it otherwise.
    pub fn is_visible(&self) -> bool {
        self.visible
    }

    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
    }

    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if self.visible && self.drawn.is_none_or(|at| at.elapsed() >= REDRAW_EVERY) {
            self.drawn = Some(Instant::now());
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\x1b[K", self.line());
            let _ = err.flush();
        }
    }

    pub fn done(&self) -> u64 {
        self.done
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn per_second(&self) -> f64 {
        self.done as f64 / self.elapsed().as_secs_f64().max(1e-3)
    }

    /// Clears the line, leaving the terminal as it was.
    pub fn finish(&mut self) {
        if self.visible && self.drawn.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }

    fn line(&self) -> String {
        let rate = self.per_second().round();
        match self.total {
            Some(total) if total > 0 => format!(
                "{}: {}/{} events ({}%, {rate} events/s)",
                self.label,
                self.done,
                total,
                self.done.min(total) * 100 / total
            ),
            _ => format!("{}: {} events ({rate} events/s)", self.label, self.done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_share_done_when_the_total_is_known() {
        let mut p = Progress::hidden("exporting");
        p.set_total(200);
        p.advance(50);
        assert!(p.line().starts_with("exporting: 50/200 events (25%, "));
        assert_eq!(p.done(), 50);
    }

    #[test]
    fn without_a_total_the_line_counts_events() {
        let mut p = Progress::hidden("queue");
        p.advance(7);
        p.advance(3);
        assert!(p.line().starts_with("queue: 10 events ("));
        assert!(!p.is_visible());
    }
}
