#!/usr/bin/env python3
"""Writes the golden fixtures that shareformer's tests compare against.

Every reference value is computed by PyTorch in float64 from float32 inputs, so the fixtures are
exact to far below float32 rounding; the tests measure how close float32 shareformer gets.
Run with Debian's python3-torch:  /usr/bin/python3 python/make_fixtures.py
Outputs: fixtures/ops.safetensors, fixtures/gpt.safetensors, fixtures/llama.safetensors
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from shareformer import (
    ShareformerLM,
)  # noqa: E402  (the model fixtures are computed by the package)
from shareformer.config import Plan, parameter_shapes, resolve_config  # noqa: E402
from shareformer.strategies import plan_json  # noqa: E402
from shareformer.model import alibi_slopes  # noqa: E402

OUT = os.environ.get("SHAREFORMER_FIXTURES_OUT", os.path.join(ROOT, "fixtures"))
torch.manual_seed(1234)

# ---------------------------------------------------------------- safetensors writer
DTYPES = {torch.float64: ("F64", 8), torch.float32: ("F32", 4), torch.int32: ("I32", 4)}


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer (the format is 8-byte header length + JSON header + raw data)."""
    items = sorted(tensors.items(), key=lambda kv: -DTYPES[kv[1].dtype][1])
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in items:
        t = t.contiguous()
        raw = t.numpy().tobytes() if t.numel() else b""
        header[name] = {
            "dtype": DTYPES[t.dtype][0],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    print(f"wrote {os.path.relpath(path, ROOT)}: {len(tensors)} tensors, {8 + len(js) + offset} bytes")


def f32(*shape, scale=1.0):
    """A float32 input (exactly representable), returned as float64 for the computation."""
    return (torch.randn(tuple(shape)) * scale).float().double()


# ---------------------------------------------------------------- op cases
def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def rope_ref(x, offset=0, base=10000.0):
    d, t = x.shape[-1], x.shape[-2]
    inv = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = torch.arange(offset, offset + t, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    return x * cos + rotate_half(x) * sin


def attn_probs_ref(q, k, causal=True, scale=None, softcap=0.0, alibi=None):
    h, g = q.shape[1], k.shape[1]
    k = k.repeat_interleave(h // g, dim=1)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-1, -2) * scale
    if softcap:
        s = softcap * torch.tanh(s / softcap)
    if alibi is not None:  # slope_h · (key position − query position); the queries are the last tq
        tq, tk = q.shape[-2], k.shape[-2]
        distance = torch.arange(tk)[None, :] - (torch.arange(tq)[:, None] + tk - tq)
        s = s + torch.tensor(alibi, dtype=s.dtype)[:, None, None] * distance
    if causal:
        tq, tk = q.shape[-2], k.shape[-2]
        mask = torch.arange(tk)[None, :] > (torch.arange(tq)[:, None] + tk - tq)
        s = s.masked_fill(mask, float("-inf"))
    return s.softmax(-1)


def attend_ref(p, v):
    return p @ v.repeat_interleave(p.shape[1] // v.shape[1], dim=1)


def layer_norm_ref(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm_ref(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def matmul_ref(a, b, transA=False, transB=False):
    return (a.transpose(-1, -2) if transA else a) @ (b.transpose(-1, -2) if transB else b)


CASES = []


def case(name, op, fn, inputs, ints=None, params=None):
    """Runs fn in float64, records inputs, outputs, a random upstream gradient and input gradients."""
    ints = ints or {}
    params = params or {}
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    outs = fn(**leaves, **{k: v.long() for k, v in ints.items()}, **params)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    douts = [f32(*o.shape) for o in outs]
    total = sum((o * d).sum() for o, d in zip(outs, douts))
    total.backward()
    tensors = {}
    for k, v in inputs.items():
        tensors[f"{name}:in:{k}"] = v.float()
        tensors[f"{name}:grad:{k}"] = leaves[k].grad.double()
    for k, v in ints.items():
        tensors[f"{name}:int:{k}"] = v.int()
    for i, (o, d) in enumerate(zip(outs, douts)):
        tensors[f"{name}:out:{i}"] = o.detach().double()
        tensors[f"{name}:dout:{i}"] = d.float()
    CASES.append(
        (
            {
                "name": name,
                "op": op,
                "params": params,
                "inputs": list(inputs),
                "ints": list(ints),
                "outputs": len(outs),
            },
            tensors,
        )
    )


def op_cases():
    case("matmul_2d", "matmul", matmul_ref, {"a": f32(5, 7), "b": f32(7, 3)})
    case(
        "matmul_batched",
        "matmul",
        matmul_ref,
        {"a": f32(2, 3, 4, 6), "b": f32(2, 3, 6, 5)},
    )
    case(
        "matmul_transA",
        "matmul",
        matmul_ref,
        {"a": f32(2, 6, 4), "b": f32(2, 6, 5)},
        params={"transA": True},
    )
    case(
        "matmul_transB",
        "matmul",
        matmul_ref,
        {"a": f32(2, 4, 6), "b": f32(2, 5, 6)},
        params={"transB": True},
    )
    case(
        "matmul_transAB",
        "matmul",
        matmul_ref,
        {"a": f32(2, 6, 4), "b": f32(2, 5, 6)},
        params={"transA": True, "transB": True},
    )
    case("matmul_shared_b", "matmul", matmul_ref, {"a": f32(2, 3, 4, 6), "b": f32(6, 5)})
    case(
        "matmul_shared_b_transB",
        "matmul",
        matmul_ref,
        {"a": f32(3, 4, 6), "b": f32(5, 6)},
        params={"transB": True},
    )
    case("add_same", "add", lambda a, b: a + b, {"a": f32(3, 4), "b": f32(3, 4)})
    case("add_broadcast", "add", lambda a, b: a + b, {"a": f32(2, 3, 4), "b": f32(4)})
    case(
        "sub_broadcast_left",
        "sub",
        lambda a, b: a - b,
        {"a": f32(3, 4), "b": f32(2, 3, 4)},
    )
    case("mul_broadcast", "mul", lambda a, b: a * b, {"a": f32(2, 3, 4), "b": f32(3, 4)})
    case("scale", "scale", lambda x, s: x * s, {"x": f32(3, 5)}, params={"s": -0.375})
    case(
        "reshape",
        "reshape",
        lambda x, shape: x.reshape(shape),
        {"x": f32(2, 3, 4)},
        params={"shape": [4, -1]},
    )
    case(
        "permute",
        "permute",
        lambda x, perm: x.permute(perm),
        {"x": f32(2, 3, 4, 5)},
        params={"perm": [0, 2, 1, 3]},
    )
    case(
        "permute_3",
        "permute",
        lambda x, perm: x.permute(perm),
        {"x": f32(2, 3, 4)},
        params={"perm": [2, 0, 1]},
    )
    case(
        "transpose",
        "transpose",
        lambda x, axis0, axis1: x.transpose(axis0, axis1),
        {"x": f32(2, 3, 4)},
        params={"axis0": 0, "axis1": 2},
    )
    case(
        "split",
        "split",
        lambda x, sizes, axis: torch.split(x, sizes, axis),
        {"x": f32(2, 6, 3)},
        params={"sizes": [2, 3, 1], "axis": 1},
    )
    case(
        "concat",
        "concat",
        lambda a, b, c, axis: torch.cat([a, b, c], axis),
        {"a": f32(2, 1, 3), "b": f32(2, 4, 3), "c": f32(2, 2, 3)},
        params={"axis": 1},
    )
    case(
        "embedding",
        "embedding",
        lambda weight, ids: F.embedding(ids, weight),
        {"weight": f32(7, 5)},
        ints={"ids": torch.tensor([[1, 3, 3], [6, 0, 1]])},
    )
    case(
        "layer_norm",
        "layerNorm",
        lambda x, gamma, beta, eps: layer_norm_ref(x, gamma, beta, eps),
        {"x": f32(3, 4, 16, scale=3.0), "gamma": f32(16), "beta": f32(16)},
        params={"eps": 1e-5},
    )
    case(
        "layer_norm_no_bias",
        "layerNorm",
        lambda x, gamma, eps: layer_norm_ref(x, gamma, None, eps),
        {"x": f32(5, 8), "gamma": f32(8)},
        params={"eps": 1e-5},
    )
    case(
        "rms_norm",
        "rmsNorm",
        lambda x, gamma, eps: rms_norm_ref(x, gamma, eps),
        {"x": f32(3, 4, 16, scale=2.0), "gamma": f32(16)},
        params={"eps": 1e-6},
    )
    case(
        "gelu_tanh",
        "gelu",
        lambda x, approximate: F.gelu(x, approximate=approximate),
        {"x": f32(4, 25, scale=3.0)},
        params={"approximate": "tanh"},
    )
    case(
        "gelu_exact",
        "gelu",
        lambda x, approximate: F.gelu(x, approximate=approximate),
        {"x": f32(4, 25, scale=3.0)},
        params={"approximate": "none"},
    )
    case("silu", "silu", lambda x: F.silu(x), {"x": f32(4, 25, scale=3.0)})
    case("softmax", "softmax", lambda x: x.softmax(-1), {"x": f32(3, 4, 9, scale=3.0)})
    case(
        "attention_mha",
        "attention",
        lambda q, k, v, causal: attend_ref(attn_probs_ref(q, k, causal), v),
        {"q": f32(2, 4, 6, 8), "k": f32(2, 4, 6, 8), "v": f32(2, 4, 6, 8)},
        params={"causal": True},
    )
    case(
        "attention_gqa",
        "attention",
        lambda q, k, v, causal: attend_ref(attn_probs_ref(q, k, causal), v),
        {"q": f32(2, 4, 6, 8), "k": f32(2, 2, 6, 8), "v": f32(2, 2, 6, 8)},
        params={"causal": True},
    )
    case(
        "attention_mqa",
        "attention",
        lambda q, k, v, causal: attend_ref(attn_probs_ref(q, k, causal), v),
        {"q": f32(1, 4, 5, 8), "k": f32(1, 1, 5, 8), "v": f32(1, 1, 5, 8)},
        params={"causal": True},
    )
    case(
        "attention_cached",
        "attention",
        lambda q, k, v, causal: attend_ref(attn_probs_ref(q, k, causal), v),
        {"q": f32(2, 4, 3, 8), "k": f32(2, 2, 7, 8), "v": f32(2, 2, 7, 8)},
        params={"causal": True},
    )
    case(
        "attention_bidirectional",
        "attention",
        lambda q, k, v, causal: attend_ref(attn_probs_ref(q, k, causal), v),
        {"q": f32(1, 2, 4, 8), "k": f32(1, 2, 6, 8), "v": f32(1, 2, 6, 8)},
        params={"causal": False},
    )
    case(
        "attention_probs",
        "attentionProbs",
        lambda q, k, causal: attn_probs_ref(q, k, causal),
        {"q": f32(2, 4, 5, 8, scale=2.0), "k": f32(2, 2, 5, 8, scale=2.0)},
        params={"causal": True},
    )
    # Causal attendValues ignores entries above the diagonal: they are the mask, not data, and get no gradient.
    case(
        "attend_values_causal",
        "attendValues",
        lambda probs, v, causal: attend_ref(probs * torch.ones(5, 5).tril(), v),
        {"probs": torch.rand(1, 4, 5, 5).float().double(), "v": f32(1, 2, 5, 6)},
        params={"causal": True},
    )
    case(
        "attend_values_full",
        "attendValues",
        lambda probs, v, causal: attend_ref(probs, v),
        {"probs": torch.rand(1, 4, 3, 5).float().double(), "v": f32(1, 2, 5, 6)},
        params={"causal": False},
    )
    case(
        "rope",
        "rope",
        lambda x, offset: rope_ref(x, offset),
        {"x": f32(2, 3, 5, 8)},
        params={"offset": 0},
    )
    case(
        "rope_offset",
        "rope",
        lambda x, offset: rope_ref(x, offset),
        {"x": f32(1, 2, 3, 16)},
        params={"offset": 37},
    )
    case(
        "cross_entropy",
        "crossEntropy",
        lambda logits, targets: F.cross_entropy(logits, targets),
        {"logits": f32(6, 11, scale=3.0)},
        ints={"targets": torch.tensor([0, 3, 10, 5, 5, 2])},
    )
    case(
        "cross_entropy_ignore",
        "crossEntropy",
        lambda logits, targets, ignoreIndex: F.cross_entropy(
            logits.reshape(-1, 7), targets.reshape(-1), ignore_index=ignoreIndex
        ),
        {"logits": f32(2, 3, 7)},
        ints={"targets": torch.tensor([[1, -100, 6], [0, -100, 3]])},
        params={"ignoreIndex": -100},
    )
    case("sum_all", "sum", lambda x: x.sum(), {"x": f32(3, 4, 5)})
    case(
        "sum_axis",
        "sum",
        lambda x, axis: x.sum(axis),
        {"x": f32(3, 4, 5)},
        params={"axis": 1},
    )
    case("mean_all", "mean", lambda x: x.mean(), {"x": f32(3, 4, 5)})
    case(
        "mean_axis",
        "mean",
        lambda x, axis: x.mean(axis),
        {"x": f32(3, 4, 5)},
        params={"axis": -1},
    )
    # Added after the first release of the fixtures: drawn from a forked generator, so every other
    # fixture keeps its values.
    with torch.random.fork_rng():
        torch.manual_seed(4321)
        case(
            "linear",
            "linear",
            torch.nn.functional.linear,
            {"x": f32(2, 3, 6), "weight": f32(5, 6), "bias": f32(5)},
        )
        case(
            "linear_no_bias",
            "linear",
            torch.nn.functional.linear,
            {"x": f32(4, 6), "weight": f32(3, 6)},
        )
    # Gemma 2's soft-capping: cap·tanh(x / cap) on logits, and on scores before the mask and softmax.
    with torch.random.fork_rng():
        torch.manual_seed(4322)
        case(
            "softcap",
            "softcap",
            lambda x, cap: cap * torch.tanh(x / cap),
            {"x": f32(4, 25, scale=3.0)},
            params={"cap": 2.0},
        )
        case(
            "attention_probs_softcap",
            "attentionProbs",
            lambda q, k, causal, softcap: attn_probs_ref(q, k, causal, softcap=softcap),
            {"q": f32(2, 4, 5, 8, scale=2.0), "k": f32(2, 2, 5, 8, scale=2.0)},
            params={"causal": True, "softcap": 1.5},
        )
    # GPT-NeoX's partial rotary: the first 8 of 12 dimensions rotate (frequencies over those 8), the rest pass.
    with torch.random.fork_rng():
        torch.manual_seed(4323)
        case(
            "rope_partial",
            "rope",
            lambda x, offset, rotary: torch.cat([rope_ref(x[..., :rotary], offset), x[..., rotary:]], -1),
            {"x": f32(1, 2, 4, 12)},
            params={"offset": 5, "rotary": 8},
        )
    # OPT's ReLU, with exact zeros among the inputs: PyTorch's gradient there is 0.
    with torch.random.fork_rng():
        torch.manual_seed(4324)
        x = f32(4, 25, scale=3.0)
        x[:, ::7] = 0
        case("relu", "relu", lambda x: F.relu(x), {"x": x})
    # ALiBi (BLOOM, MPT) over 6 heads, whose last two slopes come from the next power of two's
    # sequence; 5 queries after 2 cached keys, so the biases reach back 6 positions.
    with torch.random.fork_rng():
        torch.manual_seed(4325)
        case(
            "attention_probs_alibi",
            "attentionProbs",
            lambda q, k, causal, alibi: attn_probs_ref(q, k, causal, alibi=alibi),
            {"q": f32(1, 6, 5, 8, scale=2.0), "k": f32(1, 3, 7, 8, scale=2.0)},
            params={"causal": True, "alibi": alibi_slopes(6).tolist()},
        )


def write_ops():
    op_cases()
    tensors = {}
    for _, t in CASES:
        tensors.update(t)
    meta = {
        "cases": json.dumps([c for c, _ in CASES]),
        "generator": f"torch {torch.__version__}, float64",
    }
    write_safetensors(os.path.join(OUT, "ops.safetensors"), tensors, meta)


# ---------------------------------------------------------------- the small GPTs and the sharing plan
DEFAULTS = {
    "embedDim": 0,
    "shareWeights": "none",
    "shareScope": "block",
    "shareKv": "none",
    "shareAttention": "none",
}


def plan_of(c):
    """config.json's "plan" for a fixture config (expanded by the package, which is tested to expand
    every strategy as shareformer does)."""
    return plan_json(resolve_config(c))


def param_shapes(c):
    """The package's mirror of parameterLayout (src/model/parameters.ts); a test compares the two."""
    return parameter_shapes(resolve_config(c), Plan.from_json(plan_of(c), c["layers"]))


def init_params(c):
    """Random weights (not an init scheme: biases and gains are random too, so every path is exercised)."""
    params = {}
    for name, shape in param_shapes(c):
        if len(shape) == 1 and name.endswith(".weight"):
            params[name] = (1 + 0.1 * torch.randn(tuple(shape))).float().double()
        else:
            params[name] = (
                (torch.randn(tuple(shape)) * (0.1 if len(shape) == 1 else 0.3 / math.sqrt(shape[-1]) * 2))
                .float()
                .double()
            )
    return params


def model_of(c, P):
    """The package's model in float64 holding the tensors P (shared: their gradients land in P)."""
    m = ShareformerLM(c, plan_of(c), seed=None).double()
    m.params = torch.nn.ParameterDict({k.replace(".", "__"): v for k, v in P.items()})
    return m


def forward(c, P, ids):
    return model_of(c, P)(ids)


def warmup_cosine(step, max_lr, min_lr, warmup, total):
    """Mirror of src/train/schedule.ts."""
    if step < warmup:
        return max_lr * (step + 1) / warmup
    if step >= total or total == warmup:
        return min_lr
    ratio = (step - warmup) / (total - warmup)
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)


def write_gpt(file, config, train, final_dtype=torch.float64):
    c = {**DEFAULTS, **config}
    B, T, steps = train["batch"], train["seq"], train["steps"]
    P0 = init_params(c)
    data = torch.randint(0, c["vocabSize"], (steps, B, T + 1))
    P = {k: torch.nn.Parameter(v.clone()) for k, v in P0.items()}
    ids, targets = data[0, :, :T], data[0, :, 1:]
    logits = forward(c, P, ids)
    loss = F.cross_entropy(logits.reshape(-1, c["vocabSize"]), targets.reshape(-1))
    loss.backward()
    tensors = {
        "ids": data[:, :, :T].int(),
        "targets": data[:, :, 1:].int(),
        "logits": logits.detach(),
        "loss": loss.detach().reshape(1),
    }
    for k in P0:
        tensors[f"param:{k}"] = P0[k].float()
        tensors[f"grad:{k}"] = P[k].grad.clone()

    # Ten optimizer steps with torch.optim.AdamW, global-norm clipping and the warmup+cosine schedule.
    P = {k: torch.nn.Parameter(v.clone()) for k, v in P0.items()}
    decay = [P[k] for k, s in param_shapes(c) if len(s) >= 2]
    rest = [P[k] for k, s in param_shapes(c) if len(s) < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": train["weightDecay"]},
            {"params": rest, "weight_decay": 0.0},
        ],
        lr=train["maxLr"],
        betas=(train["beta1"], train["beta2"]),
        eps=train["eps"],
        foreach=False,
    )
    losses, norms = [], []
    for s in range(steps):
        lr = warmup_cosine(s, train["maxLr"], train["minLr"], train["warmup"], steps)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        out = forward(c, P, data[s, :, :T])
        l = F.cross_entropy(out.reshape(-1, c["vocabSize"]), data[s, :, 1:].reshape(-1))
        l.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(P.values()), train["clip"])))
        losses.append(l.item())
        opt.step()
    tensors["step_losses"] = torch.tensor(losses, dtype=torch.float64)
    tensors["step_grad_norms"] = torch.tensor(norms, dtype=torch.float64)
    for k in P0:
        tensors[f"final:{k}"] = P[k].detach().to(final_dtype)
    meta = {
        "config": json.dumps(c),
        "train": json.dumps(train),
        "generator": f"torch {torch.__version__}, float64",
    }
    write_safetensors(os.path.join(OUT, file), tensors, meta)


TRAIN = {
    "batch": 2,
    "seq": 12,
    "steps": 10,
    "maxLr": 1e-2,
    "minLr": 1e-3,
    "warmup": 3,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "weightDecay": 0.1,
    "clip": 1.0,
}

GPT = {
    "vocabSize": 33,
    "layers": 2,
    "dModel": 32,
    "heads": 4,
    "kvHeads": 4,
    "context": 16,
    "ffn": "gelu",
    "ffnHidden": 128,
    "norm": "layernorm",
    "normEps": 1e-5,
    "positions": "learned",
    "ropeBase": 10000,
    "bias": True,
    "tieEmbeddings": True,
    "dropout": 0,
}

LLAMA = {
    "vocabSize": 33,
    "layers": 2,
    "dModel": 32,
    "heads": 4,
    "kvHeads": 2,
    "context": 16,
    "ffn": "swiglu",
    "ffnHidden": 80,
    "norm": "rmsnorm",
    "normEps": 1e-6,
    "positions": "rope",
    "ropeBase": 10000,
    "bias": False,
    "tieEmbeddings": False,
    "dropout": 0,
}

# BLOOM-style: ALiBi instead of learned positions, a LayerNorm on the embeddings, 6 heads (slopes past a
# power of two) over 3 K/V heads.
ALIBI = {
    **GPT,
    "positions": "alibi",
    "heads": 6,
    "kvHeads": 3,
    "headDim": 8,
    "embedNorm": True,
}

# Every sharing mode on a 4-layer model small enough to keep the fixtures at ~100 KB each.
TINY = {
    "vocabSize": 17,
    "layers": 4,
    "dModel": 16,
    "heads": 4,
    "kvHeads": 4,
    "context": 16,
    "ffn": "gelu",
    "ffnHidden": 32,
    "norm": "layernorm",
    "normEps": 1e-5,
    "positions": "learned",
    "ropeBase": 10000,
    "bias": True,
    "tieEmbeddings": True,
    "dropout": 0,
}
TINY_LLAMA = {
    **TINY,
    "ffn": "swiglu",
    "norm": "rmsnorm",
    "normEps": 1e-6,
    "positions": "rope",
    "bias": False,
}
SHARING = {
    "all": {**TINY, "shareWeights": "all"},
    "cycle": {**TINY, "shareWeights": "cycle:2"},
    "cycle-rev": {**TINY, "shareWeights": "cycle-rev:2"},
    "scope-attention": {**TINY, "shareWeights": "all", "shareScope": "attention"},
    "scope-ffn": {**TINY, "shareWeights": "sequence:2", "shareScope": "ffn"},
    "factorized-tied": {**TINY, "embedDim": 8},
    "factorized-untied": {**TINY_LLAMA, "embedDim": 8, "tieEmbeddings": False},
    "gqa": {**TINY_LLAMA, "kvHeads": 2},
    "mqa": {**TINY_LLAMA, "kvHeads": 1},
    "cla": {**TINY, "shareKv": "cla:2"},
    "yoco": {**TINY_LLAMA, "shareKv": "yoco:2"},
    "attention-group": {**TINY, "shareAttention": "group:2"},
    "mixed": {
        **TINY_LLAMA,
        "shareWeights": "repeat:2",
        "kvHeads": 2,
        "shareKv": "cla:2",
        "shareAttention": [0, 1, 2, 2],
        "embedDim": 8,
    },
    "relax": {**TINY, "shareWeights": "cycle:2", "relaxRank": 2},
    "relax-mixed": {
        **TINY_LLAMA,
        "shareWeights": "all",
        "shareScope": "ffn",
        "kvHeads": 2,
        "shareKv": "cla:2",
        "relaxRank": 3,
    },
}

if __name__ == "__main__":
    os.makedirs(os.path.join(OUT, "sharing"), exist_ok=True)
    torch.set_num_threads(1)
    write_ops()
    write_gpt("gpt.safetensors", GPT, TRAIN)
    write_gpt("llama.safetensors", LLAMA, TRAIN)
    for mode, cfg in SHARING.items():
        write_gpt(
            os.path.join("sharing", f"{mode}.safetensors"),
            cfg,
            TRAIN,
            final_dtype=torch.float32,
        )
    write_gpt("alibi.safetensors", ALIBI, TRAIN)
    sys.exit(0)
