#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the same measurements, same configs, on this machine.

Prints one JSON object: sgemm GFLOP/s by size, GPT training tokens/s, and KV-cache decoding tokens/s
for sharing plans. Each figure is PyTorch's best over 1 and 2 threads (OMP_WAIT_POLICY=PASSIVE is
set by the caller), as a fair baseline. Usage: python3 pytorch_bench.py '<json spec>'
"""
import json
import math
import sys
import time

import os

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shareformer import (
    ShareformerLM,
)  # noqa: E402  (the one PyTorch implementation of the model)
from shareformer.config import resolve_config  # noqa: E402
from shareformer.strategies import plan_json  # noqa: E402


def GPT(c):
    """The bench's GPT (pre-LN, GELU, learned positions, untied head, nanoGPT's shape) with its plan."""
    config = resolve_config(
        {
            "vocabSize": c["vocab"],
            "layers": c["layers"],
            "dModel": c["dModel"],
            "heads": c["heads"],
            "context": c["context"],
            "shareWeights": c.get("shareWeights", "none"),
            "shareKv": c.get("shareKv", "none"),
            "shareAttention": c.get("shareAttention", "none"),
        }
    )
    model = ShareformerLM(config, plan_json(config), seed=None)
    with torch.no_grad():  # torch's generator: speed does not depend on which weights
        for name, p in model.named_tensors():
            if p.dim() >= 2:
                torch.nn.init.normal_(p, 0, 0.02)
            elif name.endswith(".weight"):
                p.fill_(1)
    return model


def best_over_threads(fn):
    best = 0.0
    for threads in (1, 2):
        torch.set_num_threads(threads)
        best = max(best, fn())
    return best


def matmul_gflops(n, seconds=1.0):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def train_tokens_per_s(c, steps):
    torch.manual_seed(0)
    model = GPT(c)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    B, T = c["batch"], c["context"]
    data = torch.randint(0, c["vocab"], (steps + 2, B, T + 1))

    def step(i):
        logits = model(data[i, :, :-1])
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), data[i, :, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step(0)
    step(1)
    t0 = time.perf_counter()
    for i in range(steps):
        step(i + 2)
    return B * T * steps / (time.perf_counter() - t0)


@torch.no_grad()
def decode_tokens_per_s(c, new_tokens):
    torch.manual_seed(0)
    model = GPT(c).eval()
    rate = 0.0
    for _ in range(2):  # the first run warms up, as on shareformer's side; the second is timed
        cache = {}
        logits = model(torch.randint(0, c["vocab"], (1, 1)), cache)
        t0 = time.perf_counter()
        for _ in range(new_tokens - 1):
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            logits = model(nxt, cache)
        rate = (new_tokens - 1) / (time.perf_counter() - t0)
    return rate


def main():
    spec = json.loads(sys.argv[1])
    out = {"torch": torch.__version__, "matmul": {}, "train": {}, "decode": {}}
    for n in spec["matmul"]:
        out["matmul"][str(n)] = best_over_threads(lambda: matmul_gflops(n))
    for name, c in spec["train"].items():
        out["train"][name] = best_over_threads(lambda: train_tokens_per_s(c, c["steps"]))
    for name, c in spec["decode"].items():
        out["decode"][name] = best_over_threads(lambda: decode_tokens_per_s(c, c["newTokens"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
