//! `ferry plugin new NAME --step STEP --lang LANG`: a plugin project that builds with
//! `ferry plugin build` and passes its own test out of the box. Python and JavaScript projects get
//! the contract (`wit/`, embedded in this binary) written into them; Rust ones use the SDK crate.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::runtime::manifest::{HOST_CONTRACT, Step};

/// The newest contract this ferry implements; a project is built against it (its version is the
/// component's, so the manifest does not repeat it).
pub const WIT: &str = include_str!("../../../wit/ferry-plugin.wit");

/// Where the SDK crate was when this binary was built (a checkout of ferry).
const SDK_AT_BUILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin-api");

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

/// The world a step's component is built against.
pub fn world(step: Step) -> &'static str {
    match step {
        Step::Export => "exporter-plugin",
        Step::Mask => "masker-plugin",
        Step::Validate => "validator-plugin",
        Step::Approve => "approver-plugin",
        Step::Import => "importer-plugin",
    }
}

/// What a step's template asks for: the built-in export and import steps' needs.
fn capabilities(step: Step) -> &'static str {
    match step {
        Step::Export => "[\"palette-api:read\"]",
        Step::Import => "[\"palette-api:write\"]",
        _ => "[]",
    }
}

/// One template file per language and step: (name in the project, text).
fn files(lang: Lang, step: Step) -> Vec<(&'static str, &'static str)> {
    macro_rules! by_step {
        ($dir:literal, $prefix:literal, $ext:literal) => {
            match step {
                Step::Mask => include_str!(concat!(
                    "../../templates/",
                    $dir,
                    "/",
                    $prefix,
                    "_mask.",
                    $ext
                )),
                Step::Validate => include_str!(concat!(
                    "../../templates/",
                    $dir,
                    "/",
                    $prefix,
                    "_validate.",
                    $ext
                )),
                Step::Approve => include_str!(concat!(
                    "../../templates/",
                    $dir,
                    "/",
                    $prefix,
                    "_approve.",
                    $ext
                )),
                Step::Export => include_str!(concat!(
                    "../../templates/",
                    $dir,
                    "/",
                    $prefix,
                    "_export.",
                    $ext
                )),
                Step::Import => include_str!(concat!(
                    "../../templates/",
                    $dir,
                    "/",
                    $prefix,
                    "_import.",
                    $ext
                )),
            }
        };
    }
    match lang {
        Lang::Rust => vec![
            (
                "Cargo.toml",
                include_str!("../../templates/rust/Cargo.toml"),
            ),
            ("src/lib.rs", by_step!("rust", "lib", "rs")),
            (".gitignore", "/target\n*.wasm\n"),
        ],
        Lang::Python => vec![
            ("app.py", by_step!("python", "app", "py")),
            ("logic.py", by_step!("python", "logic", "py")),
            ("test_logic.py", by_step!("python", "test", "py")),
            ("wit/ferry-plugin.wit", WIT),
            (".gitignore", "__pycache__/\n.venv/\n*.wasm\n"),
        ],
        Lang::Js => vec![
            ("plugin.js", by_step!("js", "plugin", "js")),
            ("logic.js", by_step!("js", "logic", "js")),
            ("test.mjs", by_step!("js", "test", "mjs")),
            (
                "package.json",
                include_str!("../../templates/js/package.json"),
            ),
            ("wit/ferry-plugin.wit", WIT),
            (".gitignore", "node_modules/\n*.wasm\n"),
        ],
    }
}

/// A plugin id: lowercase letters, digits and dashes, starting with a letter.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    anyhow::ensure!(
        ok,
        "'{name}' cannot be a plugin id: use lowercase letters, digits and dashes, starting with a letter (e.g. acme-mask)"
    );
    Ok(())
}

/// Writes the project for plugin `name` into `dir` (default `./NAME`), which must not hold
/// anything yet. Returns the folder.
pub fn create(
    name: &str,
    step: Step,
    lang: Lang,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!(
            "{} is not empty; give another folder with --dir, or another name",
            dir.display()
        );
    }
    let sdk = match lang {
        Lang::Rust => Some(sdk_path(sdk)?),
        _ => None,
    };
    let fill = |text: &str| {
        text.replace("{{id}}", name)
            .replace("{{crate}}", name)
            .replace("{{world}}", world(step))
            // JavaScript imports name the interface with its version.
            .replace("{{contract}}", HOST_CONTRACT)
            // A TOML string, quoted and escaped: a clone's path may hold `"` or `\`.
            .replace(
                "{{sdk}}",
                &sdk.as_deref()
                    .map(|p| toml::Value::String(p.display().to_string()).to_string())
                    .unwrap_or_default(),
            )
    };
    let manifest = format!(
        "# What ferry needs to know to install and run this plugin.\nid = \"{name}\"\nversion = \"0.1.0\"\ndescription = \"A {step} step written in {lang}\"\nsteps = [\"{step}\"]\n# Written by `ferry plugin build`.\nwasm = \"{name}.wasm\"\n# What it may call beyond log and config; the policy must grant each (docs/PLUGINS.md).\ncapabilities = {}\n",
        capabilities(step),
        lang = format!("{lang:?}").to_lowercase(),
    );
    let mut all = vec![("ferry-plugin.toml", manifest)];
    all.extend(files(lang, step).into_iter().map(|(f, t)| (f, fill(t))));
    for (file, text) in all {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(dir)
}

/// The SDK crate a Rust project depends on by path: `--sdk`, else the checkout this ferry was
/// built from.
fn sdk_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = given.unwrap_or_else(|| PathBuf::from(SDK_AT_BUILD));
    let found = path.join("Cargo.toml").is_file();
    anyhow::ensure!(
        found,
        "the plugin SDK (ferry's plugin-api crate) is not at {}; give its folder with --sdk PATH (plugin-api/ in a clone of ferry)",
        path.display()
    );
    Ok(std::fs::canonicalize(&path).unwrap_or(path))
}

/// The language of a project `ferry plugin new` wrote, by the files it has.
pub fn lang_of(dir: &Path) -> Option<Lang> {
    if dir.join("Cargo.toml").is_file() {
        Some(Lang::Rust)
    } else if dir.join("app.py").is_file() {
        Some(Lang::Python)
    } else if dir.join("plugin.js").is_file() {
        Some(Lang::Js)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sdk_path_with_quotes_and_backslashes_stays_one_toml_string() {
        let dir = tempfile::tempdir().unwrap();
        let sdk = dir.path().join("odd \"clone\\ name").join("plugin-api");
        std::fs::create_dir_all(&sdk).unwrap();
        std::fs::write(sdk.join("Cargo.toml"), "").unwrap();
        let project = dir.path().join("p");
        create(
            "acme-x",
            Step::Mask,
            Lang::Rust,
            Some(project.clone()),
            Some(sdk.clone()),
        )
        .unwrap();
        let text = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
        let parsed: toml::Value = toml::from_str(&text).unwrap();
        let path = parsed["dependencies"]["ferry-plugin-api"]["path"].as_str();
        assert_eq!(path, Some(sdk.canonicalize().unwrap().to_str().unwrap()));
    }

    #[test]
    fn every_language_and_step_has_its_files() {
        for lang in [Lang::Rust, Lang::Python, Lang::Js] {
            for step in Step::ALL {
                let dir = tempfile::tempdir().unwrap();
                let project = dir.path().join("p");
                create(
                    "acme-x",
                    step,
                    lang,
                    Some(project.clone()),
                    Some(PathBuf::from(SDK_AT_BUILD)),
                )
                .unwrap();
                assert_eq!(lang_of(&project), Some(lang));
                let manifest = std::fs::read_to_string(project.join("ferry-plugin.toml")).unwrap();
                let parsed = crate::runtime::manifest::Manifest::parse(&manifest, "new").unwrap();
                assert_eq!(parsed.steps, [step]);
                for (file, _) in files(lang, step) {
                    let text = std::fs::read_to_string(project.join(file)).unwrap();
                    for placeholder in [
                        "{{id}}",
                        "{{crate}}",
                        "{{world}}",
                        "{{sdk}}",
                        "{{contract}}",
                    ] {
                        assert!(
                            !text.contains(placeholder),
                            "{file} keeps {placeholder}:\n{text}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_bad_name_or_a_used_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            create(
                "Acme",
                Step::Mask,
                Lang::Python,
                Some(dir.path().join("a")),
                None
            )
            .is_err()
        );
        std::fs::write(dir.path().join("x"), "").unwrap();
        let err = create(
            "acme",
            Step::Mask,
            Lang::Python,
            Some(dir.path().to_path_buf()),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not empty"), "{err}");
    }
}
