//! The filter objects of Palette's list bodies (`v1FilterString`, string arrays), applied to a value.

use serde_json::Value;

/// `v1FilterString` (`eq`, `ne`, `contains`, `beginsWith`, `ignoreCase` default true); absent matches all.
pub fn string_filter(filter: Option<&Value>, value: &str) -> bool {
    let Some(f) = filter.filter(|f| f.is_object()) else {
        return true;
    };
    let ignore_case = f.get("ignoreCase").and_then(Value::as_bool).unwrap_or(true);
    let norm = |s: &str| {
        if ignore_case {
            s.to_lowercase()
        } else {
            s.to_string()
        }
    };
    let value = norm(value);
    let arg = |k: &str| f.get(k).and_then(Value::as_str).map(norm);
    arg("eq").is_none_or(|a| value == a)
        && arg("ne").is_none_or(|a| value != a)
        && arg("contains").is_none_or(|a| value.contains(&a))
        && arg("beginsWith").is_none_or(|a| value.starts_with(&a))
}

/// A list of allowed values; absent or empty matches all.
pub fn one_of(filter: Option<&Value>, value: &str) -> bool {
    match filter.and_then(Value::as_array) {
        Some(options) if !options.is_empty() => options.iter().any(|o| o.as_str() == Some(value)),
        _ => true,
    }
}
