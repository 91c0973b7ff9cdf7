//! The plugin opens the browser on a one-time loopback launch URL
//! (`http://127.0.0.1:<port>/<random>`) whose first GET answers `302 Found` to the authorization
//! URL. Tests that plug in their own `Browser` and need the authorization URL use it once here.
//!
//! Declared with `#[path = "support/launch.rs"] mod launch;` by the test files that use it.
//! Blocking: call it from a thread of its own, never inside `Browser::open` itself (the receiver
//! answers only while `sign_in` awaits it, after `open` returned). The launch path is a secret
//! until used: nothing here prints it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use url::Url;

/// One HTTP answer, read until the server closed the connection.
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names in lower case, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The one value of header `name` (lower case); `None` when absent, a panic when repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        assert!(values.len() <= 1, "`{name}` sent {} times", values.len());
        values.first().copied()
    }
}

/// GETs `url` (plain http) once and reads the answer until the server closes the connection
/// (which must happen within 5 s). Redirects are not followed.
pub fn get(url: &Url) -> Answer {
    let host = url.host_str().expect("a host");
    let port = url.port_or_known_default().expect("a port");
    let mut s = TcpStream::connect((host, port)).expect("the receiver accepts");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    s.write_all(
        format!("GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .expect("the answer ends with the connection closed");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response head");
    let head = String::from_utf8(raw[..split].to_vec()).expect("an ASCII response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .expect("an HTTP/1.1 status line");
    let headers = lines
        .map(|l| {
            let (name, value) = l.split_once(':').expect("a header line");
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Uses the launch URL: one GET, which must answer `302 Found`; returns its `Location`, the
/// authorization URL.
pub fn resolve(launch: &Url) -> Url {
    let answer = get(launch);
    assert_eq!(answer.status, 302, "the launch URL redirects");
    let location = answer.header("location").expect("a Location");
    Url::parse(location).expect("the Location is an absolute URL")
}
