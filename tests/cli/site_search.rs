//! Site search, `ddf init --templates` and `ddf serve`: the search index holds every record and
//! cannot be broken out of; the search page and the header search box follow the contract the
//! browser test relies on; copied templates keep a team's edits; the preview server serves the
//! site (and nothing outside it), injects its reload script only into what it sends, and
//! rebuilds on a change while keeping the previous build when a rebuild fails.

use crate::harness::{di, un, TestRepo, TODAY};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The value `search-index.js` assigns, parsed.
fn index_of(site: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(site.join("search-index.js")).expect("search-index.js");
    let start = text
        .find("window.DDF_SEARCH_INDEX = ")
        .expect("assigns the global")
        + "window.DDF_SEARCH_INDEX = ".len();
    let json = text[start..]
        .trim_end()
        .strip_suffix(';')
        .expect("ends with ;");
    serde_json::from_str(json).expect("the index is JSON")
}

/// The index's records as (id, type, title, status, href, text).
fn entries(
    index: &serde_json::Value,
) -> Vec<(String, String, String, String, Option<String>, String)> {
    let s = |v: &serde_json::Value| v.as_str().expect("string").to_string();
    let types = index["types"].as_array().expect("types");
    let statuses = index["statuses"].as_array().expect("statuses");
    index["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|e| {
            let pos = |k: usize| e[k].as_u64().expect("position") as usize;
            (
                s(&e[0]),
                s(&types[pos(1)]),
                s(&e[2]),
                s(&statuses[pos(3)]),
                e[4].as_str().map(String::from),
                s(&e[5]),
            )
        })
        .collect()
}

#[test]
fn search_index_holds_every_record_with_its_page() {
    let t = TestRepo::example();
    let run = t.ddf(&["build", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site = t.path("out");
    let index = index_of(&site);
    assert_eq!(
        index["fields"],
        serde_json::json!(["id", "type", "title", "status", "href", "text"])
    );
    let entries = entries(&index);
    let pages: Vec<String> = std::fs::read_dir(site.join("records"))
        .expect("records/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 227, "every record of the example");
    assert_eq!(pages.len(), 227);
    let mut ids: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "in id order");
    ids.dedup();
    assert_eq!(ids.len(), 227);
    for (id, _, _, _, href, _) in &entries {
        let href = href.as_deref().expect("every example record has a page");
        assert_eq!(href, format!("records/{id}.html"));
        assert!(site.join(href).is_file(), "{href} exists");
    }
    let di004 = entries.iter().find(|e| e.0 == "DI-004").expect("DI-004");
    assert_eq!(
        (di004.1.as_str(), di004.2.as_str(), di004.3.as_str()),
        ("design-input", "Free-flow prevention", "approved")
    );
    assert!(
        di004.5.contains("free-flow") || di004.5.contains("free flow"),
        "body text indexed: {}",
        di004.5
    );

    // The search page: the results list the browser test reads, the scripts, a way without JS.
    let page = std::fs::read_to_string(site.join("search.html")).expect("search.html");
    for needle in [
        "<form id=\"search-form\" class=\"search-page\" action=\"search.html\" method=\"get\" role=\"search\" aria-label=\"Search the records\">",
        "name=\"q\"",
        "<ol id=\"search-results\" class=\"search-results\"></ol>",
        "<script src=\"search-index.js\"></script>\n<script src=\"search.js\"></script>",
        "Search needs JavaScript",
        "<li><a href=\"types/design-input.html\">design-input</a> (DI, ",
    ] {
        assert!(page.contains(needle), "search.html lacks {needle}:\n{page}");
    }
    let js = std::fs::read_to_string(site.join("search.js")).expect("search.js");
    assert!(
        !js.contains("innerHTML") && !js.contains("eval("),
        "DOM nodes only"
    );
    // Every page has the header search box; pages in folders point up to the root.
    let home = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    assert!(home.contains("<form class=\"site-search\" action=\"search.html\" method=\"get\" role=\"search\" aria-label=\"Site search\"><input type=\"search\" name=\"q\""));
    assert!(
        home.contains("<a href=\"search.html\">Search</a>"),
        "in the navigation"
    );
    let record = std::fs::read_to_string(site.join("records/DI-004.html")).expect("record page");
    assert!(record.contains("<form class=\"site-search\" action=\"../search.html\""));
    assert!(
        !record.contains("<script"),
        "no script on pages other than search"
    );
}

#[test]
fn record_text_cannot_break_out_of_the_index_script() {
    let t = TestRepo::with_basics();
    let title = "Evil </script><script>alert(1)</script> \"dq\" 'sq' &\u{2028}end";
    t.write(
        "records/UN-001.md",
        &format!(
            "---\nid: UN-001\ntype: user-need\ntitle: {}\nstatus: draft\nowner: PER-001\nsource: user\n---\n</script><img src=x onerror=alert(2)> `</SCRIPT>` \\\"; alert(3); //\n",
            serde_json::to_string(title).expect("yaml string")
        ),
    );
    let run = t.ddf(&["build", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let raw = std::fs::read_to_string(t.path("out/search-index.js")).expect("index");
    assert!(!raw.contains('<'), "every < escaped: {raw}");
    assert!(!raw.contains('>') && !raw.contains('&') && !raw.contains('\u{2028}'));
    assert!(raw.contains("\\u003c/script\\u003e"));
    let entries = entries(&index_of(&t.path("out")));
    let un = entries.iter().find(|e| e.0 == "UN-001").expect("UN-001");
    assert_eq!(un.2, title, "the same text once parsed");
    assert!(un.5.contains("alert(3)"), "{}", un.5);
    assert!(!un.5.contains("<img"), "raw HTML tags are not text");
}

/// The search page's view, as documented for template authors.
#[test]
fn search_page_snapshot() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"))
        .write("records/DI-001.md", &di("DI-001", "UN-001"));
    let run = t.ddf(&["build", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(
        "site_search_page",
        std::fs::read_to_string(t.path("out/search.html")).expect("page")
    );
    insta::assert_snapshot!(
        "site_search_index",
        std::fs::read_to_string(t.path("out/search-index.js")).expect("index")
    );
    let ctx = t.ddf(&["build", "--context", "search.html"]);
    assert_eq!(ctx.code, 0, "{}", ctx.stderr);
    let v = ctx.json();
    assert_eq!(v["records"], 3);
    assert_eq!(v["index"], "search-index.js");
    assert_eq!(v["site"]["root"], "");
}

/// Runs `search.js` in node over the example's index. Without node the test prints a note and
/// passes (the browser test runs the script in Chromium in any case), except under `CI=true`,
/// where `.ci/run` installs node and its absence fails the test.
#[test]
fn search_ranks_an_exact_id_first_and_ands_words() {
    if Command::new("node").arg("--version").output().is_err() {
        assert!(
            !crate::harness::in_ci(),
            "node is not installed, and CI=true: .ci/run installs it (nodejs)"
        );
        eprintln!("node is not installed: search.js is exercised by the browser test only");
        return;
    }
    let t = TestRepo::example();
    let run = t.ddf(&["build", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let script = r#"
const fs = require("fs");
const window = {};
new Function("window", fs.readFileSync("out/search-index.js", "utf8"))(window);
const s = require(process.cwd() + "/out/search.js");
const records = s.prepare(window.DDF_SEARCH_INDEX);
const ids = (q) => s.search(records, q).map((h) => h.record.id);
const out = {
  count: records.length,
  exact: ids("DI-004").slice(0, 3),
  lower: ids("  di-004 ")[0],
  and: ids("occlusion alarm"),
  occlusion: ids("occlusion").length,
  alarm: ids("alarm").length,
  none: ids("occlusion zzzqqq").length,
  empty: ids("   ").length,
  title: ids("FREE-FLOW prevention")[0],
  snippet: s.snippet(records.find((r) => r.id === "RC-001"), ["occlusion"]),
};
console.log(JSON.stringify(out));
"#;
    let node = Command::new("node")
        .arg("-e")
        .arg(script)
        .current_dir(&t.root)
        .output()
        .expect("node runs");
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&node.stdout).expect("json");
    assert_eq!(v["count"], 227);
    assert_eq!(v["exact"][0], "DI-004", "exact id first: {v}");
    assert_eq!(v["lower"], "DI-004", "case-insensitive, trimmed");
    assert_eq!(v["title"], "DI-004", "title words rank first");
    let and: Vec<&str> = v["and"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(
        and.contains(&"RC-001") && and.contains(&"DI-003"),
        "{and:?}"
    );
    let (occ, alarm) = (
        v["occlusion"].as_u64().unwrap_or(0),
        v["alarm"].as_u64().unwrap_or(0),
    );
    assert!(
        (and.len() as u64) < occ.min(alarm),
        "both words needed: {} < min({occ}, {alarm})",
        and.len()
    );
    assert_eq!(v["none"], 0);
    assert_eq!(v["empty"], 0);
    let parts = v["snippet"].as_array().expect("snippet parts");
    assert!(
        parts.iter().any(|p| p[1] == true
            && p[0]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("occlusion"))),
        "the match is marked: {parts:?}"
    );
}

#[test]
fn init_templates_copies_every_builtin_and_keeps_edits() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    let before = t.ddf(&["build", "-o", "before"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    let edited = "{% extends \"site/base.html\" %}{% block content %}OUR OWN {{ record.id }}{% endblock content %}\n";
    t.write("templates/site/record.html", edited);
    let run = t.ddf(&["init", "--templates"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let builtin = ddf::templates::BUILTIN;
    assert!(
        builtin.len() >= 9,
        "site pages, stylesheet, script, record template"
    );
    for (name, text) in builtin {
        let on_disk = std::fs::read(t.path(&format!("templates/{name}"))).expect("copied");
        if *name == "site/record.html" {
            assert_eq!(
                on_disk,
                edited.as_bytes(),
                "the edited file is kept byte for byte"
            );
            assert!(run
                .stdout
                .contains("  kept  site/record.html (already there; not replaced)\n"));
        } else {
            assert_eq!(on_disk, text.as_bytes(), "{name}");
            assert!(
                run.stdout.contains(&format!("  wrote {name}\n")),
                "{}",
                run.stdout
            );
        }
    }
    assert!(run
        .stdout
        .contains(&format!("({} written, 1 kept)", builtin.len() - 1)));
    assert!(
        run.stdout.contains("new/record.md"),
        "the `ddf new` template too"
    );
    // The copies render the site the built-ins render (but for the one edited page).
    let after = t.ddf(&["build", "-o", "after"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    for page in [
        "index.html",
        "search.html",
        "search.js",
        "style.css",
        "types/user-need.html",
    ] {
        assert_eq!(
            std::fs::read(t.path(&format!("before/{page}"))).expect("before"),
            std::fs::read(t.path(&format!("after/{page}"))).expect("after"),
            "{page}"
        );
    }
    assert!(t
        .read("after/records/UN-001.html")
        .contains("OUR OWN UN-001"));
    // Again: everything is kept.
    let again = t.ddf(&["init", "--templates"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again
        .stdout
        .contains(&format!("(0 written, {} kept)", builtin.len())));
    // Plain init still refuses an existing DDF.
    assert_eq!(t.ddf(&["init"]).code, 2);
}

#[test]
fn init_templates_follows_the_configured_folder_and_scaffolds_a_new_ddf() {
    let t = TestRepo::new();
    t.write("ddf.yaml", "project: Test\nsite:\n  templates: theme\n");
    let run = t.ddf(&["init", "--templates"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(t.path("theme/site/base.html").is_file());
    assert!(!t.path("templates").exists());

    let fresh = tempfile::tempdir().expect("tempdir");
    let dir = fresh.path().join("new-ddf");
    let run = crate::harness::run_ddf(
        fresh.path(),
        &["init", "--templates", dir.to_str().expect("utf-8 path")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.join("ddf.yaml").is_file(), "scaffolded");
    assert!(
        dir.join("templates/site/search.js").is_file(),
        "and templates copied"
    );
    assert!(dir.join("templates/new/record.md").is_file());
}

/// A `ddf serve` child, killed when dropped (also when an assertion fails).
struct Server {
    child: Child,
    stderr: Receiver<String>,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(root: &Path, out: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ddf"))
            .args(["serve", "--port", "0", "-o"])
            .arg(out)
            .arg("-C")
            .arg(root)
            .env("DDF_TODAY", TODAY)
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_SYSTEM", "/dev/null")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ddf serve starts");
        let pipe = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stderr: rx,
            addr: String::new(),
        };
        let line = server.wait_for("ddf: serving http://");
        server.addr = line
            .strip_prefix("ddf: serving http://")
            .and_then(|a| a.strip_suffix('/'))
            .expect("the URL line")
            .to_string();
        assert!(server.addr.starts_with("127.0.0.1:"), "{line}");
        server
    }

    /// The next stderr line starting with `prefix`, within a minute.
    fn wait_for(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!(
                        "no `{prefix}` from ddf serve; it said:\n{}",
                        seen.join("\n")
                    )
                }
            }
        }
    }

    /// GET `path` with a plain HTTP/1.1 request: (status, headers in lower case, body).
    fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, head, raw[split + 4..].to_vec())
    }

    fn generation(&self) -> u64 {
        let (status, _, body) = self.get("/__ddf/build");
        assert_eq!(status, 200);
        String::from_utf8_lossy(&body)
            .trim()
            .parse()
            .expect("a number")
    }
}

#[test]
fn serve_serves_the_site_and_rebuilds_on_change() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"))
        .write("records/DI-001.md", &di("DI-001", "UN-001"));
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("site");
    let server = Server::start(&t.root, &out);

    let (status, head, body) = server.get("/");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    let served = String::from_utf8(body).expect("utf-8");
    let built = std::fs::read_to_string(out.join("index.html")).expect("built file");
    assert!(served.contains("added by ddf serve") && served.contains("/__ddf/build"));
    assert!(
        !built.contains("ddf serve") && !built.contains("__ddf"),
        "the built file has no reload script"
    );
    let script = served.find("<script>").expect("script");
    let end = served.find("</script>\n").expect("script end") + "</script>\n".len();
    assert_eq!(
        format!("{}{}", &served[..script], &served[end..]),
        built,
        "only the script is added"
    );

    let (status, _, body) = server.get("/records/DI-001.html");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("Input DI-001"));
    let (status, head, _) = server.get("/style.css");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/css"), "{head}");
    let (status, head, _) = server.get("/search-index.js?x=1");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/javascript"), "{head}");
    for outside in [
        "/../Cargo.toml",
        "/../ddf.yaml",
        "/%2e%2e/ddf.yaml",
        "/records/../../ddf.yaml",
        "/.ddf-site",
        "/records/DI-999.html",
    ] {
        let (status, _, _) = server.get(outside);
        assert!(status == 404 || status == 400, "{outside}: {status}");
    }
    assert_eq!(server.generation(), 1);

    // An edit is rebuilt and served.
    t.write(
        "records/DI-001.md",
        &di("DI-001", "UN-001").replace("title: Input DI-001", "title: Renamed input"),
    );
    server.wait_for("ddf: rebuilt");
    assert_eq!(server.generation(), 2);
    let (_, _, body) = server.get("/records/DI-001.html");
    let page = String::from_utf8_lossy(&body).into_owned();
    assert!(
        page.contains("Renamed input") && page.contains("var built = \"2\";"),
        "{page}"
    );

    // A broken template fails the rebuild; the previous build is still served.
    t.write("templates/site/record.html", "{% if %}");
    let failed = server.wait_for("ddf: rebuild failed");
    assert!(
        failed.contains("still serving build 2") && failed.contains("site/record.html"),
        "{failed}"
    );
    assert_eq!(server.generation(), 2);
    let (status, _, body) = server.get("/records/DI-001.html");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("Renamed input"));

    // Fixing it rebuilds again.
    std::fs::remove_file(t.path("templates/site/record.html")).expect("remove");
    server.wait_for("ddf: rebuilt");
    assert_eq!(server.generation(), 3);
}
