"""citydata is the data layer: importing all of it must not import streamlit."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import citydata

ROOT = Path(citydata.__file__).resolve().parent.parent


def test_citydata_never_imports_streamlit():
    modules = [m.name for m in pkgutil.walk_packages(citydata.__path__, "citydata.")]
    assert "citydata.lifecycle" in modules and "citydata.query.selection" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    if not name.endswith('__main__'):\n"
        "        importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == ""
