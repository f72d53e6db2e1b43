//! The most recent warnings and errors of this process, kept in a small ring
//! buffer by a `tracing` layer installed with the logs, and served by the
//! [`crate::info`] gRPC service (and the gateway's monitor page).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;

/// How many events a process keeps.
pub const CAPACITY: usize = 200;
/// Longest rendered message kept (longer ones are cut on a char boundary).
const MAX_MESSAGE: usize = 2000;

/// One WARN or ERROR event.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub at: SystemTime,
    /// `warn` or `error`.
    pub level: &'static str,
    pub service: String,
    pub target: String,
    /// The message followed by its fields as `key=value`.
    pub message: String,
}

impl LogEvent {
    pub fn to_proto(&self) -> aidoc_proto::common::v1::LogEvent {
        aidoc_proto::common::v1::LogEvent {
            at: humantime::format_rfc3339_micros(self.at).to_string(),
            level: self.level.to_owned(),
            service: self.service.clone(),
            target: self.target.clone(),
            message: self.message.clone(),
        }
    }
}

/// A bounded buffer of events, oldest dropped first.
#[derive(Debug, Default)]
pub struct Ring {
    events: Mutex<VecDeque<LogEvent>>,
}

impl Ring {
    pub fn push(&self, event: LogEvent) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() == CAPACITY {
            events.pop_front();
        }
        events.push_back(event);
    }

    /// Newest first, at most `limit` (0 = all).
    pub fn recent(&self, limit: usize) -> Vec<LogEvent> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let limit = if limit == 0 { events.len() } else { limit };
        events.iter().rev().take(limit).cloned().collect()
    }
}

static RING: OnceLock<Ring> = OnceLock::new();
static SERVICE: OnceLock<String> = OnceLock::new();

/// This process's buffer.
pub fn ring() -> &'static Ring {
    RING.get_or_init(Ring::default)
}

/// The layer filling [`ring`] with the events of `service` (the first name wins).
pub fn layer(service: &str) -> RecentEvents {
    let _ = SERVICE.set(service.to_owned());
    RecentEvents
}

/// Records WARN and ERROR events into [`ring`].
#[derive(Debug, Clone, Copy)]
pub struct RecentEvents;

impl<S: Subscriber> tracing_subscriber::Layer<S> for RecentEvents {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            _ => return,
        };
        ring().push(render(event, level, SERVICE.get().map(String::as_str).unwrap_or("")));
    }
}

fn render(event: &Event<'_>, level: &'static str, service: &str) -> LogEvent {
    let mut v = Render::default();
    event.record(&mut v);
    let mut message = v.message;
    if !v.fields.is_empty() {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(&v.fields);
    }
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    LogEvent {
        at: SystemTime::now(),
        level,
        service: service.to_owned(),
        target: event.metadata().target().to_owned(),
        message,
    }
}

#[derive(Default)]
struct Render {
    message: String,
    fields: String,
}

impl Render {
    fn field(&mut self, name: &str, value: std::fmt::Arguments<'_>) {
        if name == "message" {
            let _ = self.message.write_fmt(value);
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{name}={value}");
        }
    }
}

impl Visit for Render {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field.name(), format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field.name(), format_args!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn keeps_warnings_and_errors_with_their_fields() {
        let subscriber = tracing_subscriber::registry().with(layer("test"));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("not kept");
            tracing::warn!(job = "j1", attempts = 3, "job failed: {}", "bad pdf");
            tracing::error!("broken");
        });
        let recent = ring().recent(0);
        let warn = recent.iter().find(|e| e.message.starts_with("job failed")).expect("the warning is kept");
        assert_eq!(warn.level, "warn");
        assert_eq!(warn.message, "job failed: bad pdf job=j1 attempts=3");
        assert!(warn.target.ends_with("events::tests"), "{}", warn.target);
        assert!(recent.iter().all(|e| e.message != "not kept"));
        assert_eq!(recent.first().map(|e| e.message.as_str()), Some("broken"), "newest first");
    }

    #[test]
    fn the_ring_is_bounded_and_newest_first() {
        let ring = Ring::default();
        for i in 0..CAPACITY + 5 {
            ring.push(LogEvent {
                at: SystemTime::now(),
                level: "warn",
                service: "s".into(),
                target: "t".into(),
                message: i.to_string(),
            });
        }
        let all = ring.recent(0);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].message, (CAPACITY + 4).to_string());
        assert_eq!(all.last().map(|e| e.message.clone()), Some("5".to_owned()));
        assert_eq!(ring.recent(3).len(), 3);
    }
}
