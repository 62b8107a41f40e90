"""Size limits applied to every incoming message before anything else touches it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WireLimits:
    """The Swift ``WireLimits`` defaults: 1 MiB envelopes, 2 GiB frames, 64 GiB messages, 4096 tensors."""

    max_envelope_bytes: int = 1 << 20
    max_tensors: int = 4096
    max_frame_bytes: int = 1 << 31
    max_message_bytes: int = 1 << 36
    max_name_bytes: int = 256
    max_dimensions: int = 8
    max_elements: int = 1 << 34
    max_client_ids: int = 1 << 20
