"""The shareformer decoder as a torch.nn.Module, computing exactly what src/model/transformer.ts
computes: each layer asks the plan which parameter set its attention and FFN use, whose keys and
values it attends with, and whose attention probabilities it reuses. Each unique tensor is one
nn.Parameter; layers that share it accumulate into one gradient."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import Plan, head_size, layer_window, parameter_shapes, resolve_config
from .rng import Rng


def _key(name):
    return name.replace(".", "__")


def alibi_slopes(heads):
    """ALiBi's per-head slopes as BLOOM's build_alibi_tensor computes them (Press et al.): a geometric
    sequence over the largest power of two of heads, the rest from the next power's odd terms.
    """
    closest = 2 ** math.floor(math.log2(heads))
    base = 2 ** (-(2 ** -(math.log2(closest) - 3)))
    slopes = [base**k for k in range(1, closest + 1)]
    if closest != heads:
        extra = 2 ** (-(2 ** -(math.log2(2 * closest) - 3)))
        slopes += [extra**k for k in range(1, 1 + 2 * min(closest, heads - closest), 2)]
    return torch.tensor(slopes, dtype=torch.float64)


class ShareformerLM(nn.Module):
    def __init__(self, config, plan, seed=0):
        """config: config.json's "model"; plan: a Plan or config.json's "plan"; seed None: zeros."""
        super().__init__()
        self.config = resolve_config(config)
        self.plan = plan if isinstance(plan, Plan) else Plan.from_json(plan, self.config["layers"])
        self.shapes = parameter_shapes(self.config, self.plan)
        self.params = nn.ParameterDict({_key(n): nn.Parameter(torch.zeros(s)) for n, s in self.shapes})
        if seed is not None:
            self.init_parameters(seed)

    def init_parameters(self, seed):
        """GPT-2 initialisation drawn from shareformer's generator: the same seed, the same weights."""
        rng = Rng(seed)
        residual = 0.02 / math.sqrt(2 * self.config["layers"])
        with torch.no_grad():
            for name, shape in self.shapes:
                p = self.params[_key(name)]
                if name.endswith(".bias") or (name.startswith("relax.") and name.endswith(".B")):
                    p.zero_()
                elif len(shape) == 1:
                    p.fill_(1)
                else:
                    std = residual if name.endswith((".attn.o.weight", ".ffn.down.weight")) else 0.02
                    if name == "embed.proj.weight":
                        std = 1 / math.sqrt(shape[1])  # embedding x projection starts at 0.02, as unfactorized
                    values = [std * rng.normal() for _ in range(p.numel())]
                    p.copy_(torch.tensor(values, dtype=torch.float64).reshape(shape).to(p.dtype))

    def p(self, name):
        return self.params[_key(name)]

    def has(self, name):
        return _key(name) in self.params

    def named_tensors(self):
        """(shareformer name, parameter) in the checkpoint's order."""
        return [(n, self.params[_key(n)]) for n, _ in self.shapes]

    def load_tensors(self, tensors, source="weights"):
        for name, shape in self.shapes:
            if name not in tensors:
                raise ValueError(f"{source}: missing parameter {name!r} {shape}")
            if list(tensors[name].shape) != list(shape):
                raise ValueError(
                    f"{source}: parameter {name!r} has shape {list(tensors[name].shape)}, expected {shape}"
                )
        extra = set(tensors) - {n for n, _ in self.shapes}
        if extra:
            raise ValueError(f"{source}: unexpected parameter {sorted(extra)[0]!r} (not in this config's sharing plan)")
        with torch.no_grad():
            for name, _ in self.shapes:
                self.params[_key(name)].copy_(tensors[name])

    def _linear(self, x, name, layer=None):
        """x·Wᵀ + b with the set's matrix, plus the layer's low-rank delta (x·Aᵀ)·Bᵀ when relaxed."""
        b = f"{name}.bias"
        y = F.linear(x, self.p(f"{name}.weight"), self.p(b) if self.has(b) else None)
        if layer is None:
            return y
        matrix = name.split(".", 2)[2]
        a = f"relax.{layer}.{matrix}.A"
        if not self.has(a):
            return y
        return y + (x @ self.p(a).T) @ self.p(f"relax.{layer}.{matrix}.B").T

    def _norm(self, x, name):
        c = self.config
        if c["norm"] == "layernorm":
            b = f"{name}.bias"
            return F.layer_norm(
                x,
                (x.shape[-1],),
                self.p(f"{name}.weight"),
                self.p(b) if self.has(b) else None,
                c["normEps"],
            )
        return self._rms(x, f"{name}.weight")

    def _rms(self, x, weight):
        w = self.p(weight)
        xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.config["normEps"])).to(x.dtype) * w

    def _head_norm(self, t, name):
        """Qwen3's RMSNorm of each query or key head, before RoPE."""
        return self._rms(t, f"{name}.weight") if self.config["qkNorm"] else t

    def _inverse_frequencies(self, d, device, local=False):
        """base^(-2i/d), rescaled as the config asks (transformers' llama3, linear or longrope);
        local: the windowed layers' own base, unscaled (Gemma 3)."""
        base = self.config["ropeLocalBase"] if local else self.config["ropeBase"]
        inv = base ** (-torch.arange(0, d, 2, dtype=torch.float64, device=device) / d)
        s = self.config["ropeScaling"]
        if not s or local:
            return inv
        if s["type"] == "linear":  # position interpolation: every frequency divided by the factor
            return inv / s["factor"]
        if s["type"] == "longrope":  # Phi-3's short factors, one per frequency
            return inv / torch.tensor(s["factors"], dtype=torch.float64, device=device)
        old, low, high, factor = (
            s["originalContext"],
            s["lowFreqFactor"],
            s["highFreqFactor"],
            s["factor"],
        )
        wavelength = 2 * math.pi / inv
        smooth = (old / wavelength - low) / (high - low)
        mid = (1 - smooth) * inv / factor + smooth * inv
        return torch.where(
            wavelength < old / high,
            inv,
            torch.where(wavelength > old / low, inv / factor, mid),
        )

    def _rope(self, t, offset=0, local=False):
        rotary = self.config["ropeDims"]
        if rotary and rotary < t.shape[-1]:  # GPT-NeoX's partial rotary: the rest of each head passes
            return torch.cat([self._rope(t[..., :rotary], offset, local), t[..., rotary:]], -1)
        d, T = t.shape[-1], t.shape[-2]
        inv = self._inverse_frequencies(d, t.device, local)
        ang = torch.arange(offset, offset + T, dtype=torch.float64, device=t.device)[:, None] * inv[None, :]
        cos = torch.cat([ang.cos()] * 2, -1).to(t.dtype)
        sin = torch.cat([ang.sin()] * 2, -1).to(t.dtype)
        h = d // 2
        rotated = torch.cat([-t[..., h:], t[..., :h]], dim=-1)
        return t * cos + rotated * sin

    def forward(self, ids, cache=None):
        """ids: [B, T] token ids → logits [B, T, vocab]. cache: a dict this call reads and extends
        (keys and values only for the layers that compute them, as shareformer's KV cache).
        """
        c, plan = self.config, self.plan
        B, T = ids.shape
        past = cache.get("length", 0) if cache is not None else 0
        if past + T > c["context"]:
            raise ValueError(f"forward: {past} cached + {T} new positions exceed the context of {c['context']}")
        d, H, G = c["dModel"], c["heads"], c["kvHeads"]
        hd = head_size(c)
        drop = c["dropout"] if self.training else 0.0

        x = F.embedding(ids, self.p("embed.weight"))
        if c["embedDim"]:
            x = x @ self.p("embed.proj.weight").T
        if c["embedScale"]:
            x = x * math.sqrt(d)
        x = x * c["embedMultiplier"]
        if c["positions"] == "learned":
            x = x + self.p("pos.weight")[past : past + T]
        if c["embedNorm"]:  # BLOOM's word_embeddings_layernorm
            x = self._norm(x, "embed.norm")
        x = F.dropout(x, drop)
        # Layer i's keys (and the queries that meet them) turn at the local base when it is windowed.
        local = lambda i: bool(c["ropeLocalBase"]) and layer_window(c, i) > 0
        # SmolLM3's NoPE layers: every noRopeEvery-th layer's keys (and the queries meeting them) do not turn.
        every = c["noRopeEvery"]
        rotates = lambda i: c["positions"] == "rope" and not (every and (i + 1) % every == 0)
        pos = lambda t, i: self._rope(t, past, local(i)) if rotates(i) else t
        causal = torch.ones(T, past + T, dtype=torch.bool, device=ids.device).tril(past)
        distance = (
            torch.arange(past + T, device=ids.device)[None, :]
            - torch.arange(past, past + T, device=ids.device)[:, None]
        )

        def mask(i):  # position past + t sees the newest window positions up to itself
            w = layer_window(c, i)
            return causal & torch.ones_like(causal).triu(past - w + 1) if w else causal

        post = lambda t, name: (self._norm(t, name) if c["postNorms"] else t) * c["residualMultiplier"]

        def cached(kind, i, t):
            if cache is None:
                return t
            if (kind, i) in cache:
                t = torch.cat([cache[(kind, i)], t], 2)
            cache[(kind, i)] = t
            return t

        keys, values, probs = {}, {}, {}
        for i in range(c["layers"]):
            a, f = f"layers.{plan.attn_set[i]}", f"layers.{plan.ffn_set[i]}"
            h = self._norm(x, f"{a}.norm1") if c["preNorms"] else x

            def qk(name, n):
                # Qwen3 norms each head; OLMo 2 the whole projection, before the split into heads.
                t = self._linear(h, f"{a}.attn.{name}", i)
                if c["qkLayerNorm"]:  # Command R+: a LayerNorm per head, each with its own gains
                    t = t.view(B, T, n, hd)
                    normed = F.layer_norm(t, (hd,), None, None, c["normEps"])
                    return (normed * self.p(f"{a}.attn.{name}norm.weight").view(n, hd)).transpose(1, 2)
                if c["qkNormFull"]:
                    return self._rms(t, f"{a}.attn.{name}norm.weight").view(B, T, n, hd).transpose(1, 2)
                return self._head_norm(t.view(B, T, n, hd).transpose(1, 2), f"{a}.attn.{name}norm")

            if plan.computes_k(i):
                keys[i] = cached("k", i, pos(qk("k", G), i))
            if plan.computes_v(i):
                values[i] = cached(
                    "v",
                    i,
                    self._linear(h, f"{a}.attn.v", i).view(B, T, G, hd).transpose(1, 2),
                )
            if plan.computes_q(i):
                q = pos(qk("q", H), plan.kv[i])
                k = keys[plan.kv[i]].repeat_interleave(H // G, dim=1)
                s = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(c["attentionScalar"] or hd))
                if c["attentionSoftcap"]:  # Gemma 2: before the mask and softmax
                    s = c["attentionSoftcap"] * torch.tanh(s / c["attentionSoftcap"])
                if c["positions"] == "alibi":  # BLOOM, MPT: slope_h · (key position − query position)
                    s = s + (alibi_slopes(H) * c["alibiScale"]).to(s)[:, None, None] * distance.to(s)
                probs[i] = s.masked_fill(~mask(i), float("-inf")).softmax(-1)
            v = values[plan.kv[i]].repeat_interleave(H // G, dim=1)
            o = (probs[plan.attention[i]] @ v).transpose(1, 2).reshape(B, T, H * hd)
            attended = x + F.dropout(post(self._linear(o, f"{a}.attn.o", i), f"{a}.postnorm1"), drop)
            # A parallel block's FFN reads the block's input, not the sum with attention (GPT-NeoX).
            h2 = x if c["parallelBlocks"] else attended
            h2 = self._norm(h2, f"{f}.norm2") if c["preNorms"] else h2
            approximate = "none" if c["geluExact"] else "tanh"
            if c["ffn"] == "swiglu":
                ff = F.silu(self._linear(h2, f"{f}.ffn.gate", i)) * self._linear(h2, f"{f}.ffn.up", i)
            elif c["ffn"] == "geglu":
                gate = F.gelu(self._linear(h2, f"{f}.ffn.gate", i), approximate=approximate)
                ff = gate * self._linear(h2, f"{f}.ffn.up", i)
            elif c["ffn"] == "relu":
                ff = F.relu(self._linear(h2, f"{f}.ffn.up", i))
            elif c["ffn"] == "relu2":  # Nemotron's squared ReLU
                ff = F.relu(self._linear(h2, f"{f}.ffn.up", i)).square()
            else:
                ff = F.gelu(self._linear(h2, f"{f}.ffn.up", i), approximate=approximate)
            x = attended + F.dropout(post(self._linear(ff, f"{f}.ffn.down", i), f"{f}.postnorm2"), drop)
        if cache is not None:
            cache["length"] = past + T
        logits = self._logits(self._norm(x, "norm")) * c["logitScale"]
        cap = c["logitSoftcap"]
        return cap * torch.tanh(logits / cap) if cap else logits

    def _logits(self, x):
        c = self.config
        if not c["tieEmbeddings"]:
            logits = x @ self.p("head.weight").T
        else:
            if c["embedDim"]:
                x = x @ self.p("embed.proj.weight")
            logits = x @ self.p("embed.weight").T
        return logits + self.p("head.bias") if c["headBias"] else logits

    def param_groups(self, weight_decay):
        """Matrices decay, gains and biases do not (as shareformer's AdamW groups)."""
        decay = [p for n, p in self.named_tensors() if p.dim() >= 2]
        rest = [p for n, p in self.named_tensors() if p.dim() < 2]
        return [
            {"params": decay, "weight_decay": weight_decay},
            {"params": rest, "weight_decay": 0.0},
        ]
