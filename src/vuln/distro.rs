//! Distribution releases: which release of Debian, Ubuntu, Alpine or an RPM distribution a
//! component comes from, and whether an OSV `affected[]` entry is for that release.
//!
//! OSV writes the release into the ecosystem (`Debian:11`, `Alpine:v3.22`, `Ubuntu:22.04:LTS`,
//! `Ubuntu:Pro:18.04:LTS`, `Red Hat:enterprise_linux:9::appstream`, `Rocky Linux:9`,
//! `SUSE:Linux Enterprise Server 15 SP5`, `openSUSE:Leap 15.5`); SBOM generators write it into
//! the purl's `distro=` qualifier (`debian-11`, `debian-11.6`, `bullseye`, `3.22.1`,
//! `alpine-v3.22`, `ubuntu-22.04`, `rhel-9.3`, `sles-15.5`). Both are reduced to a key at the
//! precision the distribution's advisories use: the major release for Debian and the RPM
//! distributions whose advisories are per major release (Red Hat, Rocky Linux, AlmaLinux,
//! Mageia, openEuler), major.minor for Alpine, Ubuntu, SUSE and openSUSE Leap.

/// How an advisory entry's release relates to the component's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The entry names no release (`Debian`): it applies to every release.
    Any,
    /// The entry is for the component's release.
    Same,
    /// The entry is for another release: it does not apply.
    Other,
    /// The component names no release, or one of the two cannot be read: the entry may apply.
    Unknown(String),
}

/// Debian and Ubuntu code names, for `distro=bookworm`.
const CODENAMES: &[(&str, &str)] = &[
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("xenial", "16.04"),
    ("bionic", "18.04"),
    ("focal", "20.04"),
    ("jammy", "22.04"),
    ("noble", "24.04"),
];

/// Numbers kept of a release for the ecosystem (see the module comment).
fn precision(base: &str) -> usize {
    match base {
        "Alpine" | "Ubuntu" | "SUSE" | "openSUSE" => 2,
        _ => 1,
    }
}

/// The release key of `text` (an ecosystem suffix or a `distro=` value) for ecosystem `base`;
/// `None` when no release number is in it.
pub fn key(base: &str, text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower.contains("tumbleweed") {
        return Some("tumbleweed".into());
    }
    let lower = CODENAMES
        .iter()
        .find(|(name, _)| {
            lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == *name)
        })
        .map_or(lower.clone(), |(_, n)| n.to_string());
    // SUSE writes service packs as ` SP5`: `15 SP5` is 15.5.
    let lower = lower.replace(" sp", ".");
    // The first run of digits and dots that starts with a digit.
    let start = lower.find(|c: char| c.is_ascii_digit())?;
    let run: String = lower[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut nums: Vec<String> = run
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let t = p.trim_start_matches('0');
            if t.is_empty() { "0" } else { t }.to_string()
        })
        .collect();
    let want = precision(base);
    while nums.len() < want {
        nums.push("0".into());
    }
    nums.truncate(want);
    Some(nums.join("."))
}

/// The release of an advisory ecosystem (`Debian:11` -> `Some("11")`); `Ok(None)` when the
/// ecosystem names no release, `Err` with the suffix when it names one ddf cannot read.
fn advisory_release(ecosystem: &str) -> Result<Option<String>, String> {
    let Some((base, suffix)) = ecosystem.split_once(':') else {
        return Ok(None);
    };
    if suffix.trim().is_empty() {
        return Ok(None);
    }
    key(base, suffix)
        .map(Some)
        .ok_or_else(|| suffix.to_string())
}

/// Whether the `affected[]` entry of ecosystem `ecosystem` applies to a component of release
/// `component` (its `distro=` value, if any).
pub fn compare(ecosystem: &str, component: Option<&str>) -> Release {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    let adv = match advisory_release(ecosystem) {
        Ok(None) => return Release::Any,
        Ok(Some(r)) => r,
        Err(suffix) => {
            return Release::Unknown(format!(
                "ddf cannot read the release in the advisory's ecosystem `{ecosystem}` (`{suffix}`)"
            ))
        }
    };
    let Some(text) = component else {
        return Release::Unknown(format!(
            "the component names no {base} release (purl `distro=` qualifier), and this entry is for {ecosystem} only"
        ));
    };
    match key(base, text) {
        Some(c) if c == adv => Release::Same,
        Some(_) => Release::Other,
        None => Release::Unknown(format!(
            "ddf cannot read the release in the component's `distro={text}`, and this entry is for {ecosystem} only"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(key("Debian", "11").as_deref(), Some("11"));
        assert_eq!(key("Debian", "debian-11.6").as_deref(), Some("11"));
        assert_eq!(key("Debian", "bullseye").as_deref(), Some("11"));
        assert_eq!(key("Alpine", "v3.22").as_deref(), Some("3.22"));
        assert_eq!(key("Alpine", "3.22.1").as_deref(), Some("3.22"));
        assert_eq!(key("Alpine", "alpine-v3.22").as_deref(), Some("3.22"));
        assert_eq!(
            key("Alpine", "3.24.0_alpha20260127").as_deref(),
            Some("3.24")
        );
        assert_eq!(key("Ubuntu", "22.04:LTS").as_deref(), Some("22.4"));
        assert_eq!(key("Ubuntu", "Pro:18.04:LTS").as_deref(), Some("18.4"));
        assert_eq!(key("Ubuntu", "ubuntu-22.04").as_deref(), Some("22.4"));
        assert_eq!(
            key("Red Hat", "enterprise_linux:9::appstream").as_deref(),
            Some("9")
        );
        assert_eq!(key("Red Hat", "rhel-9.3").as_deref(), Some("9"));
        assert_eq!(
            key("SUSE", "Linux Enterprise Server 15 SP5").as_deref(),
            Some("15.5")
        );
        assert_eq!(key("SUSE", "sles-15.5").as_deref(), Some("15.5"));
        assert_eq!(key("openSUSE", "Leap 15.5").as_deref(), Some("15.5"));
        assert_eq!(key("openSUSE", "Tumbleweed").as_deref(), Some("tumbleweed"));
        assert_eq!(key("Debian", "sid"), None);
    }

    #[test]
    fn releases() {
        assert_eq!(compare("Debian", Some("debian-11")), Release::Any);
        assert_eq!(compare("Debian:11", Some("debian-11.6")), Release::Same);
        assert_eq!(compare("Debian:9", Some("debian-11")), Release::Other);
        assert_eq!(compare("Alpine:v3.22", Some("3.22.1")), Release::Same);
        assert_eq!(compare("Alpine:v3.16", Some("alpine-3.22")), Release::Other);
        assert_eq!(
            compare("Ubuntu:22.04:LTS", Some("ubuntu-22.04")),
            Release::Same
        );
        assert!(
            matches!(compare("Debian:11", None), Release::Unknown(w) if w.contains("no Debian release"))
        );
        assert!(matches!(
            compare("Debian:sid", Some("debian-11")),
            Release::Unknown(_)
        ));
    }
}
