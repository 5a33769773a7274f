"""Fixtures: a MockFactory (reset after each test), an acceptor on it, a simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.cash import CashAcceptor
from hardware.cash.sim import CashSimulator, scripted_factory
from tests.hardware.cash.helpers import FAST, FAST_SIM, Recorder


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    factory = scripted_factory()
    yield factory
    factory.reset()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def acceptor(mock_factory: MockFactory, recorder: Recorder) -> Iterator[CashAcceptor]:
    with CashAcceptor(settings=FAST, listener=recorder, pin_factory=mock_factory) as acc:
        yield acc


@pytest.fixture
def sim(acceptor: CashAcceptor) -> Iterator[CashSimulator]:
    with CashSimulator(acceptor, timing=FAST_SIM) as simulator:
        yield simulator
