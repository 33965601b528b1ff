//! The passphrase: where it comes from, and the policy a new one must meet (Palette CLI's).
//!
//! Sources, first found wins: `-k/--encryption-passphrase`, `PALETTE_ENCRYPTION_PASSWORD`, then a
//! hidden prompt. The prompt reads `/dev/tty`, and only when stdin or stderr is a terminal, so that
//! `ferry login --api-key-stdin` at a terminal still prompts while a script or CI job without a
//! passphrase fails at once with a message naming both ways to give one, instead of hanging.
//! An empty variable counts as unset.

use std::io::IsTerminal;

use zeroize::Zeroizing;

/// The variable Palette's CLI reads the passphrase from; ferry reads the same.
pub const PASSPHRASE_ENV: &str = "PALETTE_ENCRYPTION_PASSWORD";
/// Where `ferry config rotate-passphrase` reads the new passphrase from, when not from stdin.
pub const NEW_PASSPHRASE_ENV: &str = "FERRY_NEW_ENCRYPTION_PASSWORD";

/// A passphrase in memory: zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Palette's policy for a passphrase: 8 to 32 characters with a capital letter, a lowercase
    /// letter, a digit and a special character. The error names every rule that failed.
    pub fn check_policy(&self) -> Result<(), PolicyError> {
        let text = self.expose();
        let mut failed = Vec::new();
        let chars = text.chars().count();
        if !(8..=32).contains(&chars) {
            failed.push(format!("be 8 to 32 characters long (it has {chars})"));
        }
        if !text.chars().any(char::is_uppercase) {
            failed.push("have a capital letter (A-Z)".to_owned());
        }
        if !text.chars().any(char::is_lowercase) {
            failed.push("have a lowercase letter (a-z)".to_owned());
        }
        if !text.chars().any(|c| c.is_ascii_digit()) {
            failed.push("have a digit (0-9)".to_owned());
        }
        if !text
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
        {
            failed.push("have a special character (such as ! # % - _ @)".to_owned());
        }
        if text.chars().any(char::is_control) {
            failed.push("not contain control characters".to_owned());
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PolicyError(failed))
        }
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// The rules a passphrase broke.
#[derive(Debug, PartialEq, Eq)]
pub struct PolicyError(pub Vec<String>);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the passphrase is too weak: it must {}",
            self.0.join(", and must ")
        )
    }
}

impl std::error::Error for PolicyError {}

/// Where the passphrase came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    Prompt,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Flag => "-k/--encryption-passphrase",
            Self::Env => PASSPHRASE_ENV,
            Self::Prompt => "the prompt",
        })
    }
}

/// The passphrase that unlocks (or, with `creating`, will protect) stored credentials.
pub fn obtain(flag: Option<&str>, creating: bool) -> anyhow::Result<(Passphrase, Source)> {
    if let Some(text) = flag {
        return Ok((Passphrase::new(text), Source::Flag));
    }
    if let Some(text) = env_var(PASSPHRASE_ENV) {
        return Ok((text, Source::Env));
    }
    if !can_prompt() {
        anyhow::bail!(
            "ferry needs the passphrase that {} stored credentials, and there is no terminal to ask on: \
             set {PASSPHRASE_ENV} or pass -k/--encryption-passphrase",
            if creating { "will encrypt" } else { "unlocks" }
        );
    }
    let passphrase = if creating {
        prompt_twice("Choose a passphrase to encrypt ferry's credentials: ")?
    } else {
        prompt("Passphrase for ferry's credentials: ")?
    };
    Ok((passphrase, Source::Prompt))
}

/// The new passphrase of a rotation: stdin (when asked), `FERRY_NEW_ENCRYPTION_PASSWORD`, or a prompt
/// (twice). It must meet the policy.
pub fn obtain_new(from_stdin: bool) -> anyhow::Result<Passphrase> {
    let passphrase = if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().read_line(&mut line)?;
        Passphrase::new(line.trim_end_matches(['\r', '\n']))
    } else if let Some(text) = env_var(NEW_PASSPHRASE_ENV) {
        text
    } else if can_prompt() {
        prompt_twice("New passphrase: ")?
    } else {
        anyhow::bail!(
            "ferry needs the new passphrase and there is no terminal to ask on: \
             pipe it in with --new-passphrase-stdin or set {NEW_PASSPHRASE_ENV}"
        );
    };
    passphrase.check_policy()?;
    Ok(passphrase)
}

fn env_var(name: &str) -> Option<Passphrase> {
    let value = Zeroizing::new(std::env::var(name).ok()?);
    (!value.is_empty()).then(|| Passphrase::new(value.as_str()))
}

fn can_prompt() -> bool {
    (std::io::stdin().is_terminal() || std::io::stderr().is_terminal())
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
}

fn prompt(text: &str) -> anyhow::Result<Passphrase> {
    let typed = Zeroizing::new(rpassword::prompt_password(text)?);
    Ok(Passphrase::new(typed.as_str()))
}

/// Asks twice so a typo does not lock the user out. The policy is checked before the second ask.
fn prompt_twice(text: &str) -> anyhow::Result<Passphrase> {
    let first = prompt(text)?;
    first.check_policy()?;
    let second = prompt("Repeat it: ")?;
    if first.expose() != second.expose() {
        anyhow::bail!("the two passphrases differ; nothing was changed");
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(text: &str) -> Vec<String> {
        Passphrase::new(text)
            .check_policy()
            .err()
            .map(|e| e.0)
            .unwrap_or_default()
    }

    #[test]
    fn each_rule_is_named_when_it_fails() {
        assert!(failures("Good-pass1").is_empty());
        assert_eq!(
            failures("Sh0rt!"),
            ["be 8 to 32 characters long (it has 6)"]
        );
        assert_eq!(
            failures("Aa1!aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ["be 8 to 32 characters long (it has 33)"]
        );
        assert_eq!(failures("lower-case1"), ["have a capital letter (A-Z)"]);
        assert_eq!(failures("UPPER-CASE1"), ["have a lowercase letter (a-z)"]);
        assert_eq!(failures("No-digits-here"), ["have a digit (0-9)"]);
        assert_eq!(
            failures("NoSpecial123"),
            ["have a special character (such as ! # % - _ @)"]
        );
        assert_eq!(failures("abc").len(), 4);
    }

    #[test]
    fn message_lists_the_failed_rules() {
        let err = Passphrase::new("password").check_policy().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the passphrase is too weak: it must have a capital letter (A-Z), and must have a digit (0-9), \
             and must have a special character (such as ! # % - _ @)"
        );
    }

    #[test]
    fn boundaries_are_inclusive_and_spaces_are_not_special() {
        assert!(failures("Aa1!aaaa").is_empty());
        assert!(failures("Aa1!aaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_empty());
        assert_eq!(
            failures("Has spaces 1"),
            ["have a special character (such as ! # % - _ @)"]
        );
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", Passphrase::new("Good-pass1")),
            "Passphrase(<redacted>)"
        );
    }
}
