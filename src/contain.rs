//! Containment of failures in code that mawb does not own, run on bytes that mawb does not control.
//!
//! Spreadsheet readers (calamine, csv), the zip reader and the label decoder parse files from warehouses
//! and answers from the network. A panic in one of them must become a problem in the report, never the end
//! of a batch or of the watcher, and a file that makes a reader run for ever must be refused, not waited
//! for:
//!
//! - [`contain`] runs a closure on the calling thread and turns a panic into its message;
//! - [`contain_within`] runs it on a thread of its own and also bounds its time: when the limit passes,
//!   the caller gets [`Contained::TimedOut`] and the thread is abandoned (it ends on its own, or with the
//!   process).
//!
//! While a contained closure runs, the panic hook does not print the standard "thread … panicked at …"
//! text to stderr (the panic becomes a problem that names the file instead); its place in the code is
//! logged at debug level (`RUST_LOG=debug`). Panics anywhere else are printed as usual.
//!
//! The release profile keeps `panic = "unwind"` (the default): with `abort` nothing could be contained.
//!
//! # Fault injection (debug builds only)
//!
//! Integration tests prove the containment with faults forced through the environment variable
//! `MAWB_TEST_FAULT`: a comma-separated list of `KIND:NAME`, where KIND is
//!
//! - `read-panic`: the spreadsheet reader panics on the file named NAME;
//! - `read-hang`: the spreadsheet reader never returns on the file named NAME;
//! - `watch-panic`: the watcher's run of the folder named NAME panics (outside the reader);
//! - `watch-hang`: the watcher's run of the folder named NAME never returns.
//!
//! The variable is read only when `debug_assertions` are on (`cargo build`, `cargo test`); a release build
//! (`cargo build --release`, `cargo install`) compiles [`fault_point`] to nothing, so no environment can
//! trigger it in production.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, Once};
use std::time::Duration;

/// Why a contained closure gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contained {
    /// It panicked (the panic's message), or its thread could not be started.
    Failed(String),
    /// It was still running when the limit passed; its thread was abandoned.
    TimedOut(Duration),
}

impl std::fmt::Display for Contained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contained::Failed(msg) => f.write_str(msg),
            Contained::TimedOut(limit) => {
                write!(f, "still running after {} s", limit.as_secs_f64())
            }
        }
    }
}

thread_local! {
    /// How many contained closures are running on this thread (the panic hook stays quiet while > 0).
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as running contained code for the life of the value.
struct Quiet;

impl Quiet {
    fn enter() -> Quiet {
        QUIET.with(|q| q.set(q.get().saturating_add(1)));
        Quiet
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    }
}

/// Installs (once per process) the panic hook that keeps contained panics off stderr.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) > 0 {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                tracing::debug!(
                    "contained panic at {place}: {}",
                    panic_message(info.payload())
                );
            } else {
                previous(info);
            }
        }));
    });
}

/// The text of a panic's payload (`panic!("…")` gives a `String` or a `&str`; anything else has none).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `f`; a panic inside it becomes `Err(its message)` (and prints nothing to stderr).
///
/// `f` is treated as unwind safe: callers throw away whatever `f` was changing when it panicked.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let _quiet = Quiet::enter();
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}

/// Runs `f` on a thread of its own, contained as by [`contain`]; with a `limit`, waits at most that long.
/// A closure still running at the limit is abandoned: its result, should it ever come, is dropped.
pub fn contain_within<T, F>(limit: Option<Duration>, f: F) -> Result<T, Contained>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("mawb-contained".into())
        .spawn(move || {
            // The receiver may be gone (abandoned after the limit): nothing to do then.
            let _ = tx.send(contain(f));
        })
        .map_err(|e| Contained::Failed(format!("cannot start a thread: {e}")))?;
    let answer = match limit {
        Some(limit) => rx.recv_timeout(limit).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => Contained::TimedOut(limit),
            mpsc::RecvTimeoutError::Disconnected => {
                Contained::Failed("the thread ended without an answer".into())
            }
        })?,
        None => rx
            .recv()
            .map_err(|_| Contained::Failed("the thread ended without an answer".into()))?,
    };
    answer.map_err(Contained::Failed)
}

/// Where a fault can be forced (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Reading one spreadsheet, named by its file name.
    Read,
    /// The watcher's run of one folder, named by its folder name.
    Watch,
}

/// The environment variable of fault injection (read by debug builds only).
pub const FAULT_ENV: &str = "MAWB_TEST_FAULT";

/// Forces the fault `MAWB_TEST_FAULT` asks for at `point` for `name`: a panic, or a wait that never
/// ends. Does nothing in release builds, or when the variable does not name this point and name.
pub fn fault_point(point: FaultPoint, name: &str) {
    fault_point_until(point, name, None)
}

/// [`fault_point`] for code that keeps a deadline of its own: a forced wait ends when `deadline` passes
/// (never, without one), as a reader that makes no progress would reach its deadline check.
pub fn fault_point_until(point: FaultPoint, name: &str, deadline: Option<std::time::Instant>) {
    #[cfg(debug_assertions)]
    forced_fault(
        point,
        name,
        std::env::var(FAULT_ENV).ok().as_deref(),
        deadline,
    );
    #[cfg(not(debug_assertions))]
    let _ = (point, name, deadline);
}

/// The fault of `spec` (the variable's value) at `point` for `name`, if any.
#[cfg(any(debug_assertions, test))]
fn fault_of(point: FaultPoint, name: &str, spec: &str) -> Option<&'static str> {
    let (panic_kind, hang_kind) = match point {
        FaultPoint::Read => ("read-panic", "read-hang"),
        FaultPoint::Watch => ("watch-panic", "watch-hang"),
    };
    spec.split(',').find_map(|entry| {
        let (kind, target) = entry.trim().split_once(':')?;
        if target != name {
            return None;
        }
        if kind == panic_kind {
            Some("panic")
        } else if kind == hang_kind {
            Some("hang")
        } else {
            None
        }
    })
}

#[cfg(debug_assertions)]
fn forced_fault(
    point: FaultPoint,
    name: &str,
    spec: Option<&str>,
    deadline: Option<std::time::Instant>,
) {
    match spec.and_then(|s| fault_of(point, name, s)) {
        Some("panic") => panic!("fault injected by {FAULT_ENV} at {point:?} for {name}"),
        Some(_) => loop {
            match deadline {
                Some(d) if std::time::Instant::now() >= d => return,
                Some(_) => std::thread::sleep(Duration::from_millis(10)),
                None => std::thread::sleep(Duration::from_secs(3600)),
            }
        },
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(contain(|| 7), Ok(7));
        assert_eq!(
            contain(|| -> u8 { panic!("bad cell {}", 3) }),
            Err("bad cell 3".to_string())
        );
        assert_eq!(
            contain(|| -> u8 { panic!("static text") }),
            Err("static text".to_string())
        );
        let v: Vec<u8> = Vec::new();
        let index = v.len() + 2;
        let e = contain(|| v[index]).unwrap_err();
        assert!(e.contains("index out of bounds"), "{e}");
    }

    #[test]
    fn a_panic_payload_without_text_still_has_a_message() {
        let e = contain(|| std::panic::panic_any(42u32)).unwrap_err();
        assert_eq!(e, "a panic without a message");
    }

    #[test]
    fn the_quiet_mark_is_released_after_a_panic() {
        let _ = contain(|| -> u8 { panic!("x") });
        assert_eq!(QUIET.with(Cell::get), 0);
        let nested = contain(|| contain(|| -> u8 { panic!("inner") }));
        assert_eq!(nested, Ok(Err("inner".to_string())));
        assert_eq!(QUIET.with(Cell::get), 0);
    }

    #[test]
    fn a_bounded_closure_answers_panics_or_is_abandoned() {
        assert_eq!(contain_within(Some(Duration::from_secs(30)), || 5), Ok(5));
        assert_eq!(contain_within(None, || 6), Ok(6));
        assert_eq!(
            contain_within(Some(Duration::from_secs(30)), || -> u8 { panic!("boom") }),
            Err(Contained::Failed("boom".into()))
        );
        let t0 = Instant::now();
        let r = contain_within(Some(Duration::from_millis(200)), || {
            std::thread::sleep(Duration::from_secs(20));
            1
        });
        assert_eq!(r, Err(Contained::TimedOut(Duration::from_millis(200))));
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    }

    #[test]
    fn fault_specs_name_a_point_and_a_name() {
        let spec = "read-panic:a.xlsx, watch-hang:F1,read-hang:b.csv";
        assert_eq!(fault_of(FaultPoint::Read, "a.xlsx", spec), Some("panic"));
        assert_eq!(fault_of(FaultPoint::Read, "b.csv", spec), Some("hang"));
        assert_eq!(fault_of(FaultPoint::Watch, "F1", spec), Some("hang"));
        assert_eq!(fault_of(FaultPoint::Watch, "a.xlsx", spec), None);
        assert_eq!(fault_of(FaultPoint::Read, "F1", spec), None);
        assert_eq!(fault_of(FaultPoint::Read, "c.xlsx", spec), None);
        assert_eq!(fault_of(FaultPoint::Read, "a.xlsx", ""), None);
    }
}
