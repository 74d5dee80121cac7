//! `ddf serve`: a local preview of the site. Builds it as `ddf build` does, serves the output
//! folder over HTTP (127.0.0.1 by default), rebuilds when the records, ddf.yaml or the templates
//! change, and makes the open page reload after each rebuild.
//!
//! The built files stay exactly what `ddf build` writes: the reload script is added to HTML
//! pages only as they are sent, and it polls [`BUILD_ENDPOINT`], which answers the number of the
//! build being served. A rebuild that fails (a template error, an unreadable ddf.yaml) is
//! printed and the previous build keeps being served. Only files inside the output folder are
//! served, through the same path check the site writer uses ([`crate::site::confined`]), and
//! only to requests that name this machine ([`super::http`] bounds and checks each request).
//!
//! Events from the output folder never start a rebuild, also when a folder linked under the
//! records reaches it: the watcher does not follow folder links (the records are read without
//! following them too), and every event path is compared with the output folder canonically.

use super::http::{self, Reply};
use super::{CliError, Env};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Preview the site locally: build it, serve it on http://127.0.0.1:8000/, rebuild when a
/// record, ddf.yaml or a template changes, and reload the open page after each rebuild.
///
/// The site is built into a temporary folder (removed on Ctrl-C) unless `-o` names one, which
/// is then left with the last build. Served pages get a small reload script that the built
/// files do not contain.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Build into this folder instead of a temporary one (the same rules as `ddf build -o`).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The port to listen on; 0 picks a free one (the URL printed says which).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address to listen on. The default is reachable from this machine only; any other
    /// address lets other machines read the DDF (they name it by its IP address: requests for
    /// any other host name are refused).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
}

/// The path the reload script polls: answers the number of the build being served, as text.
pub(super) const BUILD_ENDPOINT: &str = "/__ddf/build";

/// How long the inputs must be quiet before a rebuild: an editor's save (write, rename) or a
/// `git checkout` is one rebuild, not dozens.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// How often the request and watch loops look at the Ctrl-C flag.
const TICK: Duration = Duration::from_millis(200);

/// Added before `</body>` of every HTML page served (never written to disk). `{generation}` is
/// the build the page came from: when the server reports another one, the page reloads.
const RELOAD_SCRIPT: &str = "<script>/* added by ddf serve, not part of the built site: reloads this page after a rebuild */\n(function () {\n  var built = \"{generation}\";\n  function poll() {\n    fetch(\"/__ddf/build\", { cache: \"no-store\" })\n      .then(function (r) { return r.text(); })\n      .then(function (t) {\n        if (t.trim() !== built) { location.reload(); } else { setTimeout(poll, 700); }\n      }, function () { setTimeout(poll, 2000); });\n  }\n  setTimeout(poll, 700);\n})();\n</script>\n";

/// What the request loop shares with the rebuild loop.
struct Served {
    /// The output folder.
    out: PathBuf,
    /// The number of the build being served, from 1.
    generation: AtomicU64,
    /// Held for reading while a file is read, for writing while a rebuild replaces the folder,
    /// so no page is read half-written.
    files: RwLock<()>,
}

/// Runs `ddf serve`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    env.format(&[super::Format::Human])?;
    let started = Instant::now();
    // Before anything is built, so Ctrl-C at any time ends with the temporary folder removed.
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .map_err(|e| CliError::failed(format!("cannot handle Ctrl-C: {e}")))?;
    }
    let (out, temp) = match &args.out {
        Some(o) => (o.clone(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("ddf-serve-")
                .tempdir()
                .map_err(|e| CliError::failed(format!("cannot create a temporary folder: {e}")))?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let site = super::build::build_into(env, &out, || ())?;
    if stop.load(Ordering::SeqCst) {
        return Ok(0);
    }
    // Canonical paths, so events under the output folder can be told apart from the inputs.
    let out = out.canonicalize().unwrap_or(out);
    let root = env.root.canonicalize().unwrap_or_else(|_| env.root.clone());

    let listener = std::net::TcpListener::bind((args.bind, args.port)).map_err(|e| {
        CliError::failed(format!("cannot listen on {}:{}: {e}", args.bind, args.port))
            .hint("another program may use the port: choose one with --port N, or --port 0 for any free port")
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::failed(format!("the server has no address: {e}")))?;
    eprintln!("ddf: serving http://{addr}/");
    if !args.bind.is_loopback() {
        eprintln!("ddf: warning: {} is reachable from other machines: anyone who can connect can read this DDF", args.bind);
    }
    if !env.quiet {
        eprintln!(
            "ddf: {} ({}) built in {:.0?} into {}",
            super::output::count(site.written, "file"),
            super::output::count(site.records, "record"),
            started.elapsed(),
            out.display()
        );
    }

    let served = Arc::new(Served {
        out,
        generation: AtomicU64::new(1),
        files: RwLock::new(()),
    });

    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    // With --rev the site is a commit's, which no edit changes: nothing to watch.
    let mut watcher = match env.rev {
        Some(_) => {
            if !env.quiet {
                eprintln!(
                    "ddf: --rev: serving that commit, not watching for changes; Ctrl-C stops"
                );
            }
            None
        }
        None => {
            if !env.quiet {
                eprintln!("ddf: rebuilding when the records, ddf.yaml or the templates change; Ctrl-C stops");
            }
            // Folder links are not followed: the records are read without following them, and
            // one may lead into the output folder, whose every write would start a rebuild.
            let config = notify::Config::default().with_follow_symlinks(false);
            Some(
                <notify::RecommendedWatcher as notify::Watcher>::new(tx.clone(), config)
                    .map_err(|e| CliError::failed(format!("cannot watch for changes: {e}")))?,
            )
        }
    };
    let mut inputs = Inputs::new(&root, &served.out);
    inputs.configure(&site);
    if let Some(w) = watcher.as_mut() {
        inputs.watch(w);
    }
    drop(site);

    let handler: Arc<http::Handler> = {
        let served = served.clone();
        Arc::new(move |request: &http::Request| {
            let _reading = served.files.read().unwrap_or_else(|p| p.into_inner());
            answer(
                &request.method,
                &request.target,
                &served.out,
                served.generation.load(Ordering::SeqCst),
            )
        })
    };
    let hosts = http::Hosts::for_bind(args.bind);
    std::thread::scope(|scope| {
        scope.spawn(|| http::serve(listener, hosts, &stop, handler));
        while !stop.load(Ordering::SeqCst) {
            let changed = next_change(&rx, &inputs, &stop);
            if changed.is_empty() {
                continue;
            }
            if env.verbose > 0 {
                for p in &changed {
                    eprintln!("ddf: changed: {}", p.display());
                }
            }
            let (site, message) = rebuild(env, &served);
            // Also after a failed rebuild: the change may have made a folder to watch. Watch
            // before saying the rebuild is done, so an edit made on seeing the message is seen.
            if let Some(w) = watcher.as_mut() {
                if let Some(site) = &site {
                    inputs.configure(site);
                }
                inputs.watch(w);
            }
            if let Some(message) = message {
                eprintln!("{message}");
            }
        }
    });
    drop(tx);
    if !env.quiet {
        eprintln!("ddf: stopped");
    }
    // `temp` is dropped here, which removes the temporary output folder.
    drop(temp);
    Ok(0)
}

/// Waits for a change to an input of the site, then until the inputs have been quiet for
/// [`DEBOUNCE`]; returns the changed paths (none when nothing changed within a [`TICK`] or on
/// Ctrl-C).
fn next_change(
    rx: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    inputs: &Inputs,
    stop: &AtomicBool,
) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = Vec::new();
    let mut deadline: Option<Instant> = None;
    loop {
        let wait = match deadline {
            None => TICK,
            Some(d) => d.saturating_duration_since(Instant::now()),
        };
        if stop.load(Ordering::SeqCst) || (deadline.is_some() && wait.is_zero()) {
            return changed;
        }
        match rx.recv_timeout(wait) {
            Ok(Ok(event)) if is_change(&event.kind) => {
                let before = changed.len();
                changed.extend(event.paths.into_iter().filter(|p| inputs.is_input(p)));
                if changed.len() > before {
                    deadline = Some(Instant::now() + DEBOUNCE);
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("ddf: watching for changes: {e}"),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                if deadline.is_none() {
                    return changed;
                }
            }
        }
    }
}

/// Whether an event can mean new content: not a file being opened or read (as every rebuild
/// does), but anything created, changed, removed or closed after writing.
fn is_change(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    }
}

/// Builds the site again and swaps it in; on failure keeps the previous build. Returns the new
/// site and what to print (why it failed, or that it was rebuilt unless `-q`).
/// Returns the new build, for its folders to watch.
fn rebuild(env: &Env, served: &Served) -> (Option<super::build::Generated>, Option<String>) {
    let started = Instant::now();
    // The pages are written beside the served site as they are rendered; requests wait only
    // while the new site is swapped in.
    let built = super::build::build_into(env, &served.out, || {
        served.files.write().unwrap_or_else(|p| p.into_inner())
    });
    match built {
        Ok(site) => {
            let generation = served.generation.fetch_add(1, Ordering::SeqCst) + 1;
            let message = (!env.quiet).then(|| {
                format!(
                    "ddf: rebuilt ({}, build {generation}) in {:.0?}",
                    super::output::count(site.written, "file"),
                    started.elapsed()
                )
            });
            (Some(site), message)
        }
        Err(e) => {
            let message = format!(
                "ddf: rebuild failed; still serving build {}: {}",
                served.generation.load(Ordering::SeqCst),
                describe(&e)
            );
            (None, Some(message))
        }
    }
}

/// An error on one line, with its causes and hint.
fn describe(e: &CliError) -> String {
    let mut text = e.message.clone();
    for c in &e.causes {
        text.push_str(&format!(": {c}"));
    }
    if let Some(h) = &e.hint {
        text.push_str(&format!(" (hint: {h})"));
    }
    text
}

/// The folders and files a rebuild depends on, and which of them are watched.
struct Inputs {
    root: PathBuf,
    out: PathBuf,
    records: PathBuf,
    templates: PathBuf,
    /// Watched folders, with whether the watch is recursive.
    watched: BTreeMap<PathBuf, bool>,
}

impl Inputs {
    /// The inputs of the DDF at `root` (canonical), built into `out` (canonical).
    fn new(root: &Path, out: &Path) -> Inputs {
        Inputs {
            root: root.to_path_buf(),
            out: out.to_path_buf(),
            records: root.join("records"),
            templates: root.join("templates"),
            watched: BTreeMap::new(),
        }
    }

    /// Takes the records and templates folders from the configuration `site` was built with.
    fn configure(&mut self, site: &super::build::Generated) {
        self.records = self.root.join(&site.records_dir);
        self.templates = self.root.join(&site.templates_dir);
    }

    /// Watches the DDF root (for ddf.yaml, and for the records or templates folder appearing),
    /// and the records and templates folders with everything in them. Called after each build,
    /// since ddf.yaml may name other folders or one may be new.
    fn watch(&mut self, watcher: &mut dyn notify::Watcher) {
        let mut want: BTreeMap<PathBuf, bool> = BTreeMap::new();
        want.insert(self.root.clone(), false);
        for dir in [&self.records, &self.templates] {
            if dir.is_dir() {
                let dir = dir.canonicalize().unwrap_or_else(|_| dir.clone());
                want.insert(dir, true);
            }
        }
        for (dir, recursive) in want {
            if self.watched.get(&dir).is_some_and(|&r| r || !recursive) {
                continue;
            }
            let mode = if recursive {
                notify::RecursiveMode::Recursive
            } else {
                notify::RecursiveMode::NonRecursive
            };
            if self.watched.contains_key(&dir) {
                let _ = watcher.unwatch(&dir);
            }
            match watcher.watch(&dir, mode) {
                Ok(()) => {
                    self.watched.insert(dir, recursive);
                }
                Err(e) => eprintln!("ddf: cannot watch {}: {e}", dir.display()),
            }
        }
    }

    /// Whether a change at `path` can change the site: ddf.yaml, or anything in the records
    /// or templates folder, but nothing in the output folder (which may sit inside the DDF, or
    /// be reached through a folder link below the records: `path` is resolved before it is
    /// compared).
    fn is_input(&self, path: &Path) -> bool {
        let inside = |dir: &Path| {
            path.starts_with(dir)
                || dir
                    .canonicalize()
                    .is_ok_and(|canonical| path.starts_with(canonical))
        };
        if path.starts_with(&self.out) || resolved(path).starts_with(&self.out) {
            return false;
        }
        path == self.root.join(crate::config::CONFIG_FILE)
            || inside(&self.records)
            || inside(&self.templates)
    }
}

/// `path` with every link resolved: canonical if it exists, else its nearest existing folder
/// made canonical with the rest appended (a removed file is resolved through its folder).
fn resolved(path: &Path) -> PathBuf {
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let mut at = path;
    loop {
        if let Ok(mut canonical) = at.canonicalize() {
            canonical.extend(rest.iter().rev());
            return canonical;
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                at = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The answer to `method url` from the site in `out`, build number `generation`.
fn answer(method: &str, url: &str, out: &Path, generation: u64) -> Reply {
    if !matches!(method, "GET" | "HEAD") {
        return Reply::text(405, "method not allowed");
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    if path == BUILD_ENDPOINT {
        return Reply::text(200, &generation.to_string());
    }
    let Some(rel) = site_path(path) else {
        return Reply::text(400, "bad request");
    };
    let Some(content_type) = content_type(&rel) else {
        return Reply::text(404, "not found");
    };
    // Dot files (the `.ddf-site` marker) are not part of the site; `..` never passes `confined`.
    if rel.split('/').any(|part| part.starts_with('.')) {
        return Reply::text(404, "not found");
    }
    let Ok(file) = crate::site::confined(out, &rel) else {
        return Reply::text(404, "not found");
    };
    let mut body = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory
            ) =>
        {
            return Reply::text(404, "not found")
        }
        Err(_) if file.is_dir() => return Reply::text(404, "not found"),
        Err(e) => return Reply::text(500, &format!("cannot read the file: {e}")),
    };
    if rel.ends_with(".html") {
        body = with_reload(&body, generation);
    }
    Reply {
        status: 200,
        content_type,
        body,
    }
}

/// The site path of a request path: percent-decoded, without the leading `/`, `index.html` for a
/// folder. `None` for a request that is not a path (`*`, `http://...`) or not UTF-8.
fn site_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let mut rel = String::from_utf8(decoded).ok()?;
    if rel.is_empty() || rel.ends_with('/') {
        rel.push_str("index.html");
    }
    Some(rel)
}

/// The Content-Type of the kinds of file a site holds; `None` for any other (not served).
fn content_type(rel: &str) -> Option<&'static str> {
    let ext = rel.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// `html` with the reload script before its last `</body>` (at the end if it has none).
fn with_reload(html: &[u8], generation: u64) -> Vec<u8> {
    let script = RELOAD_SCRIPT.replace("{generation}", &generation.to_string());
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + script.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_into_the_site_or_nowhere() {
        assert_eq!(site_path("/").as_deref(), Some("index.html"));
        assert_eq!(site_path("/types/").as_deref(), Some("types/index.html"));
        assert_eq!(
            site_path("/records/DI-001.html").as_deref(),
            Some("records/DI-001.html")
        );
        assert_eq!(site_path("/a%20b.html").as_deref(), Some("a b.html"));
        assert_eq!(site_path("/%2e%2e/x").as_deref(), Some("../x"));
        assert_eq!(site_path("*"), None);
        assert_eq!(site_path("http://example.com/"), None);
        assert_eq!(site_path("/%zz"), None);
        assert_eq!(site_path("/%4"), None);
        assert_eq!(site_path("/%ff"), None, "not UTF-8");
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RemoveKind};
        use notify::EventKind;
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Any)));
        assert!(is_change(&EventKind::Remove(RemoveKind::Folder)));
    }

    #[test]
    fn only_inputs_outside_the_output_trigger_a_rebuild() {
        let root = Path::new("/ddf");
        let inputs = Inputs::new(root, Path::new("/ddf/records/site"));
        assert!(inputs.is_input(Path::new("/ddf/ddf.yaml")));
        assert!(inputs.is_input(Path::new("/ddf/records/inputs/DI-001.md")));
        assert!(inputs.is_input(Path::new("/ddf/templates/site/base.html")));
        assert!(
            !inputs.is_input(Path::new("/ddf/records/site/index.html")),
            "output"
        );
        assert!(!inputs.is_input(Path::new("/ddf/README.md")));
        assert!(!inputs.is_input(Path::new("/ddf/.git/index")));
    }

    #[cfg(unix)]
    #[test]
    fn the_output_reached_through_a_folder_link_is_not_an_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("records")).expect("mkdir");
        std::fs::create_dir_all(root.join("site/records")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("site"), root.join("records/built")).expect("symlink");
        let inputs = Inputs::new(&root, &root.join("site"));
        assert!(inputs.is_input(&root.join("records/DI-001.md")));
        assert!(!inputs.is_input(&root.join("records/built/index.html")));
        assert!(
            !inputs.is_input(&root.join("records/built/records/gone.html")),
            "a removed file resolves through its folder"
        );
    }

    #[test]
    fn content_types_of_site_files() {
        assert_eq!(content_type("index.html"), Some("text/html; charset=utf-8"));
        assert_eq!(content_type("style.css"), Some("text/css; charset=utf-8"));
        assert_eq!(
            content_type("search.js"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(
            content_type("trace-hazard.csv"),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(content_type("a.json"), Some("application/json"));
        assert_eq!(content_type("heat.SVG"), Some("image/svg+xml"));
        assert_eq!(content_type("x.png"), Some("image/png"));
        assert_eq!(content_type("Cargo.toml"), None);
        assert_eq!(content_type("README"), None);
    }

    #[test]
    fn reload_script_goes_before_the_last_body_end() {
        let html = b"<html><body><p>\"</body>\" in text</p>\n</BODY></html>";
        let out = String::from_utf8(with_reload(html, 7)).expect("utf-8");
        let script_at = out.find("<script>").expect("script");
        assert!(out[..script_at].ends_with("in text</p>\n"), "{out}");
        assert!(out.ends_with("</script>\n</BODY></html>"), "{out}");
        assert!(out.contains("var built = \"7\";"));
        let bare = String::from_utf8(with_reload(b"<p>x</p>", 1)).expect("utf-8");
        assert!(bare.starts_with("<p>x</p><script>"));
    }

    #[test]
    fn answers_serve_the_site_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("records")).expect("mkdir");
        std::fs::write(site.join("index.html"), "<body>home</body>").expect("write");
        std::fs::write(site.join("records/DI-001.html"), "<body>di</body>").expect("write");
        std::fs::write(site.join("style.css"), "p {}").expect("write");
        std::fs::write(site.join(".ddf-site"), "marker").expect("write");
        std::fs::write(dir.path().join("secret.html"), "secret").expect("write");
        let get = |url: &str| answer("GET", url, &site, 3);

        let home = get("/?q=x");
        assert_eq!(
            (home.status, home.content_type),
            (200, "text/html; charset=utf-8")
        );
        let text = String::from_utf8(home.body).expect("utf-8");
        assert!(text.starts_with("<body>home<script>") && text.ends_with("</script>\n</body>"));
        assert_eq!(get("/style.css").body, b"p {}", "no script outside HTML");
        assert_eq!(get("/records/DI-001.html").status, 200);
        assert_eq!(get(BUILD_ENDPOINT), Reply::text(200, "3"));
        for bad in [
            "/../secret.html",
            "/%2e%2e/secret.html",
            "/records/../../secret.html",
            "/.ddf-site",
            "/records",
            "/missing.html",
            "/records/DI-002.html",
        ] {
            assert_eq!(get(bad).status, 404, "{bad}");
        }
        assert_eq!(get("//etc/passwd").status, 404);
        assert_eq!(get("http://x/index.html").status, 400);
        assert_eq!(answer("POST", "/", &site, 3).status, 405);
        assert_eq!(answer("HEAD", "/", &site, 3).status, 200);
    }
}
