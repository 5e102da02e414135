"""init_model and the bare initializers on torch DTensors: FSDP2 ``fully_shard`` and a
tensor-parallel plan, on CPU with gloo, world sizes 1, 2 and 4 (one process per rank, launched
here as torchrun would: loopback, a free port).

Each world size runs every scenario of ``dtensor_worker.py`` once (one launch per world size);
the tests compare what the ranks saved with the single-process init: the same (global) fans and
states, every drawn weight's statistics against its law, no shard drawn alike to another
(replicas excepted), no allocation of a weight's global size on a sharded rank, and at world size
1 the single-process values bit for bit.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import dtensor_worker as worker
import pytest
import torch
from torch_helpers import assert_matches

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="torch.distributed is not available")

WORLD_SIZES = (1, 2, 4)
LAUNCH_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(world: int, out: Path) -> list[dict[str, Any]]:
    """Run ``dtensor_worker.py`` on ``world`` ranks; each rank's saved results, by rank."""
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen(
        [sys.executable, worker.__file__, str(rank), str(world), str(port), str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in range(world)]
    logs = []
    try:
        for proc in procs:
            logs.append(proc.communicate(timeout=LAUNCH_TIMEOUT_S)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    failed = [(rank, p.returncode) for rank, p in enumerate(procs) if p.returncode]
    assert not failed, f"ranks {failed} failed:\n" + "\n".join(logs)[-4000:]
    return [torch.load(out / f"rank{rank}.pt", weights_only=False) for rank in range(world)]


@pytest.fixture(scope="module", params=WORLD_SIZES, ids=lambda w: f"world{w}")
def ranks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> list[dict[str, Any]]:
    return launch(request.param, tmp_path_factory.mktemp(f"world{request.param}"))


@pytest.fixture(scope="module")
def references() -> dict[str, Any]:
    return {name: worker.reference(name) for name in worker.MODELS}


SCENARIOS = list(worker.MODELS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_states_and_global_fans_as_single_process(ranks, references, scenario) -> None:
    _, report = references[scenario]
    for rank, saved in enumerate(ranks):
        got = saved[scenario]
        assert got["states"] == {r.name: r.state for r in report}, f"rank {rank}, {scenario}"
        assert got["fans"] == {r.name: r.fans for r in report}, f"rank {rank}, {scenario}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_gathered_weights_follow_their_law(ranks, references, scenario) -> None:
    _, report = references[scenario]
    full = ranks[0][scenario]["full"]
    for record in report.by_state("drawn"):
        assert_matches(full[record.name], record.distribution,
                       f"{scenario} {record.name} world {len(ranks)}")
    for record in report.by_state("zeroed"):
        assert not full[record.name].any(), f"{scenario} {record.name} should be zeros"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_rank_gathers_the_same_model(ranks, scenario) -> None:
    first = ranks[0][scenario]["full"]
    for rank, saved in enumerate(ranks[1:], 1):
        for name, tensor in saved[scenario]["full"].items():
            assert torch.equal(tensor, first[name]), f"rank {rank} gathered another {name}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_two_shards_drawn_alike(ranks, references, scenario) -> None:
    _, report = references[scenario]
    for record in report.by_state("drawn"):
        shards = [saved[scenario]["local"][record.name] for saved in ranks]
        for (i, a), (j, b) in itertools.combinations(enumerate(shards), 2):
            if a.numel() and a.shape == b.shape:
                same = (a == b).float().mean().item()
                assert same < 0.01, (
                    f"ranks {i} and {j} hold {same:.0%} equal values in their shards of "
                    f"{record.name}, but should hold independent draws [{scenario}]")


@pytest.mark.parametrize("scenario", SCENARIOS + [f"{s}@portable" for s in SCENARIOS])
def test_no_global_size_buffer_on_a_shard(ranks, scenario) -> None:
    if len(ranks) == 1:
        pytest.skip("one rank holds the whole weight")
    if scenario not in ranks[0]:
        pytest.skip("portable mode (xavier_core.PortableKey) not on main")
    for rank, saved in enumerate(ranks):
        local = max(t.numel() * t.element_size() for t in saved[scenario]["local"].values())
        assert saved[scenario]["largest_allocation"] <= local, (
            f"rank {rank} allocated {saved[scenario]['largest_allocation']} bytes in init_model, "
            f"but should allocate at most its largest shard, {local} bytes [{scenario}]")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_world_size_1_is_the_single_process_init(ranks, references, scenario) -> None:
    if len(ranks) != 1:
        pytest.skip("values depend on the mesh beyond one rank (see dtensor.py)")
    model, report = references[scenario]
    expected = model.state_dict()
    for record in report.by_state("drawn"):
        assert torch.equal(ranks[0][scenario]["full"][record.name], expected[record.name]), \
            f"{record.name} differs from the single-process init [{scenario}]"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sharded_model_computes_with_the_drawn_weights(ranks, scenario) -> None:
    """The sharded model's forward pass equals the plain model's loaded with the gathered
    weights: FSDP2 and TP compute with what init_model wrote into the shards."""
    for rank, saved in enumerate(ranks):
        gap = saved[scenario]["forward_gap"]
        assert gap < 1e-5, (f"rank {rank}: the sharded forward differs by {gap:.3g}, but should "
                            f"match the gathered model's to 1e-5 [{scenario}]")


def test_device_flow_refuses_meta_dtensors_with_what_to_do(ranks) -> None:
    """init_model(device=) cannot rebuild FSDP2's parameters: a clear error, nothing written."""
    for rank, saved in enumerate(ranks):
        message = saved["device-flow"]
        assert "DTensor on the meta device" in message and "to_empty" in message and \
            "uninitialized=True" in message, f"rank {rank}: got {message!r}"


def _mesh_coordinates(world: int) -> list[tuple[int, int]]:
    rows = 2 if world >= 2 else 1
    return [divmod(rank, world // rows) for rank in range(world)]


BARE = {"s0s1": None, "s1r": 0, "rs0": 1}
"""Each bare case: the mesh dimension (dp 0, tp 1) whose coordinate picks the shard, or None
when both do."""


@pytest.mark.parametrize("case", list(BARE))
def test_bare_initializer_global_fans_and_replicas(ranks, case) -> None:
    import xavier_core as xc

    full = ranks[0]["bare"][case]["full"]
    fans = xc.Fans(worker.BARE_SHAPE[1], worker.BARE_SHAPE[0])
    assert_matches(full, xc.glorot_normal().distribution_for(fans),
                   f"xavier_normal_ on a {worker.BARE_SHAPE} DTensor, {case}, world {len(ranks)}")
    coordinates = _mesh_coordinates(len(ranks))
    for i, j in itertools.combinations(range(len(ranks)), 2):
        a, b = ranks[i]["bare"][case]["local"], ranks[j]["bare"][case]["local"]
        axis = BARE[case]
        replicas = coordinates[i] == coordinates[j] if axis is None else (
            coordinates[i][axis] == coordinates[j][axis])
        if replicas:
            assert torch.equal(a, b), f"ranks {i} and {j} hold one shard, but differ [{case}]"
        elif a.shape == b.shape:
            assert (a == b).float().mean().item() < 0.01, \
                f"ranks {i} and {j} hold distinct shards, but drew them alike [{case}]"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_local_indices_locate_each_shard(ranks, scenario) -> None:
    for rank, saved in enumerate(ranks):
        wrong = [name for name, holds in saved[scenario]["indices_hold"].items() if not holds]
        assert not wrong, (f"rank {rank}: dtensor.local_indices misplaces the shards of {wrong}, "
                           f"placements {saved[scenario]['placements']} [{scenario}]")


needs_portable = pytest.mark.skipif(not worker.PORTABLE,
                                    reason="portable mode (xavier_core.PortableKey) not on main")


@needs_portable
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_portable_key_gives_the_single_process_values(ranks, scenario) -> None:
    """Bit for bit, at every world size, for every placement (Shard, uneven shards,
    _StridedShard over tensor parallel, Replicate)."""
    model, report = worker.reference(scenario, portable=True)
    expected = model.state_dict()
    for rank, saved in enumerate(ranks):
        full = saved[f"{scenario}@portable"]["full"]
        for record in report.by_state("drawn"):
            got, want = full[record.name], expected[record.name]
            assert torch.equal(got, want), (
                f"rank {rank} of {len(ranks)}: {record.name} differs from the single-process "
                f"portable init at {(got != want).sum().item()} of {want.numel()} values "
                f"[{scenario}, {saved[f'{scenario}@portable']['placements'].get(record.name)}]")


@needs_portable
@pytest.mark.parametrize("case", list(BARE))
def test_portable_key_bare_initializer_on_a_2d_mesh(ranks, case) -> None:
    from xavier_adapters import torch as xt

    want = xt.xavier_normal_(torch.empty(worker.BARE_SHAPE),
                             generator=worker.xc.PortableKey(worker.SEED))
    for rank, saved in enumerate(ranks):
        got = saved["bare@portable"][case]["full"]
        assert torch.equal(got, want), (
            f"rank {rank} of {len(ranks)}: xavier_normal_ on a {case} DTensor differs from the "
            f"plain tensor's portable draw at {(got != want).sum().item()} values")
