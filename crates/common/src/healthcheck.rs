//! The `healthcheck` subcommand: a dependency-free HTTP probe of the admin
//! port's `/health/ready`, for container `HEALTHCHECK` (images carry no curl).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Returns true when `GET /health/ready` on `admin` answers 200 within `timeout`.
/// An unspecified address (0.0.0.0) is probed on loopback.
pub fn probe(admin: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut addr = admin;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    write!(stream, "GET /health/ready HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = Vec::with_capacity(1024);
    stream.take(64 * 1024).read_to_end(&mut response).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let status_line = text.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        Err(format!("{status_line} {body}").trim().to_owned())
    }
}

/// Runs the probe and returns the process exit code (0 ready, 1 not).
pub fn run(admin: SocketAddr) -> i32 {
    match probe(admin, Duration::from_secs(3)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("not ready: {e}");
            1
        }
    }
}
