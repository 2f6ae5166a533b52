"""``DoctorViews`` from their JSON text: the one decoder every doctor read side hands its views."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from hospital.application.ports.catalogue import DoctorReadModel, DoctorViews

_DECODER = msgspec.json.Decoder(list[DoctorReadModel])
_ENCODER = msgspec.json.Encoder()


def doctor_views(json: bytes, count: int) -> DoctorViews:
    """The views of ``json``, a JSON array of ``count`` read models' encodings."""
    return DoctorViews(json, count, _DECODER.decode)


def encoded_views(models: Sequence[DoctorReadModel]) -> DoctorViews:
    """Read models made in Python (the in-memory read side), as the same text a database renders."""
    return doctor_views(_ENCODER.encode(models), len(models))
