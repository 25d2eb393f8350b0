"""The model config (config.json's "model") and the sharing plan (config.json's "plan").

The plan's maps are read from the checkpoint, never re-derived from the strategy names: the
TypeScript library expands "cycle:3" and friends once and writes the result. What each layer
computes follows from the maps by two rules, as in src/model/plan.ts: a layer computes queries
when it owns its attention probabilities, values when it owns its K/V, and keys when both.
"""

from dataclasses import dataclass

DEFAULT_CONFIG = {
    "vocabSize": 65,
    "layers": 4,
    "dModel": 128,
    "heads": 4,
    "headDim": 0,
    "attentionScalar": 0,
    "attentionSoftcap": 0,
    "logitSoftcap": 0,
    "kvHeads": 4,
    "context": 128,
    "slidingWindow": 0,
    "fullAttentionEvery": 0,
    "fullAttentionFirst": False,
    "ffn": "gelu",
    "geluExact": False,
    "parallelBlocks": False,
    "headBias": False,
    "ffnHidden": 512,
    "norm": "layernorm",
    "normEps": 1e-5,
    "positions": "learned",
    "alibiScale": 1.0,
    "ropeBase": 10000,
    "ropeLocalBase": 0,
    "ropeDims": 0,
    "ropeScaling": None,
    "logitScale": 1,
    "bias": True,
    "normBias": True,
    "attentionBias": True,
    "attentionOutBias": False,
    "embedMultiplier": 1,
    "noRopeEvery": 0,
    "qkNormFull": False,
    "qkLayerNorm": False,
    "preNorms": True,
    "residualMultiplier": 1,
    "qkvBias": False,
    "qkNorm": False,
    "embedScale": False,
    "embedNorm": False,
    "postNorms": False,
    "tieEmbeddings": False,
    "embedDim": 0,
    "dropout": 0,
    "shareWeights": "none",
    "shareScope": "block",
    "shareKv": "none",
    "shareAttention": "none",
    "relaxRank": 0,
}


class ConfigError(ValueError):
    pass


def resolve_config(model):
    """Fills defaults as the TypeScript resolveConfig does and checks the relations it checks."""
    unknown = set(model) - set(DEFAULT_CONFIG)
    if unknown:
        raise ConfigError(f"config.{sorted(unknown)[0]}: unknown field (known: {', '.join(DEFAULT_CONFIG)})")
    c = {**DEFAULT_CONFIG, "kvHeads": model.get("heads", DEFAULT_CONFIG["heads"])}
    c["normBias"] = model.get("bias", DEFAULT_CONFIG["bias"])
    c["ffnHidden"] = 4 * model.get("dModel", DEFAULT_CONFIG["dModel"])
    c.update(model)
    if not c["headDim"] and c["dModel"] % c["heads"]:
        raise ConfigError(f"config.heads: dModel {c['dModel']} is not divisible by heads {c['heads']}")
    if c["heads"] % c["kvHeads"]:
        raise ConfigError(f"config.kvHeads: heads {c['heads']} is not divisible by kvHeads {c['kvHeads']}")
    head = c["headDim"] or c["dModel"] // c["heads"]
    if c["ropeDims"] and (c["positions"] != "rope" or c["ropeDims"] % 2 or c["ropeDims"] > head):
        raise ConfigError(
            f"config.ropeDims: rotates the first dimensions of each head: it needs positions rope and an even"
            f" number up to the head size {head}, got {c['ropeDims']}"
        )
    if not c["attentionBias"] and not c["bias"]:
        raise ConfigError(
            "config.attentionBias: false leaves the attention without the biases of bias, but bias is false too"
        )
    if c["relaxRank"] >= c["dModel"]:
        raise ConfigError(f"config.relaxRank: must be below dModel {c['dModel']}, got {c['relaxRank']}")
    return c


def layer_window(c, i):
    """The sliding window layer i attends within, 0 for the whole context (src/model/config.ts)."""
    every = c["fullAttentionEvery"]
    full = every and (i % every == 0 if c["fullAttentionFirst"] else (i + 1) % every == 0)
    return 0 if full else c["slidingWindow"]


def head_size(c):
    """Width of one attention head: headDim, or dModel / heads when it is 0 (src/model/config.ts)."""
    return c["headDim"] or c["dModel"] // c["heads"]


@dataclass(frozen=True)
class Plan:
    attn_set: list
    ffn_set: list
    kv: list
    attention: list

    @staticmethod
    def from_json(plan, layers, where="config.json"):
        maps = {}
        for key in ("attnSet", "ffnSet", "kv", "attention"):
            m = plan.get(key)
            if (
                not isinstance(m, list)
                or len(m) != layers
                or not all(isinstance(v, int) and 0 <= v < layers for v in m)
            ):
                raise ConfigError(
                    f"{where}: plan.{key} must list one layer index (0..{layers - 1}) per layer, got {m!r}"
                )
            maps[key] = m
        for key in ("kv", "attention"):
            for i, src in enumerate(maps[key]):
                if src > i or maps[key][src] != src:
                    raise ConfigError(f"{where}: plan.{key}: layer {i} must read a producer at or before it, got {src}")
        return Plan(maps["attnSet"], maps["ffnSet"], maps["kv"], maps["attention"])

    def to_json(self):
        return {
            "attnSet": self.attn_set,
            "ffnSet": self.ffn_set,
            "kv": self.kv,
            "attention": self.attention,
        }

    @property
    def layers(self):
        return len(self.kv)

    def computes_q(self, i):
        return self.attention[i] == i

    def computes_k(self, i):
        return self.kv[i] == i and self.attention[i] == i

    def computes_v(self, i):
        return self.kv[i] == i


def parameter_shapes(c, plan):
    """Every unique tensor's name and shape, in the order of src/model/parameters.ts."""
    d, hd = c["dModel"], head_size(c)
    qw, kv, f = c["heads"] * hd, c["kvHeads"] * hd, c["ffnHidden"]
    e = c["embedDim"] or d
    out = [("embed.weight", [c["vocabSize"], e])]
    if c["embedDim"]:
        out.append(("embed.proj.weight", [d, e]))
    if c["positions"] == "learned":
        out.append(("pos.weight", [c["context"], d]))

    def norm(name):
        out.append((f"{name}.weight", [d]))
        if c["norm"] == "layernorm" and c["normBias"]:
            out.append((f"{name}.bias", [d]))

    if c["embedNorm"]:
        norm("embed.norm")

    def linear(name, o, i):
        out.append((f"{name}.weight", [o, i]))
        part = name.rsplit(".", 1)[-1]
        attention = name.split(".")[-2] == "attn"
        out_bias = part == "o" and c["attentionOutBias"]
        if (c["bias"] and (c["attentionBias"] or not attention or out_bias)) or (
            c["qkvBias"] and part in ("q", "k", "v")
        ):
            out.append((f"{name}.bias", [o]))

    n = c["layers"]
    owns = {k: [False] * n for k in "qkv"}
    for i, s in enumerate(plan.attn_set):
        owns["q"][s] |= plan.computes_q(i)
        owns["k"][s] |= plan.computes_k(i)
        owns["v"][s] |= plan.computes_v(i)
    for s in range(n):
        p = f"layers.{s}"
        if s in plan.attn_set:
            if c["preNorms"]:
                norm(f"{p}.norm1")
            if owns["q"][s]:
                linear(f"{p}.attn.q", qw, d)
            if owns["k"][s]:
                linear(f"{p}.attn.k", kv, d)
            if owns["v"][s]:
                linear(f"{p}.attn.v", kv, d)
            linear(f"{p}.attn.o", d, qw)
            if c["postNorms"]:
                norm(f"{p}.postnorm1")
            # Qwen3's gains span one head; OLMo 2's the whole projection.
            qn, kn = (qw, kv) if c["qkNormFull"] or c["qkLayerNorm"] else (hd, hd)
            if c["qkNorm"] and owns["q"][s]:
                out.append((f"{p}.attn.qnorm.weight", [qn]))
            if c["qkNorm"] and owns["k"][s]:
                out.append((f"{p}.attn.knorm.weight", [kn]))
        if s in plan.ffn_set:
            if c["preNorms"]:
                norm(f"{p}.norm2")
            if c["ffn"] in ("swiglu", "geglu"):
                linear(f"{p}.ffn.gate", f, d)
            linear(f"{p}.ffn.up", f, d)
            linear(f"{p}.ffn.down", d, f)
            if c["postNorms"]:
                norm(f"{p}.postnorm2")
    norm("norm")
    if not c["tieEmbeddings"]:
        out.append(("head.weight", [c["vocabSize"], d]))
    if c["headBias"]:
        out.append(("head.bias", [c["vocabSize"]]))
    out.extend(relaxation_shapes(c, plan))
    return out


def relaxation_shapes(c, plan):
    """Relaxed sharing's per-layer deltas relax.L.<matrix>.A [r, in] and .B [out, r], after every
    other tensor, for each matrix layer L uses from a set it shares (src/model/parameters.ts).
    """
    r = c.get("relaxRank", 0)
    if not r:
        return []
    d, hd = c["dModel"], head_size(c)
    qw, kv, f = c["heads"] * hd, c["kvHeads"] * hd, c["ffnHidden"]
    out = []

    def delta(l, matrix, o, i):
        out.extend([(f"relax.{l}.{matrix}.A", [r, i]), (f"relax.{l}.{matrix}.B", [o, r])])

    for l in range(c["layers"]):
        if plan.attn_set.count(plan.attn_set[l]) > 1:
            if plan.computes_q(l):
                delta(l, "attn.q", qw, d)
            if plan.computes_k(l):
                delta(l, "attn.k", kv, d)
            if plan.computes_v(l):
                delta(l, "attn.v", kv, d)
            delta(l, "attn.o", d, qw)
        if plan.ffn_set.count(plan.ffn_set[l]) > 1:
            if c["ffn"] in ("swiglu", "geglu"):
                delta(l, "ffn.gate", f, d)
            delta(l, "ffn.up", f, d)
            delta(l, "ffn.down", d, f)
    return out
