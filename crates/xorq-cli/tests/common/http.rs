//! A small HTTP/1.1 file server with range requests, for `https://`-style sources: it serves a
//! directory with `HEAD`, `GET`, `Range: bytes=…` (206), `ETag`, `Last-Modified` and `If-Match`
//! (412), and, for the fault tests, paths under `/truncate/` whose bodies stop half-way (the
//! `Content-Length` promises the rest) and under `/forbidden/`, which answer 403. One thread per
//! connection; it stops when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A running server.
pub struct FileServer {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl FileServer {
    /// Serves `root` on a free port of 127.0.0.1.
    pub fn start(root: &Path) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let (root, flag) = (root.to_path_buf(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let root = root.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, &root);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FileServer { url, stop }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("/").to_string());
        let (mut range, mut if_match) = (None, None);
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "range" => range = Some(value.trim().to_string()),
                    "if-match" => if_match = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        let path = target.split('?').next().unwrap_or("/").trim_start_matches('/').to_string();
        let (fault, relative) = match path.split_once('/') {
            Some(("truncate", rest)) => ("truncate", rest.to_string()),
            Some(("forbidden", rest)) => ("forbidden", rest.to_string()),
            _ => ("", path.clone()),
        };
        if fault == "forbidden" {
            write!(out, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        let file: PathBuf = root.join(&relative);
        let Ok(bytes) = std::fs::read(&file) else {
            write!(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        };
        let modified = std::fs::metadata(&file).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
        let stamp = modified.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let etag = format!("\"{:x}-{:x}\"", bytes.len(), stamp.as_nanos());
        let last_modified = httpdate(modified);
        if if_match.as_ref().is_some_and(|tag| tag != &etag && tag != "*") {
            write!(out, "HTTP/1.1 412 Precondition Failed\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        let len = bytes.len() as u64;
        let (status, start, end) = match range.as_deref().and_then(|r| parse_range(r, len)) {
            Some((s, e)) => ("206 Partial Content", s, e),
            None => ("200 OK", 0, len),
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: {etag}\r\nLast-Modified: {last_modified}\r\nAccept-Ranges: bytes\r\n",
            end - start
        );
        if status.starts_with("206") {
            head.push_str(&format!("Content-Range: bytes {start}-{}/{len}\r\n", end.saturating_sub(1)));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        if method == "HEAD" {
            continue;
        }
        let body = &bytes[start as usize..end as usize];
        if fault == "truncate" {
            out.write_all(&body[..body.len() / 2])?;
            out.flush()?;
            return Ok(()); // the connection closes with the body half sent
        }
        out.write_all(body)?;
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` as a half-open range within `len`.
fn parse_range(header: &str, len: u64) -> Option<(u64, u64)> {
    let spec = header.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(a), Some(b)) => Some((a, (b + 1).min(len))),
        (Some(a), None) => Some((a, len)),
        (None, Some(n)) => Some((len.saturating_sub(n), len)),
        (None, None) => None,
    }
}

fn httpdate(time: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
