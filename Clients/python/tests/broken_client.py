"""A deliberately non-conforming client for the harness's negative test: uploads model + 2 and never PULLs."""
from __future__ import annotations

import sys

import fedswift


class OffByOne(fedswift.NumPyClient):
    def fit(self, parameters, config):
        return fedswift.FitRes({n: v + 2 for n, v in parameters.items()}, 1, {})


if __name__ == "__main__":
    control, broadcast = sys.argv[1], sys.argv[2]
    fedswift.start_client(lambda cid: OffByOne(), control=control, broadcast=broadcast, clients=[0], node_id="broken",
                          pull_after=3600)
