"""`services.detector.compiled`: which modules run compiled, and a build older than an edit of its source."""

import os

import pytest

from services.detector import compiled

pytestmark = pytest.mark.skipif(not compiled.compiled_modules(), reason="the detection core runs as Python here")


def test_every_listed_module_imports_from_its_extension_and_names_where_it_came_from():
    import services.detector.core.engine as engine

    assert compiled.build() == "mypyc-compiled"
    for module in compiled.MODULES:
        built = compiled.loaded_from(module)
        assert built.suffix == ".so" and built.parent == compiled.source_path(module).parent, module
    assert engine.__spec__.origin.endswith(".so")


def test_a_source_edited_after_the_build_is_named_until_rebuilt(tmp_path, monkeypatch):
    module = "services.detector.core.mood"
    built = compiled.loaded_from(module).stat().st_mtime
    edited = tmp_path / "mood.py"
    edited.write_text("# an edit\n")
    real = compiled.source_path
    monkeypatch.setattr(compiled, "source_path", lambda name: edited if name == module else real(name))

    os.utime(edited, (built + 5, built + 5))
    assert compiled.stale() == [module]
    assert module in compiled.stale_warning() and "make install" in compiled.stale_warning()

    os.utime(edited, (built - 5, built - 5))  # built after the edit
    assert compiled.stale() == [] and compiled.stale_warning() is None


def test_an_installed_source_is_never_called_stale(tmp_path, monkeypatch):
    """A wheel's files are written in any order: only a checkout's sources count."""
    module = "services.detector.core.mood"
    built = compiled.loaded_from(module).stat().st_mtime
    edited = tmp_path / "site-packages" / "mood.py"
    edited.parent.mkdir()
    edited.write_text("# written by the installer after the extension\n")
    os.utime(edited, (built + 5, built + 5))
    real = compiled.source_path
    monkeypatch.setattr(compiled, "source_path", lambda name: edited if name == module else real(name))
    assert compiled.stale() == [module]  # in a checkout this would be an edit
    monkeypatch.setattr(compiled.sysconfig, "get_paths", lambda: {"purelib": str(edited.parent),
                                                                  "platlib": str(edited.parent)})
    assert compiled.stale() == []
