"""Optional PyTorch bridge (``pip install fedswift[torch]``): state dicts <-> numpy float32 tensors."""
from __future__ import annotations

from typing import Any, Dict, Mapping

import numpy as np


def state_dict_to_numpy(state_dict: Mapping[str, Any]) -> Dict[str, np.ndarray]:
    """Floating-point tensors of a state dict as float32 numpy arrays, in order (others are skipped)."""
    out: Dict[str, np.ndarray] = {}
    for name, tensor in state_dict.items():
        if tensor.is_floating_point():
            out[name] = tensor.detach().to("cpu").float().numpy()
    return out


def numpy_to_state_dict(arrays: Mapping[str, np.ndarray], like: Mapping[str, Any]) -> Dict[str, Any]:
    """Tensors shaped and typed like ``like`` (a state dict), from decoded arrays."""
    import torch

    out: Dict[str, Any] = {}
    for name, reference in like.items():
        if name in arrays:
            out[name] = torch.from_numpy(np.array(arrays[name], dtype=np.float32)).to(reference.dtype).reshape(reference.shape)
        else:
            out[name] = reference
    return out
