//! A pack's values YAML, read as a list of scalars with their dotted paths and byte spans, so a
//! plugin can find a value by Palette's dotted notation and replace it in place, leaving comments,
//! order and formatting of everything else exactly as they were.
//!
//! Paths use Palette's notation: keys joined by `.`, `$[]` for any element of an array. A key that
//! itself contains dots (`spectrocloud.com/install-priority`) matches its dotted spelling.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

/// One step of a path into the YAML tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping's key.
    Key(String),
    /// A sequence's index, from 0.
    Index(usize),
}

/// A scalar value (not a key) of the YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// Where it is: keys and array indexes from the document's root.
    pub path: Vec<Segment>,
    /// The value as YAML reads it (quotes and escapes resolved).
    pub value: String,
    /// Where its source text is, in bytes: replacing this range replaces the value.
    pub span: Range<usize>,
    /// True for `|` and `>` block scalars.
    pub block: bool,
}

impl Scalar {
    /// The path in Palette's dotted notation (`a.b.$[].c`).
    pub fn dotted(&self) -> String {
        dotted(&self.path)
    }
}

/// Joins a path in Palette's dotted notation.
pub fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match seg {
            Segment::Key(k) => out.push_str(k),
            Segment::Index(_) => out.push_str("$[]"),
        }
    }
    out
}

/// How deep a document or a values YAML may nest. Helm values nest a dozen levels or so; past
/// this a text is hostile, not a profile, and each value's path alone would take memory in
/// proportion to its depth.
pub const MAX_DEPTH: usize = 100;

enum Frame {
    Mapping { key: Option<String> },
    Sequence { next: usize },
}

/// Every scalar value in `yaml`, in document order. Keys are not listed; aliases are skipped
/// (the value they point at is listed where it is defined).
pub fn scalars(yaml: &str) -> Result<Vec<Scalar>, String> {
    walk(yaml, |_| {})
}

/// The scalars of each document of a multi-document stream (`---` separated, as Kubernetes
/// manifests are), one list per document; paths start afresh in each.
pub fn document_scalars(yaml: &str) -> Result<Vec<Vec<Scalar>>, String> {
    let mut starts = Vec::new();
    let mut all = walk(yaml, |listed| starts.push(listed))?;
    let mut docs = Vec::with_capacity(starts.len());
    for start in starts.into_iter().rev() {
        docs.push(all.split_off(start.min(all.len())));
    }
    docs.reverse();
    Ok(docs)
}

/// Lists the scalars; `document_start` is told how many were listed when each document begins.
/// Two values at one path in a document (a key repeated in a mapping) are refused: a
/// [`key`] names one value, so a masked one could not be told from the other when restored.
fn walk(yaml: &str, mut document_start: impl FnMut(usize)) -> Result<Vec<Scalar>, String> {
    let mut starts = vec![0];
    let out = walk_events(yaml, |listed| {
        starts.push(listed);
        document_start(listed);
    })?;
    starts.push(out.len());
    for document in starts.windows(2) {
        let mut seen = HashSet::new();
        for scalar in &out[document[0]..document[1]] {
            if !seen.insert(&scalar.path) {
                let line = yaml[..scalar.span.start].matches('\n').count() + 1;
                return Err(format!(
                    "invalid YAML: a second value at {} (line {line}): a key is repeated in one mapping; keep one",
                    pointer(&scalar.path)
                ));
            }
        }
    }
    Ok(out)
}

fn walk_events(yaml: &str, mut document_start: impl FnMut(usize)) -> Result<Vec<Scalar>, String> {
    let offsets = ByteOffsets::new(yaml);
    let mut out = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    // The path of the container each frame describes, kept in step with `frames`.
    let mut path: Vec<Segment> = Vec::new();
    for event in Parser::new_from_str(yaml) {
        let (event, span) = event.map_err(invalid)?;
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                if let Some(Frame::Mapping { key }) = frames.last_mut()
                    && key.is_none()
                {
                    *key = Some(value.into_owned());
                    continue;
                }
                let segment = child_segment(&mut frames);
                let properties = anchor != 0 || tag.is_some();
                // A tag or anchor with no value (`- !t`): a null with nowhere to write a value
                // in its place; no secret, so not listed (like an alias).
                if properties && value.is_empty() && style == ScalarStyle::Plain {
                    continue;
                }
                let mut full = path.clone();
                full.push(segment);
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let mut start = offsets.byte(span.start.index());
                let span_end = offsets.byte(span.end.index());
                // A tagged or anchored scalar's span starts at its properties (`!t 'x'`). Only
                // there: a block scalar's span starts at its content, which may begin with `!`.
                let properties_at = start;
                if properties {
                    start = past_properties(yaml, start).min(span_end.max(start));
                }
                if block && start == properties_at {
                    start = block_indicator(yaml, start);
                }
                // A block scalar's span runs on over the line break and the next line's
                // indentation, a quoted one over a trailing comment: the value's own text ends
                // at its closing quote, or else at its last visible character.
                let end = match style {
                    ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => {
                        closing_quote(yaml, start)
                    }
                    _ => None,
                }
                .unwrap_or_else(|| {
                    // YAML's white space only: a vertical tab or U+00A0 is part of a plain scalar.
                    let text = &yaml[start..span_end.max(start)];
                    start + text.trim_end_matches([' ', '\t', '\r', '\n']).len()
                });
                out.push(Scalar {
                    path: full,
                    value: value.into_owned(),
                    span: start..end,
                    block,
                });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if frames.len() >= MAX_DEPTH {
                    return Err(too_deep(span.start));
                }
                if !frames.is_empty() {
                    path.push(child_segment(&mut frames));
                }
                frames.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Mapping { key: None }
                } else {
                    Frame::Sequence { next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                frames.pop();
                if !frames.is_empty() {
                    path.pop();
                }
            }
            Event::Alias(_) => {
                child_segment(&mut frames);
            }
            Event::DocumentStart(_) => {
                document_start(out.len());
                frames.clear();
                path.clear();
            }
            _ => {}
        }
    }
    Ok(out)
}

/// How many nodes aliases may add to a YAML text read into a tree: reuse of a block is fine, a
/// "billion laughs" (aliases of aliases, each multiplying) is not.
pub const MAX_ALIASED: usize = 10_000;

/// Whether `yaml` is YAML that nests no deeper than [`MAX_DEPTH`], has no key twice in one
/// mapping and whose aliases add no more than [`MAX_ALIASED`] nodes, read without keeping
/// anything: a check to make before a parser that builds the whole tree, copying what each alias
/// names (the walk above skips aliases), and that would keep one of two keys without a word.
pub fn check(yaml: &str) -> Result<(), String> {
    /// An open collection: its anchor, the node count at its start, and for a mapping its keys
    /// and whether the next node is a key.
    struct Open {
        anchor: usize,
        start: usize,
        keys: Option<(HashSet<String>, bool)>,
    }
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    let mut open: Vec<Open> = Vec::new();
    let (mut nodes, mut aliased) = (0usize, 0usize);
    let at = |m: Marker| format!("line {} column {}", m.line(), m.col() + 1);
    for event in Parser::new_from_str(yaml) {
        let (event, span) = event.map_err(invalid)?;
        // A node in a mapping is its key or its value, in turn.
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        if let (
            true,
            Some(Open {
                keys: Some((keys, next_is_key)),
                ..
            }),
        ) = (is_node, open.last_mut())
        {
            if let (true, Event::Scalar(key, ..)) = (*next_is_key, &event)
                && !keys.insert(key.to_string())
            {
                return Err(format!(
                    "the key {key:?} appears twice in one mapping ({})",
                    at(span.start)
                ));
            }
            *next_is_key = !*next_is_key;
        }
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) if open.len() >= MAX_DEPTH => {
                return Err(too_deep(span.start));
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let keys = matches!(event, Event::MappingStart(..)).then(|| (HashSet::new(), true));
                open.push(Open {
                    anchor,
                    start: nodes,
                    keys,
                });
                nodes += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Open { anchor, start, .. }) = open.pop()
                    && anchor != 0
                {
                    sizes.insert(anchor, nodes - start);
                }
            }
            Event::Scalar(_, _, anchor, _) => {
                nodes += 1;
                if anchor != 0 {
                    sizes.insert(anchor, 1);
                }
            }
            Event::Alias(id) => {
                let size = sizes.get(&id).copied().unwrap_or(1);
                aliased = aliased.saturating_add(size);
                nodes = nodes.saturating_add(size);
                if aliased > MAX_ALIASED {
                    return Err(format!(
                        "its aliases expand to more than {MAX_ALIASED} values ({}): ferry does not read a YAML alias bomb",
                        at(span.start)
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn too_deep(at: Marker) -> String {
    format!(
        "the YAML nests deeper than {MAX_DEPTH} levels (line {} column {})",
        at.line(),
        at.col() + 1
    )
}

/// The parser's error; its own nesting limit (255 levels of `[` and `{`, met while it looks ahead)
/// is said as ours.
fn invalid(e: ScanError) -> String {
    if e.info() == "recursion limit exceeded" {
        return too_deep(*e.marker());
    }
    format!("invalid YAML: {e}")
}

/// Where a node's content starts, past its tag and anchor (`!t &a 'x'`) if it has them.
fn past_properties(yaml: &str, mut at: usize) -> usize {
    let bytes = yaml.as_bytes();
    while matches!(bytes.get(at), Some(b'!' | b'&')) {
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
    }
    at
}

/// The byte just past the quote that closes the quoted scalar opening at `start`.
fn closing_quote(yaml: &str, start: usize) -> Option<usize> {
    let bytes = yaml.as_bytes();
    let quote = *bytes.get(start)?;
    let mut i = start + 1;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (b'"', b'\\') => i += 1,
            (b'\'', b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 1,
            (q, c) if q == c => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A block scalar's span starts at its content; the value starts at its `|` or `>` on the line
/// before (which may end in a comment).
fn block_indicator(yaml: &str, content_start: usize) -> usize {
    // The header is the last line before the content that is not blank (blank lines may come
    // between: they belong to the value).
    let mut line_end = yaml[..content_start].rfind(['\n', '\r']).unwrap_or(0);
    let mut line_start = yaml[..line_end].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    while line_start > 0 && yaml[line_start..line_end].trim().is_empty() {
        line_end = line_start - 1;
        line_start = yaml[..line_end].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    }
    let header = &yaml[line_start..line_end];
    let header = header.find(" #").map_or(header, |i| &header[..i]);
    header
        .rfind(['|', '>'])
        .map_or(content_start, |i| line_start + i)
}

/// The segment for the next child of the innermost container, advancing that container.
fn child_segment(frames: &mut [Frame]) -> Segment {
    match frames.last_mut() {
        Some(Frame::Mapping { key }) => Segment::Key(key.take().unwrap_or_default()),
        Some(Frame::Sequence { next }) => {
            *next += 1;
            Segment::Index(*next - 1)
        }
        None => Segment::Key(String::new()),
    }
}

/// Checks that `edits` (each replacing one value's text) leave YAML that reads with the same
/// places as `yaml`: YAML reads some text leniently (a plain value on an under-indented line after
/// a tag), and a replacement there would change the structure, so a masker refuses rather than
/// write a document that no longer parses or means something else.
pub fn check_edits(yaml: &str, edits: &[(Range<usize>, String)]) -> Result<(), String> {
    if edits.is_empty() {
        return Ok(());
    }
    let before: Vec<Scalar> = document_scalars(yaml)?.into_iter().flatten().collect();
    let after = document_scalars(&replace(yaml, edits.to_vec())).map(|d| d.into_iter().flatten());
    // Every value reads as before, but those replaced whole, which read as their replacement; a
    // value edited inside (a URL's password) only keeps its place.
    let same = after.is_ok_and(|after| {
        let after: Vec<Scalar> = after.collect();
        after.len() == before.len()
            && before.iter().zip(&after).all(|(b, a)| {
                let whole = edits.iter().find(|(r, _)| *r == b.span);
                let inside = edits
                    .iter()
                    .any(|(r, _)| r.start >= b.span.start && r.end <= b.span.end);
                a.path == b.path
                    && match whole {
                        Some((_, new)) => scalars(new)
                            .is_ok_and(|v| v.first().map(|v| &v.value) == Some(&a.value)),
                        None => inside || a.value == b.value,
                    }
            })
    });
    if !same {
        let line = yaml[..edits[0].0.start].lines().count().max(1);
        return Err(format!(
            "its values cannot be replaced in place without changing how the YAML reads (near line {line}): indent the value under its key, then try again"
        ));
    }
    Ok(())
}

/// The exact place of a value, as a JSON pointer into the YAML tree (`/charts/app/users/1/token`):
/// unlike the dotted notation it names one array element and survives keys that contain dots.
pub fn pointer(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        match seg {
            Segment::Key(k) => out.push_str(&crate::document::escape_pointer(k)),
            Segment::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// Where a scalar of a YAML text is, as a masker reports it (`MaskedValue::key`): its
/// [`pointer()`], after `[n]` (the document's index) when the text holds several `---` documents.
pub fn key(documents: usize, document: usize, path: &[Segment]) -> String {
    if documents > 1 {
        format!("[{document}]{}", pointer(path))
    } else {
        pointer(path)
    }
}

/// Every scalar of a YAML text that may hold several documents, in order, with its [`key`].
pub fn keyed_scalars(yaml: &str) -> Result<Vec<(String, Scalar)>, String> {
    let docs = document_scalars(yaml)?;
    let count = docs.len();
    Ok(docs
        .into_iter()
        .enumerate()
        .flat_map(|(n, doc)| doc.into_iter().map(move |s| (key(count, n, &s.path), s)))
        .collect())
}

/// Whether `key` is spelled as a [`key`] is: empty, a JSON pointer (`/a/0/b`), or `[n]` followed
/// by one. A dotted path (`a.b`) is not: it cannot name one array element or a key with a dot.
pub fn is_key(key: &str) -> bool {
    let pointer = match key.strip_prefix('[').and_then(|k| k.split_once(']')) {
        Some((n, rest)) if n.parse::<usize>().is_ok() => rest,
        Some(_) => return false,
        None => key,
    };
    pointer.is_empty() || pointer.starts_with('/')
}

/// The scalar a [`key`] names among the scalars of each document ([`document_scalars`]).
pub fn find_key<'a>(docs: &'a [Vec<Scalar>], key: &str) -> Option<&'a Scalar> {
    let (doc, pointer) = match key.strip_prefix('[').and_then(|k| k.split_once(']')) {
        Some((n, rest)) => (n.parse().ok()?, rest),
        None => (0, key),
    };
    docs.get(doc)?
        .iter()
        .find(|s| self::pointer(&s.path) == pointer)
}

/// The scalars whose dotted path is `pattern` (`$[]` in the pattern matches any array index).
pub fn find<'a>(scalars: &'a [Scalar], pattern: &str) -> impl Iterator<Item = &'a Scalar> {
    let pattern = pattern.trim().to_string();
    scalars.iter().filter(move |s| s.dotted() == pattern)
}

/// Replaces byte ranges of `text`; `edits` must not overlap.
pub fn replace(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    // Sized once: a document can be megabytes, and doubling on the last push would double it.
    let grows: usize = edits
        .iter()
        .map(|(r, new)| new.len().saturating_sub(r.len()))
        .sum();
    let mut out = String::with_capacity(text.len() + grows);
    let mut at = 0;
    for (range, new) in edits {
        out.push_str(&text[at..range.start]);
        out.push_str(&new);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The source text that makes `value` a double-quoted YAML scalar.
pub fn quoted(value: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(value).expect("strings serialize")
}

/// The parser counts characters; edits need bytes.
struct ByteOffsets(Option<Vec<usize>>);

impl ByteOffsets {
    fn new(text: &str) -> Self {
        if text.is_ascii() {
            return ByteOffsets(None);
        }
        let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        v.push(text.len());
        ByteOffsets(Some(v))
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.0 {
            None => char_index,
            Some(v) => v[char_index.min(v.len() - 1)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tagged_or_anchored_scalar_is_its_value_alone() {
        let list = "- !t 'x'\n- !t \"y\"\n- !t z\n- &a !t |\n  b\n";
        let spans: Vec<&str> = scalars(list)
            .unwrap()
            .iter()
            .map(|s| &list[s.span.clone()])
            .collect();
        assert_eq!(spans, ["'x'", "\"y\"", "z", "|\n  b"]);
        let map = "k: !u x # c\nj: &n 'w'\n";
        let spans: Vec<&str> = scalars(map)
            .unwrap()
            .iter()
            .map(|s| &map[s.span.clone()])
            .collect();
        assert_eq!(spans, ["x", "'w'"]);
        // A tag with no value (a null), a comment after it: not listed; the next keeps its index.
        let empty = "- !t # c\n- b\n- !u\n";
        let listed: Vec<(String, &str)> = scalars(empty)
            .unwrap()
            .iter()
            .map(|s| (pointer(&s.path), &empty[s.span.clone()]))
            .collect();
        assert_eq!(listed, [("/1".to_string(), "b")]);
        // A block scalar's content may start with `!`: not a tag.
        let bang = "a: >\n  !x\n";
        let spans: Vec<&str> = scalars(bang)
            .unwrap()
            .iter()
            .map(|s| &bang[s.span.clone()])
            .collect();
        assert_eq!(spans, [">\n  !x"]);
        // Blank lines between a block scalar's indicator and its content are part of it.
        let blank = "a: |\n\n  x\nb: >\n\n\n  >\n";
        let spans: Vec<&str> = document_scalars(blank)
            .unwrap()
            .iter()
            .flatten()
            .map(|s| &blank[s.span.clone()])
            .collect();
        assert_eq!(spans, ["|\n\n  x", ">\n\n\n  >"]);
        // A carriage return alone is a line break too (and CRLF).
        for text in ["a: >\r  x\r", "a: >\r\n\r\n  x\r\n"] {
            let s = &scalars(text).unwrap()[0];
            assert!(
                text[s.span.clone()].starts_with('>'),
                "{text:?}: {:?}",
                s.span
            );
        }
    }

    #[test]
    fn a_repeated_key_is_refused_with_its_place() {
        let err = document_scalars("a: 1\nb:\n  c: x\n  c: y\n").unwrap_err();
        assert!(err.contains("/b/c") && err.contains("line 4"), "{err}");
        // The same path in two documents is two values.
        assert_eq!(document_scalars("a: 1\n---\na: 2\n").unwrap().len(), 2);
    }

    #[test]
    fn keys_are_pointers_after_an_optional_document_index() {
        for good in [
            "",
            "/a/b",
            "/users/0/token",
            "[1]/stringData/password",
            "[2]",
        ] {
            assert!(is_key(good), "{good}");
        }
        for bad in ["a.b", "charts.app.password", "[x]/a", "[1]a"] {
            assert!(!is_key(bad), "{bad}");
        }
    }

    const DOC: &str = "# top comment\npack:\n  namespace: \"kubeflow\"\n  spectrocloud.com/install-priority: \"10\"\ncharts:\n  app:\n    password: s3cr3t # keep me\n    quoted: 'it''s'\n    users:\n      - name: a\n        token: t1\n      - name: b\n        token: t2\n    block: |\n      line one\n      line two\n    after: 1\n";

    fn by_path(all: &[Scalar], p: &str) -> Vec<String> {
        find(all, p).map(|s| s.value.clone()).collect()
    }

    #[test]
    fn lists_values_with_dotted_paths() {
        let all = scalars(DOC).unwrap();
        assert_eq!(by_path(&all, "pack.namespace"), ["kubeflow"]);
        assert_eq!(
            by_path(&all, "pack.spectrocloud.com/install-priority"),
            ["10"]
        );
        assert_eq!(by_path(&all, "charts.app.password"), ["s3cr3t"]);
        assert_eq!(by_path(&all, "charts.app.quoted"), ["it's"]);
        assert_eq!(by_path(&all, "charts.app.users.$[].token"), ["t1", "t2"]);
        assert_eq!(by_path(&all, "charts.app.block"), ["line one\nline two\n"]);
        assert_eq!(by_path(&all, "charts.app.after"), ["1"]);
    }

    #[test]
    fn spans_cover_the_source_text_of_each_value() {
        let all = scalars(DOC).unwrap();
        let text = |p: &str| {
            find(&all, p)
                .map(|s| DOC[s.span.clone()].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(text("charts.app.password"), ["s3cr3t"]);
        assert_eq!(text("pack.namespace"), ["\"kubeflow\""]);
        assert_eq!(text("charts.app.quoted"), ["'it''s'"]);
    }

    #[test]
    fn replacing_a_value_keeps_everything_else() {
        let all = scalars(DOC).unwrap();
        let edits = [
            "charts.app.password",
            "charts.app.users.$[].token",
            "charts.app.block",
            "charts.app.quoted",
        ]
        .iter()
        .flat_map(|p| find(&all, p))
        .map(|s| (s.span.clone(), quoted("********")))
        .collect();
        let out = replace(DOC, edits);
        assert!(out.starts_with("# top comment\n"));
        assert!(
            out.contains("    password: \"********\" # keep me\n"),
            "{out}"
        );
        assert!(
            !out.contains("s3cr3t") && !out.contains("t1") && !out.contains("line one"),
            "{out}"
        );
        let again = scalars(&out).unwrap();
        assert_eq!(by_path(&again, "charts.app.password"), ["********"]);
        assert_eq!(
            by_path(&again, "charts.app.users.$[].token"),
            ["********", "********"]
        );
        assert_eq!(by_path(&again, "charts.app.block"), ["********"]);
        assert_eq!(by_path(&again, "charts.app.after"), ["1"]);
        assert_eq!(by_path(&again, "charts.app.users.$[].name"), ["a", "b"]);
    }

    #[test]
    fn block_scalars_with_headers_and_comments_are_replaced_whole() {
        let doc = "a:\n  key: |- # pem\n    -----BEGIN-----\n    abc\n  folded: >\n    x\n    y";
        let all = scalars(doc).unwrap();
        let edits = all
            .iter()
            .map(|s| (s.span.clone(), quoted("********")))
            .collect();
        let out = replace(doc, edits);
        assert_eq!(out, "a:\n  key: \"********\"\n  folded: \"********\"");
    }

    #[test]
    fn quoted_values_end_at_their_closing_quote_not_at_a_comment() {
        let doc = "a: \"s3\\\"cret\" # note\nb: 'it''s' # other\n";
        let all = scalars(doc).unwrap();
        let texts: Vec<&str> = all.iter().map(|s| &doc[s.span.clone()]).collect();
        assert_eq!(texts, ["\"s3\\\"cret\"", "'it''s'"]);
        let out = replace(
            doc,
            all.iter()
                .map(|s| (s.span.clone(), quoted("********")))
                .collect(),
        );
        assert_eq!(out, "a: \"********\" # note\nb: \"********\" # other\n");
    }

    #[test]
    fn non_ascii_text_keeps_byte_spans_right() {
        let doc = "greeting: \"héllo wörld\"\nsecret: ünïcode\n";
        let all = scalars(doc).unwrap();
        let s = find(&all, "secret").next().unwrap();
        assert_eq!(&doc[s.span.clone()], "ünïcode");
    }

    #[test]
    fn multi_document_streams_are_split_per_document() {
        let docs = document_scalars("a: 1\n---\nkind: Secret\nb: 2\n---\n---\nc: 3\n").unwrap();
        let paths: Vec<Vec<String>> = docs
            .iter()
            .map(|d| d.iter().map(Scalar::dotted).collect())
            .collect();
        assert_eq!(paths.len(), 4, "{paths:?}");
        assert_eq!(paths[0], ["a"]);
        assert_eq!(paths[1], ["kind", "b"]);
        assert_eq!(paths[3], ["c"]);
        assert_eq!(document_scalars("x: 1").unwrap().len(), 1);
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused_with_where() {
        let flow = format!("a: {}{}\n", "[".repeat(300), "]".repeat(300));
        let block: String = (0..150)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        for deep in [flow.as_str(), block.as_str()] {
            let err = scalars(deep).unwrap_err();
            assert!(err.contains("nests deeper than 100 levels (line"), "{err}");
            assert_eq!(check(deep).unwrap_err(), err);
        }
        let mut bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n".to_string();
        for (n, prev) in ["b", "c", "d", "e", "f", "g"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f"])
        {
            bomb += &format!("{n}: &{n} [{}]\n", vec![format!("*{prev}"); 9].join(", "));
        }
        let err = check(&bomb).unwrap_err();
        assert!(
            err.contains("aliases expand to more than 10000 values (line 5"),
            "{err}"
        );
        // Listing skips aliases: the bomb costs the walk nothing.
        assert_eq!(scalars(&bomb).unwrap().len(), 9);
        check("base: &b {x: 1, y: 2}\none: *b\ntwo: *b\n").unwrap();
        let err = check("a:\n  b: 1\n  c: [x, x]\n  b: 2\nd: {b: 1}\n").unwrap_err();
        assert_eq!(
            err,
            "the key \"b\" appears twice in one mapping (line 4 column 3)"
        );
    }

    #[test]
    fn invalid_yaml_is_an_error_not_a_panic() {
        let err = scalars("a: [1, 2\nb: {").unwrap_err();
        assert!(err.starts_with("invalid YAML"), "{err}");
    }
}
