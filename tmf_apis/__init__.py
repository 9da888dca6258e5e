"""One package per TMF API; `APIS` lists every API edition the server serves (each package
declares its editions: docs/editions.md)."""

from tmf_apis.registry import Api
from tmf_apis.tmf620.registry import EDITIONS as TMF620
from tmf_apis.tmf622.registry import EDITIONS as TMF622
from tmf_apis.tmf629.registry import EDITIONS as TMF629
from tmf_apis.tmf637.registry import EDITIONS as TMF637
from tmf_apis.tmf666.registry import EDITIONS as TMF666
from tmf_apis.tmf676.registry import EDITIONS as TMF676
from tmf_apis.tmf678.registry import EDITIONS as TMF678

APIS: tuple[Api, ...] = (*TMF620, *TMF622, *TMF629, *TMF637, *TMF666, *TMF676, *TMF678)
