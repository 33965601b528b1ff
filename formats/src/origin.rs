//! The origin of a URL: what an `http:` capability grants and what a request is compared against.

/// `scheme://host[:port]` of an http(s) URL without credentials, as the URL parser normalizes it
/// (lowercase host, default port left out).
pub fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Vault.example:8200/v1/x?y").as_deref(),
            Some("https://vault.example:8200")
        );
        assert_eq!(
            origin_of("https://vault.example:443/").as_deref(),
            Some("https://vault.example")
        );
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("https://user@evil.example"), None);
    }
}
