"""Cold start: load only the part of Powertools' event handler that an HTTP API function runs.

``aws_lambda_powertools/event_handler/__init__.py`` imports every resolver Powertools has (AppSync,
AppSync Events, Bedrock agents, VPC Lattice, the HTTP resolver with asyncio, ...) so that any of
them can be imported from the package. Our functions use one, ``APIGatewayHttpResolver``, from
``event_handler.api_gateway``; the rest costs about 8 % of a handler's init (70 M instructions,
``python -m bench --only coldstart`` measures the whole; docs/performance.md).

``defer_event_handler_package()`` registers the package without running its ``__init__``: its
submodules import as usual, a name that ``api_gateway`` defines is answered from there (that is
where the package takes it from too), and any other name runs the real ``__init__`` first, so
``from aws_lambda_powertools.event_handler import AppSyncResolver`` still works. It must run
before anything imports the package: ``imageapi.http`` calls it, and handlers take Powertools'
HTTP names from ``imageapi.http.api`` (tests/unit/test_cold_start.py checks both).
"""

import importlib
import importlib.util
import sys
from types import ModuleType

PACKAGE = "aws_lambda_powertools.event_handler"
RESOLVER_MODULE = f"{PACKAGE}.api_gateway"


def defer_event_handler_package() -> bool:
    """True when the package is now deferred; False when it was imported already."""
    if PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None:
        return False
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)

    def run_package_init() -> None:
        package.__dict__.pop("__getattr__", None)
        loader.exec_module(package)

    def __getattr__(name: str) -> object:
        if name.startswith("__") or importlib.util.find_spec(f"{PACKAGE}.{name}") is not None:
            raise AttributeError(name)  # a submodule: the import system loads it next
        resolver: ModuleType = sys.modules.get(RESOLVER_MODULE) or importlib.import_module(RESOLVER_MODULE)
        if name in resolver.__dict__:
            return resolver.__dict__[name]
        run_package_init()
        return getattr(package, name)

    package.__dict__["__getattr__"] = __getattr__
    sys.modules[PACKAGE] = package
    parent = sys.modules.get(PACKAGE.rpartition(".")[0])
    if parent is not None:
        parent.__dict__[PACKAGE.rpartition(".")[2]] = package
    return True
