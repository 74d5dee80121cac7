//! The HTTP side of `ddf serve`: a small blocking HTTP/1.1 server for the local preview.
//!
//! Each connection gets one answer and is closed. What a client may send is bounded before
//! anything is answered: the request line ([`MAX_REQUEST_LINE`]), the whole head
//! ([`MAX_HEAD`], [`MAX_HEADERS`] fields), the time to send it ([`IO_TIMEOUT`]) and the
//! connections open at once ([`MAX_CONNECTIONS`]). Only requests whose `Host` names this machine
//! (`127.0.0.1`, `localhost`, `[::1]`, with any port) are answered, so a web page whose own
//! domain name was pointed at 127.0.0.1 (DNS rebinding) cannot read the DDF from a browser.
//! The head is parsed by `httparse`; the server around it is ddf's own because tiny_http, used
//! before, bounds none of these and has no timeouts.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest request line (`GET /path HTTP/1.1`), in bytes: longer ones are answered 414.
pub(super) const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Largest request head (request line and header fields), in bytes: larger ones are answered 431.
pub(super) const MAX_HEAD: usize = 32 * 1024;
/// Most header fields in a request: more are answered 431.
pub(super) const MAX_HEADERS: usize = 64;
/// How long a client may take to send its request head, and each write of the answer may take.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; one more is closed unanswered until one ends.
pub(super) const MAX_CONNECTIONS: usize = 64;

/// How often the accept loop looks at the stop flag while no client connects.
const POLL: Duration = Duration::from_millis(25);

/// An HTTP answer.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Vec<u8>,
}

impl Reply {
    /// A plain-text answer.
    pub(super) fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{text}\n").into_bytes(),
        }
    }
}

/// Which `Host` headers are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hosts {
    /// `127.0.0.1`, `localhost` and `[::1]` only: the server listens on a loopback address.
    Loopback,
    /// Those and any IP address literal: the server listens on an address other machines reach
    /// (`--bind`), and they name it by its address. A name other than `localhost` is still
    /// refused: only a name can be pointed at this machine by someone else's DNS.
    Addresses,
}

impl Hosts {
    /// The policy for a server bound to `bind`.
    pub(super) fn for_bind(bind: IpAddr) -> Hosts {
        if bind.is_loopback() {
            Hosts::Loopback
        } else {
            Hosts::Addresses
        }
    }

    /// Whether a request with `Host: host` is answered.
    pub(super) fn allow(self, host: &str) -> bool {
        let Some((name, port)) = split_port(host) else {
            return false;
        };
        let port_ok = port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !port_ok {
            return false;
        }
        if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            return match v6.parse::<std::net::Ipv6Addr>() {
                Ok(ip) => ip.is_loopback() || self == Hosts::Addresses,
                Err(_) => false,
            };
        }
        if name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" {
            return true;
        }
        self == Hosts::Addresses && name.parse::<std::net::Ipv4Addr>().is_ok()
    }
}

/// `host[:port]` or `[v6][:port]` split into the name and the port (empty when there is none).
fn split_port(host: &str) -> Option<(&str, &str)> {
    if host.starts_with('[') {
        let close = host.find(']')?;
        let rest = &host[close + 1..];
        let port = if rest.is_empty() {
            ""
        } else {
            rest.strip_prefix(':')?
        };
        return Some((&host[..=close], port));
    }
    Some(host.split_once(':').unwrap_or((host, "")))
}

/// Why a request head was not read.
#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    /// The client closed the connection before sending a whole head.
    Closed,
    /// The request line is longer than [`MAX_REQUEST_LINE`].
    LineTooLong,
    /// The head is larger than [`MAX_HEAD`].
    TooLarge,
    /// The head did not arrive within [`IO_TIMEOUT`].
    TimedOut,
}

impl HeadError {
    /// The answer, if one is sent.
    fn reply(&self) -> Option<Reply> {
        match self {
            HeadError::Closed => None,
            HeadError::LineTooLong => Some(Reply::text(
                414,
                &format!("the request line is longer than {MAX_REQUEST_LINE} bytes"),
            )),
            HeadError::TooLarge => Some(Reply::text(
                431,
                &format!("the request head is larger than {MAX_HEAD} bytes"),
            )),
            HeadError::TimedOut => Some(Reply::text(408, "the request took too long to arrive")),
        }
    }
}

/// Reads a request head (up to and including its empty line) from `stream`, within the bounds.
fn read_head(stream: &mut impl Read, deadline: Instant) -> Result<Vec<u8>, HeadError> {
    let mut head: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut line_end: Option<usize> = None;
    loop {
        if Instant::now() >= deadline {
            return Err(HeadError::TimedOut);
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::TimedOut)
            }
            Err(_) => return Err(HeadError::Closed),
        };
        // The end of the head is searched for from just before the new bytes only, so a head
        // sent a byte at a time costs linear time.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if line_end.is_none() {
            line_end = head.iter().position(|&b| b == b'\n');
            if line_end.is_none_or(|e| e > MAX_REQUEST_LINE) && head.len() > MAX_REQUEST_LINE {
                return Err(HeadError::LineTooLong);
            }
        }
        if let Some(end) = head_end(&head, from) {
            if end > MAX_HEAD {
                return Err(HeadError::TooLarge);
            }
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// The length of the head in `buf` (through its empty line), searching from byte `from`.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(at) = buf
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
    {
        let nl = i + at;
        // An empty line: `\n\n` or `\n\r\n`.
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

/// A request, as the handler sees it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Request {
    /// `GET`, `HEAD`, ...
    pub(super) method: String,
    /// The request target as sent (`/records/DI-001.html?x=1`).
    pub(super) target: String,
}

/// The request in `head`, or the answer that refuses it.
fn parse_head(head: &[u8], hosts: Hosts) -> Result<Request, Reply> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Reply::text(
                431,
                &format!("the request has more than {MAX_HEADERS} header fields"),
            ))
        }
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(Reply::text(400, "bad request"));
        }
    }
    let mut host_fields = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    let host = match (host_fields.next(), host_fields.next()) {
        (Some(h), None) => std::str::from_utf8(h.value).unwrap_or("").trim(),
        _ => return Err(Reply::text(400, "a request needs one Host header")),
    };
    if !hosts.allow(host) {
        let names = match hosts {
            Hosts::Loopback => "127.0.0.1, localhost or [::1]",
            Hosts::Addresses => "an IP address, localhost or [::1]",
        };
        return Err(Reply::text(
            421,
            &format!("ddf serve answers only requests addressed to {names}"),
        ));
    }
    Ok(Request {
        method: req.method.unwrap_or("").to_string(),
        target: req.path.unwrap_or("").to_string(),
    })
}

/// The reason phrase of the statuses ddf sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "",
    }
}

/// Writes `reply` (its head only for `HEAD`) and closes the connection.
fn send(stream: &mut TcpStream, reply: &Reply, head_only: bool) {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.content_type,
        reply.body.len()
    );
    // A client that went away is not the server's problem.
    let _ = stream.write_all(head.as_bytes());
    if !head_only {
        let _ = stream.write_all(&reply.body);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// Most bytes, and longest time, [`drain`] reads of a refused request.
const DRAIN_BYTES: usize = 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Reads and drops what the client is still sending after a refusal, for a moment: closing a
/// socket with unread data resets the connection, and the client may lose the answer.
fn drain(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(DRAIN_TIME));
    let deadline = Instant::now() + DRAIN_TIME;
    let mut buf = [0u8; 8192];
    let mut total = 0;
    while total < DRAIN_BYTES && Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

/// What answers a request: method and target in, the reply out.
pub(super) type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// Reads one request from `stream`, answers it with `handler`, and closes the connection.
fn connection(mut stream: TcpStream, hosts: Hosts, handler: &Handler) {
    // A listener that does not block may hand out sockets that do not either (BSD, macOS).
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let deadline = Instant::now() + IO_TIMEOUT;
    let head = match read_head(&mut stream, deadline) {
        Ok(head) => head,
        Err(e) => {
            if let Some(reply) = e.reply() {
                send(&mut stream, &reply, false);
                drain(&mut stream);
            }
            return;
        }
    };
    match parse_head(&head, hosts) {
        Ok(request) => {
            let reply = handler(&request);
            send(&mut stream, &reply, request.method == "HEAD");
        }
        Err(reply) => send(&mut stream, &reply, false),
    }
}

/// Accepts connections on `listener` until `stop` is set, answering each on its own thread
/// (at most [`MAX_CONNECTIONS`] at once).
pub(super) fn serve(listener: TcpListener, hosts: Hosts, stop: &AtomicBool, handler: Arc<Handler>) {
    if let Err(e) = listener.set_nonblocking(true) {
        eprintln!("ddf: server stopped: {e}");
        stop.store(true, Ordering::SeqCst);
        return;
    }
    let open = Arc::new(AtomicUsize::new(0));
    let mut reported = false;
    while !stop.load(Ordering::SeqCst) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(POLL);
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Out of file descriptors, say: wait for connections to close.
                if !reported {
                    eprintln!("ddf: cannot accept a connection: {e}");
                    reported = true;
                }
                std::thread::sleep(POLL);
                continue;
            }
        };
        if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            drop(stream);
            continue;
        }
        open.fetch_add(1, Ordering::SeqCst);
        let (count, handler) = (open.clone(), handler.clone());
        let spawned = std::thread::Builder::new()
            .name("ddf-serve-connection".into())
            .spawn(move || {
                connection(stream, hosts, handler.as_ref());
                count.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_answered_by_name() {
        let l = Hosts::Loopback;
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8000",
            "localhost",
            "LocalHost:8000",
            "[::1]",
            "[::1]:8000",
        ] {
            assert!(l.allow(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:8000",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "localhost:80:80",
            "localhost:http",
            "127.0.0.1:123456",
            "192.168.1.5:8000",
            "[::2]:8000",
            "[::1",
            "[::1]x",
            "[evil]",
        ] {
            assert!(!l.allow(bad), "{bad}");
        }
        let a = Hosts::Addresses;
        assert!(a.allow("192.168.1.5:8000") && a.allow("[fe80::1]:8000") && a.allow("localhost"));
        assert!(!a.allow("evil.example:8000"));
        assert_eq!(Hosts::for_bind("127.0.0.1".parse().expect("ip")), l);
        assert_eq!(Hosts::for_bind("0.0.0.0".parse().expect("ip")), a);
    }

    fn head(bytes: &[u8]) -> Result<Vec<u8>, HeadError> {
        read_head(
            &mut std::io::Cursor::new(bytes.to_vec()),
            Instant::now() + IO_TIMEOUT,
        )
    }

    #[test]
    fn heads_are_read_within_bounds() {
        let get = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\nbody";
        assert_eq!(head(get), Ok(get[..get.len() - 4].to_vec()));
        assert!(head(b"GET / HTTP/1.0\n\n").is_ok(), "bare line feeds");
        // `.err()`: a head read by mistake would fill the screen.
        let error = |bytes: &[u8]| head(bytes).err();
        assert_eq!(
            error(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Some(HeadError::Closed)
        );
        let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_REQUEST_LINE));
        assert_eq!(error(long_line.as_bytes()), Some(HeadError::LineTooLong));
        let endless = vec![b'a'; 4 * MAX_HEAD];
        assert_eq!(error(&endless), Some(HeadError::LineTooLong));
        for fields in [MAX_HEAD / 8 + 1, 4 * MAX_HEAD] {
            let big = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(fields));
            assert_eq!(error(big.as_bytes()), Some(HeadError::TooLarge));
        }
        let past = read_head(&mut std::io::Cursor::new(get.to_vec()), Instant::now());
        assert_eq!(past.err(), Some(HeadError::TimedOut));
    }

    #[test]
    fn a_head_sent_a_byte_at_a_time_is_read() {
        /// Hands out one byte per read.
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.get(self.1) {
                    Some(&b) if !buf.is_empty() => {
                        buf[0] = b;
                        self.1 += 1;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let get = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
        let got = read_head(&mut Trickle(get.clone(), 0), Instant::now() + IO_TIMEOUT);
        assert_eq!(got, Ok(get));
    }

    #[test]
    fn requests_need_one_host_naming_this_machine() {
        let parse = |text: &str| parse_head(text.as_bytes(), Hosts::Loopback);
        assert_eq!(
            parse("GET /a?b HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"),
            Ok(Request {
                method: "GET".into(),
                target: "/a?b".into()
            })
        );
        let status = |text: &str| parse(text).err().map(|r| r.status);
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
            Some(421)
        );
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), Some(400));
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n"),
            Some(400)
        );
        assert_eq!(status("NOT HTTP\r\n\r\n"), Some(400));
        let many = format!(
            "GET / HTTP/1.1\r\nHost: localhost\r\n{}\r\n",
            "X-A: b\r\n".repeat(MAX_HEADERS)
        );
        assert_eq!(status(&many), Some(431));
    }
}
