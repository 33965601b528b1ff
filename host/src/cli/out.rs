//! Everything ferry prints to stdout goes through here, so that a reader who goes away
//! (`ferry ... | head`) ends the command quietly instead of with a panic: a write that meets a closed
//! pipe returns `BrokenPipe`, the command stops at the next `?`, and [`super::main`] exits with success
//! without a message (as ripgrep does).

use std::io::Write;

/// Writes formatted text to stdout, and flushes it; `BrokenPipe` when the reader has gone.
pub fn write(args: std::fmt::Arguments) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.flush())
}

/// Whether `err` comes from writing to a reader that has gone.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` for commands: `outln!(...)?` stops the command when stdout's reader has gone.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
