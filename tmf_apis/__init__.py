"""One package per TMF API; `APIS` lists every API version the server serves."""

from tmf_apis.registry import Api
from tmf_apis.tmf629.registry import API as TMF629_V4

APIS: tuple[Api, ...] = (TMF629_V4,)
