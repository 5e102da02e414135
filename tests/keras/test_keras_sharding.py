"""A kernel sharded over devices (Keras' JAX distribution API) gets the fans of its global shape.

Keras creates a sharded variable by calling the initializer under ``jax.jit`` with the
variable's sharding; ``init_model`` assigns through the variable, which keeps it. Run in a
subprocess with 4 host devices, since XLA reads its device count once, at start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from keras_helpers import BACKEND, assert_matches

import xavier_core as xc

SCRIPT = """
import json, sys
import keras, numpy as np
from xavier_adapters import keras as xk

mesh = keras.distribution.DeviceMesh((1, 4), ["batch", "model"], keras.distribution.list_devices())
layout_map = keras.distribution.LayoutMap(mesh)
layout_map[".*dense.*kernel"] = (None, "model")
keras.distribution.set_distribution(
    keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
model = keras.Sequential([keras.Input((512,)), keras.layers.Dense(
    1024, kernel_initializer=xk.GlorotTruncatedNormal(seed=5), name="dense")])
kernel = model.layers[0].kernel
created = np.asarray(kernel.value)
created_shard = list(kernel.value.addressable_shards[0].data.shape)
report = xk.init_model(model, "uniform", seed=6)
np.save(sys.argv[1] + "/created.npy", created)
np.save(sys.argv[1] + "/redrawn.npy", np.asarray(kernel.value))
print(json.dumps({"spec": list(kernel.value.sharding.spec), "created_shard": created_shard,
                  "shard": list(kernel.value.addressable_shards[0].data.shape),
                  "fans": list(report["sequential/dense/kernel"].fans)}))
"""


@pytest.mark.skipif(BACKEND != "jax", reason="Keras' distribution API runs on the JAX backend")
def test_sharded_kernel_gets_global_fans(tmp_path: Path) -> None:
    env = {**os.environ, "KERAS_BACKEND": "jax",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                            text=True, env=env, check=True, timeout=300)
    facts = json.loads(result.stdout.splitlines()[-1])
    for key in ("created_shard", "shard"):
        assert facts[key] == [512, 256], f"got {key} {facts[key]}, but should be [512, 256]"
    assert facts["spec"] == [None, "model"], (
        f"got {facts['spec']}, but init_model should keep the kernel's sharding")
    assert facts["fans"] == [512, 1024], f"got fans {facts['fans']}, but should be global"
    global_fans = xc.Fans(512, 1024)
    assert_matches(np.load(tmp_path / "created.npy"),
                   xc.glorot_truncated_normal().distribution_for(global_fans), "created sharded")
    assert_matches(np.load(tmp_path / "redrawn.npy"),
                   xc.glorot_uniform().distribution_for(global_fans), "init_model, sharded")
