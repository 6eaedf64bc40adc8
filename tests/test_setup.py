"""The Makefile's set-up decisions, simulated with ``make check-setup`` (a dry run) and fake tools.

- torch: the CPU build from PyTorch's CPU index when there is no NVIDIA GPU and no local wheel;
  the default (CUDA) build where ``nvidia-smi`` answers; a local wheel pip is configured with
  first. The GPU is simulated by an ``nvidia-smi`` script on PATH; "no local wheel" by running
  pip with no configuration (``PIP_CONFIG_FILE=/dev/null``); a local wheel by a minimal wheel
  file in a ``find-links`` folder.
- browser: where apt has no ``chromium`` package (Ubuntu), ``make browser`` says so and exits 0
  (``make test`` goes on) and the browser tests skip with the reason.

The expected lines are PyTorch's documented index URL and the reasons written in the Makefile.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def _env(fake: Path, **extra: str) -> dict[str, str]:
    """The environment minus pip's configuration and any real nvidia-smi, ``fake`` first."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "nvidia-smi").exists()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PATH=os.pathsep.join([str(fake), *keep]), PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    env.pop("CHROMIUM", None)
    return env


def _make(target: str, env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # VENV points at nothing, so the dry run asks this Python's pip (as a bare machine's would)
    return subprocess.run(["make", "-s", "-C", str(ROOT), target, f"VENV={tmp_path / 'no-venv'}",
                           f"PYTHON={sys.executable}", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_no_gpu_and_no_local_wheel_takes_the_cpu_index(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    out = _make("check-setup", _env(fake), tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"the CPU build from {CPU_INDEX}" in out.stdout, out.stdout


def test_nvidia_smi_takes_the_default_cuda_build(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    _tool(fake, "nvidia-smi", "echo 'GPU 0: NVIDIA H200'; exit 0")
    out = _make("check-setup", _env(fake), tmp_path)
    assert out.returncode == 0, out.stderr
    assert "the default build from the package index" in out.stdout, out.stdout
    assert CPU_INDEX not in out.stdout


def test_a_local_wheel_is_taken_first(tmp_path):
    fake, wheels = tmp_path / "bin", tmp_path / "wheels"
    fake.mkdir()
    wheels.mkdir()
    info = "torch-2.13.0.dist-info"
    with zipfile.ZipFile(wheels / "torch-2.13.0-py3-none-any.whl", "w") as z:
        z.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                    "Tag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    out = _make("check-setup", _env(fake, PIP_FIND_LINKS=str(wheels)), tmp_path)
    assert out.returncode == 0, out.stderr
    assert "from the local wheel" in out.stdout, out.stdout


def test_no_chromium_package_skips_the_browser_tests_with_the_reason(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    # Ubuntu: apt knows no 'chromium' package (only a snap stub elsewhere)
    _tool(fake, "apt-cache", "echo 'E: No packages found' >&2; exit 100")
    _tool(fake, "apt-get", 'case "$1" in update) exit 0;; *) echo "E: Package \'chromium\' has no '
                           'installation candidate" >&2; exit 100;; esac')
    env = _env(fake)
    gone = f"CHROMIUM_BIN={tmp_path / 'no-chromium'}"
    out = _make("check-setup", env, tmp_path, gone)
    assert out.returncode == 0, out.stderr
    assert "browser tests: skipped with the reason (no 'chromium' apt package" in out.stdout
    out = _make("browser", env, tmp_path, gone)
    assert out.returncode == 0, out.stderr  # `make test` does not stop here
    assert "the browser tests will be skipped" in out.stdout, out.stdout
    # and pytest then skips them, saying why
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                          "tests/test_ui_load.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "CHROMIUM": "none",
                                           "PYTHONPATH": str(ROOT)})
    assert run.returncode in (0, 5), run.stdout[-2000:]  # 5: every test skipped
    assert "SKIPPED" in run.stdout and "no Chromium found" in run.stdout, run.stdout[-2000:]
