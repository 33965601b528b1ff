//! `ferry policy check`: the policy against the plugins this ferry knows. Every mistake is a
//! [`Problem`] at the line that made it, with what to do about it.

use super::{Place, Policy, Problem};
use crate::runtime::catalog::Entry;
use crate::runtime::manifest::Step;

/// The mistakes of `policy` given the plugins in `known` (built-in and installed), in file and
/// line order. Mistakes found while reading the files come from [`Policy::read`].
pub fn check(policy: &Policy, known: &[Entry]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let find = |id: &str| known.iter().find(|e| e.manifest.id == id);
    let unknown = |id: &str| {
        let ids: Vec<&str> = known.iter().map(|e| e.manifest.id.as_str()).collect();
        format!(
            "no plugin '{id}' is installed or built in (known: {}); install it with `ferry plugin install`, or correct the id",
            ids.join(", ")
        )
    };
    let place = |setting: &str| policy.origin(setting).cloned();
    let mut push = |place: Option<Place>, message: String| {
        if let Some(place) = place {
            problems.push(Problem { place, message });
        }
    };

    // Each plugin is checked for loading once, where it is first named.
    let mut admitted = std::collections::BTreeSet::new();
    for (step, ids) in &policy.steps {
        for (i, id) in ids.iter().enumerate() {
            let at = place(&format!("steps.{step}.{i}"));
            let Some(entry) = find(id) else {
                push(at, format!("[steps] {step}: {}", unknown(id)));
                continue;
            };
            if !entry.manifest.steps.contains(step) {
                let serves: Vec<&str> = entry.manifest.steps.iter().map(|s| s.name()).collect();
                push(
                    at.clone(),
                    format!(
                        "[steps] {step}: '{id}' does not serve the {step} step (it serves {}); move it to the list of {}",
                        serves.join(", "),
                        serves.join(" or ")
                    ),
                );
            }
            if matches!(step, Step::Export | Step::Import) && i > 0 {
                push(
                    at.clone(),
                    format!(
                        "[steps] {step}: only the first plugin of the {step} step runs ('{}'); '{id}' never would: keep one",
                        ids[0]
                    ),
                );
            }
            if admitted.insert(id.clone())
                && let Err(why) = policy.admit(entry)
            {
                push(at, format!("'{id}' would be refused: {why}"));
            }
        }
    }
    for (id, settings) in &policy.plugins {
        let at = place(&format!("plugins.{id}"));
        let Some(entry) = find(id) else {
            push(at, format!("[plugins.{id}]: {}", unknown(id)));
            continue;
        };
        let requested = &entry.manifest.capabilities;
        for (i, grant) in settings.grants.iter().flatten().enumerate() {
            if !requested.contains(grant) {
                let asks: Vec<String> = requested.iter().map(ToString::to_string).collect();
                push(
                    place(&format!("plugins.{id}.grants.{i}")).or(at.clone()),
                    format!(
                        "[plugins.{id}] grants '{grant}', which '{id}' does not request (it requests {}); remove the grant: a plugin gets only what its manifest requests and the policy grants",
                        if asks.is_empty() {
                            "nothing".to_string()
                        } else {
                            asks.join(", ")
                        }
                    ),
                );
            }
        }
        if admitted.insert(id.clone())
            && let Err(why) = policy.admit(entry)
        {
            push(at, format!("'{id}' would be refused: {why}"));
        }
    }
    if let Some(providers) = &policy.credential_providers
        && !providers.dir.is_dir()
    {
        push(
            place("credential-providers.dir"),
            format!(
                "[credential-providers] dir {} is not a directory: create it and put the providers' libraries in it, or correct the path (it is relative to this file)",
                providers.dir.display()
            ),
        );
    }
    problems
}

/// Every mistake, in the order of the files and their lines.
pub fn sorted(mut problems: Vec<Problem>, policy: &Policy) -> Vec<Problem> {
    let rank = |p: &Problem| policy.files.iter().position(|f| *f == p.place.file);
    problems.sort_by_key(|p| (rank(p), p.place.line));
    problems.dedup();
    problems
}
