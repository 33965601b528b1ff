//! Plugin signatures: ed25519 over the plugin's wasm digest and its manifest, detached in
//! `ferry-plugin.sig` beside the manifest (`ferry plugin sign`), checked when a plugin is loaded
//! before anything is compiled (`require-signed` and `[trusted-keys]` in the policy).
//!
//! What is signed is the wasm's sha256 and the manifest as ferry reads it (JSON of its fields),
//! without `wasm` and `sha256`: installing renames the file and records the digest, and neither
//! changes what the plugin is. Any other change to the manifest (a capability added, a limit
//! raised, a step) or to the wasm breaks the signature.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::manifest::Manifest;

/// The detached signature's file name, beside the plugin's manifest.
pub const SIGNATURE_FILE: &str = "ferry-plugin.sig";
const PUBLIC_PREFIX: &str = "ed25519:";
/// Domain separation: a ferry plugin signature cannot be replayed as any other ed25519 message.
const DOMAIN: &str = "ferry:plugin-signature:v1";

/// A public key as the policy and signatures spell it: `ed25519:<base64 of 32 bytes>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let fix = "expected ed25519:<base64>, as `ferry plugin keygen` prints it";
        let b64 = text
            .trim()
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| format!("'{text}' is not a public key: {fix}"))?;
        let bytes: [u8; 32] = B64
            .decode(b64)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                format!("'{text}' is not a public key (not 32 bytes of base64): {fix}")
            })?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| format!("'{text}' is not a valid ed25519 public key: {fix}"))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", B64.encode(self.0.as_bytes()))
    }
}

/// `ferry-plugin.sig`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignatureFile {
    /// The signer's name for the key (what `[trusted-keys]` calls it, by convention).
    pub key: String,
    pub public_key: String,
    /// The digest the signature covers, for people and `ferry plugin verify`.
    pub wasm_sha256: String,
    pub signature: String,
}

/// A private signing key file, as `ferry plugin keygen` writes it (0600).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct KeyFile {
    name: String,
    public_key: String,
    secret_key: String,
}

/// A signing key read from its file; the secret stays in this process.
pub struct Keypair {
    pub name: String,
    key: SigningKey,
}

impl Keypair {
    pub fn generate(name: &str) -> Keypair {
        Keypair {
            name: name.to_string(),
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// The key file's text (holds the secret: write it private).
    pub fn to_file_text(&self) -> String {
        let file = KeyFile {
            name: self.name.clone(),
            public_key: self.public().to_string(),
            secret_key: B64.encode(self.key.to_bytes()),
        };
        format!(
            "# ferry plugin signing key: keep it secret (0600). The policy trusts its public key.\n{}",
            toml::to_string(&file).expect("a key file serializes")
        )
    }

    pub fn read(path: &Path) -> anyhow::Result<Keypair> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the signing key {}: {e}", path.display()))?;
        // Never echo the file: it holds the secret. Say only what is wrong with it.
        let file: KeyFile = toml::from_str(&text).map_err(|_| {
            anyhow::anyhow!(
                "{} is not a ferry signing key (make one with `ferry plugin keygen NAME`)",
                path.display()
            )
        })?;
        let bytes: [u8; 32] = B64
            .decode(file.secret_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: its secret-key is not 32 bytes of base64",
                    path.display()
                )
            })?;
        Ok(Keypair {
            name: file.name,
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// Signs the plugin described by `manifest` whose wasm has digest `wasm_sha256`.
    pub fn sign(&self, manifest: &Manifest, wasm_sha256: &str) -> SignatureFile {
        let signature = self.key.sign(&message(manifest, wasm_sha256));
        SignatureFile {
            key: self.name.clone(),
            public_key: self.public().to_string(),
            wasm_sha256: wasm_sha256.to_ascii_lowercase(),
            signature: B64.encode(signature.to_bytes()),
        }
    }
}

/// The bytes a signature covers.
fn message(manifest: &Manifest, wasm_sha256: &str) -> Vec<u8> {
    let mut fields = manifest.clone();
    fields.wasm = String::new();
    fields.sha256 = None;
    let manifest = serde_json::to_string(&fields).expect("a manifest serializes");
    format!(
        "{DOMAIN}\nwasm-sha256:{}\nmanifest:{manifest}",
        wasm_sha256.to_ascii_lowercase()
    )
    .into_bytes()
}

impl SignatureFile {
    pub fn to_text(&self) -> String {
        format!(
            "# ferry plugin signature (ed25519 over the wasm's sha256 and the manifest)\n{}",
            toml::to_string(self).expect("a signature serializes")
        )
    }

    /// Reads the signature beside a plugin's manifest, if there is one.
    pub fn read_in(dir: &Path) -> Result<Option<SignatureFile>, String> {
        let path = dir.join(SIGNATURE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        toml::from_str(&text).map(Some).map_err(|e| {
            format!(
                "{} is not a ferry signature ({e}); sign the plugin again with `ferry plugin sign`",
                path.display()
            )
        })
    }

    /// The signer's public key, once the signature is checked against the plugin it sits beside.
    /// An error says what does not match: the plugin changed after it was signed.
    pub fn verify(&self, manifest: &Manifest, wasm_sha256: &str) -> Result<PublicKey, String> {
        let key = PublicKey::parse(&self.public_key)?;
        let signature = B64
            .decode(self.signature.trim())
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or("its signature is not an ed25519 signature in base64")?;
        if !self.wasm_sha256.eq_ignore_ascii_case(wasm_sha256) {
            return Err(format!(
                "the wasm changed after it was signed (sha256 {wasm_sha256}, signed {})",
                self.wasm_sha256
            ));
        }
        key.0
            .verify(&message(manifest, wasm_sha256), &signature)
            .map_err(|_| {
                "the signature does not match the manifest and wasm: one of them changed after it was signed".to_string()
            })?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            "id = \"acme\"\nversion = \"1.0.0\"\ncontract = \"1.0.0\"\nsteps = [\"mask\"]\nwasm = \"a.wasm\"\n",
            "test",
        )
        .unwrap()
    }

    #[test]
    fn a_signature_covers_wasm_and_manifest_but_not_the_file_name() {
        let pair = Keypair::generate("acme");
        let m = manifest();
        let sig = pair.sign(&m, &"ab".repeat(32));
        assert_eq!(sig.verify(&m, &"ab".repeat(32)).unwrap(), pair.public());

        let mut installed = m.clone();
        installed.wasm = "plugin.wasm".into();
        installed.sha256 = Some("ab".repeat(32));
        assert!(sig.verify(&installed, &"ab".repeat(32)).is_ok());

        assert!(
            sig.verify(&m, &"cd".repeat(32))
                .unwrap_err()
                .contains("wasm changed")
        );
        let mut more = m.clone();
        more.capabilities.push("palette-api:write".parse().unwrap());
        assert!(
            sig.verify(&more, &"ab".repeat(32))
                .unwrap_err()
                .contains("manifest")
        );
    }

    #[test]
    fn keys_round_trip_through_their_text() {
        let pair = Keypair::generate("acme");
        let public = pair.public().to_string();
        assert_eq!(PublicKey::parse(&public).unwrap(), pair.public());
        assert!(PublicKey::parse("ed25519:short").is_err());
        assert!(PublicKey::parse("rsa:abc").unwrap_err().contains("keygen"));
        let text = pair.to_file_text();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k"), &text).unwrap();
        assert_eq!(
            Keypair::read(&dir.path().join("k")).unwrap().public(),
            pair.public()
        );
    }
}
