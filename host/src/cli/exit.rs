//! ferry's exit codes, all of them: commands return these, `--help` and docs/USAGE.md list them.
//! Scripts and CI branch on them, so a code keeps its meaning once released.

use std::process::ExitCode;

/// The command did what was asked.
pub const SUCCESS: u8 = 0;
/// It failed; the error was reported on stderr (what failed, why, and what to do when known).
pub const FAILURE: u8 = 1;
/// The command line was wrong (clap's own code for usage errors).
pub const USAGE: u8 = 2;
/// Validation found errors (`ferry validate`, `ferry import`): nothing was changed.
pub const VALIDATION_FAILED: u8 = 3;
/// An approval step denied the change, or asked for a review; or the user answered no.
pub const DENIED: u8 = 4;
/// A bulk run finished, but some of its profiles failed.
pub const PARTIAL: u8 = 5;
/// `ferry diff` found differences (0 when it found none). Not 1 as for diff(1): 1 is a failure.
pub const DIFFERS: u8 = 6;

/// The codes with what each means, as `--help` prints them.
pub const HELP: &str = "\
Exit codes:
  0  success
  1  failure (an error was reported)
  2  usage error (the command line was wrong)
  3  validation found errors (validate, import)
  4  an approval step denied the change or asked for review (or you answered no)
  5  some profiles of a bulk run failed
  6  the profiles differ (diff)";

/// `code` as the process's exit status.
pub fn code(code: u8) -> ExitCode {
    ExitCode::from(code)
}

pub fn success() -> ExitCode {
    code(SUCCESS)
}

pub fn failure() -> ExitCode {
    code(FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_text_lists_every_code() {
        for c in [
            SUCCESS,
            FAILURE,
            USAGE,
            VALIDATION_FAILED,
            DENIED,
            PARTIAL,
            DIFFERS,
        ] {
            assert!(
                HELP.contains(&format!("\n  {c}  ")),
                "{c} missing from the help"
            );
        }
    }
}
