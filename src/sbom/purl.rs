//! Package URLs (purl) and CPE names: parsing, normalisation, and the keys components are
//! matched by.
//!
//! Parsing is lenient where generators are sloppy (an unencoded `@` in an npm scope, an
//! unencoded `+` in a Go version) and strict where matching depends on it. Normalisation drops
//! qualifiers and subpath (`?type=module&goos=linux`, `#sub/dir`): they describe a build or a
//! location, not which package it is. The qualifiers are kept apart, since three of them matter
//! for matching operating-system packages: `epoch=` (part of a Debian or RPM version), `distro=`
//! (the release an advisory applies to) and `upstream=` (the source package advisories name). Names are normalised per type as the purl specification
//! and the package ecosystems say (PEP 503 for PyPI, lower case where the registry is case-blind).

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// The type (`npm`, `pypi`, `golang`, ...), lower case.
    pub ty: String,
    /// The namespace (`@scope`, Maven group id, Go module path minus the last element), decoded.
    pub namespace: Option<String>,
    /// The name, decoded.
    pub name: String,
    /// The version, decoded.
    pub version: Option<String>,
    /// The qualifiers, keys lower case, values decoded, in the order written.
    pub qualifiers: Vec<(String, String)>,
}

/// Why a string is not a package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a package URL: {reason}")]
pub struct PurlError {
    /// The text.
    pub text: String,
    /// What is wrong.
    pub reason: &'static str,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// PEP 503 name normalisation: runs of `-`, `_` and `.` become one `-`, lower case.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

impl Purl {
    /// Parses `text` (`pkg:type/namespace/name@version?qualifiers#subpath`).
    pub fn parse(text: &str) -> Result<Purl, PurlError> {
        let err = |reason| PurlError {
            text: text.to_string(),
            reason,
        };
        let t = text.trim();
        let rest = t
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("pkg:"))
            .map(|_| &t[4..])
            .ok_or_else(|| err("it does not start with `pkg:`"))?;
        let rest = rest.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let qualifiers = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), percent_decode(v)))
            .collect();
        let (ty, path) = rest
            .split_once('/')
            .ok_or_else(|| err("it has no `/` after the type"))?;
        if ty.is_empty()
            || !ty
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        {
            return Err(err(
                "the type is empty or has characters other than letters, digits, `.`, `+`, `-`",
            ));
        }
        // The version starts at the last `@` after the last `/`: an unencoded npm scope
        // (`@types/node`) is part of the namespace.
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (path, version) = match path[last_slash..].rfind('@') {
            Some(at) => {
                let at = last_slash + at;
                (&path[..at], Some(percent_decode(&path[at + 1..])))
            }
            None => (path, None),
        };
        let mut segs: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let name = segs.pop().ok_or_else(|| err("it has no name"))?;
        if name.trim().is_empty() {
            return Err(err("it has no name"));
        }
        let namespace = if segs.is_empty() {
            None
        } else {
            Some(segs.join("/"))
        };
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    /// The value of qualifier `key` (lower case), if present.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Namespace and name, normalised for the type.
    fn normalised_parts(&self) -> (Option<String>, String) {
        match self.ty.as_str() {
            "pypi" => (
                self.namespace.as_ref().map(|n| n.to_lowercase()),
                pep503(&self.name),
            ),
            // Registries whose names are case-insensitive (purl specification).
            "npm" | "github" | "bitbucket" | "composer" | "deb" | "apk" | "alpm" | "hex"
            | "pub" | "nuget" | "cargo" | "gem" => (
                self.namespace.as_ref().map(|n| n.to_lowercase()),
                self.name.to_lowercase(),
            ),
            _ => (self.namespace.clone(), self.name.clone()),
        }
    }

    /// `pkg:type/namespace/name`, normalised, without version, qualifiers or subpath: what
    /// identifies the package across its versions.
    pub fn versionless(&self) -> String {
        let (ns, name) = self.normalised_parts();
        match ns {
            Some(ns) => format!("pkg:{}/{ns}/{name}", self.ty),
            None => format!("pkg:{}/{name}", self.ty),
        }
    }

    /// `pkg:type/namespace/name@version`, normalised, qualifiers and subpath dropped.
    pub fn normalised(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{v}", self.versionless()),
            None => self.versionless(),
        }
    }

    /// The OSV ecosystem of the purl type, for the types OSV publishes advisories for.
    pub fn ecosystem(&self) -> Option<&'static str> {
        Some(match self.ty.as_str() {
            "golang" => "Go",
            "npm" => "npm",
            "pypi" => "PyPI",
            "maven" => "Maven",
            "cargo" => "crates.io",
            "gem" => "RubyGems",
            "nuget" => "NuGet",
            "composer" => "Packagist",
            "hex" => "Hex",
            "pub" => "Pub",
            "swift" => "SwiftURL",
            "cran" => "CRAN",
            "hackage" => "Hackage",
            "deb" => match self
                .namespace
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("ubuntu") => "Ubuntu",
                _ => "Debian",
            },
            "apk" => match self.namespace_lower().as_deref() {
                Some("wolfi") => "Wolfi",
                Some("chainguard") => "Chainguard",
                _ => "Alpine",
            },
            // The vendor namespace says which distribution's advisories apply (purl spec:
            // `pkg:rpm/fedora/curl`, `pkg:rpm/opensuse/...`); an RPM of an unknown vendor has none.
            "rpm" => match self.namespace_lower().as_deref() {
                Some("redhat" | "rhel") => "Red Hat",
                Some("rocky" | "rocky-linux" | "rockylinux") => "Rocky Linux",
                Some("almalinux" | "alma") => "AlmaLinux",
                Some("suse" | "sles" | "sle") => "SUSE",
                Some("opensuse" | "opensuse-leap" | "opensuse-tumbleweed") => "openSUSE",
                Some("mageia") => "Mageia",
                Some("openeuler") => "openEuler",
                _ => return None,
            },
            "githubactions" => "GitHub Actions",
            _ => return None,
        })
    }

    fn namespace_lower(&self) -> Option<String> {
        self.namespace.as_deref().map(str::to_ascii_lowercase)
    }

    /// The package name as OSV writes it in `affected[].package.name` for the ecosystem: Go
    /// module path, `group:artifact` for Maven, `@scope/name` for npm, `vendor/name` for
    /// Packagist; the bare name elsewhere (Debian, Alpine: the namespace is the distribution).
    pub fn osv_name(&self) -> String {
        let ns = self.namespace.as_deref();
        match (self.ty.as_str(), ns) {
            ("maven", Some(g)) => format!("{g}:{}", self.name),
            ("golang" | "npm" | "composer" | "swift" | "githubactions", Some(ns)) => {
                format!("{ns}/{}", self.name)
            }
            _ => self.name.clone(),
        }
    }
}

/// The parts of a CPE name ddf matches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpe {
    /// `part:vendor:product`, lower case (`a:mbed-tls:mbed_tls`).
    pub product: String,
    /// The version field (`*` and `-` count as none).
    pub version: Option<String>,
}

/// Parses a CPE 2.3 formatted string (`cpe:2.3:a:vendor:product:version:...`) or a CPE 2.2 URI
/// (`cpe:/a:vendor:product:version`). Escaped colons (`\:`) stay inside their field.
pub fn parse_cpe(text: &str) -> Option<Cpe> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let fields: Vec<String> = if lower.starts_with("cpe:2.3:") {
        split_unescaped(&t[8..])
    } else if lower.starts_with("cpe:/") {
        t[5..].split(':').map(String::from).collect()
    } else {
        return None;
    };
    let part = fields.first()?.to_ascii_lowercase();
    let vendor = fields.get(1)?.to_ascii_lowercase();
    let product = fields.get(2)?.to_ascii_lowercase();
    if vendor.is_empty() || product.is_empty() {
        return None;
    }
    let version = fields
        .get(3)
        .map(|v| v.replace('\\', ""))
        .filter(|v| !v.is_empty() && v != "*" && v != "-");
    Some(Cpe {
        product: format!("{part}:{vendor}:{product}"),
        version,
    })
}

fn split_unescaped(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            if let Some(last) = out.last_mut() {
                last.push('\\');
                last.push(c);
            }
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).expect("purl")
    }

    #[test]
    fn qualifiers_and_subpath_are_dropped() {
        let x = p("pkg:golang/golang.org/x/net@v0.0.0-20210525063256-abc453219eb5?type=module&goos=linux&goarch=arm64");
        assert_eq!(x.namespace.as_deref(), Some("golang.org/x"));
        assert_eq!(x.name, "net");
        assert_eq!(
            x.version.as_deref(),
            Some("v0.0.0-20210525063256-abc453219eb5")
        );
        assert_eq!(
            x.normalised(),
            "pkg:golang/golang.org/x/net@v0.0.0-20210525063256-abc453219eb5"
        );
        assert_eq!(x.osv_name(), "golang.org/x/net");
        assert_eq!(x.ecosystem(), Some("Go"));
        assert_eq!(p("pkg:npm/a@1.0.0#lib/x").versionless(), "pkg:npm/a");
    }

    #[test]
    fn unencoded_plus_and_scopes() {
        let d = p("pkg:golang/github.com/docker/docker@v20.10.7+incompatible");
        assert_eq!(d.version.as_deref(), Some("v20.10.7+incompatible"));
        let s = p("pkg:npm/%40types/node@20.1.0");
        assert_eq!(s.osv_name(), "@types/node");
        let s2 = p("pkg:npm/@types/node@20.1.0");
        assert_eq!(s2.osv_name(), "@types/node");
        assert_eq!(s.versionless(), s2.versionless());
        assert_eq!(
            p("pkg:npm/x@1.0.0%2Bbuild").version.as_deref(),
            Some("1.0.0+build")
        );
    }

    #[test]
    fn pypi_names_follow_pep_503() {
        assert_eq!(pep503("Jinja2"), "jinja2");
        assert_eq!(pep503("dicom_anonymizer"), "dicom-anonymizer");
        assert_eq!(pep503("a.._-b"), "a-b");
        assert_eq!(
            p("pkg:pypi/Dicom_Anonymizer@1.0.13.post1").versionless(),
            "pkg:pypi/dicom-anonymizer"
        );
        assert_eq!(
            p("pkg:pypi/torch@2.1.2?download_url=https://x/y").normalised(),
            "pkg:pypi/torch@2.1.2"
        );
    }

    #[test]
    fn maven_and_unknown_types() {
        let m = p("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4");
        assert_eq!(m.osv_name(), "com.fasterxml.jackson.core:jackson-databind");
        assert_eq!(m.ecosystem(), Some("Maven"));
        assert_eq!(
            p("pkg:github/Zephyrproject-RTOS/zephyr@v3.6.0").ecosystem(),
            None
        );
        assert_eq!(
            p("pkg:github/Zephyrproject-RTOS/zephyr@v3.6.0").versionless(),
            "pkg:github/zephyrproject-rtos/zephyr"
        );
        assert_eq!(p("PKG:Cargo/time@0.1.45").ty, "cargo");
    }

    #[test]
    fn bad_purls() {
        assert!(Purl::parse("npm/left-pad@1.0").is_err());
        assert!(Purl::parse("pkg:npm").is_err());
        assert!(Purl::parse("pkg:npm/@1.0").is_err());
        assert!(Purl::parse("pkg:np m/x").is_err());
    }

    #[test]
    fn cpes() {
        let c = parse_cpe("cpe:2.3:a:wasi:wasi:0.10.0\\+wasi-snapshot-preview1:*:*:*:*:*:*:*")
            .expect("cpe");
        assert_eq!(c.product, "a:wasi:wasi");
        assert_eq!(c.version.as_deref(), Some("0.10.0+wasi-snapshot-preview1"));
        let c = parse_cpe("cpe:/o:rt-thread:rt-thread:5.0.1").expect("cpe 2.2");
        assert_eq!(c.product, "o:rt-thread:rt-thread");
        assert_eq!(
            parse_cpe("cpe:2.3:a:x:y:*:*:*:*:*:*:*:*").and_then(|c| c.version),
            None
        );
        assert!(parse_cpe("not a cpe").is_none());
    }
}
