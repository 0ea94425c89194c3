"""Build hook: compile the detection core with mypyc where a C compiler is at hand (the metadata is in pyproject.toml).

The modules listed in services/detector/compiled.py run for every check-in, in the live detector and in
`rapport replay`. mypyc compiles the same Python source into C extension modules, type-checking it on the way.
The tests run against the compiled build, and one of them replays cohorts with both builds and compares every
signal. Without a C compiler or the Python headers, or with RAPPORT_PURE_PYTHON=1, the core runs as Python.
"""

import os
import runpy
import shlex
import shutil
import sys
import sysconfig
from pathlib import Path

from setuptools import setup

BUILD = runpy.run_path(os.path.join("services", "detector", "compiled.py"))


def missing_toolchain() -> str | None:
    """What compiling would lack here, or None."""
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python headers (Python.h)"
    return None


def compiled_core() -> list:
    if os.environ.get(BUILD["PURE_PYTHON_ENV"]) == "1":
        return []
    missing = missing_toolchain()
    if missing:
        print(f"rapport: {missing}: the detection core is installed as Python, not compiled "
              "(slower: services/detector/README.md)",
              file=sys.stderr)
        return []
    from mypyc.build import mypycify

    sources = [module.replace(".", "/") + ".py" for module in BUILD["MODULES"]]
    # The build environment holds setuptools and mypy: the packages the core imports are typed as Any.
    return mypycify(["--ignore-missing-imports", "--follow-imports=silent", *sources], group_name=BUILD["GROUP"],
                    opt_level="3")


setup(ext_modules=compiled_core())
