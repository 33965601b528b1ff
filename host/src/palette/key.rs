//! An API key held in memory: zeroized on drop, redacted in `Debug`, never `Display`ed.

use zeroize::Zeroizing;

/// A Palette API key. The only way to read it is [`ApiKey::expose`], which the transport and the
/// sealing code call; everything else sees `<redacted>`.
#[derive(Clone)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Takes a key as typed or piped in: surrounding whitespace (a trailing newline) is not part of it.
    pub fn new(key: impl Into<String>) -> Result<Self, &'static str> {
        let raw = Zeroizing::new(key.into());
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("the API key is empty");
        }
        // A header value must be visible ASCII; anything else is a paste accident, not a key.
        if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the API key has spaces or characters that cannot be sent in a header");
        }
        Ok(Self(Zeroizing::new(trimmed.to_owned())))
    }

    /// The key itself, for the `ApiKey` header and for sealing it at rest.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_whitespace_trimmed() {
        let key = ApiKey::new("  s3cretKEY\n").unwrap();
        assert_eq!(key.expose(), "s3cretKEY");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    }

    #[test]
    fn rejects_empty_and_unsendable_keys() {
        assert!(ApiKey::new(" \n").is_err());
        assert!(ApiKey::new("two words").is_err());
        assert!(ApiKey::new("caf\u{e9}").is_err());
    }
}
