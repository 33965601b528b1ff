//! Command-line words as a user pastes them into a POSIX shell.

/// `s` as one shell word: as it is when it holds nothing a shell reads specially, else in single
/// quotes.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=@:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Arguments as one line to paste: each word quoted, spaces between.
pub fn line(args: &[String]) -> String {
    args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_a_shell_would_split_or_expand_them() {
        let args = [
            "--pack-map",
            "istio@1.6.2=Corp Mirror",
            "--set",
            "macro.A=it's",
        ];
        assert_eq!(
            line(&args.map(String::from)),
            r"--pack-map 'istio@1.6.2=Corp Mirror' --set 'macro.A=it'\''s'"
        );
        assert_eq!(quote(""), "''");
    }
}
