//! A pull request is untrusted input: the files a DDF names (records, the SBOMs of a release,
//! templates, the folders of ddf.yaml) must be regular files inside the repository, and what ddf
//! writes stays in the folder it was given, which it never deletes unless it is a site ddf wrote.

use crate::harness::{ddf_command, di, findings, Run, TestRepo, PER};
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs ddf with a deadline: the bugs these tests guard against include hanging forever.
fn ddf_within(t: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = ddf_command(&t.root);
    cmd.args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("ddf runs");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ddf {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    crate::harness::ran(child.wait_with_output().expect("output"))
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// A DDF in a Git repository with a release that lists `sboms`.
fn with_release(sboms: &[&str]) -> TestRepo {
    let t = TestRepo::new();
    t.git_init();
    t.write("records/PER-001.md", PER);
    t.write(
        "records/REL-001.md",
        &format!(
            "---\nid: REL-001\ntype: release\ntitle: R\nstatus: draft\nowner: PER-001\nversion: 1.0.0\ntag: v1.0\ncommit: v1.0\nsbom: [{}]\ntransfer: To production.\noverall_residual_risk: Acceptable.\nrm_review: Done.\ncyber_device: true\nsupport_end: 2030-01-01\nfielded: false\n---\n",
            sboms.join(", ")
        ),
    );
    t
}

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}"#;

/// Every file of the built site, concatenated, for "is this anywhere" checks.
fn whole_site(dir: &Path) -> String {
    crate::harness::files_under(dir)
        .into_iter()
        .map(|(rel, p)| {
            format!(
                "{rel}\n{}\n",
                String::from_utf8_lossy(&std::fs::read(p).expect("read"))
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn sbom_links_out_of_the_repository_git_files_and_non_sboms_are_not_published() {
    let t = with_release(&[
        "sboms/env.json",
        "sboms/secret.json",
        ".git/config",
        "sboms/gitconfig.json",
        "sboms/notes.json",
        "sboms/good.cdx.json",
    ]);
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(
        outside.path().join("secret.json"),
        r#"{"token": "OUTSIDE-SECRET"}"#,
    )
    .expect("write");
    std::fs::create_dir_all(t.path("sboms")).expect("mkdir");
    std::os::unix::fs::symlink("/proc/self/environ", t.path("sboms/env.json")).expect("link");
    std::os::unix::fs::symlink(
        outside.path().join("secret.json"),
        t.path("sboms/secret.json"),
    )
    .expect("link");
    std::os::unix::fs::symlink("../.git/config", t.path("sboms/gitconfig.json")).expect("link");
    t.git(&[
        "config",
        "remote.origin.url",
        "https://GIT-CONFIG-TOKEN@example.com/x",
    ]);
    t.write("sboms/notes.json", r#"{"note": "NOT-AN-SBOM"}"#);
    t.write("sboms/good.cdx.json", SBOM);
    let secret = [("DDF_TEST_CI_SECRET", "ENVIRON-SECRET")];

    let run = ddf_within(&t, &["build", "-o", "out"], &secret);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site = whole_site(&t.path("out"));
    for leak in [
        "ENVIRON-SECRET",
        "OUTSIDE-SECRET",
        "GIT-CONFIG-TOKEN",
        "NOT-AN-SBOM",
    ] {
        assert!(!site.contains(leak), "{leak} published on the site");
    }
    let downloads: Vec<String> = crate::harness::files_under(&t.path("out/downloads"))
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    assert_eq!(downloads, ["sboms/good.cdx.json"]);

    // Each refused file is a finding on the release, naming it.
    let run = ddf_within(&t, &["check", "--format", "json"], &secret);
    let v = run.json();
    let messages: Vec<String> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "sbom-reconciled" && d["path"] == "records/REL-001.md")
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    for (file, why) in [
        ("sboms/env.json", "outside the repository"),
        ("sboms/secret.json", "outside the repository"),
        (".git/config", ".git"),
        ("sboms/gitconfig.json", ".git"),
        ("sboms/notes.json", ""),
    ] {
        assert!(
            messages.iter().any(|m| m.contains(file) && m.contains(why)),
            "no finding on {file} ({why}): {messages:?}"
        );
    }
    assert!(!run.stdout.contains("ENVIRON-SECRET"));
}

#[cfg(unix)]
#[test]
fn a_committed_sbom_link_is_not_read_at_a_revision() {
    let mut t = with_release(&["sboms/env.json", ".git/config"]);
    std::fs::create_dir_all(t.path("sboms")).expect("mkdir");
    std::os::unix::fs::symlink("/proc/self/environ", t.path("sboms/env.json")).expect("link");
    t.commit("release");
    let run = ddf_within(&t, &["--rev", "HEAD", "check", "--format", "json"], &[]);
    let messages: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "sbom-reconciled")
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("sboms/env.json") && m.contains("symbolic link in Git")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains(".git/config") && m.contains("`.git`")),
        "{messages:?}"
    );
    let run = ddf_within(&t, &["--rev", "HEAD", "build", "-o", "out"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!t.path("out/downloads").exists());
}

#[cfg(unix)]
#[test]
fn a_fifo_record_is_a_finding_not_a_hang() {
    let t = TestRepo::with_basics();
    t.write("records/DI-001.md", &di("DI-001", "UN-404"));
    mkfifo(&t.path("records/DI-905.md"));
    let run = ddf_within(&t, &["check", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = findings(&run);
    assert!(
        f.iter()
            .any(|(r, p, _, _)| r == "io" && p == "records/DI-905.md"),
        "{f:?}"
    );
    assert!(run.stdout.contains("FIFO"), "{}", run.stdout);
    // The other records are still checked.
    assert!(f.iter().any(|(r, _, _, _)| r == "dangling-link"), "{f:?}");
    // The human report reads the files again for their lines: no hang there either.
    let run = ddf_within(&t, &["check"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("records/DI-905.md"), "{}", run.stdout);
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn a_fifo_sbom_or_template_does_not_hang_the_build() {
    let t = with_release(&["sboms/pipe.json"]);
    std::fs::create_dir_all(t.path("sboms")).expect("mkdir");
    mkfifo(&t.path("sboms/pipe.json"));
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!t.path("out/downloads").exists());
    std::fs::create_dir_all(t.path("templates/site")).expect("mkdir");
    mkfifo(&t.path("templates/site/style.css"));
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/site/style.css") && run.stderr.contains("FIFO"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_template_linked_out_of_the_repository_is_an_error_naming_it() {
    let t = TestRepo::with_basics();
    t.git_init();
    std::fs::create_dir_all(t.path("templates/site")).expect("mkdir");
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join("s.css"), "/* OUTSIDE-SECRET */").expect("write");
    std::os::unix::fs::symlink(
        outside.path().join("s.css"),
        t.path("templates/site/style.css"),
    )
    .expect("link");
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/site/style.css")
            && run.stderr.contains("outside the repository"),
        "{}",
        run.stderr
    );
    assert!(!t.path("out").exists());
}

#[cfg(unix)]
#[test]
fn a_folder_link_out_of_the_repository_is_skipped_with_a_warning() {
    let t = TestRepo::with_basics();
    t.git_init();
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join("DI-001.md"), di("DI-001", "UN-404")).expect("write");
    std::os::unix::fs::symlink(outside.path(), t.path("records/elsewhere")).expect("link");
    let run = ddf_within(&t, &["check", "--format", "json"], &[]);
    let v = run.json();
    let d = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["path"] == "records/elsewhere")
        .cloned()
        .unwrap_or_else(|| panic!("no finding on the link: {}", run.stdout));
    assert_eq!(d["rule"], "io");
    assert_eq!(d["severity"], "warning");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("outside the repository"),
        "{d}"
    );
    // Nothing from behind the link was read.
    assert!(!run.stdout.contains("DI-001"), "{}", run.stdout);
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!t.path("out/records/DI-001.html").exists());
}

#[cfg(unix)]
#[test]
fn a_records_folder_outside_the_repository_is_a_usage_error_naming_ddf_yaml() {
    let t = TestRepo::with_basics();
    t.git_init();
    t.write("ddf.yaml", "project: Test\nrecords: ../../etc\n");
    let run = ddf_within(&t, &["check"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("ddf.yaml:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("inside the DDF root"), "{}", run.stderr);

    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join("DI-001.md"), di("DI-001", "UN-404")).expect("write");
    std::os::unix::fs::symlink(outside.path(), t.path("linked")).expect("link");
    t.write("ddf.yaml", "project: Test\nrecords: linked\n");
    let run = ddf_within(&t, &["check"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("records folder `linked`") && run.stderr.contains("ddf.yaml"),
        "{}",
        run.stderr
    );
    t.write("ddf.yaml", "project: Test\nsite:\n  templates: ../t\n");
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("ddf.yaml:3:"), "{}", run.stderr);
}

#[test]
fn build_never_deletes_a_repository_that_holds_a_site_marker() {
    let t = TestRepo::with_basics();
    // The attack: another DDF, with its Git repository, and a planted `.ddf-site`.
    let victim = tempfile::tempdir().expect("tmp");
    let victim_root = victim.path().join("ddf");
    std::fs::create_dir_all(&victim_root).expect("mkdir");
    crate::harness::git_in(&victim_root, &["init", "-q", "-b", "main"], 0);
    std::fs::write(victim_root.join("ddf.yaml"), "project: Victim\n").expect("write");
    std::fs::write(victim_root.join(".ddf-site"), "planted\n").expect("write");
    let before = crate::harness::files_under(&victim_root);
    let run = ddf_within(
        &t,
        &["build", "-o", victim_root.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to replace") && run.stderr.contains(".git"),
        "{}",
        run.stderr
    );
    assert_eq!(
        crate::harness::files_under(&victim_root),
        before,
        "untouched"
    );
    assert_eq!(
        std::fs::read_dir(victim.path()).expect("list").count(),
        1,
        "nothing written beside it"
    );
    // Nor a folder that holds one further down, with a marker planted at its top.
    std::fs::write(victim.path().join(".ddf-site"), "planted\n").expect("write");
    let run = ddf_within(
        &t,
        &["build", "-o", victim.path().to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("ddf/"), "{}", run.stderr);
    assert_eq!(
        crate::harness::files_under(&victim_root),
        before,
        "untouched"
    );
    // Nor the DDF itself.
    t.write(".ddf-site", "planted\n");
    let run = ddf_within(&t, &["build", "-o", "."], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("ddf.yaml"), "{}", run.stderr);
    assert!(t.path("ddf.yaml").is_file() && t.path("records/PER-001.md").is_file());
}

#[test]
fn a_rebuild_swaps_the_site_in_whole() {
    let t = TestRepo::with_basics();
    assert_eq!(ddf_within(&t, &["build", "-o", "out"], &[]).code, 0);
    t.write("out/stale.html", "old");
    t.write("records/DI-001.md", &di("DI-001", "UN-404"));
    assert_eq!(ddf_within(&t, &["build", "-o", "out"], &[]).code, 0);
    assert!(!t.path("out/stale.html").exists());
    assert!(t.path("out/records/DI-001.html").is_file());
    // No staging or old folder left beside it.
    let beside: Vec<String> = std::fs::read_dir(&t.root)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("ddf-"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

#[test]
fn schema_out_never_writes_outside_its_folder() {
    let t = TestRepo::new();
    t.write(
        "ddf.yaml",
        "project: Test\ntypes:\n  ../../escaped:\n    prefix: ESC\n    fields: {}\n",
    );
    std::fs::create_dir_all(t.path("a/b")).expect("mkdir");
    let run = ddf_within(&t, &["schema", "--json-schema", "--out", "a/b"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("ddf.yaml:3:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not a valid type name"),
        "{}",
        run.stderr
    );
    assert!(!t.path("escaped.schema.json").exists());
    assert!(!t.path("a/escaped.schema.json").exists());
    assert_eq!(std::fs::read_dir(t.path("a/b")).expect("list").count(), 0);
    // A type with `/` in its name is refused the same way.
    t.write(
        "ddf.yaml",
        "project: Test\ntypes:\n  x/y:\n    prefix: XY\n    fields: {}\n",
    );
    let run = ddf_within(&t, &["schema", "--json-schema", "--out", "a/b"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(std::fs::read_dir(t.path("a/b")).expect("list").count(), 0);
}

#[test]
fn remote_images_in_a_body_stay_links_on_the_site() {
    let t = TestRepo::with_basics();
    t.write(
        "records/UN-001.md",
        "---\nid: UN-001\ntype: user-need\ntitle: N\nstatus: draft\nowner: PER-001\nsource: user\n---\n![pump](https://tracker.example/p.png)\n\n<img src=\"http://tracker.example/q.gif\" alt=\"beacon\">\n",
    );
    let run = ddf_within(&t, &["build", "-o", "out"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(t.path("out/records/UN-001.html")).expect("page");
    assert!(!page.contains("<img"), "{page}");
    assert!(
        page.contains(r#"href="https://tracker.example/p.png""#)
            && page.contains(">pump</a>")
            && page.contains(">beacon</a>"),
        "{page}"
    );
}
