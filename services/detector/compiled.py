"""The modules setup.py compiles with mypyc, and whether this process runs them compiled.

They run for every check-in: scoring, the rules, the state and the replay clock. A compiled module sits beside
its source as an extension module, which Python imports in preference to the source. In a checkout (an editable
install) an edit to the source takes effect only once it is built again (`make install`): `stale` names the
modules edited since. Only the standard library here: setup.py reads this file before anything is installed.
"""

import importlib.machinery
import importlib.util
import sysconfig
from pathlib import Path

MODULES = (
    "schemas.scoring",
    "services.detector.core.alliance",
    "services.detector.core.engagement",
    "services.detector.core.engine",
    "services.detector.core.lexicon",
    "services.detector.core.mood",
    "services.detector.core.resilience",
    "services.detector.core.risk",
    "services.detector.core.signals",
    "services.detector.core.state",
    "services.detector.core.stats",
    "services.detector.core.zones",
    "services.detector.replayer",
)
GROUP = "services.detector.core.compiled"  # the shared library of the compiled modules: compiled__mypyc.*.so
PURE_PYTHON_ENV = "RAPPORT_PURE_PYTHON"  # "1" at build time: build without compiling


def source_path(module: str) -> Path:
    """The .py file of `module`, found from its top-level package without importing the module itself."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(top)
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*rest).with_suffix(".py")


def loaded_from(module: str) -> Path | None:
    """The file an import of `module` loads, looked up in its package's folder: not `__file__` or `__spec__`, which
    mypyc sets from the path of its shared library."""
    parent = module.rpartition(".")[0]
    package = importlib.util.find_spec(parent)
    if package is None or not package.submodule_search_locations:
        return None
    spec = importlib.machinery.PathFinder.find_spec(module, list(package.submodule_search_locations))
    return Path(spec.origin) if spec is not None and spec.origin else None


def _extensions() -> dict[str, Path]:
    """The modules of `MODULES` that import as extension modules, with their files."""
    return {m: path for m in MODULES if (path := loaded_from(m)) is not None and path.suffix != ".py"}


def compiled_modules() -> list[str]:
    """The modules of `MODULES` that import as extension modules."""
    return list(_extensions())


def build() -> str:
    """"mypyc-compiled", "Python" or "partly compiled (n of m modules)": how the detection core runs here."""
    count = len(compiled_modules())
    if count == len(MODULES):
        return "mypyc-compiled"
    return "Python" if count == 0 else f"partly compiled ({count} of {len(MODULES)} modules)"


def stale() -> list[str]:
    """Compiled modules of a checkout whose source changed after they were built: the edit does not run yet.

    Only sources outside the installed packages count: an installer writes a wheel's files in any order, and an
    installed source is never edited.
    """
    installed = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    found = []
    for module, built in _extensions().items():
        source = source_path(module)
        if not source.exists() or installed & set(source.resolve().parents):
            continue
        if source.stat().st_mtime > built.stat().st_mtime:
            found.append(module)
    return found


def stale_warning() -> str | None:
    """A one-line warning naming the stale modules, or None."""
    modules = stale()
    if not modules:
        return None
    return (f"the compiled detection core is older than its source ({', '.join(modules)}): the edits do not run "
            f"until it is rebuilt with `make install`")
