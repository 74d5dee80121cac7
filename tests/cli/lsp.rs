//! `ddf lsp` driven as an editor drives it: JSON-RPC with Content-Length framing over the
//! server's stdin and stdout.

use crate::harness::{ddf_command, di, un, TestRepo, PER};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

struct Client {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    notes: Vec<Value>,
}

impl Client {
    fn start(t: &TestRepo) -> Client {
        let mut child = ddf_command(&t.root)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("ddf lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, inbox) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length")];
                r.read_exact(&mut body).expect("body");
                let v: Value = serde_json::from_slice(&body).expect("JSON-RPC body is JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            inbox,
            next_id: 0,
            notes: Vec::new(),
        };
        let root = format!("file://{}", t.root.display());
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        assert!(init["capabilities"]["definitionProvider"] == true, "{init}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self) -> Value {
        match self.inbox.recv_timeout(Duration::from_secs(60)) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("ddf lsp said nothing for 60 s"),
            Err(RecvTimeoutError::Disconnected) => panic!("ddf lsp closed its output"),
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{v}");
                return v["result"].clone();
            }
            self.notes.push(v);
        }
    }

    /// The diagnostics published last for `uri`, waiting until a publication for it matches
    /// `until`.
    fn diagnostics_until(&mut self, uri: &str, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        let mut last = None;
        loop {
            let pending: Vec<Value> = std::mem::take(&mut self.notes);
            for v in pending {
                if v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri {
                    last = Some(
                        v["params"]["diagnostics"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default(),
                    );
                }
            }
            if let Some(d) = &last {
                if until(d) {
                    return d.clone();
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no matching diagnostics for {uri}: last {last:?}"
            );
            let v = self.recv();
            self.notes.push(v);
        }
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("ddf lsp exits");
        assert!(status.success(), "{status}");
    }
}

fn uri(t: &TestRepo, rel: &str) -> String {
    format!("file://{}", t.path(rel).display())
}

fn codes(d: &[Value]) -> Vec<String> {
    d.iter()
        .map(|x| x["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn ver(id: &str, verifies: &str) -> String {
    format!("---\nid: {id}\ntype: verification\ntitle: Test {id}\nstatus: draft\nowner: PER-001\nmethod: test\ncontrol_check: implementation\nacceptance_criteria: Works.\nverifies: [{verifies}]\n---\nRun it.\n")
}

fn fixture() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("records/VER-001.md", &ver("VER-001", "DI-001"));
    t
}

#[test]
fn lsp_publishes_check_findings_as_you_type_across_files() {
    let t = fixture();
    let mut c = Client::start(&t);
    // The same findings as `ddf check`, by rule id, on every file.
    let check = t.ddf(&["check", "--format", "json"]).json();
    let di_uri = uri(&t, "records/DI-001.md");
    let ver_uri = uri(&t, "records/VER-001.md");
    let expected: Vec<String> = check["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["path"] == "records/VER-001.md")
        .map(|d| d["rule"].as_str().unwrap_or("").to_string())
        .collect();
    if !expected.is_empty() {
        let got = c.diagnostics_until(&ver_uri, |d| !d.is_empty());
        assert_eq!(codes(&got), expected);
    }

    // Editing the input, unsaved: a typo in its id leaves VER-001 with a dangling link, and the
    // finding appears on VER-001, a file the editor did not touch.
    let text = t.read("records/DI-001.md");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": di_uri, "languageId": "markdown", "version": 1, "text": text}}),
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": di_uri, "version": 2},
               "contentChanges": [{"text": text.replace("id: DI-001", "id: DI-002")}]}),
    );
    let got = c.diagnostics_until(&ver_uri, |d| codes(d).contains(&"dangling-link".into()));
    let dangling = got
        .iter()
        .find(|d| d["code"] == "dangling-link")
        .expect("dangling");
    // Line 9 (0-based 8) is `verifies: [DI-001]`; the range marks the id.
    assert_eq!(dangling["range"]["start"]["line"], 9, "{dangling}");
    assert_eq!(dangling["range"]["start"]["character"], 11, "{dangling}");
    assert_eq!(dangling["range"]["end"]["character"], 17, "{dangling}");
    assert_eq!(dangling["source"], "ddf");
    // The disk was not touched.
    assert!(t.read("records/DI-001.md").contains("id: DI-001"));

    // Quick fixes from the hints: a mistyped id, a required field left out.
    let ver_text = t.read("records/VER-001.md");
    let typo = ver_text
        .replace("verifies: [DI-001]", "verifies: [DI-002]")
        .replace("method: test\n", "");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": di_uri, "version": 3}, "contentChanges": [{"text": text}]}),
    );
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": ver_uri, "languageId": "markdown", "version": 1, "text": typo}}),
    );
    let got = c.diagnostics_until(&ver_uri, |d| {
        codes(d).contains(&"dangling-link".into())
            && d.iter().any(|x| {
                x["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("`method` is missing"))
            })
    });
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": ver_uri},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}},
               "context": {"diagnostics": got}}),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(titles.contains(&"Add the field `method`"), "{actions}");
    assert!(
        titles.contains(&"Replace `DI-002` with `DI-001`"),
        "{actions}"
    );
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": ver_uri}}),
    );

    // Undo: the finding goes away.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": di_uri, "version": 4}, "contentChanges": [{"text": text}]}),
    );
    c.diagnostics_until(&ver_uri, |d| !codes(d).contains(&"dangling-link".into()));

    // A broken front-matter in the buffer is a finding with its position, and nothing else is
    // lost.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": di_uri, "version": 5},
               "contentChanges": [{"text": text.replace("title: Input DI-001", "title: [unclosed")}]}),
    );
    let got = c.diagnostics_until(&di_uri, |d| !d.is_empty());
    assert!(codes(&got).iter().any(|c| c == "yaml"), "{got:?}");

    // A ddf.yaml half typed cannot be loaded: that is said on ddf.yaml, and the server goes on.
    let cfg_uri = uri(&t, "ddf.yaml");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": cfg_uri, "languageId": "yaml", "version": 1, "text": "project: [T\n"}}),
    );
    let got = c.diagnostics_until(&cfg_uri, |d| !d.is_empty());
    // Where `ddf check` puts it: line 2, where the parser found the list unclosed.
    assert_eq!(got[0]["range"]["start"]["line"], 1, "{got:?}");
    assert_eq!(got[0]["code"], "config", "{got:?}");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": cfg_uri, "version": 2}, "contentChanges": [{"text": "project: T\n"}]}),
    );
    c.diagnostics_until(&cfg_uri, <[Value]>::is_empty);
    let symbols = c.request("workspace/symbol", json!({"query": "VER-001"}));
    assert!(symbols.to_string().contains("VER-001"), "{symbols}");
    c.shutdown();
}

#[test]
fn lsp_navigates_and_completes_ids() {
    let t = fixture();
    let mut c = Client::start(&t);
    let ver_uri = uri(&t, "records/VER-001.md");
    let di_uri = uri(&t, "records/DI-001.md");
    // `verifies: [DI-001]` is line 9 (0-based); the id starts at character 11.
    let at = json!({"textDocument": {"uri": ver_uri}, "position": {"line": 9, "character": 13}});

    let def = c.request("textDocument/definition", at.clone());
    assert_eq!(def["uri"], di_uri, "{def}");

    let hover = c.request("textDocument/hover", at.clone());
    let text = hover["contents"]["value"].as_str().expect("markdown");
    assert!(text.contains("DI-001"), "{text}");
    assert!(text.contains("design-input"), "{text}");
    assert!(text.contains("Input DI-001"), "{text}");
    assert!(text.contains("upstream: DI-001 → UN-001"), "{text}");

    let mut params = at.clone();
    params["context"] = json!({"includeDeclaration": false});
    let refs = c.request("textDocument/references", params);
    let uris: Vec<&str> = refs
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|l| l["uri"].as_str())
        .collect();
    assert!(uris.contains(&ver_uri.as_str()), "{refs}");
    assert!(
        !uris.contains(&di_uri.as_str()),
        "the declaration was not asked for: {refs}"
    );

    let symbols = c.request("workspace/symbol", json!({"query": "input di-001"}));
    assert_eq!(symbols[0]["name"], "DI-001 Input DI-001", "{symbols}");

    // Completion of a link field offers the ids its field accepts, with titles: `verifies`
    // takes inputs and controls, not user needs or persons.
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": ver_uri}, "position": {"line": 9, "character": 11}}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(labels.contains(&"DI-001"), "{items}");
    assert!(!labels.contains(&"PER-001"), "{items}");
    // A key position (a new line the user opened in the front-matter) offers the type's
    // fields not written yet; an enum its values.
    let text = t.read("records/VER-001.md").replace("]\n---", "]\n\n---");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": ver_uri, "languageId": "markdown", "version": 1, "text": text}}),
    );
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": ver_uri}, "position": {"line": 10, "character": 0}}),
    );
    let text = items.to_string();
    assert!(text.contains("\"result\""), "{text}");
    assert!(
        !text.contains("\"label\":\"verifies\""),
        "already written: {text}"
    );
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": ver_uri}, "position": {"line": 6, "character": 8}}),
    );
    assert!(items.to_string().contains("\"analysis\""), "{items}");
    c.shutdown();
}

#[test]
fn lsp_renames_an_id_as_ddf_mv_would() {
    let t = fixture();
    let mut c = Client::start(&t);
    let ver_uri = uri(&t, "records/VER-001.md");
    let di_uri = uri(&t, "records/DI-001.md");
    let at = |uri: &str| json!({"uri": uri});
    // From the link in VER-001: every link and mention, the `id:` line, the file's name.
    let edit = c.request(
        "textDocument/rename",
        json!({"textDocument": at(&ver_uri), "position": {"line": 9, "character": 13}, "newName": "DI-007"}),
    );
    let ops = edit["documentChanges"].as_array().expect("operations");
    let edited: Vec<&str> = ops
        .iter()
        .filter_map(|o| o["textDocument"]["uri"].as_str())
        .collect();
    assert!(edited.contains(&ver_uri.as_str()), "{edit}");
    assert!(edited.contains(&di_uri.as_str()), "{edit}");
    let ver_edits = ops
        .iter()
        .find(|o| o["textDocument"]["uri"] == ver_uri)
        .expect("VER-001 edited");
    assert_eq!(
        ver_edits["edits"],
        json!([{"range": {"start": {"line": 9, "character": 11}, "end": {"line": 9, "character": 17}}, "newText": "DI-007"}]),
        "{edit}"
    );
    let rename = ops
        .iter()
        .find(|o| o["kind"] == "rename")
        .expect("file renamed");
    assert_eq!(rename["oldUri"], di_uri);
    assert_eq!(rename["newUri"], uri(&t, "records/DI-007.md"));
    // Nothing was written: the editor applies the edit.
    assert!(t.read("records/VER-001.md").contains("DI-001"));
    // A taken id is refused with the reason and the hint, as by `ddf mv`.
    c.send(json!({"jsonrpc": "2.0", "id": 99, "method": "textDocument/rename",
        "params": {"textDocument": at(&ver_uri), "position": {"line": 9, "character": 13}, "newName": "UN-001"}}));
    let refused = loop {
        let v = c.recv();
        if v["id"] == 99 {
            break v;
        }
    };
    let msg = refused["error"]["message"].as_str().expect("error");
    assert!(msg.contains("hint:"), "{refused}");
    c.shutdown();
}

#[test]
fn lsp_serves_the_example_without_findings() {
    let t = TestRepo::example();
    let mut c = Client::start(&t);
    // The example checks clean, so nothing is published at start; a request is answered.
    let symbols = c.request("workspace/symbol", json!({"query": "REL-002"}));
    assert!(symbols.to_string().contains("REL-002"), "{symbols}");
    assert!(
        c.notes
            .iter()
            .all(|n| n["method"] != "textDocument/publishDiagnostics"),
        "{:?}",
        c.notes
    );
    c.shutdown();
}

#[test]
fn lsp_refuses_rev() {
    let t = TestRepo::new();
    t.write("records/PER-001.md", PER);
    let run = t.ddf(&["--rev", "HEAD", "lsp"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--rev"), "{}", run.stderr);
}
