//! A line diff of two texts, for a person to see what changed: `-` lines only in the first,
//! `+` lines only in the second, with a little context around each change.

/// Lines kept around a change.
const CONTEXT: usize = 2;

/// The diff of `old` against `new`, or `None` when they are equal.
pub fn diff(old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence, by suffix lengths: lcs[i][j] for a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != ' ').collect();
    let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
    let mut out = String::new();
    let mut skipped = false;
    for (k, (mark, line)) in lines.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push_str("   ...\n");
                skipped = false;
            }
            out.push_str(&format!(" {mark} {line}\n"));
        } else {
            skipped = true;
        }
    }
    if new.ends_with('\n') != old.ends_with('\n') {
        out.push_str("   (the two differ in their last newline)\n");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn shows_changed_lines_with_context() {
        assert_eq!(diff("a\nb\n", "a\nb\n"), None);
        let d = diff("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\nfour\n5\n6\n7\n").unwrap();
        assert_eq!(d, "   ...\n   2\n   3\n - 4\n + four\n   5\n   6\n");
        let d = diff("a\n", "a\nb\n").unwrap();
        assert!(d.contains(" + b"), "{d}");
    }
}
