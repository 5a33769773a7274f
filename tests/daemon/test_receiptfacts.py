"""Every receipt type's facts survive the journal: to JSON and back, equal."""

from __future__ import annotations

import json

import pytest

from daemon.receiptfacts import FACT_TYPES, facts_from_json, facts_to_json
from hardware.printer.samples import SAMPLE_KINDS, sample_facts


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_sample_facts_round_trip_through_json(kind: str) -> None:
    facts = sample_facts(kind)
    stored = json.loads(json.dumps(facts_to_json(facts)))
    assert facts_from_json(stored) == facts
    assert type(facts).__name__ in FACT_TYPES


def test_only_receipt_facts_are_stored() -> None:
    with pytest.raises(TypeError):
        facts_to_json({"amount": 1})
