//! Asking the person at the terminal before a change: only when there is one (stdin and stderr
//! both a terminal), so scripts and CI never hang on a question; `--yes` skips it.

use std::io::{BufRead, IsTerminal, Write};

/// Whether a person can be asked.
pub fn someone_to_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks `question` on stderr; yes only for an answer of `y` or `yes`. End of input is no.
pub fn ask(question: &str) -> bool {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
