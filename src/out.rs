//! Standard output that a closed pipe cannot crash.
//!
//! `println!` panics when stdout is gone (`mawb rules | head -1`: "failed printing to stdout: Broken
//! pipe", exit 101). Every command writes its stdout through [`outln!`](crate::outln!),
//! [`out!`](crate::out!) or [`Stdout`] instead: once the reader has closed the pipe, the rest of the output
//! is dropped without a word and the command ends with its normal exit code. SIGPIPE stays ignored (Rust's
//! default), because mawb also writes to sockets, where a signal would end the process.

use std::io::{self, ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout has failed: later output is dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout has failed (the reader closed the pipe, or the disk is full).
pub fn is_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Marks stdout as gone. A closed pipe is the reader's choice and is not reported; any other failure is
/// said once on stderr.
fn closed_by(e: &io::Error) {
    if !CLOSED.swap(true, Ordering::Relaxed) && e.kind() != ErrorKind::BrokenPipe {
        eprintln!("mawb: cannot write to stdout: {e}");
    }
}

/// Writes formatted text to stdout; used by [`out!`](crate::out!) and [`outln!`](crate::outln!).
pub fn write_fmt(args: std::fmt::Arguments<'_>) {
    if is_closed() {
        return;
    }
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_fmt(args) {
        closed_by(&e);
    }
}

/// Stdout as an [`io::Write`]: a closed pipe swallows the rest of the output (every write then succeeds
/// without writing); other failures are returned to the caller.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if is_closed() {
            return Ok(buf.len());
        }
        match io::stdout().lock().write(buf) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                closed_by(&e);
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if is_closed() {
            return Ok(());
        }
        match io::stdout().lock().flush() {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                closed_by(&e);
                Ok(())
            }
            other => other,
        }
    }
}

/// `print!` that ends quietly on a closed stdout (see [`mod@crate::out`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_fmt(format_args!($($arg)*))
    };
}

/// `println!` that ends quietly on a closed stdout (see [`mod@crate::out`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::write_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
