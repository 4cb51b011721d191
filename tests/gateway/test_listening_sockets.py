"""The workers' listening sockets: one per worker on one address, every one of them given
connections, and the address refused when another server holds it, with or without
SO_REUSEPORT (so that a second gateway cannot silently take a share of the first's)."""

import select
import socket

import pytest

from gateway.commands.workers import AddressInUse, listening_sockets

CONNECTIONS = 64  # spread by a hash of their ports: each of 4 sockets misses them all with a chance of 4 × (3/4)⁶⁴


def test_connections_are_spread_over_every_worker_s_socket(port):
    sockets = listening_sockets("127.0.0.1", port, 4)
    clients = []
    try:
        for listening in sockets:
            listening.listen()
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        accepted = [accept_all(listening) for listening in sockets]
        assert sum(accepted) == CONNECTIONS
        assert all(count > 0 for count in accepted), accepted
    finally:
        for each in clients + sockets:
            each.close()


def accept_all(listening: socket.socket) -> int:
    count = 0
    while select.select([listening], [], [], 0.5)[0]:
        listening.accept()[0].close()
        count += 1
    return count


@pytest.mark.parametrize("reuse_port", [False, True])
def test_an_address_another_server_listens_on_is_refused(port, reuse_port):
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, int(reuse_port))
        other.bind(("127.0.0.1", port))
        other.listen()
        with pytest.raises(AddressInUse, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            listening_sockets("127.0.0.1", port, 2)


def test_an_address_not_of_this_host_is_refused(port):
    with pytest.raises(AddressInUse, match="Cannot assign requested address"):
        listening_sockets("192.0.2.1", port, 2)


def test_an_ipv6_address_is_listened_on(port):
    sockets = listening_sockets("::1", port, 2)
    try:
        assert {listening.family for listening in sockets} == {socket.AF_INET6}
        assert {listening.getsockname()[1] for listening in sockets} == {port}
    finally:
        for listening in sockets:
            listening.close()
