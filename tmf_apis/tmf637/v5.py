"""TMF637 v5's Product against the stored (v4) one."""

from __future__ import annotations

from tmf_apis.editions import V5Mapping


class ProductV5(V5Mapping):
    pass
