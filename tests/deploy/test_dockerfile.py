"""services/Dockerfile and .dockerignore, read as text (no container engine in CI): a
multi-stage uv build of one workspace member, a non-root runtime that matches the chart."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "services" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, op: str) -> list[str]:
        return [args for o, args in self.instructions if o == op]


def parse(text: str) -> tuple[list[str], list[Stage]]:
    """(global ARG lines, stages) of a Dockerfile: continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    global_args: list[str] = []
    stages: list[Stage] = []
    for line in logical:
        op, _, args = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            assert op == "ARG", f"only ARG may precede the first FROM, got {op}"
            global_args.append(args)
        else:
            stages[-1].instructions.append((op, args.strip()))
    return global_args, stages


@pytest.fixture(scope="module")
def dockerfile() -> tuple[list[str], list[Stage]]:
    return parse(DOCKERFILE.read_text())


def resolve(base: str, global_args: list[str]) -> str:
    defaults = dict(a.split("=", 1) for a in global_args if "=" in a)
    return re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), base)


def env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in stage.all("ENV"):
        for word in shlex.split(args):
            key, _, value = word.partition("=")
            env[key] = value
    return env


def test_multi_stage_from_python_311_slim(dockerfile):
    global_args, stages = dockerfile
    assert len(stages) >= 2
    builder, runtime = stages[0], stages[-1]
    assert builder.name == "builder"
    for stage in (builder, runtime):
        assert resolve(stage.base, global_args) == "python:3.11-slim"


def test_builder_uses_uv_frozen_for_one_service_non_editable(dockerfile):
    _, stages = dockerfile
    builder = stages[0]
    runs = " ".join(builder.all("RUN"))
    assert re.search(r"pip install .*\buv\b", runs), "uv is installed with pip"
    (sync,) = [r for r in builder.all("RUN") if "uv sync" in r]
    for flag in ("--frozen", "--no-dev", '--package "zhurnal-${SERVICE}"'):
        assert flag in sync, f"uv sync without {flag}"
    env = env_of(builder)
    assert "--no-editable" in sync or env.get("UV_NO_EDITABLE") == "1"
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in sync
    assert env.get("UV_PYTHON_DOWNLOADS") == "never"
    assert any(a.split()[0] == "SERVICE" for a in builder.all("ARG"))


def test_builder_generates_stubs_before_installing(dockerfile):
    _, stages = dockerfile
    runs = stages[0].all("RUN")
    gen = next(i for i, r in enumerate(runs) if "deploy/local/gen-proto.sh" in r)
    sync = next(i for i, r in enumerate(runs) if "uv sync" in r)
    assert gen < sync


def test_builder_copies_the_workspace_and_nothing_missing(dockerfile):
    _, stages = dockerfile
    sources = []
    for args in stages[0].all("COPY"):
        words = [w for w in args.split() if not w.startswith("--")]
        sources += words[:-1]
    for wanted in ("pyproject.toml", "uv.lock", "services/", "proto/", "deploy/local/gen-proto.sh"):
        assert wanted in sources, f"the builder does not copy {wanted}"
    for src in sources:
        assert (ROOT / src).exists(), f"COPY {src}: not in the repository"


def test_runtime_gets_only_the_venv_and_runs_as_uid_10001(dockerfile):
    _, stages = dockerfile
    runtime = stages[-1]
    copies = runtime.all("COPY")
    assert copies == ["--from=builder /app/.venv /app/.venv"]
    assert not any("uv " in r or "pip " in r for r in runtime.all("RUN"))
    users = runtime.all("USER")
    assert users, "the runtime stage has no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid"
    assert (int(uid), int(gid or uid)) == (10001, 10001)
    # No build step after USER: the image's files stay root-owned, not writable by the service.
    ops = [op for op, _ in runtime.instructions]
    assert "RUN" not in ops[ops.index("USER") :]


def test_runtime_uid_is_the_charts(dockerfile):
    values = yaml.safe_load((ROOT / "charts" / "zhurnal" / "values.yaml").read_text())
    pod = values["global"]["podSecurityContext"]
    _, stages = dockerfile
    uid, _, gid = stages[-1].all("USER")[-1].partition(":")
    assert (pod["runAsUser"], pod["runAsGroup"]) == (int(uid), int(gid))


def test_runtime_is_read_only_root_friendly(dockerfile):
    _, stages = dockerfile
    env = env_of(stages[-1])
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["HOME"] == "/tmp" and env["TMPDIR"] == "/tmp"
    assert env["PATH"].startswith("/app/.venv/bin")
    (sync,) = [r for r in stages[0].all("RUN") if "uv sync" in r]
    assert "--compile-bytecode" in sync or env_of(stages[0]).get("UV_COMPILE_BYTECODE") == "1", (
        "bytecode is compiled at build time"
    )


def test_entrypoint_is_exec_form_python_running_the_service_module(dockerfile):
    _, stages = dockerfile
    runtime = stages[-1]
    (entrypoint,) = runtime.all("ENTRYPOINT")
    argv = json.loads(entrypoint)  # exec form: no shell in between, signals reach Python
    assert argv[0] == "python"
    assert env_of(runtime)["ZHURNAL_MODULE"] == "zhurnal_${SERVICE}.entrypoints.${ENTRYPOINT}"
    args = {a.split("=")[0]: a.partition("=")[2] for a in runtime.all("ARG")}
    assert args["ENTRYPOINT"] == "grpc_server"
    assert "SERVICE" in args


def test_entrypoint_behaves_like_python_dash_m(dockerfile, tmp_path):
    """The ENTRYPOINT's code, run here: the module runs as __main__ with the container args."""
    _, stages = dockerfile
    argv = json.loads(stages[-1].all("ENTRYPOINT")[0])
    (tmp_path / "probe_main.py").write_text(
        "import sys\nif __name__ == '__main__':\n    print(sys.argv[0].endswith('probe_main.py'),"
        " sys.argv[1:])\n"
    )
    env = {**os.environ, "ZHURNAL_MODULE": "probe_main", "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, *argv[1:], "--flag", "x"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True ['--flag', 'x']"


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last matching pattern wins ("!" re-includes)."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(
            fnmatch.fnmatchcase(p, pat) or fnmatch.fnmatchcase(p, pat.replace("**/", ""))
            for p in prefixes
        ):
            ignored = not negate
    return ignored


def test_dockerignore_lets_in_what_the_build_needs_and_nothing_local():
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    for needed in (
        "pyproject.toml",
        "uv.lock",
        "proto/zhurnal/common/v1/envelope.proto",
        "deploy/local/gen-proto.sh",
        "services/kit/pyproject.toml",
        "services/kit/src/zhurnal_kit/settings.py",
    ):
        assert not _ignored(needed, patterns), f"{needed} is kept out of the build context"
    for local in (
        ".git/config",
        ".venv/bin/python",
        ".cache/bin/helm",
        ".run/log/x.log",
        "services/kit/.venv/x",
        "services/kit/src/zhurnal_kit/__pycache__/a.pyc",
        "services/contracts/src/zhurnal/identity/v1/identity_pb2.py",
        "charts/zhurnal/values.yaml",
        "tests/deploy/test_chart.py",
        "docs/x.md",
    ):
        assert _ignored(local, patterns), f"{local} would be sent to the builder"
