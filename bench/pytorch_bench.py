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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
from make_fixtures import source_map  # noqa: E402  (one implementation of the plan maps)


def weight_map(s, n):
    return [0] * n if s == "all" else list(range(n))


class GPT(torch.nn.Module):
    """nanoGPT's model (pre-LN, GELU MLP, learned positions, untied head) with shareformer's plan maps."""

    def __init__(self, c):
        super().__init__()
        L, d, self.H, V, T = c["layers"], c["dModel"], c["heads"], c["vocab"], c["context"]
        self.d, self.L = d, L
        self.wsets = weight_map(c.get("shareWeights", "none"), L)
        self.kv = source_map(c.get("shareKv", "none"), L)
        self.att = source_map(c.get("shareAttention", "none"), L)
        self.wte, self.wpe = torch.nn.Embedding(V, d), torch.nn.Embedding(T, d)
        sets = sorted(set(self.wsets))
        self.blocks = torch.nn.ModuleList()
        for s in sets:
            users = [i for i in range(L) if self.wsets[i] == s]
            b = torch.nn.Module()
            b.ln1, b.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
            if any(self.att[i] == i for i in users):
                b.q = torch.nn.Linear(d, d)
            if any(self.kv[i] == i and self.att[i] == i for i in users):
                b.k = torch.nn.Linear(d, d)
            if any(self.kv[i] == i for i in users):
                b.v = torch.nn.Linear(d, d)
            b.o, b.fc, b.proj = torch.nn.Linear(d, d), torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)
            self.blocks.append(b)
        self.ln_f, self.head = torch.nn.LayerNorm(d), torch.nn.Linear(d, V, bias=False)

    def forward(self, idx, cache=None):
        B, T = idx.shape
        past = 0 if cache is None or cache.get(0) is None else cache["len"]
        x = self.wte(idx) + self.wpe(torch.arange(past, past + T))
        H, hd = self.H, self.d // self.H
        keys, values, probs = {}, {}, {}
        split = lambda t: t.view(B, T, H, hd).transpose(1, 2)
        for i in range(self.L):
            b = self.blocks[self.wsets[i]]
            h = b.ln1(x)
            if self.kv[i] == i:
                if self.att[i] == i:
                    k = split(b.k(h))
                    if cache is not None:
                        k = torch.cat([cache[("k", i)], k], 2) if ("k", i) in cache else k
                        cache[("k", i)] = k
                    keys[i] = k
                v = split(b.v(h))
                if cache is not None:
                    v = torch.cat([cache[("v", i)], v], 2) if ("v", i) in cache else v
                    cache[("v", i)] = v
                values[i] = v
            if self.att[i] == i:
                q = split(b.q(h))
                K = keys[self.kv[i]]
                S = K.shape[2]
                s = (q @ K.transpose(-1, -2)) / math.sqrt(hd)
                if T > 1:
                    mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
                    s = s.masked_fill(~mask, float("-inf"))
                probs[i] = s.softmax(-1)
            y = (probs[self.att[i]] @ values[self.kv[i]]).transpose(1, 2).reshape(B, T, self.d)
            x = x + b.o(y)
            x = x + b.proj(F.gelu(b.fc(b.ln2(x)), approximate="tanh"))
        if cache is not None:
            cache[0] = True
            cache["len"] = past + T
        return self.head(self.ln_f(x))


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
