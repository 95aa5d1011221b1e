"""Fixtures of the deployment tests: helm from .cache/bin, renders of the chart, merged values."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "zhurnal"
# Same as deploy/local/chart-check.sh: the version kubernetes-validate checks the objects against.
KUBE_VERSION = os.environ.get("KUBE_VERSION", "1.31.0")
RELEASE = "zhurnal"
NAMESPACE = "zhurnal"
# values files by name; "default" is the chart's values.yaml alone.
VALUES_FILES: dict[str, list[Path]] = {
    "default": [],
    "production": [CHART / "values-production.yaml"],
}


def helm_path() -> Path:
    """Where deploy/local/install.sh builds helm (env.sh's CACHE_DIR)."""
    cache = Path(os.environ.get("ZHURNAL_CACHE_DIR", ROOT / ".cache"))
    return cache / "bin" / "helm"


@dataclass(frozen=True)
class Result:
    """Outcome of one helm command."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def objects(self) -> list[dict[str, Any]]:
        """The rendered objects (helm template's stdout)."""
        return [o for o in yaml.safe_load_all(self.stdout) if o]


Helm = Callable[..., Result]


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """Runs the project's helm; fails (never skips) when it has not been built."""
    path = helm_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"helm is not at {path}: run `make install` (it builds helm into .cache/bin)",
            pytrace=False,
        )
    state = tmp_path_factory.mktemp("helm")
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(state / "cache"),
        "HELM_CONFIG_HOME": str(state / "config"),
        "HELM_DATA_HOME": str(state / "data"),
    }

    def run(*args: str) -> Result:
        proc = subprocess.run(
            [str(path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def values_args(values: str, sets: tuple[str, ...] = ()) -> list[str]:
    """helm arguments selecting a named values file and --set overrides."""
    args = ["--kube-version", KUBE_VERSION]
    for f in VALUES_FILES[values]:
        args += ["-f", str(f)]
    for s in sets:
        args += ["--set", s]
    return args


@pytest.fixture(scope="session")
def render(helm: Helm) -> Callable[..., Result]:
    """helm template of the chart with a named values file and --set overrides."""

    def run(values: str = "default", *sets: str) -> Result:
        return helm(
            "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *values_args(values, sets)
        )

    return run


@pytest.fixture(scope="session")
def rendered(render: Callable[..., Result]) -> dict[str, list[dict[str, Any]]]:
    """The objects rendered with each values file, rendered once per session."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in VALUES_FILES:
        result = render(name)
        assert result.returncode == 0, f"helm template ({name} values) failed:\n{result.stderr}"
        out[name] = result.objects
    return out


def _merge(base: Any, over: Any) -> Any:
    """Helm's coalescing of values: maps merge, anything else (lists too) is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = copy.deepcopy(base)
        for key, value in over.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = _merge(merged.get(key), value)
        return merged
    return copy.deepcopy(over)


@pytest.fixture(scope="session")
def values() -> dict[str, dict[str, Any]]:
    """The effective values of each values file (values.yaml with the file over it)."""
    base = yaml.safe_load((CHART / "values.yaml").read_text())
    out = {}
    for name, files in VALUES_FILES.items():
        merged = base
        for f in files:
            merged = _merge(merged, yaml.safe_load(f.read_text()))
        out[name] = merged
    return out


@pytest.fixture(params=sorted(VALUES_FILES))
def flavour(request: pytest.FixtureRequest) -> str:
    """Each values file in turn."""
    return str(request.param)
