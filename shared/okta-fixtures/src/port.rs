//! A loopback port that nothing answers on, for "the server cannot be reached" tests.

use std::net::Ipv4Addr;

/// A loopback port that refuses every connection, and that nobody else can take while
/// this value lives: the socket is bound (without `SO_REUSEADDR`) but never listens, so a
/// connection gets a reset and another `bind` fails. (Binding a listener, reading its
/// port and dropping it leaves a port another test's server may take in between.)
pub struct RefusingPort {
    /// The held port on 127.0.0.1.
    pub port: u16,
    _socket: tokio::net::TcpSocket,
}

impl RefusingPort {
    /// Binds a fresh loopback port and holds it. Panics when the OS gives no socket
    /// (a test fixture: there is nothing to test without one).
    pub fn hold() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind((Ipv4Addr::LOCALHOST, 0).into())
            .expect("a loopback port");
        let port = socket.local_addr().expect("the bound address").port();
        RefusingPort {
            port,
            _socket: socket,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_port_refuses_connections_and_cannot_be_bound_again() {
        let held = RefusingPort::hold();
        assert!(std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, held.port)).is_err());
        assert!(std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, held.port)).is_err());
    }
}
