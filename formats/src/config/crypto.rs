//! Sealing secrets at rest: a key derived from the passphrase with Argon2id, AES-256-GCM, and a
//! versioned text envelope (format in docs/CREDENTIALS.md):
//!
//! ```text
//! ferry:v2:argon2id,m=65536,t=3,p=1:<salt>:<nonce>:<ciphertext+tag>
//! ```
//!
//! (base64url without padding). Every envelope names the derivation that made its key, so a sealed
//! value can be opened with the passphrase alone ([`open_with_passphrase`]), wherever it was copied to.
//! Within one home every secret shares one salt, so a command derives the key once ([`Key::derive`])
//! and opens any number of secrets with it.
//!
//! The AEAD's associated data is the whole header (version, parameters, salt, nonce) and, since
//! `v2`, the value's *place*: a caller's description of where it belongs (for an API key: the
//! environment's name, the field, the endpoint, its TLS settings and its scope). A changed byte, or
//! a value moved to another place, fails to open. `v2` also derives the key from the passphrase's
//! Unicode NFC form, so the same passphrase typed on any system opens it.
//!
//! `v1` envelopes (no place, the passphrase's bytes as typed) still open, so old files can be
//! read and re-sealed as `v2` ([`is_legacy`]); nothing new is sealed as `v1`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use rand::rngs::OsRng;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::passphrase::Passphrase;

const PREFIX: &str = "ferry";
const VERSION: &str = "v2";
/// Readable, never written: no place in the associated data, the passphrase as typed.
const LEGACY: &str = "v1";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Authentication failed: the key is not the one that sealed it, or a byte changed.
    #[error("cannot decrypt: wrong passphrase or tampered file")]
    Decrypt,
    /// Not an envelope at all, or a damaged one.
    #[error("not a ferry sealed value: {0}")]
    Malformed(String),
    /// A version or algorithm this ferry does not know.
    #[error("sealed with format {0}, which this ferry cannot read: upgrade ferry")]
    Unsupported(String),
}

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// What new keys are derived with: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommended
    /// option, single-lane because the derivation runs on one thread); measured in
    /// docs/BENCHMARKS.md ("Unlock") at a few hundred milliseconds, once per command.
    pub const DEFAULT: Self = Self {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    fn encode(&self) -> String {
        format!("argon2id,m={},t={},p={}", self.m_kib, self.t, self.p)
    }

    /// Parses `argon2id,m=..,t=..,p=..`, refusing costs outside sane bounds so a tampered envelope
    /// cannot make ferry allocate gigabytes or spin for minutes: at most 4 lanes, 4 times the
    /// default's memory (256 MiB) and 4 times its work (memory x passes).
    fn decode(text: &str) -> Result<Self, CryptoError> {
        let mut parts = text.split(',');
        let algorithm = parts.next().unwrap_or_default();
        if algorithm != "argon2id" {
            return Err(CryptoError::Unsupported(format!(
                "key derivation {algorithm:?}"
            )));
        }
        let mut field = |name: &str| -> Result<u32, CryptoError> {
            let part = parts.next().unwrap_or_default();
            part.strip_prefix(name)
                .and_then(|v| v.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| {
                    CryptoError::Malformed(format!("bad key derivation parameter {part:?}"))
                })
        };
        let params = Self {
            m_kib: field("m")?,
            t: field("t")?,
            p: field("p")?,
        };
        let max = Self::DEFAULT;
        let in_bounds = (1..=4).contains(&params.p)
            && (8 * params.p..=4 * max.m_kib).contains(&params.m_kib)
            && params.t >= 1
            && u64::from(params.m_kib) * u64::from(params.t)
                <= 4 * u64::from(max.m_kib) * u64::from(max.t);
        if !in_bounds {
            return Err(CryptoError::Malformed(format!(
                "key derivation parameters out of bounds ({text}): ferry derives keys with at most 4 lanes, 256 MiB and 4 times its default work; was the file edited?"
            )));
        }
        Ok(params)
    }
}

/// A key derived from a passphrase, with the salt and parameters that derived it (written into
/// every envelope it seals). Zeroized on drop, redacted in `Debug`.
pub struct Key {
    bytes: Zeroizing<[u8; 32]>,
    params: KdfParams,
    salt: [u8; SALT_LEN],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("params", &self.params)
            .field("bytes", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Derives the key of `passphrase` (its NFC form) with `params` and `salt` (the slow step:
    /// once per command).
    pub fn derive(passphrase: &Passphrase, params: KdfParams, salt: [u8; SALT_LEN]) -> Self {
        let normalized: Zeroizing<String> = Zeroizing::new(passphrase.expose().nfc().collect());
        Self::derive_from(normalized.as_bytes(), params, salt)
    }

    fn derive_from(secret: &[u8], params: KdfParams, salt: [u8; SALT_LEN]) -> Self {
        let argon_params = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
            .expect("parameters are checked by KdfParams::decode or are the defaults");
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon_params,
        );
        let mut bytes = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(secret, &salt, bytes.as_mut())
            .expect("a 16-byte salt and a 32-byte output are within Argon2's limits");
        Self {
            bytes,
            params,
            salt,
        }
    }

    /// A fresh key for `passphrase`: new random salt, default parameters.
    pub fn generate(passphrase: &Passphrase) -> Self {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        Self::derive(passphrase, KdfParams::DEFAULT, salt)
    }

    /// The key that `envelope` was sealed with, derived from `passphrase` with the envelope's own
    /// salt and parameters.
    pub fn for_envelope(passphrase: &Passphrase, envelope: &str) -> Result<Self, CryptoError> {
        let parsed = Envelope::parse(envelope)?;
        Ok(if parsed.legacy {
            Self::derive_from(passphrase.expose().as_bytes(), parsed.params, parsed.salt)
        } else {
            Self::derive(passphrase, parsed.params, parsed.salt)
        })
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.bytes.as_ref()).expect("the key is 32 bytes")
    }

    fn header(&self, nonce: &[u8; NONCE_LEN]) -> String {
        format!(
            "{PREFIX}:{VERSION}:{}:{}:{}",
            self.params.encode(),
            B64.encode(self.salt),
            B64.encode(nonce)
        )
    }
}

/// Seals `plaintext` under `key` with a fresh random nonce, bound to `place`.
pub fn seal(key: &Key, plaintext: &[u8], place: &str) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let header = key.header(&nonce);
    let ciphertext = key
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: associated_data(&header, Some(place)).as_bytes(),
            },
        )
        .expect("AES-GCM encrypts any message shorter than 64 GiB");
    format!("{header}:{}", B64.encode(ciphertext))
}

/// Opens an envelope sealed under `key` for `place` (a `v1` envelope has no place). A key of
/// another derivation, a wrong passphrase, another place and a changed byte all give
/// [`CryptoError::Decrypt`].
pub fn open(key: &Key, envelope: &str, place: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let parsed = Envelope::parse(envelope)?;
    if parsed.salt != key.salt || parsed.params != key.params {
        return Err(CryptoError::Decrypt);
    }
    let place = (!parsed.legacy).then_some(place);
    key.cipher()
        .decrypt(
            Nonce::from_slice(&parsed.nonce),
            Payload {
                msg: &parsed.ciphertext,
                aad: associated_data(parsed.header, place).as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// Whether `envelope` is in the old `v1` format, not bound to a place.
pub fn is_legacy(envelope: &str) -> bool {
    Envelope::parse(envelope).is_ok_and(|e| e.legacy)
}

fn associated_data(header: &str, place: Option<&str>) -> String {
    match place {
        Some(place) => format!("{header}\n{place}"),
        None => header.to_owned(),
    }
}

/// Opens an envelope with the passphrase alone (derives its key: slow; for one-off values such as a
/// secrets bundle carried to another machine).
pub fn open_with_passphrase(
    passphrase: &Passphrase,
    envelope: &str,
    place: &str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open(&Key::for_envelope(passphrase, envelope)?, envelope, place)
}

struct Envelope<'a> {
    header: &'a str,
    legacy: bool,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl<'a> Envelope<'a> {
    fn parse(text: &'a str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let parts: Vec<&str> = text.split(':').collect();
        if parts.first() != Some(&PREFIX) || parts.len() < 2 {
            return Err(CryptoError::Malformed(
                "it does not start with \"ferry:\"".into(),
            ));
        }
        let legacy = parts[1] == LEGACY;
        if parts[1] != VERSION && !legacy {
            return Err(CryptoError::Unsupported(parts[1].to_owned()));
        }
        let [_, _, params, salt, nonce, ciphertext] = parts[..] else {
            return Err(CryptoError::Malformed(format!(
                "expected 6 ':'-separated fields, found {}",
                parts.len()
            )));
        };
        let bytes = |field: &str, what: &str| {
            B64.decode(field)
                .map_err(|_| CryptoError::Malformed(format!("the {what} is not base64url")))
        };
        let salt: [u8; SALT_LEN] = bytes(salt, "salt")?
            .try_into()
            .map_err(|_| CryptoError::Malformed("the salt is not 16 bytes".into()))?;
        let nonce: [u8; NONCE_LEN] = bytes(nonce, "nonce")?
            .try_into()
            .map_err(|_| CryptoError::Malformed("the nonce is not 12 bytes".into()))?;
        let ciphertext = bytes(ciphertext, "ciphertext")?;
        if ciphertext.len() < TAG_LEN {
            return Err(CryptoError::Malformed(
                "the ciphertext is shorter than its tag".into(),
            ));
        }
        let header_len = text.len() - parts[5].len() - 1;
        Ok(Self {
            header: &text[..header_len],
            legacy,
            params: KdfParams::decode(params)?,
            salt,
            nonce,
            ciphertext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so unit tests stay fast; the format and code paths are the same.
    fn test_key(passphrase: &str) -> Key {
        Key::derive(
            &Passphrase::new(passphrase),
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            [7; SALT_LEN],
        )
    }

    #[test]
    fn round_trip() {
        let key = test_key("Correct-h0rse");
        let sealed = seal(&key, b"the api key", "here");
        assert!(
            sealed.starts_with("ferry:v2:argon2id,m=64,t=1,p=1:"),
            "{sealed}"
        );
        assert_eq!(
            open(&key, &sealed, "here").unwrap().as_slice(),
            b"the api key"
        );
        // A fresh nonce each time: sealing twice never gives the same text.
        assert_ne!(seal(&key, b"the api key", "here"), sealed);
        assert_eq!(
            open(&key, &seal(&key, b"", "here"), "here")
                .unwrap()
                .as_slice(),
            b""
        );
    }

    #[test]
    fn wrong_passphrase_is_a_decrypt_error() {
        let sealed = seal(&test_key("Correct-h0rse"), b"secret", "here");
        assert_eq!(
            open(&test_key("Wrong-h0rse!"), &sealed, "here").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            CryptoError::Decrypt.to_string(),
            "cannot decrypt: wrong passphrase or tampered file"
        );
    }

    #[test]
    fn any_flipped_byte_is_detected() {
        let key = test_key("Correct-h0rse");
        let sealed = seal(&key, b"secret value", "here");
        for i in 0..sealed.len() {
            let mut bytes = sealed.clone().into_bytes();
            bytes[i] ^= 0x01;
            let Ok(tampered) = String::from_utf8(bytes) else {
                continue;
            };
            assert!(
                open(&key, &tampered, "here").is_err(),
                "flipping byte {i} went unnoticed: {tampered}"
            );
        }
    }

    #[test]
    fn open_with_passphrase_reads_the_envelope_parameters() {
        let passphrase = Passphrase::new("Correct-h0rse");
        let key = Key::derive(
            &passphrase,
            KdfParams {
                m_kib: 128,
                t: 2,
                p: 1,
            },
            [9; SALT_LEN],
        );
        let sealed = seal(&key, b"bundle", "here");
        assert_eq!(
            open_with_passphrase(&passphrase, &sealed, "here")
                .unwrap()
                .as_slice(),
            b"bundle"
        );
    }

    #[test]
    fn malformed_and_future_envelopes_say_so() {
        let key = test_key("Correct-h0rse");
        assert!(matches!(
            open(&key, "plain text", "here"),
            Err(CryptoError::Malformed(_))
        ));
        assert!(matches!(
            open(&key, "ferry:v2:argon2id,m=64,t=1,p=1:AA", "here"),
            Err(CryptoError::Malformed(_))
        ));
        let err = open(&key, "ferry:v3:whatever", "here").unwrap_err();
        assert_eq!(err, CryptoError::Unsupported("v3".into()));
        assert!(err.to_string().contains("upgrade ferry"));
        for hog in ["m=1048576,t=16", "m=262144,t=4", "m=64,t=1,p=16"] {
            let hog = seal(&key, b"x", "here").replace("m=64,t=1", hog);
            assert!(
                matches!(open(&key, &hog, "here"), Err(CryptoError::Malformed(_))),
                "{hog}"
            );
        }
        // 4x the default's work is still accepted.
        assert!(KdfParams::decode("argon2id,m=262144,t=3,p=1").is_ok());
    }

    #[test]
    fn a_value_opens_only_in_its_place() {
        let key = test_key("Correct-h0rse");
        let sealed = seal(&key, b"key of prod", "env=prod");
        assert_eq!(
            open(&key, &sealed, "env=staging"),
            Err(CryptoError::Decrypt)
        );
        assert!(!is_legacy(&sealed));
    }

    #[test]
    fn v1_envelopes_open_anywhere_with_the_passphrase_as_typed() {
        // The v1 format, as ferry 0.1 wrote it: the header alone as associated data, and the key
        // derived from the passphrase's bytes.
        let typed = "Caf\u{65}\u{301}-pass1"; // "Café" with a combining accent (NFD)
        let v1_key = Key::derive_from(typed.as_bytes(), test_key("x").params, [7; SALT_LEN]);
        let nonce = [3u8; NONCE_LEN];
        let header = v1_key.header(&nonce).replace(":v2:", ":v1:");
        let ciphertext = v1_key
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: b"old secret",
                    aad: header.as_bytes(),
                },
            )
            .unwrap();
        let v1 = format!("{header}:{}", B64.encode(ciphertext));
        assert!(is_legacy(&v1));
        let key = Key::for_envelope(&Passphrase::new(typed), &v1).unwrap();
        assert_eq!(
            open(&key, &v1, "any place").unwrap().as_slice(),
            b"old secret"
        );
    }

    #[test]
    fn the_passphrase_is_nfc_normalized() {
        let nfd = Passphrase::new("Caf\u{65}\u{301}-pass1");
        let nfc = Passphrase::new("Caf\u{e9}-pass1");
        let params = test_key("x").params;
        let sealed = seal(&Key::derive(&nfd, params, [1; SALT_LEN]), b"s", "here");
        assert_eq!(
            open_with_passphrase(&nfc, &sealed, "here")
                .unwrap()
                .as_slice(),
            b"s"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let text = format!("{:?}", test_key("Correct-h0rse"));
        assert!(
            text.contains("<redacted>") && !text.contains("bytes: ["),
            "{text}"
        );
    }
}
