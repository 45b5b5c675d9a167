"""PyTorch's side of bench/train-floor.mjs: seconds per call of each convolution kernel, one thread.

Usage: python3 bench/train_floor_torch.py KERNELS_JSON REPS. Each kernel ({frames, cin, cout, kind})
is a 'valid' Conv1d of width 5 over a batch of 32, channels first: the forward pass with a fresh
weight every call, or the input or weight gradient (aten.convolution_backward) with a fresh dy
every call; best of six rounds after a warm-up round, as bench/train-floor.mjs times ours.
Prints one JSON line: {"seconds": [...], "torch": version, "capability": CPU kernels used}.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
kernels = json.loads(sys.argv[1])
reps = int(sys.argv[2])
BATCH, K = 32, 5


def best(make_fresh, run):
    out = float("inf")
    for rnd in range(7):
        fresh = [make_fresh() for _ in range(reps)]
        t = time.perf_counter()
        for f in fresh:
            run(f)
        if rnd > 0:
            out = min(out, (time.perf_counter() - t) / reps)
    return out


seconds = []
with torch.no_grad():
    for k in kernels:
        x = torch.randn(BATCH, k["cin"], k["frames"])
        w = torch.randn(k["cout"], k["cin"], K)
        dy_shape = (BATCH, k["cout"], k["frames"] - K + 1)
        if k["kind"] == "forward":
            s = best(lambda: torch.randn(w.shape), lambda f: F.conv1d(x, f))
        else:
            mask = [k["kind"] == "input gradient", k["kind"] == "filter gradient", False]
            s = best(
                lambda: torch.randn(dy_shape),
                lambda dy: torch.ops.aten.convolution_backward(
                    dy, x, w, None, [1], [0], [1], False, [0], 1, mask
                ),
            )
        seconds.append(s)
try:
    capability = torch.backends.cpu.get_cpu_capability()
except AttributeError:
    capability = "cpu"
print(json.dumps({"seconds": seconds, "torch": torch.__version__, "capability": capability}))
