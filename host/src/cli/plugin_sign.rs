//! `ferry plugin keygen|sign|verify`: ed25519 signatures over a plugin's wasm digest and manifest
//! (see `runtime::signature`). The private key is written 0600 and never printed.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::exit;
use super::hints::with_hint;
use crate::outln;
use crate::runtime::catalog;
use crate::runtime::policy::Policy;
use crate::runtime::signature::{Keypair, SIGNATURE_FILE, SignatureFile};

#[derive(clap::Args)]
pub struct KeygenArgs {
    /// The key's name: how signatures and the policy's [trusted-keys] call it.
    name: String,
    /// Folder to write NAME.key (secret, 0600) and NAME.pub into (created, 0700, if missing).
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct SignArgs {
    /// The plugin's manifest (ferry-plugin.toml, its wasm beside it), or its folder.
    manifest: PathBuf,
    /// The signing key, as `ferry plugin keygen` wrote it.
    #[arg(long)]
    key: PathBuf,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// An installed plugin's id, or a plugin's manifest (or folder) before it is installed.
    plugin: String,
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    if args.name.is_empty()
        || !args
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        anyhow::bail!(
            "key name '{}' must be letters, digits, '-' and '_' (it names the key files and its [trusted-keys] entry)",
            args.name
        );
    }
    // A folder of its own for keys, private; an existing one is left as it is.
    if !args.out.exists() {
        crate::config::atomic::ensure_private_dir(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
    }
    let pair = Keypair::generate(&args.name);
    let secret = args.out.join(format!("{}.key", args.name));
    let public = args.out.join(format!("{}.pub", args.name));
    write_new(&secret, pair.to_file_text().as_bytes(), 0o600)?;
    write_new(&public, format!("{}\n", pair.public()).as_bytes(), 0o644)?;
    outln!(
        "wrote {} (secret: keep it private; it signs plugins) and {}",
        secret.display(),
        public.display()
    )?;
    outln!(
        "trust it in the policy:\n\n[trusted-keys]\n{} = \"{}\"",
        args.name,
        pair.public()
    )?;
    Ok(exit::success())
}

/// Writes a file that must not exist yet: a key is never overwritten.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => with_hint(
                anyhow::anyhow!("{} already exists", path.display()),
                "a key is never overwritten: choose another name, or --out another folder",
            ),
            _ => anyhow::anyhow!("cannot write {}: {e}", path.display()),
        })?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

pub fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let entry = catalog::from_manifest(&args.manifest)?;
    let pair = Keypair::read(&args.key)?;
    let signature = pair.sign(&entry.manifest, &entry.sha256);
    let dir = entry.dir.as_deref().unwrap_or(Path::new("."));
    let path = dir.join(SIGNATURE_FILE);
    crate::config::atomic::write_atomic(&path, signature.to_text().as_bytes())?;
    outln!(
        "signed {} {} (wasm sha256 {}) with '{}' ({}): {}",
        entry.manifest.id,
        entry.manifest.version,
        entry.sha256,
        pair.name,
        pair.public(),
        path.display()
    )?;
    Ok(exit::success())
}

/// Checks the signature of a plugin against its files, then against the policy's trusted keys.
pub fn verify(args: VerifyArgs, home: &Path, policy: &Policy) -> anyhow::Result<ExitCode> {
    let entry = catalog::find_or_open(home, &args.plugin)?;
    let m = &entry.manifest;
    let Some(dir) = entry
        .dir
        .as_deref()
        .filter(|_| entry.origin == catalog::Origin::Installed)
    else {
        outln!("{} is built into ferry: it needs no signature", m.id)?;
        return Ok(exit::success());
    };
    // The wasm as it is now, not as the manifest recorded it.
    let wasm_sha256 = catalog::sha256_hex(&std::fs::read(dir.join(&m.wasm))?);
    let signature = SignatureFile::read_in(dir)
        .map_err(|e| anyhow::anyhow!(e))?
        .ok_or_else(|| {
            with_hint(
                anyhow::anyhow!(
                    "{} {} is not signed: no {SIGNATURE_FILE} in {}",
                    m.id,
                    m.version,
                    dir.display()
                ),
                "sign it with `ferry plugin sign MANIFEST --key KEY_FILE`",
            )
        })?;
    let key = signature.verify(m, &wasm_sha256).map_err(|e| {
        with_hint(
            anyhow::anyhow!("{} {}: the signature does not verify: {e}", m.id, m.version),
            "get the plugin as its publisher signed it, or sign the build you trust again",
        )
    })?;
    outln!(
        "{} {}: signature valid, by '{}' ({key}), over wasm sha256 {wasm_sha256}",
        m.id,
        m.version,
        signature.key
    )?;
    match policy.trusted_keys.iter().find(|(_, k)| **k == key) {
        Some((name, _)) => {
            let place = policy
                .origin(&format!("trusted-keys.{name}"))
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            outln!("trusted: the policy trusts this key as '{name}'{place}")?;
            Ok(exit::success())
        }
        None => {
            eprintln!(
                "error: the policy does not trust this key{}",
                if policy.require_signed {
                    ", and requires signatures: the plugin would be refused"
                } else {
                    ""
                }
            );
            eprintln!(
                "hint: if you trust '{}', add it to the policy:\n\n[trusted-keys]\n{} = \"{key}\"",
                signature.key, signature.key
            );
            Ok(exit::failure())
        }
    }
}
