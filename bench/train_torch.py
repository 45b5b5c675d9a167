"""The reference CNN of bench/train.mjs in PyTorch, for the side-by-side figure of `npm run bench:train`.

Same network (Conv1D 64 k5 -> MaxPool 2 -> Conv1D 128 k5 -> MaxPool 2 -> Conv1D 128 k5 -> global
average pooling -> Dense 8), same batch (32 clips of 300 frames x 40 MFCC), Adam 1e-3,
cross-entropy, random inputs; seconds per epoch of 1560 clips extrapolated from the best of three
rounds of timed batches after warm-up. Usage: python3 bench/train_torch.py THREADS [BATCHES]. Prints one JSON line.
"""
import json
import sys
import time

import torch
from torch import nn

threads = int(sys.argv[1])
batches = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)
CLIPS, BATCH = 1560, 32
STEPS = -(-CLIPS // BATCH)

net = nn.Sequential(
    nn.Conv1d(40, 64, 5), nn.ReLU(), nn.MaxPool1d(2),
    nn.Conv1d(64, 128, 5), nn.ReLU(), nn.MaxPool1d(2),
    nn.Conv1d(128, 128, 5), nn.ReLU(),
    nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(128, 8),
)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
# Frames x features, as the tfjs model takes them, transposed to PyTorch's channels-first layout.
x = torch.randn(BATCH, 300, 40).transpose(1, 2).contiguous()
y = torch.randint(0, 8, (BATCH,))


def step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
# The best of three rounds, as bench/train.mjs times ours.
per_batch = float("inf")
for _ in range(3):
    t = time.perf_counter()
    for _ in range(batches):
        step()
    per_batch = min(per_batch, (time.perf_counter() - t) / batches)
print(json.dumps({"threads": threads, "secondsPerEpoch": per_batch * STEPS, "torch": torch.__version__}))
