"""The layers of ``imageapi`` and their import direction (docs/architecture.md):

    http (edge) ──► domain ◄── adapters          context wires them; functions/* call context

The domain imports neither the edge nor the adapters; the edge never reaches an adapter or the
wiring; adapters never import the edge. Every import counts, also those inside functions and
under TYPE_CHECKING, because a lazy import that runs back up is still a dependency.

The local stack (``local/``) has rooms of its own, each importing only the rooms below it:

    stack, __main__  ──►  containers  ──►  edge  ──►  runtime  ──►  aws  ──►  template, server, local"""

import ast
from pathlib import Path

import pytest

from tests.harness.handlers import modules_after_cold_load

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "core" / "imageapi"
LOCAL = ROOT / "local"
MAX_LINES = 300

# layer -> the imageapi modules (prefixes) it must never import
WIRING = ("imageapi.context", "imageapi.context_edge", "imageapi.context_events", "imageapi.snapstart")
FORBIDDEN = {
    "imageapi.domain": ("imageapi.http", "imageapi.adapters", *WIRING),
    "imageapi.http": ("imageapi.adapters", *WIRING),
    "imageapi.adapters": ("imageapi.http", *WIRING),
    "imageapi.settings": ("imageapi.http", "imageapi.adapters", "imageapi.domain", *WIRING),
}


def _module_name(path: Path) -> str:
    base = LOCAL.parent if path.is_relative_to(LOCAL) else PACKAGE.parent
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> set[str]:
    """Every module an import statement of ``path`` names (absolute and relative)."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layer(module: str) -> str | None:
    return next((layer for layer in FORBIDDEN if module == layer or module.startswith(layer + ".")), None)


def _violations(module: str, imported: set[str]) -> list[str]:
    layer = _layer(module)
    if layer is None:
        return []
    return sorted(name for name in imported for bad in FORBIDDEN[layer] if name == bad or name.startswith(bad + "."))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _module_name(p))
def test_imports_run_one_way(path: Path) -> None:
    module = _module_name(path)
    assert _violations(module, _imports(path)) == [], f"{module} imports against the layer direction"


def test_every_module_sits_in_a_layer_or_is_the_wiring() -> None:
    loose = [_module_name(p) for p in _modules() if _layer(_module_name(p)) is None]
    assert sorted(loose) == ["imageapi", *WIRING]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _module_name(p))
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_check_catches_an_import_back_up(tmp_path: Path) -> None:
    """The checker itself: an edge import inside the domain, even a lazy one, is reported."""
    source = tmp_path / "use_case.py"
    source.write_text("def f():\n    from imageapi.http.api import json_response\n    from ..adapters import s3\n")
    imported = _imports(source, "imageapi.domain.use_case")
    assert _violations("imageapi.domain.use_case", imported) == [
        "imageapi.adapters",
        "imageapi.adapters.s3",
        "imageapi.http.api",
        "imageapi.http.api.json_response",
    ]
    assert _violations("imageapi.http.uploads", {"imageapi.domain.images"}) == []


WITHOUT_PIXELS = [
    "analyse",
    "compat",
    "image",
    "list",
    "meta",
    "upload",
    "download",
    "update",
    "webhooks",
    "publish",
    "deliver",
    "render",
]


@pytest.mark.parametrize("function", WITHOUT_PIXELS)
def test_functions_without_pixels_load_no_pillow_or_numpy(function: str) -> None:
    """Loading a handler (what a cold start pays) never imports Pillow or numpy: the wiring
    imports the pixel adapters only when something renders (download and update, on demand)."""
    loaded = modules_after_cold_load(function)
    assert sorted(m for m in ("PIL", "numpy", "imageml") if m in loaded) == []


# ---------------------------------------------------------------- local/: rooms and their direction

# room -> rank; a module imports only its own room or rooms of a lower rank.
LOCAL_ROOMS = {
    "local": 0,  # the package's constants (region, account, test credentials, REPO_ROOT)
    "local.template": 1,  # reads template.yaml
    "local.server": 1,  # a WSGI server on a background thread
    "local.processes": 1,  # stop signals without locks; children that die with the stack
    "local.aws": 2,
    "local.runtime": 3,
    "local.edge": 4,
    "local.containers": 5,
    "local.stack": 6,
    "local.__main__": 7,
}


def _local_modules() -> list[Path]:
    return sorted(LOCAL.rglob("*.py"))


def _room(module: str) -> str | None:
    """The longest room name that is ``module`` or one of its packages."""
    rooms = [room for room in LOCAL_ROOMS if module == room or module.startswith(room + ".")]
    return max(rooms, key=len) if rooms and (module == "local" or max(rooms, key=len) != "local") else None


def _local_violations(module: str, imported: set[str]) -> list[str]:
    room = _room(module)
    assert room is not None, f"{module} is in no room"
    bad = []
    for name in imported:
        if name != "local" and not name.startswith("local."):
            continue
        target = _room(name)
        if target is None:  # `from local import REGION` names local.REGION: the package itself
            target = "local"
        if target != room and LOCAL_ROOMS[target] >= LOCAL_ROOMS[room]:
            bad.append(name)
    return sorted(bad)


@pytest.mark.parametrize("path", _local_modules(), ids=lambda p: _module_name(p))
def test_local_imports_run_down_the_rooms(path: Path) -> None:
    module = _module_name(path)
    assert _local_violations(module, _imports(path)) == [], f"{module} imports a room above its own"


def test_every_local_module_sits_in_a_room() -> None:
    """No flat sprawl: a new module goes into one of the rooms (or is the stack on top)."""
    loose = [_module_name(p) for p in _local_modules() if _room(_module_name(p)) in (None, "local")]
    assert loose == ["local"]


def test_the_local_check_catches_an_import_up_the_rooms(tmp_path: Path) -> None:
    source = tmp_path / "poller.py"
    source.write_text("from ..edge.gateway import Gateway\nfrom ..aws import client\nfrom .. import REGION\n")
    imported = _imports(source, "local.runtime.poller")
    assert _local_violations("local.runtime.poller", imported) == ["local.edge.gateway", "local.edge.gateway.Gateway"]
    assert _local_violations("local.stack", {"local.edge.gateway", "local.runtime"}) == []
