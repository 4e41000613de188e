"""Which files ``--manifests DIR`` reads, and what it reports when it cannot follow one:
symlinks (ConfigMap mounts, folders inside and outside DIR, loops, dangling links), FIFOs,
devices and permissions. Nothing that cannot be read is ever skipped silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dns.zone
import pytest

from dnssync.sources.manifest_files import list_manifests
from dnssync.sources.manifests import read_manifests
from tests.dnssync.sources.hostile_fs import (
    configmap_mount,
    fifo,
    obeying_permissions,
    run_dnssync,
)

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: web, annotations: {{dnssync.io/hostname: {name}.example.com}}}}
spec: {{type: LoadBalancer, ports: [{{port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: 192.0.2.1}}]}}}}
"""


def service(name: str) -> str:
    return SERVICE.format(name=name)


def shown(directory: Path) -> tuple[list[str], list[tuple[str, str]]]:
    listing = list_manifests(directory)
    return [f.shown for f in listing.files], [(p.shown, p.reason) for p in listing.problems]


def names(directory: Path) -> list[str]:
    return sorted(str(o.ref) for o in read_manifests(directory).objects)


def test_configmap_mount_is_read_once_through_its_visible_links(tmp_path: Path) -> None:
    configmap_mount(tmp_path, {"app.yaml": service("app"), "db.yml": service("db")})
    # The kubelet's names: `..data` and the timestamped folder hold the same files.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "..2026_12_02_10_00_00.123456789",
        "..data",
        "app.yaml",
        "db.yml",
    ]
    assert shown(tmp_path) == (["app.yaml", "db.yml"], [])
    snapshot = read_manifests(tmp_path)
    assert sorted(str(o.ref) for o in snapshot.objects) == ["service/web/app", "service/web/db"]
    assert snapshot.complete and not snapshot.diagnostics


def test_configmap_mount_in_a_sub_folder_and_during_an_update(tmp_path: Path) -> None:
    configmap_mount(tmp_path / "cm", {"app.yaml": service("app")})
    # Mid-update the kubelet has written a new timestamped folder and `..data_tmp`.
    newer = tmp_path / "cm" / "..2026_12_02_10_05_00.987654321"
    newer.mkdir()
    (newer / "app.yaml").write_text(service("app"))
    (tmp_path / "cm" / "..data_tmp").symlink_to(newer.name)
    assert shown(tmp_path) == (["cm/app.yaml"], [])


def test_configmap_key_removed_mid_update_is_an_error_not_a_delete(tmp_path: Path) -> None:
    configmap_mount(tmp_path, {"app.yaml": service("app")})
    (tmp_path / "gone.yaml").symlink_to("..data/gone.yaml")
    snapshot = read_manifests(tmp_path)
    assert not snapshot.complete
    (problem,) = snapshot.diagnostics
    assert problem.subject == "gone.yaml"
    assert problem.message == (
        "broken symlink: its target '..data/gone.yaml' does not exist; no deletes this run"
    )


def test_symlinked_folder_inside_dir_is_read_once_by_its_real_path(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "a.yaml").write_text(service("a"))
    (tmp_path / "alias").symlink_to("shared")  # sorts first, but the real path wins
    (tmp_path / "also.yaml").symlink_to("shared/a.yaml")
    assert shown(tmp_path) == (["shared/a.yaml"], [])
    assert names(tmp_path) == ["service/web/a"]


def test_symlinked_folder_outside_dir_is_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "deeper").mkdir(parents=True)
    (outside / "deeper" / "b.yaml").write_text(service("b"))
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "ext").symlink_to(outside)
    assert shown(manifests) == (["ext/deeper/b.yaml"], [])
    assert names(manifests) == ["service/web/b"]


def test_dir_itself_may_be_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.yaml").write_text(service("a"))
    (tmp_path / "link").symlink_to("real")
    assert shown(tmp_path / "link") == (["a.yaml"], [])


def test_symlink_loops_are_errors(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.yaml").write_text(service("ok"))
    (tmp_path / "sub" / "back").symlink_to("..")
    (tmp_path / "sub" / "self").symlink_to(".")
    (tmp_path / "me.yaml").symlink_to("me.yaml")
    (tmp_path / "ping.yaml").symlink_to("pong.yaml")
    (tmp_path / "pong.yaml").symlink_to("ping.yaml")
    assert shown(tmp_path) == (
        ["sub/ok.yaml"],
        [
            ("me.yaml", "symlink loop"),
            ("ping.yaml", "symlink loop"),
            ("pong.yaml", "symlink loop"),
            ("sub/back", "symlink loop: leads back to the --manifests folder itself"),
            ("sub/self", "symlink loop: leads back to sub/"),
        ],
    )
    snapshot = read_manifests(tmp_path)
    assert not snapshot.complete
    assert [str(o.ref) for o in snapshot.objects] == ["service/web/ok"]
    assert {d.severity.value for d in snapshot.diagnostics} == {"Error"}


def test_many_links_to_one_folder_read_it_once(tmp_path: Path) -> None:
    # 2**20 paths lead to the bottom folder; each real folder is read once.
    for level in range(20):
        folder = tmp_path / f"l{level}"
        folder.mkdir()
        if level:
            (tmp_path / f"l{level - 1}" / "x").symlink_to(folder)
            (tmp_path / f"l{level - 1}" / "y").symlink_to(folder)
    (tmp_path / "l19" / "a.yaml").write_text(service("a"))
    assert shown(tmp_path) == (["l19/a.yaml"], [])


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nowhere.yaml", "broken symlink: its target 'nowhere.yaml' does not exist"),
        ("/nonexistent/folder", "broken symlink: its target '/nonexistent/folder' does not exist"),
    ],
)
def test_dangling_symlinks_are_errors(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "good.yaml").write_text(service("good"))
    (tmp_path / "link.yaml").symlink_to(target)
    snapshot = read_manifests(tmp_path)
    assert not snapshot.complete
    assert [str(o.ref) for o in snapshot.objects] == ["service/web/good"]
    (problem,) = snapshot.diagnostics
    assert (problem.subject, problem.message) == ("link.yaml", f"{message}; no deletes this run")


def test_fifo_and_device_named_yaml_are_errors_without_hanging(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(service("good"))
    fifo(tmp_path / "sub" / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    fifo(tmp_path / "notes.txt")  # not a manifest name: never opened, nothing to report
    assert shown(tmp_path) == (
        ["good.yaml"],
        [
            ("sub/pipe.yaml", "is a FIFO (named pipe), not a regular file"),
            ("zero.yaml", "is a character device, not a regular file"),
        ],
    )


def test_hidden_single_dot_folders_are_read(tmp_path: Path) -> None:
    # Only `..`-prefixed names are the kubelet's; `.github/` and the like are read.
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "a.yaml").write_text(service("a"))
    assert shown(tmp_path) == ([".hidden/a.yaml"], [])


UNREADABLE_PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from dnssync.sources.manifests import read_manifests
    s = read_manifests(Path(sys.argv[1]))
    problems = [[d.subject, d.message, d.severity.value] for d in s.diagnostics]
    objects = sorted(str(o.ref) for o in s.objects)
    print(json.dumps({"complete": s.complete, "objects": objects, "problems": problems}))
    """
)


def read_obeying_permissions(directory: Path) -> dict[str, object]:
    """read_manifests in a child that cannot read what the permissions forbid (even as
    root: see hostile_fs)."""
    result = subprocess.run(
        [sys.executable, "-c", UNREADABLE_PROBE, str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=obeying_permissions(),
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_unreadable_folder_and_file_are_errors_even_as_root(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(service("good"))
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.yaml").write_text(service("hidden"))
    secret = tmp_path / "secret.yaml"
    secret.write_text(service("secret"))
    listable = tmp_path / "listable"  # r but no x: names are listed, nothing can be opened
    listable.mkdir()
    (listable / "in.yaml").write_text(service("in"))
    locked.chmod(0o000)
    secret.chmod(0o000)
    listable.chmod(0o444)
    try:
        result = read_obeying_permissions(tmp_path)
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
        listable.chmod(0o755)
    assert result == {
        "complete": False,
        "objects": ["service/web/good"],
        "problems": [
            [
                "listable/in.yaml",
                "cannot be read: permission denied; no deletes this run",
                "Error",
            ],
            ["locked/", "folder cannot be opened: permission denied; no deletes this run", "Error"],
            ["secret.yaml", "cannot be read: permission denied; no deletes this run", "Error"],
        ],
    }


def test_unreadable_manifests_make_plan_exit_1_without_deletes(tmp_path: Path) -> None:
    """The CLI as a user runs it, in a process that obeys permissions even as root."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "good.yaml").write_text(service("good"))
    locked = manifests / "team-b"
    locked.mkdir()
    (locked / "b.yaml").write_text(service("b"))
    zones = tmp_path / "zones"
    zones.mkdir()
    owned = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/web/b"'
    (zones / "example.com.zone").write_text(
        "$ORIGIN example.com.\n@ 3600 SOA ns1 h 1 3600 600 1209600 300\n@ 3600 NS ns1\n"
        f"b 300 A 192.0.2.1\na-b 300 TXT {owned}\n"
    )
    argv = ["--manifests", "manifests", "--provider", "zonefile", "--zonefile-dir", "zones"]
    argv += ["--zone", "example.com", "--owner-id", "default"]
    locked.chmod(0o000)
    try:
        plan = run_dnssync(["plan", "--output", "json", *argv], cwd=tmp_path)
        apply = run_dnssync(["apply", "--yes", *argv], cwd=tmp_path)
    finally:
        locked.chmod(0o755)
    for result in (plan, apply):
        assert "Traceback" not in result.stderr
        assert "error: team-b/: folder cannot be opened: permission denied" in result.stderr
        assert "no deletes this run" in result.stderr
        assert result.returncode == 1, result.stderr
    document = json.loads(plan.stdout)
    assert [c["action"] for c in document["changes"]] == ["create", "create"]
    # The records of the object that could not be read are still there after apply.
    zone = dns.zone.from_file(str(zones / "example.com.zone"), origin="example.com.")
    assert zone.get_rdataset("b", "A") is not None
    assert zone.get_rdataset("good", "A") is not None
