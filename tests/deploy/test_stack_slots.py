"""OAE_STACK_SLOT applies to every profile and every command (deploy/dev/stack.py): a stop in
one slot can never reach another slot's ports or data, the dev stack's included."""

from __future__ import annotations

import dataclasses

import pytest

from tests.faults.conftest import stack

COMMANDS = ["up", "down", "status", "env", "run", "test", "bench"]
PROFILES = ["dev", "test", "bench"]


def _ports(profile) -> set[int]:
    ports = {profile.pg, profile.redis, profile.s3, profile.master, profile.volume, profile.filer}
    ports |= {port + 10000 for port in (profile.s3, profile.master, profile.volume, profile.filer)}
    if profile.web:
        # gunicorn, and beside it the live channel (make run) or nginx (make loadtest)
        ports |= {profile.web, profile.web + (1 if profile.kind == "dev" else 2)}
    if profile.kind == "test":
        ports |= {profile.ldap, profile.pgbouncer}
    return ports


def test_the_slot_moves_the_dev_profile_that_make_stop_stops():
    # `OAE_STACK_SLOT=7 make stop` is `stack.py down --profile dev` in slot 7.
    slot0 = stack.profile_for("down", "dev", slot=0)
    slot7 = stack.profile_for("down", "dev", slot=7)
    assert slot0.web == 8000 and slot0.var.name == "dev"
    assert slot7.name == "dev-7" and slot7.var.name == "dev-7"
    assert slot7.run_dir != slot0.run_dir  # the pid files `down` reads and kills
    assert not _ports(slot7) & _ports(slot0)


def test_the_environment_variable_picks_the_slot(monkeypatch):
    monkeypatch.setenv("OAE_STACK_SLOT", "7")
    assert stack.profile_for("down", None).name == "dev-7"
    assert stack.profile_for("bench", None).name == "bench-7"
    assert stack._profiles()["bench"].name == "bench-7"  # what the load test stops
    monkeypatch.setenv("OAE_STACK_SLOT", "")
    assert stack.profile_for("down", None).name == "dev"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_stays_in_its_slot(command):
    for slot in range(10):
        for name in [None, *PROFILES]:
            profile = stack.profile_for(command, name, slot=slot)
            assert profile.name.endswith(f"-{slot}") == (slot != 0)


def test_no_two_profiles_of_any_two_slots_share_a_port_or_a_directory():
    everyone = [stack._profiles(slot)[name] for slot in range(10) for name in PROFILES]
    seen: dict[int, str] = {}
    for profile in everyone:
        for port in _ports(profile):
            assert port not in seen, (port, profile.name, seen.get(port))
            seen[port] = profile.name
    assert len({profile.var for profile in everyone}) == len(everyone)
    assert len({profile.bucket for profile in everyone}) == len(everyone)
    assert all(dataclasses.is_dataclass(profile) for profile in everyone)


def test_a_wipe_removes_a_tree_of_many_files_and_tolerates_a_missing_one(tmp_path):
    # The fleet bench's cluster has millions of files: wipe unlinks them in parallel first.
    tree = tmp_path / "pg"
    for index in range(40):
        folder = tree / "base" / str(index)
        folder.mkdir(parents=True)
        for name in range(25):
            (folder / f"{name}").write_bytes(b"\0" * 8192)
    (tree / "empty").mkdir()
    stack.remove_tree(tree)
    assert not tree.exists()
    stack.remove_tree(tmp_path / "never-made")  # nothing to do, no error
