//! The guest's own words for why it crashed, out of what it wrote to stderr. Each language's
//! runtime follows the real error with lines of its own (a Rust panic's `note:`, componentize-py's
//! `Python function threw an unexpected exception`, StarlingMonkey's `mozalloc_abort`): those are
//! left out, so a failure reads `KeyError: 'spec'` and not the boilerplate after it.

/// Lines a language runtime writes around a guest's error, never the error itself.
fn is_boilerplate(line: &str) -> bool {
    let line = line.trim();
    line.is_empty()
        || line.starts_with("note: ")
        || (line.starts_with("thread '") && line.contains("panicked at"))
        || line == "Python function threw an unexpected exception"
        || line.starts_with("Traceback (most recent call last)")
        || line.starts_with("Redirecting call to abort()")
        || line == "Stack:"
        || line.contains("wasm backtrace")
}

/// The last line of `stderr` that is the guest's own (at most 500 characters), with where a
/// Python traceback says it was raised.
pub fn last_error_line(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let (at, line) = lines
        .iter()
        .enumerate()
        .rev()
        // Indented lines are stack frames (Python's `  File …`, JavaScript's `  fn@file:1:2`).
        .find(|(_, l)| !is_boilerplate(l) && !l.starts_with(' '))?;
    let mut said = js_thrown(line).unwrap_or(line).trim().to_string();
    if let Some(place) = lines[..at].iter().rev().find_map(|l| python_frame(l)) {
        said = format!("{said} ({place})");
    }
    Some(said.chars().take(500).collect())
}

/// componentize-js reports a thrown value that is not a `plugin-error` as
/// ``invalid variant tag value `undefined` (received `TypeError: …`) specified for `PluginError` ``:
/// the thrown error is the part received.
fn js_thrown(line: &str) -> Option<&str> {
    let start = line.find("(received `")? + "(received `".len();
    let len = line[start..].rfind("`)")?;
    Some(&line[start..start + len])
}

/// `  File "/0/app.py", line 8, in validate` → `app.py, line 8, in validate`.
fn python_frame(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let (path, rest) = rest.split_once('"')?;
    let file = path.rsplit('/').next().unwrap_or(path);
    Some(format!("{file}{}", rest))
}

#[cfg(test)]
mod tests {
    use super::last_error_line;

    #[test]
    fn a_python_exception_is_its_last_line_and_where_it_was_raised() {
        let stderr = "Traceback (most recent call last):\n  File \"/0/app.py\", line 8, in validate\nKeyError: 'spec'\nthread '<unnamed>' (1) panicked at runtime/src/lib.rs:1293:29:\nPython function threw an unexpected exception\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            last_error_line(stderr).as_deref(),
            Some("KeyError: 'spec' (app.py, line 8, in validate)")
        );
    }

    #[test]
    fn a_javascript_throw_is_what_was_thrown() {
        let stderr = "invalid variant tag value `undefined` (received `TypeError: can't access property \"template\", doc.spec is undefined`) specified for `PluginError`\nStack:\n  export_validator_1_0_0$validate@/tmp/x/sources/initializer.js:835:17\nRedirecting call to abort() to mozalloc_abort\n";
        assert_eq!(
            last_error_line(stderr).as_deref(),
            Some("TypeError: can't access property \"template\", doc.spec is undefined")
        );
    }

    #[test]
    fn a_rust_panic_is_its_message() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:10:5:\nhostile plugin panics on purpose\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            last_error_line(stderr).as_deref(),
            Some("hostile plugin panics on purpose")
        );
        assert_eq!(last_error_line("note: only boilerplate\n"), None);
    }
}
