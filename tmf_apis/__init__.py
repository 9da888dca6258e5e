"""One package per TMF API; `APIS` lists every API edition the server serves (each package
declares its editions: docs/editions.md)."""

from tmf_apis.registry import Api
from tmf_apis.tmf620.registry import API as TMF620_V4
from tmf_apis.tmf622.registry import API as TMF622_V4
from tmf_apis.tmf629.registry import EDITIONS as TMF629
from tmf_apis.tmf678.registry import API as TMF678_V4

APIS: tuple[Api, ...] = (TMF620_V4, TMF622_V4, *TMF629, TMF678_V4)
