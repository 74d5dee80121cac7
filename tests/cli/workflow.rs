//! The daily loop of a new user (issue 14): starting a DDF (`init` with the repository's branch
//! and a `.gitignore`, the adoption commit), `ddf new` scaffolds that `check` understands, global
//! options after the subcommand, plurals, completions and man pages, and the one JSON Schema for
//! every record type.

use crate::harness::{files_under, git_in, run_ddf, TestRepo, PER};
use std::path::Path;

/// A folder in a temp dir (not a DDF yet), and its path.
fn empty_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    (dir, root)
}

fn rules(run: &crate::harness::Run) -> Vec<(String, String, String)> {
    run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_string(),
                d["path"].as_str().unwrap_or_default().to_string(),
                d["severity"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn count_rule(run: &crate::harness::Run, rule: &str) -> usize {
    rules(run).iter().filter(|(r, _, _)| r == rule).count()
}

// ---- 1. init: the repository's branch, .gitignore; check: the controlled branch exists ----

#[test]
fn init_takes_the_repository_branch_and_ignores_the_site() {
    let (_d, root) = empty_dir();
    git_in(&root, &["init", "-q", "-b", "master"], 0);
    std::fs::write(root.join(".gitignore"), "target").expect("write");
    let r = run_ddf(&root, &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(root.join("ddf.yaml")).expect("ddf.yaml");
    assert!(config.contains("\ncontrolled_branch: master\n"), "{config}");
    assert!(r
        .stdout
        .contains("controlled_branch: master (the repository's current branch)"));
    // The user's lines are kept, the site folder appended once.
    let ignore = std::fs::read_to_string(root.join(".gitignore")).expect(".gitignore");
    assert!(ignore.starts_with("target\n"), "{ignore}");
    assert_eq!(ignore.matches("/site/").count(), 1, "{ignore}");
    // The first commit checks without a controlled-branch warning.
    git_in(&root, &["add", "-A"], 0);
    git_in(&root, &["commit", "-q", "-m", "Adopt ddf"], 0);
    let c = run_ddf(&root, &["check", "--format", "json"]);
    assert_eq!(count_rule(&c, "controlled-branch"), 0, "{}", c.stdout);
}

#[test]
fn init_outside_a_repository_uses_init_default_branch_else_main() {
    let (_d, root) = empty_dir();
    let r = run_ddf(&root, &["init", "ddf"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(root.join("ddf/ddf.yaml")).expect("ddf.yaml");
    assert!(config.contains("\ncontrolled_branch: main\n"), "{config}");
    assert_eq!(
        std::fs::read_to_string(root.join("ddf/.gitignore")).expect(".gitignore"),
        "# The site `ddf build` writes.\n/site/\n"
    );
    // A repository before its first commit is on the branch `git init` chose.
    let (_d2, other) = empty_dir();
    git_in(&other, &["init", "-q", "-b", "trunk"], 0);
    let r = run_ddf(&other, &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(other.join("ddf.yaml")).expect("ddf.yaml");
    assert!(config.contains("\ncontrolled_branch: trunk\n"), "{config}");
    // On a detached HEAD there is no current branch: Git's init.defaultBranch is taken.
    let (_d3, detached) = empty_dir();
    git_in(&detached, &["init", "-q", "-b", "main"], 0);
    git_in(
        &detached,
        &["commit", "-q", "--allow-empty", "-m", "Start"],
        0,
    );
    git_in(&detached, &["checkout", "-q", "--detach"], 0);
    git_in(&detached, &["config", "init.defaultBranch", "develop"], 0);
    let r = run_ddf(&detached, &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(detached.join("ddf.yaml")).expect("ddf.yaml");
    assert!(
        config.contains("\ncontrolled_branch: develop\n"),
        "{config}"
    );
    assert!(
        r.stdout.contains("(Git's init.defaultBranch)"),
        "{}",
        r.stdout
    );
}

#[test]
fn init_leaves_a_gitignore_that_ignores_the_site_or_is_a_link_alone() {
    let (_d, root) = empty_dir();
    std::fs::write(root.join(".gitignore"), "# mine\nsite/\n").expect("write");
    assert_eq!(run_ddf(&root, &["init"]).code, 0);
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).expect("read"),
        "# mine\nsite/\n"
    );
    #[cfg(unix)]
    {
        let (_d, root) = empty_dir();
        let (_o, outside) = empty_dir();
        std::fs::write(outside.join("ignore"), "x\n").expect("write");
        std::os::unix::fs::symlink(outside.join("ignore"), root.join(".gitignore")).expect("link");
        let r = run_ddf(&root, &["init"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains(".gitignore is not a regular file"),
            "{}",
            r.stdout
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("ignore")).expect("read"),
            "x\n"
        );
    }
}

#[test]
fn check_warns_when_the_controlled_branch_does_not_exist() {
    let mut t = TestRepo::with_basics();
    t.git(&["init", "-q", "-b", "master"]);
    t.commit("Start");
    let r = t.ddf(&["check", "--format", "json"]);
    let found: Vec<_> = r.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "controlled-branch")
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(found[0]["path"], "ddf.yaml");
    assert!(
        found[0]["message"]
            .as_str()
            .expect("message")
            .contains("`main` is no branch of this repository"),
        "{found:?}"
    );
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains(
            "= hint: set `controlled_branch: master` in ddf.yaml (the branch releases are made from)"
        ),
        "{}",
        human.stdout
    );
    t.write("ddf.yaml", "project: Test\ncontrolled_branch: master\n");
    let r = t.ddf(&["check", "--format", "json"]);
    assert_eq!(count_rule(&r, "controlled-branch"), 0, "{}", r.stdout);
}

// ---- 2. the adoption commit ----

#[test]
fn the_first_commit_of_a_fresh_ddf_passes_change_control() {
    let (_d, root) = empty_dir();
    git_in(&root, &["init", "-q", "-b", "main"], 0);
    assert_eq!(run_ddf(&root, &["init"]).code, 0);
    git_in(&root, &["add", "-A"], 0);
    git_in(&root, &["commit", "-q", "-m", "Adopt ddf"], 0);
    let r = run_ddf(&root, &["check", "--format", "json"]);
    assert_eq!(count_rule(&r, "change-has-cr"), 0, "{}", r.stdout);
    // The next change to a record on the controlled branch is held to change control.
    let need = root.join("records/needs/UN-001.md");
    let text = std::fs::read_to_string(&need).expect("read");
    std::fs::write(&need, text.replace("in their words", "in their own words")).expect("write");
    git_in(&root, &["commit", "-q", "-am", "Edit the need"], 1);
    let r = run_ddf(&root, &["check", "--format", "json"]);
    assert_eq!(count_rule(&r, "change-has-cr"), 1, "{}", r.stdout);
}

#[test]
fn history_before_ddf_yaml_was_added_is_not_held_to_change_control() {
    let mut t = TestRepo::with_basics();
    std::fs::remove_file(t.path("ddf.yaml")).expect("rm");
    t.git_init();
    t.write("records/UN-001.md", &crate::harness::un("UN-001"));
    t.commit("Records kept before ddf");
    t.write("ddf.yaml", "project: Test\n");
    t.write("records/UN-002.md", &crate::harness::un("UN-002"));
    t.commit("Adopt ddf");
    let r = t.ddf(&["check", "--format", "json"]);
    assert_eq!(count_rule(&r, "change-has-cr"), 0, "{}", r.stdout);
    t.write("records/UN-003.md", &crate::harness::un("UN-003"));
    t.commit("After adoption");
    let r = t.ddf(&["check", "--format", "json"]);
    assert_eq!(count_rule(&r, "change-has-cr"), 1, "{}", r.stdout);
    // The site says where change control and the signatures' trust start.
    let b = t.ddf(&["build", "-o", "out"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let changes = std::fs::read_to_string(t.path("out/changes.html")).expect("changes page");
    assert!(
        changes.contains("the commit that first added <code>ddf.yaml</code>"),
        "trust root named"
    );
}

// ---- 3. ddf new ----

#[test]
fn new_writes_the_fields_rules_need_and_nothing_passes_falsely() {
    let t = TestRepo::with_basics();
    let types = t.ddf(&["schema", "--format", "json"]).json();
    let names: Vec<String> = types
        .as_array()
        .expect("types")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(names.len(), 23);
    let mut written = Vec::new();
    for name in &names {
        let r = t.ddf(&["new", name, "--owner", "PER-001", "--title", "New one"]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let path = r.stdout.trim().to_string();
        let rel = Path::new(&path)
            .strip_prefix(&t.root)
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        written.push((name.clone(), rel));
    }
    let ver = t.read(
        &written
            .iter()
            .find(|w| w.0 == "verification")
            .expect("VER")
            .1,
    );
    assert!(ver.contains("\ncontrol_check:   # one of: implementation | effectiveness. Needed when it verifies a risk control (RC)"), "{ver}");
    assert!(ver.contains("\nresult:   # one of: pass | fail"), "{ver}");
    let hs = t.read(
        &written
            .iter()
            .find(|w| w.0 == "hazardous-situation")
            .expect("HS")
            .1,
    );
    for f in [
        "probability",
        "residual_probability",
        "exploitability",
        "residual_exploitability",
    ] {
        assert!(hs.contains(&format!("\n{f}:   # ")), "{f}: {hs}");
    }
    let thr = t.read(&written.iter().find(|w| w.0 == "threat").expect("THR").1);
    assert!(thr.contains("\nimpact:   # I1..I5") && thr.contains("\nsecurity_only_rationale:"));
    let capa = t.read(&written.iter().find(|w| w.0 == "capa").expect("CAPA").1);
    assert!(capa.contains("\nstatus: open\n") && capa.contains("\neffectiveness:"));
    assert!(capa.contains("\nclosed_by:   # ids of: PER. Who approved the closure. Required when status is closed"), "{capa}");
    // Every scaffold parses and uses only fields of its type; the placeholders are empty, so
    // nothing in them passes a rule: what is left is for a person to fill in, and reported.
    let r = t.ddf(&["check", "--format", "json"]);
    for (rule, path, severity) in rules(&r) {
        if !written.iter().any(|w| w.1 == path) {
            continue;
        }
        assert!(
            !matches!(
                rule.as_str(),
                "yaml" | "front-matter" | "unknown-field" | "invalid-value" | "unknown-type"
            ),
            "{rule} on {path}: {}",
            r.stdout
        );
        if rule == "missing-field" {
            assert_eq!(severity, "warning", "{path}: a new record is a draft");
        }
    }
    let missing_result = r.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .any(|d| {
            d["rule"] == "missing-field"
                && d["record"] == "VER-001"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("`result`"))
        });
    assert!(missing_result, "an empty result is reported, never a pass");
}

#[test]
fn new_refuses_an_owner_that_is_no_person() {
    let t = TestRepo::with_basics();
    let r = t.ddf(&["new", "UN", "--owner", "PER-009"]);
    assert_eq!(r.code, 2);
    assert!(r
        .stderr
        .contains("--owner `PER-009` is not the id of a person record"));
    assert!(
        r.stderr
            .contains("hint: the owner is the id of a person record: PER-001"),
        "{}",
        r.stderr
    );
    assert!(
        files_under(&t.path("records")).len() == 1,
        "nothing written"
    );
}

// ---- 10. global options after the subcommand; ignored options refused; plurals ----

#[test]
fn global_options_work_after_the_subcommand() {
    let (_d, root) = empty_dir();
    let r = run_ddf(&root, &["init", "-C", "dd", "--project", "Pump"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(root.join("dd/ddf.yaml").is_file());
    let r = run_ddf(&root, &["check", "-C", "dd", "--format", "json", "-q"]);
    assert_eq!(r.json()["records"], 4, "{}", r.stderr);
    let r = run_ddf(&root, &["schema", "-C", "dd", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn options_a_command_ignores_are_refused() {
    let (_d, root) = empty_dir();
    for (args, says) in [
        (
            &["init", "--rev", "HEAD"][..],
            "`ddf init` reads no records, so --rev means nothing to it",
        ),
        (
            &["init", "--format", "json"][..],
            "`ddf init` has one output only; --format json means nothing to it",
        ),
        (
            &["completions", "bash", "--rev", "v1"][..],
            "`ddf completions` reads no records",
        ),
        (
            &["man", "--format", "md"][..],
            "`ddf man` has one output only",
        ),
    ] {
        let r = run_ddf(&root, args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(!root.join("ddf.yaml").exists(), "{args:?} wrote nothing");
    }
    let t = TestRepo::with_basics();
    let r = t.ddf(&["new", "UN", "--format", "json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`ddf new` has one output only"),
        "{}",
        r.stderr
    );
}

#[test]
fn counts_are_singular_for_one() {
    let mut t = TestRepo::with_basics();
    let r = t.ddf(&["check"]);
    assert!(
        r.stdout.contains("Checked 1 record: 0 errors, 0 warnings"),
        "{}",
        r.stdout
    );
    t.write("records/UN-001.md", &crate::harness::un("UN-001"));
    let r = t.ddf(&["check"]);
    assert!(
        r.stdout.contains("Checked 2 records: 1 error, 0 warnings"),
        "{}",
        r.stdout
    );
    let r = t.ddf(&["check", "--format", "md"]);
    assert!(
        r.stdout.contains("2 records, 1 error, 0 warnings"),
        "{}",
        r.stdout
    );
    t.git_init();
    t.commit("One");
    let r = t.ddf(&["log"]);
    assert!(r.stdout.ends_with("\n1 change\n"), "{}", r.stdout);
}

// ---- 11. completions, man pages, pre-commit hooks ----

#[test]
fn completions_for_every_shell() {
    let (_d, root) = empty_dir();
    for (shell, marker) in [
        ("bash", "complete -F _ddf"),
        ("zsh", "#compdef ddf"),
        ("fish", "complete -c ddf"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run_ddf(&root, &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}");
        assert!(
            r.stdout.contains("check") && r.stdout.contains("impact"),
            "{shell}"
        );
    }
    let r = run_ddf(&root, &["completions", "tcsh"]);
    assert_eq!(r.code, 2);
}

#[test]
fn man_pages_from_the_command_line_definitions() {
    let (_d, root) = empty_dir();
    let r = run_ddf(&root, &["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH ddf 1"), "{}", r.stdout);
    assert!(r.stdout.contains("ddf\\-check"), "subcommands listed");
    let r = run_ddf(&root, &["man", "-o", "man1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pages: Vec<String> = files_under(&root.join("man1"))
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    for page in [
        "ddf.1",
        "ddf-check.1",
        "ddf-init.1",
        "ddf-sbom-import.1",
        "ddf-man.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} in {pages:?}");
    }
    let check = std::fs::read_to_string(root.join("man1/ddf-check.1")).expect("page");
    assert!(check.contains(".TH ddf-check 1"), "{check}");
    assert!(
        check.contains("\\-\\-rev"),
        "global options are on every page"
    );
}

#[test]
fn pre_commit_hooks_are_declared() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect(".pre-commit-hooks.yaml");
    let hooks: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("YAML list");
    let by_id = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("hook {id}"))
            .clone()
    };
    let check = by_id("ddf-check");
    assert_eq!(check["entry"].as_str(), Some("ddf check"));
    assert_eq!(check["language"].as_str(), Some("rust"));
    assert_eq!(check["pass_filenames"].as_bool(), Some(false));
    let fmt = by_id("ddf-fmt");
    assert_eq!(fmt["entry"].as_str(), Some("ddf fmt --check"));
}

// ---- 12. one JSON Schema for every record type ----

/// The front-matter of a record file as JSON (YAML between the `---` lines).
fn front_matter(text: &str) -> Option<serde_json::Value> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---")?;
    let yaml: serde_yaml::Value = serde_yaml::from_str(&rest[..end]).ok()?;
    serde_json::to_value(yaml).ok()
}

#[test]
fn one_json_schema_validates_every_record_of_the_example() {
    let t = TestRepo::example();
    let r = t.ddf(&["schema", "--json-schema"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let schema = r.json();
    jsonschema::meta::validate(&schema).expect("a valid JSON Schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let validator = jsonschema::draft202012::new(&schema).expect("compiles");
    let mut checked = 0;
    for (rel, path) in files_under(&t.path("records")) {
        if !rel.ends_with(".md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let fm = front_matter(&text).unwrap_or_else(|| panic!("{rel}: front-matter"));
        let errors: Vec<String> = validator
            .iter_errors(&fm)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{rel}: {errors:?}");
        checked += 1;
    }
    assert!(checked > 150, "{checked} records");

    // Broken records are invalid: each for a reason the dispatch on `type` must catch.
    let un = front_matter(&crate::harness::un("UN-001")).expect("UN");
    assert!(validator.is_valid(&un));
    let per = front_matter(PER).expect("PER");
    assert!(validator.is_valid(&per));
    let broken = |edit: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut v = un.clone();
        edit(v.as_object_mut().expect("object"));
        v
    };
    for (why, bad) in [
        (
            "no type",
            broken(&|m| {
                m.remove("type");
            }),
        ),
        (
            "unknown type",
            broken(&|m| {
                m.insert("type".into(), "user-needs".into());
            }),
        ),
        (
            "value outside the set",
            broken(&|m| {
                m.insert("source".into(), "martians".into());
            }),
        ),
        (
            "required field missing",
            broken(&|m| {
                m.remove("source");
            }),
        ),
        (
            "field of another type",
            broken(&|m| {
                m.insert("category".into(), "functional".into());
            }),
        ),
        (
            "id of another prefix",
            broken(&|m| {
                m.insert("id".into(), "DI-001".into());
            }),
        ),
        (
            "the schema of the named type applies",
            broken(&|m| {
                m.insert("type".into(), "design-input".into());
            }),
        ),
    ] {
        assert!(!validator.is_valid(&bad), "{why}: {bad}");
    }
    assert!(!validator.is_valid(&serde_json::json!(["not", "a", "mapping"])));

    // One type alone is a schema of its own too.
    let r = t.ddf(&["schema", "DI", "--json-schema"]);
    let di = r.json();
    jsonschema::meta::validate(&di).expect("valid");
    assert_eq!(di["properties"]["type"]["const"], "design-input");
    // `--out` writes a file per type and the one for every type.
    let r = t.ddf(&["schema", "--json-schema", "--out", "schemas", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written: serde_json::Value =
        serde_json::from_str(&t.read("schemas/record.schema.json")).expect("JSON");
    assert_eq!(written, schema);
    assert!(t.path("schemas/design-input.schema.json").is_file());
}
