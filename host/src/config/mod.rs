//! Stored environments and their secrets.
//!
//! - [`store`]: `<home>/config.yaml`, one entry per environment, written atomically under a lock.
//! - [`crypto`]: the sealing API the whole host uses for secrets at rest (`seal` / `open` with a
//!   [`crypto::Key`], versioned `ferry:v2:` envelopes bound to their place; Argon2id + AES-256-GCM).
//! - [`passphrase`]: where the passphrase comes from and the policy a new one must meet.
//! - [`credentials`]: unlock once per command (derive the key once, check it before any write).
//! - [`atomic`]: temp file, fsync, rename, fsync folder; 0600 files, 0700 home.
//! - [`crash_hook`]: the test hook that aborts at a named step.
//!
//! Decisions where the issue is silent:
//! - Environment metadata (endpoint, scope, tenant) is stored in clear so `ferry env list/use/remove`
//!   need no passphrase; only secrets are sealed. Each sealed value is bound to its entry (name,
//!   field, endpoint, TLS settings, scope) as associated data, so a key moved to another entry or an
//!   entry pointed elsewhere no longer opens: an edited endpoint never receives the key.
//! - Files of format 1 (`ferry:v1:` values, unbound) are read and re-sealed as format 2 by the next
//!   write that holds the passphrase (`ferry login`, `ferry config rotate-passphrase`); `env use` and
//!   `env remove` need no passphrase and leave the values as they are.
//! - A lost passphrase: `ferry env remove` (no passphrase needed) each environment; once none is left
//!   the check value goes too and the next `ferry login` chooses a new passphrase.
//! - The policy applies to new passphrases (first login, rotation); an existing one is only checked
//!   against the stored check value.

pub mod credentials;
// Read without the host too (fuzzing): see ferry-formats.
pub use ferry_formats::config::{atomic, crash_hook, crypto, passphrase, store};

pub use credentials::Credentials;
pub use crypto::{Key, open, seal};
pub use passphrase::Passphrase;
pub use store::{ConfigFile, Environment, ProjectRef, Store};
