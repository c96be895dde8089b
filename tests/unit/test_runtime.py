"""Process set-up: packages left out of an import, and TensorFlow imported
without the optional packages Keras would load."""

import os
import subprocess
import sys
import textwrap

import pytest


def test_not_importable_blocks_a_package_and_its_submodules_only_inside_the_block(tmp_path, monkeypatch):
    import importlib
    import sys

    from snapens.core.runtime import not_importable

    pkg = tmp_path / "optional_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "sub.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with not_importable(("optional_pkg",)):
        for name in ("optional_pkg", "optional_pkg.sub"):
            with pytest.raises(ImportError):
                importlib.import_module(name)
    assert importlib.import_module("optional_pkg.sub").VALUE == 1
    with not_importable(("optional_pkg",)):  # imported already: left alone
        assert importlib.import_module("optional_pkg.sub").VALUE == 1
    for name in ("optional_pkg.sub", "optional_pkg"):
        sys.modules.pop(name)


def test_configure_leaves_out_the_optional_packages_keras_would_load_and_they_import_later():
    child = textwrap.dedent("""
        import sys
        from snapens.core import runtime
        runtime.configure(1)
        loaded = sorted(n for n in runtime.UNUSED_BY_KERAS if n in sys.modules)
        import keras
        from sklearn.model_selection import train_test_split  # what a validation split needs later
        print(loaded, keras.__version__, train_test_split.__module__)
    """)
    res = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("[] 3.") and "sklearn.model_selection" in res.stdout, res.stdout


def _mkl_enabled(env: dict[str, str]) -> str:
    """``IsMklEnabled()`` of TensorFlow in a child configured by the study."""
    child = textwrap.dedent("""
        from snapens.core import runtime
        runtime.configure(1)
        from tensorflow.python.util import _pywrap_util_port
        print(_pywrap_util_port.IsMklEnabled())
    """)
    clean = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    res = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=clean | env)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_configure_turns_onednn_on_whatever_the_cpu_unless_the_user_said_otherwise():
    """TensorFlow turns its oneDNN kernels on by default only on Intel CPUs;
    the study's jobs have them on everywhere, and an exported 0 still wins."""
    assert _mkl_enabled({}) == "True"
    assert _mkl_enabled({"TF_ENABLE_ONEDNN_OPTS": "0"}) == "False"
