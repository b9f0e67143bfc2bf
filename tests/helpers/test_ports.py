"""The one port helper: the kernel chooses, the server gets the socket, a taken port is retried."""

from __future__ import annotations

import socket

import pytest

from tests.helpers.ports import (
    PortTaken,
    kernel_port,
    listening_socket,
    on_a_free_port,
    port_of,
    refused_port,
)


def test_a_listening_socket_is_held_from_the_choice_on() -> None:
    with listening_socket() as sock, socket.socket() as other:
        with pytest.raises(OSError):
            other.bind(("127.0.0.1", port_of(sock)))
        with socket.create_connection(("127.0.0.1", port_of(sock)), timeout=2):
            pass


def test_a_refused_port_refuses_and_stays_ours() -> None:
    with refused_port() as port, socket.socket() as other:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        with pytest.raises(OSError):
            other.bind(("127.0.0.1", port))


def test_a_taken_port_costs_a_retry_not_the_test() -> None:
    tries: list[int] = []

    def start() -> int:
        tries.append(kernel_port(udp=True))
        if len(tries) < 3:
            raise PortTaken("taken")
        return tries[-1]

    assert on_a_free_port(start) == tries[-1] and len(tries) == 3
    with pytest.raises(PortTaken):
        on_a_free_port(lambda: (_ for _ in ()).throw(PortTaken("always")), attempts=2)
