//! Log capture for the "no secret reaches a log line" tests.
//!
//! One subscriber serves the whole test process: it is installed once, as the global
//! default, and logs every level; each line goes to the buffer of the [`CapturedLogs`]
//! alive on the thread that logged it (and nowhere when there is none). A subscriber per
//! test (`tracing::subscriber::set_default`) would be simpler but is unreliable: `tracing`
//! caches each call site's interest across dispatchers, and a call site first met on a
//! thread without a subscriber, while another test swaps its own in, can stay switched
//! off for the rest of the process — a capture then misses lines now and then.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::subscriber::DefaultGuard;
use tracing_subscriber::layer::SubscriberExt;

/// Every log line (TRACE and up) of the current thread while it lives.
pub struct CapturedLogs {
    buffer: Buffer,
    _scope: Scope,
}

/// How the lines are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Text,
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn append(&self, bytes: &[u8]) {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(bytes);
        }
    }
}

thread_local! {
    /// The capture of this thread, if any.
    static CAPTURE: RefCell<Option<(Format, Buffer)>> = const { RefCell::new(None) };
}

/// Writes a line to the current thread's capture when it wants this format.
struct ThreadSink(Format);

impl Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some((format, buffer)) = &*capture.borrow()
                && *format == self.0
            {
                buffer.append(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a capture undoes when it ends.
enum Scope {
    /// The process-wide subscriber routes this thread's lines here; the capture it
    /// replaced (if any) comes back.
    Routed(Option<(Format, Buffer)>),
    /// Another global subscriber was installed first: a subscriber for this thread only,
    /// held (never read) until the capture ends.
    Scoped(#[allow(dead_code)] DefaultGuard),
}

impl Drop for Scope {
    fn drop(&mut self) {
        if let Scope::Routed(previous) = self {
            let previous = previous.take();
            CAPTURE.with(|capture| *capture.borrow_mut() = previous);
        }
    }
}

/// Installs the process-wide subscriber once; `false` when another global subscriber
/// was there first.
fn routed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(|| ThreadSink(Format::Json)),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(|| ThreadSink(Format::Text)),
            );
        tracing::subscriber::set_global_default(subscriber).is_ok()
    })
}

impl CapturedLogs {
    /// JSON lines, as the Lambda functions log.
    pub fn json() -> Self {
        Self::start(Format::Json)
    }

    /// Plain text lines, without colours.
    pub fn text() -> Self {
        Self::start(Format::Text)
    }

    fn start(format: Format) -> Self {
        let buffer = Buffer::default();
        let scope = if routed() {
            let mine = Some((format, buffer.clone()));
            Scope::Routed(CAPTURE.with(|capture| capture.replace(mine)))
        } else {
            let sink = buffer.clone();
            let guard = match format {
                Format::Json => tracing::subscriber::set_default(
                    tracing_subscriber::fmt()
                        .json()
                        .with_max_level(tracing::Level::TRACE)
                        .with_writer(move || sink.clone())
                        .finish(),
                ),
                Format::Text => tracing::subscriber::set_default(
                    tracing_subscriber::fmt()
                        .with_max_level(tracing::Level::TRACE)
                        .with_ansi(false)
                        .with_writer(move || sink.clone())
                        .finish(),
                ),
            };
            Scope::Scoped(guard)
        };
        CapturedLogs {
            buffer,
            _scope: scope,
        }
    }

    /// Everything logged so far.
    pub fn contents(&self) -> String {
        let bytes = self.buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
