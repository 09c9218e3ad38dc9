"""Where an output goes (cgt_claimcheck/output_file.py): every writer, every kind of target.

A regular file is replaced atomically; a symlink is followed; a device, FIFO, socket or
/dev/std* is written in place and never renamed over; `-` is stdout; a write error exits 2
naming the path; a stop signal leaves no temporary file. The device cases make their own nodes
in a temporary folder with mknod (root only: CI runs as root), never touching the machine's.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.output_file import OutputError, write_output

REPO = Path(__file__).resolve().parent.parent
ERRORS = str(REPO / "examples" / "claims_with_errors.csv")
X12 = str(REPO / "examples" / "claims.x12")
runner = CliRunner()
needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")

# Every writer of the CLI, as (arguments before the output path, the option that names it).
WRITERS = {
    "check -o": (["check", ERRORS, "--format", "json", "-o"], "report"),
    "check --write-baseline": (["check", ERRORS, "--format", "json", "--write-baseline"], "baseline"),
    "convert -o": (["convert", X12, "--to", "csv", "-o"], "extract"),
}


def _device(folder: Path, name: str, minor: int) -> Path:
    """A character device of the memory driver (major 1): minor 3 is null, 7 is full."""
    path = folder / name
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def _mode(path: Path) -> int:
    return os.lstat(path).st_mode


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@needs_root
@pytest.mark.parametrize("writer", WRITERS)
def test_a_null_device_stays_a_device(tmp_path, writer):
    null = _device(tmp_path, "null", 3)
    args, _ = WRITERS[writer]
    result = runner.invoke(app, [*args, str(null)])
    assert result.exit_code in (0, 1), result.output
    assert stat.S_ISCHR(_mode(null)) and os.major(os.lstat(null).st_rdev) == 1
    assert _leftovers(tmp_path) == []


@needs_root
@pytest.mark.parametrize("writer", WRITERS)
def test_a_full_device_exits_2_naming_the_path(tmp_path, writer):
    full = _device(tmp_path, "full", 7)
    args, _ = WRITERS[writer]
    result = runner.invoke(app, [*args, str(full)])
    assert result.exit_code == 2, result.output
    assert str(full) in result.stderr and "No space left on device" in result.stderr
    assert stat.S_ISCHR(_mode(full)) and _leftovers(tmp_path) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_fifo_is_written_in_place_for_its_reader(tmp_path, writer):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    args, _ = WRITERS[writer]
    result = runner.invoke(app, [*args, str(fifo)])
    reader.join(timeout=60)
    assert result.exit_code in (0, 1), result.output
    assert stat.S_ISFIFO(_mode(fifo)) and received and received[0].strip()


@pytest.mark.parametrize("writer", WRITERS)
def test_a_symlink_is_followed_and_stays_a_link(tmp_path, writer):
    real = tmp_path / "real.out"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "link.out"
    link.symlink_to(real.name)
    args, _ = WRITERS[writer]
    result = runner.invoke(app, [*args, str(link)])
    assert result.exit_code in (0, 1), result.output
    assert stat.S_ISLNK(_mode(link)) and os.readlink(link) == real.name
    assert real.read_text() != "old\n" and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_a_dangling_symlink_creates_the_file_it_names(tmp_path):
    link = tmp_path / "report.json"
    link.symlink_to("made.json")
    result = runner.invoke(app, ["check", ERRORS, "--format", "json", "-o", str(link)])
    assert result.exit_code == 1
    assert stat.S_ISLNK(_mode(link)) and json.loads((tmp_path / "made.json").read_text())["findings"]


def test_a_folder_is_refused(tmp_path):
    result = runner.invoke(app, ["check", ERRORS, "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_a_legal_250_character_name_is_written(tmp_path):
    target = tmp_path / ("r" * 245 + ".json")
    result = runner.invoke(app, ["check", ERRORS, "--format", "json", "-o", str(target)])
    assert result.exit_code == 1, result.stderr
    assert json.loads(target.read_text())["findings"] and _leftovers(tmp_path) == []


def test_a_failed_baseline_names_the_baseline_not_the_report(tmp_path):
    report = tmp_path / "report.json"
    baseline = tmp_path / "no-such-folder" / "baseline.json"
    result = runner.invoke(
        app, ["check", ERRORS, "--format", "json", "-o", str(report), "--write-baseline", str(baseline)]
    )
    assert result.exit_code == 2
    assert str(baseline) in result.stderr and str(report) not in result.stderr


def test_a_socket_is_written_in_place(tmp_path):
    path = tmp_path / "out.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    received = bytearray()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            while chunk := connection.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    write_output(str(path), lambda stream: stream.write("hello\n"))
    thread.join(timeout=10)
    server.close()
    assert bytes(received) == b"hello\n" and stat.S_ISSOCK(_mode(path))


def test_a_write_error_leaves_no_temporary_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "kept.json"
    target.write_text("previous\n")

    def broken(stream) -> None:
        stream.write("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="kept.json: cannot be written \\(No space left on device\\)"):
        write_output(str(target), broken)
    assert target.read_text() == "previous\n" and _leftovers(tmp_path) == []


# --- as a real process: the process's own streams, and stop signals -------------------------------
def _cli(*args: str, **options) -> subprocess.Popen:
    env = {**os.environ, "CI": "1"}
    return subprocess.Popen([sys.executable, "-m", "cgt_claimcheck", *args], env=env, **options)


def test_dev_stdout_and_dash_write_to_the_process_stdout(tmp_path):
    for args in (
        ["check", ERRORS, "--format", "json", "-o", "/dev/stdout"],
        ["convert", X12, "-o", "-"],
    ):
        process = _cli(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        out, err = process.communicate(timeout=120)
        assert process.returncode in (0, 1), err
        assert out.strip(), args
        assert not (tmp_path / "-").exists()
        if args[0] == "check":
            assert json.loads(out)["findings"]
        else:
            assert out.startswith(b"claim_id,") or b"claim_id" in out.split(b"\n", 1)[0]


@pytest.mark.parametrize(
    ("command", "signum"), [("check", signal.SIGTERM), ("check", signal.SIGHUP), ("convert", signal.SIGTERM)]
)
def test_a_stop_signal_leaves_no_temporary_file_and_the_old_report(tmp_path, command, signum):
    rows = (REPO / "examples" / "claims.csv").read_text().splitlines()
    header, body = rows[0], rows[1:]
    big = tmp_path / "big.csv"
    with big.open("w") as fh:  # enough lines for the run to be stopped while it works
        fh.write(header + "\n")
        for copy in range(15000):  # a few seconds of work (6,000 copies took under 1.5 s once the engine was Arrow)
            fh.writelines(line.replace(",", f",{copy}", 1) + "\n" for line in body)
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    out.write_text("previous\n")
    args = ["--format", "json"] if command == "check" else ["--to", "csv"]
    process = _cli(command, str(big), *args, "-o", str(out), stderr=subprocess.PIPE)
    if command == "convert":  # it streams into its temporary file: stop it while that file is being written
        deadline = time.monotonic() + 60
        while not _leftovers(out.parent) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    else:
        time.sleep(1.5)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    if process.returncode in (0, 1) or out.read_text() != "previous\n":
        pytest.skip("the run finished before the signal arrived")
    assert process.returncode == 128 + signum, err
    assert b"interrupted (" + signal.Signals(signum).name.encode() + b")" in err and b"Traceback" not in err
    assert out.read_text() == "previous\n" and _leftovers(out.parent) == []


def test_convert_prints_file_names_as_written_never_as_markup(tmp_path):
    from typer.testing import CliRunner

    from cgt_claimcheck.cli import app

    source = tmp_path / "[bold]claims.x12"
    source.write_bytes((Path(__file__).parent.parent / "examples" / "claims.x12").read_bytes())
    target = tmp_path / "[red]out.csv"
    result = CliRunner().invoke(app, ["convert", str(source), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "[bold]claims.x12: 13 service lines" in result.stderr  # rich swallowed "[bold]" as a style
    assert f"wrote 13 lines to {target} (csv)" in result.stderr


@pytest.mark.parametrize("render_name", ["render", "render_lines"])
def test_json_findings_are_the_same_through_the_bytes_under_a_stream_or_as_text(ref, render_name):
    """JSON findings go to the bytes under a UTF-8 stream, and through `write` as text where the
    stream has no bytes under it (io.StringIO) or writes another encoding: the same report."""
    import io

    from cgt_claimcheck.engine import CheckOptions, run_check
    from cgt_claimcheck.reporters import json_report

    report = run_check([ERRORS], ref, CheckOptions())
    render = getattr(json_report, render_name)
    as_text = io.StringIO()
    render(report, as_text)
    for encoding in ("utf-8", "utf-16"):
        raw = io.BytesIO()
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as stream:
            stream.write("head ")  # text before the findings goes first
            render(report, stream)
            stream.flush()
            assert raw.getvalue().decode(encoding) == "head " + as_text.getvalue()
    assert json.loads(as_text.getvalue()) if render_name == "render" else as_text.getvalue().count("\n") > 3
