//! The home's config file and its secrets at rest; `ferry::config` re-exports these modules and
//! documents them with the credentials that unlock them.

pub mod atomic;
pub mod crash_hook;
pub mod crypto;
pub mod passphrase;
pub mod provider;
pub mod store;
