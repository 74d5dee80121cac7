//! `ddf serve` against hostile clients and folders: requests that do not name this machine
//! (DNS rebinding), request heads beyond the bounds, and an output folder that a folder link
//! below the records leads back to.

use crate::harness::{ddf_command, di, un, TestRepo};
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A `ddf serve --port 0` child, killed when dropped (also when an assertion fails).
struct Serve {
    child: Child,
    stderr: Receiver<String>,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts `ddf serve` on a free port of 127.0.0.1 with `args`, and waits for its URL.
    fn start(t: &TestRepo, args: &[&str]) -> Serve {
        let mut child = ddf_command(&t.root)
            .args(["serve", "--port", "0"])
            .args(args)
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
        let mut serve = Serve {
            child,
            stderr: rx,
            addr: String::new(),
        };
        let line = serve
            .next_line("ddf: serving http://", Duration::from_secs(60))
            .unwrap_or_else(|seen| panic!("ddf serve did not start; it said:\n{seen}"));
        serve.addr = line
            .trim_start_matches("ddf: serving http://")
            .trim_end_matches('/')
            .to_string();
        serve
    }

    /// The next stderr line starting with `prefix` within `wait`, or what was said instead.
    fn next_line(&self, prefix: &str, wait: Duration) -> Result<String, String> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return Ok(line),
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    return Err(seen.join("\n"))
                }
            }
        }
    }

    /// Sends `raw` as is and returns the status of the answer (0 when the server closed the
    /// connection without one) and the whole answer.
    fn raw(&self, raw: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        // The server may answer and close before it has read everything (a head too large).
        let _ = s.write_all(raw);
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// `GET path` with `Host: host`.
    fn get_as(&self, host: &str, path: &str) -> (u16, String) {
        self.raw(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    }

    /// The build number being served.
    fn generation(&self) -> String {
        let (status, text) = self.get_as(&self.addr, "/__ddf/build");
        assert_eq!(status, 200, "{text}");
        text.rsplit("\r\n\r\n")
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    }
}

fn small_ddf() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"))
        .write("records/DI-001.md", &di("DI-001", "UN-001"));
    t
}

#[test]
fn serve_answers_only_requests_that_name_this_machine() {
    let t = small_ddf();
    let out = tempfile::tempdir().expect("tempdir");
    let site = out.path().join("site");
    let serve = Serve::start(&t, &["-o", site.to_str().expect("utf-8")]);
    let port = serve.addr.rsplit(':').next().expect("port").to_string();
    for host in [
        serve.addr.clone(),
        "127.0.0.1".into(),
        format!("localhost:{port}"),
        "LOCALHOST".into(),
        format!("[::1]:{port}"),
    ] {
        let (status, text) = serve.get_as(&host, "/records/DI-001.html");
        assert_eq!(status, 200, "Host: {host}\n{text}");
        assert!(text.contains("Input DI-001"), "Host: {host}");
    }
    // A page whose own name was pointed at 127.0.0.1 (DNS rebinding) is refused, and so is a
    // request without a Host, or with two.
    for host in [
        format!("evil.example:{port}"),
        "evil.example".into(),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("192.168.1.5:{port}"),
    ] {
        let (status, text) = serve.get_as(&host, "/records/DI-001.html");
        assert_eq!(status, 421, "Host: {host}\n{text}");
        assert!(!text.contains("Input DI-001"), "Host: {host}");
    }
    let (status, _) = serve.raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 400, "no Host");
    let (status, _) = serve.raw(
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nHost: evil.example\r\n\r\n",
            serve.addr
        )
        .as_bytes(),
    );
    assert_eq!(status, 400, "two Hosts");
    let (status, text) =
        serve.raw(format!("HEAD /style.css HTTP/1.1\r\nHost: {}\r\n\r\n", serve.addr).as_bytes());
    assert_eq!(status, 200);
    assert!(text.to_lowercase().contains("content-length:") && text.ends_with("\r\n\r\n"));
}

#[test]
fn serve_bounds_the_request_line_and_headers() {
    let t = small_ddf();
    let out = tempfile::tempdir().expect("tempdir");
    let site = out.path().join("site");
    let serve = Serve::start(&t, &["-o", site.to_str().expect("utf-8")]);
    let host = serve.addr.clone();
    let long_path = format!("/{}", "a".repeat(64 * 1024));
    assert_eq!(serve.get_as(&host, &long_path).0, 414, "request line");
    let many = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\n{}\r\n",
        "X-A: b\r\n".repeat(200)
    );
    assert_eq!(serve.raw(many.as_bytes()).0, 431, "header count");
    let big = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nX-A: {}\r\n\r\n",
        "b".repeat(64 * 1024)
    );
    assert_eq!(serve.raw(big.as_bytes()).0, 431, "header size");
    // A line that never ends is cut off, not read into memory forever.
    let (status, _) = serve.raw(&vec![b'G'; 256 * 1024]);
    assert_eq!(status, 414);
    // The server still answers.
    assert_eq!(serve.get_as(&host, "/").0, 200);
}

#[cfg(unix)]
#[test]
fn serve_ignores_its_output_reached_through_a_folder_link() {
    let t = small_ddf();
    // The site is built inside the DDF, and a folder link below the records leads to it: every
    // page written used to be an edit of the records, and each rebuild started the next.
    std::os::unix::fs::symlink(t.path("site"), t.path("records/published")).expect("symlink");
    let serve = Serve::start(&t, &["-o", "site"]);
    assert_eq!(serve.generation(), "1");
    t.write(
        "records/DI-001.md",
        &di("DI-001", "UN-001").replace("title: Input DI-001", "title: Renamed input"),
    );
    serve
        .next_line("ddf: rebuilt", Duration::from_secs(60))
        .unwrap_or_else(|seen| panic!("no rebuild after an edit; ddf said:\n{seen}"));
    // Quiet inputs: no further rebuild (the debounce is a quarter of a second, a rebuild of
    // this DDF a fraction of one).
    if let Ok(again) = serve.next_line("ddf: rebuilt", Duration::from_secs(3)) {
        panic!("rebuilt again with no edit: {again}");
    }
    assert_eq!(serve.generation(), "2");
}
