//! The harness's own promises: a server is only ever the one the test started.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;

use integration_tests::{
    Guarded, LambdaEmulator, MotoServer, RefusingPort, http_status, listens_on,
};

#[test]
fn a_listening_socket_is_attributed_to_its_own_process_only() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(listens_on(std::process::id(), port));

    let other = Guarded(Command::new("sleep").arg("60").spawn().unwrap());
    assert!(!listens_on(other.0.id(), port), "sleep does not hold it");

    // Bound but not listening: nobody listens there.
    let refusing = RefusingPort::hold();
    assert!(!listens_on(std::process::id(), refusing.port));
    assert!(http_status(refusing.port, "/").is_err());
}

#[test]
fn the_lambda_emulator_moves_on_when_its_port_is_taken_and_never_uses_the_other_server() {
    // Another server already holds the first port offered.
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let mut offers = vec![integration_tests::free_port(), taken_port];
    let emulator = LambdaEmulator::start_on_ports(|| offers.pop().unwrap());

    assert_ne!(emulator.port, taken_port);
    assert!(offers.is_empty(), "the second port was used");
    // The emulator's own answer: a POST-only route refuses GET with 405.
    assert_eq!(
        http_status(emulator.port, "/2015-03-31/functions/_/invocations").unwrap(),
        405
    );
}

#[test]
fn moto_servers_started_together_each_get_their_own_port() {
    let servers: Vec<MotoServer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3).map(|_| scope.spawn(MotoServer::start)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 3, "{ports:?}");
    for server in &servers {
        assert_eq!(
            http_status(server.port, "/moto-api/data.json").unwrap(),
            200
        );
    }
}

#[test]
fn invoking_a_function_that_exited_fails_instead_of_waiting_for_ever() {
    let mut emulator = LambdaEmulator::start();
    // A "function" that exits at once, as one with a configuration error does.
    emulator.attach(std::path::Path::new("/bin/false"), &[]);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| emulator.invoke("{}")));
    let message = outcome
        .expect_err("no answer")
        .downcast::<String>()
        .unwrap();
    assert!(message.contains("the function exited"), "{message}");
}
