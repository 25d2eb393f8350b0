#!/usr/bin/env python3
"""Writes the GGUF files that shareformer's GGUF import tests read (fixtures/gguf).

quants.gguf holds one matrix per ggml type the importer reads (F32, F16, BF16, Q4_0, Q4_1, Q5_0,
Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), each quantized by ggml itself (ggml_quantize_chunk);
quants-expected.safetensors holds what ggml's own dequantizer (the type's to_float) gives back, so
the test compares shareformer's dequantization with ggml's, bit for bit.

The model files are Hugging Face fixtures (fixtures/hf, written by hf_fixtures.py with logits from
PyTorch) converted as llama.cpp's convert_hf_to_gguf.py converts them: GGUF's tensor names and
metadata keys, Llama's query and key rows permuted into rotary pairs, Llama 3.1's rope scaling as a
rope_freqs tensor of per-frequency factors, SentencePiece vocabularies as tokens + scores + token
types, byte-level BPE ones as tokens + merges + a pre-tokenizer name. The test checks that the
import computes the Hugging Face fixture's logits and tokenizes as its tokenizer does.

ggml comes from llama.cpp's prebuilt CPU libraries in the npm package @node-llama-cpp/linux-x64
(3.22.1), which is not a dependency of shareformer; fetch it once with
  mkdir -p /tmp/ggml && cd /tmp/ggml && npm pack @node-llama-cpp/linux-x64@3.22.1 && tar xzf *.tgz
then run with Debian's python3-torch and python3-sentencepiece:
  GGML_LIB=/tmp/ggml/package/bins/linux-x64 /usr/bin/python3 python/gguf_fixtures.py
"""

import ctypes
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from hf_fixtures import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HF = os.path.join(ROOT, "fixtures", "hf")
OUT = os.path.join(ROOT, "fixtures", "gguf")
ALIGNMENT = 32

# ggml_type numbers (ggml.h) of the types written here.
GGML = {
    "F32": 0,
    "F16": 1,
    "Q4_0": 2,
    "Q4_1": 3,
    "Q5_0": 6,
    "Q5_1": 7,
    "Q8_0": 8,
    "Q2_K": 10,
}
GGML.update({"Q3_K": 11, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "BF16": 30})

# GGUF metadata value types (gguf.md).
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)


# ---------------------------------------------------------------- ggml, through its C ABI
class TypeTraits(ctypes.Structure):
    _fields_ = [
        ("type_name", ctypes.c_char_p),
        ("blck_size", ctypes.c_int64),
        ("blck_size_interleave", ctypes.c_int64),
        ("type_size", ctypes.c_size_t),
        ("is_quantized", ctypes.c_bool),
        ("to_float", ctypes.c_void_p),
        ("from_float_ref", ctypes.c_void_p),
    ]


def load_ggml():
    lib_dir = os.environ.get("GGML_LIB")
    if not lib_dir:
        sys.exit("set GGML_LIB to the directory holding libggml-base.so (see this script's docstring)")
    g = ctypes.CDLL(os.path.join(lib_dir, "libggml-base.so"))
    g.ggml_get_type_traits.restype = ctypes.POINTER(TypeTraits)
    g.ggml_quantize_chunk.restype = ctypes.c_size_t
    g.ggml_quantize_chunk.argtypes = [
        ctypes.c_int,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ] + [ctypes.c_int64] * 3
    g.ggml_quantize_chunk.argtypes += [ctypes.c_void_p]
    return g


def quantize(g, name, x):
    """ggml's bytes for the float32 matrix x [rows, n], and what ggml's dequantizer gives back."""
    t = GGML[name]
    x = np.ascontiguousarray(x, dtype=np.float32)
    rows, n = x.shape
    if name == "F32":
        return x.tobytes(), x.copy()
    traits = g.ggml_get_type_traits(t).contents
    size = rows * (n // traits.blck_size) * traits.type_size
    dst = ctypes.create_string_buffer(size)
    written = g.ggml_quantize_chunk(t, x.ctypes.data, dst, 0, rows, n, None)
    assert written == size, (name, written, size)
    back = np.zeros(rows * n, dtype=np.float32)
    to_float = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(traits.to_float)
    to_float(ctypes.addressof(dst), back.ctypes.data, rows * n)
    return dst.raw, back.reshape(rows, n)


# ---------------------------------------------------------------- the GGUF container (gguf.md, version 3)
def gguf_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, v):
    if kind == STRING:
        return gguf_string(v)
    if kind == ARRAY:
        inner, items = v
        return struct.pack("<IQ", inner, len(items)) + b"".join(gguf_value(inner, i) for i in items)
    fmt = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f"}
    fmt.update({BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"})
    return struct.pack(fmt[kind], v)


def write_gguf(path, metadata, tensors):
    """metadata: key → (type, value); tensors: (name, shape as PyTorch gives it, ggml type name, bytes)."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata)))
    for key, (kind, v) in metadata.items():
        out += gguf_string(key) + struct.pack("<I", kind) + gguf_value(kind, v)
    offset, blobs = 0, []
    for name, shape, kind, raw in tensors:
        # ne[0] is the innermost (fastest-varying) dimension: PyTorch's shape reversed.
        out += gguf_string(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape[::-1])
        out += struct.pack("<IQ", GGML[kind], offset)
        blobs.append((offset, raw))
        offset += len(raw) + (-len(raw) % ALIGNMENT)
    out += b"\0" * (-len(out) % ALIGNMENT)
    start = len(out)
    for at, raw in blobs:
        out += b"\0" * (start + at - len(out)) + raw
    with open(path, "wb") as f:
        f.write(out)
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(out):,} bytes)")


# ---------------------------------------------------------------- one matrix per type
def write_quants(g):
    """Rows with block-to-block scale changes, exact zeros and an outlier: what quantizers are sensitive to."""
    gen = torch.Generator().manual_seed(4040)
    x = torch.randn(3, 512, generator=gen) * torch.linspace(0.05, 3.0, 512).repeat(3, 1)
    x[1, 256:288] = 0
    x[2, 7] = 40.0
    x = x.numpy()
    tensors, expected = [], {}
    for name in GGML:
        raw, back = quantize(g, name, x)
        tensors.append((name.lower(), list(x.shape), name, raw))
        expected[name.lower()] = torch.from_numpy(back)
    # A larger sample for the export's quantizers, whose least-squares fits (Q4_K's and Q5_K's make_qkx2_quants,
    # Q6_K's make_qx_quants) take their rarer branches on it: blocks all of one sign, constant
    # blocks, heavy tails, tiny and huge scales.
    wide = torch.randn(64, 512, generator=gen) * torch.logspace(-4, 2, 64).unsqueeze(1)
    wide[8:16] = wide[8:16].abs() + 0.5
    wide[16:24] = -wide[16:24].abs()
    wide[24:32] = torch.tan(math.pi * (torch.rand(8, 512, generator=gen) - 0.5))  # Cauchy
    wide[32, :64] = 0.25
    wide[33, 256:512] = 0
    wide = wide.numpy()
    for name in ("F32", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"):
        tensors.append((f"wide-{name.lower()}", list(wide.shape), name, quantize(g, name, wide)[0]))
    meta = {
        "general.architecture": (STRING, "quants"),
        "general.alignment": (U32, ALIGNMENT),
    }
    write_gguf(os.path.join(OUT, "quants.gguf"), meta, tensors)
    write_safetensors(os.path.join(OUT, "quants-expected.safetensors"), expected)


# ---------------------------------------------------------------- Hugging Face fixtures as convert_hf_to_gguf.py writes them
def permute(w, heads):
    """convert_hf_to_gguf.py's LlamaModel.permute: each head's rotate-half rows into adjacent pairs."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


NAMES = {
    "self_attn.qkv_proj": "attn_qkv",
    "mlp.gate_up_proj": "ffn_up",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
}


# Gemma 2 and 3 norm before and after each block: GGUF's ffn_norm is the one before the MLP there.
GEMMA2_NAMES = {
    **NAMES,
    "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "ffn_norm",
    "post_feedforward_layernorm": "post_ffw_norm",
}


def gguf_name(hf, names=NAMES):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    _, _, i, rest = hf.split(".", 3)
    module, kind = rest.rsplit(".", 1)
    return f"blk.{i}.{names[module]}.{kind}"


def stored_type(t):
    return {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}[t.dtype]


def raw(t):
    return t.contiguous().view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()


def model_tensors(src, arch, cfg, g=None, quant=None):
    """The fixture's tensors under GGUF's names; with `quant`, the matrices whose rows split into its
    blocks quantized by ggml (as llama-quantize falls back for the others, they stay F32).
    """
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    names = GEMMA2_NAMES if arch in ("gemma2", "gemma3") else NAMES
    out = []
    for name, t in read_safetensors(os.path.join(HF, src, "model.safetensors")).items():
        if arch.startswith("gemma") and name.endswith("norm.weight"):
            t = t + 1  # Gemma's norms scale by 1 + w; GGUF stores 1 + w, added in the stored dtype as convert does
        if arch in ("llama", "smollm3") and name.endswith("q_proj.weight"):
            t = permute(t, heads)
        if arch in ("llama", "smollm3") and name.endswith("k_proj.weight"):
            t = permute(t, kv)
        if t.dim() == 1:  # convert_hf_to_gguf.py keeps norms and biases in F32 (ggml adds no bf16 to f32)
            t = t.float()
        if quant and t.dim() == 2 and t.shape[1] % 32 == 0:
            data, _ = quantize(g, quant, t.float().numpy())
            out.append((gguf_name(name, names), list(t.shape), quant, data))
            continue
        out.append((gguf_name(name, names), list(t.shape), stored_type(t), raw(t)))
    return out


def llama3_rope_factors(cfg):
    """convert_hf_to_gguf.py's rope_freqs for Llama 3.1's rope scaling: a factor per frequency."""
    s, base = cfg["rope_scaling"], cfg["rope_theta"]
    dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    low_wavelen = s["original_max_position_embeddings"] / s["low_freq_factor"]
    high_wavelen = s["original_max_position_embeddings"] / s["high_freq_factor"]
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi / (1.0 / base ** (i / dim))
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(s["factor"])
        else:
            smooth = (s["original_max_position_embeddings"] / wavelen - s["low_freq_factor"]) / (
                s["high_freq_factor"] - s["low_freq_factor"]
            )
            factors.append(1 / ((1 - smooth) / s["factor"] + smooth))
    return np.array(factors, dtype=np.float32)


def phi3_metadata(cfg):
    """Phi3MiniModel.set_gguf_parameters: the rotated part of each head, the original context, and a
    sliding window of 0 for none; LongRoPE's attention factor (its factors are tensors).
    """
    rotary = int(cfg.get("partial_rotary_factor", 1.0) * cfg["hidden_size"]) // cfg["num_attention_heads"]
    meta = {
        "phi3.rope.dimension_count": (U32, rotary),
        "phi3.rope.scaling.original_context_length": (
            U32,
            cfg["original_max_position_embeddings"],
        ),
        "phi3.attention.sliding_window": (U32, cfg.get("sliding_window") or 0),
    }
    if cfg.get("rope_scaling"):
        scale = cfg["max_position_embeddings"] / cfg["original_max_position_embeddings"]
        attn = math.sqrt(1 + math.log(scale) / math.log(cfg["original_max_position_embeddings"])) if scale > 1 else 1.0
        meta["phi3.rope.scaling.attn_factor"] = (F32, attn)
    return meta


def phi3_rope_factors(cfg):
    s = cfg.get("rope_scaling")
    if not s:
        return []
    return [
        (
            f"rope_factors_{which}.weight",
            [len(s[f"{which}_factor"])],
            "F32",
            np.array(s[f"{which}_factor"], np.float32).tobytes(),
        )
        for which in ("long", "short")
    ]


def gemma_metadata(arch, cfg):
    """Gemma's keys as Gemma*Model.set_gguf_parameters writes them (head size always; soft-caps and the
    window when the config has them)."""
    meta = {
        f"{arch}.attention.key_length": (U32, cfg["head_dim"]),
        f"{arch}.attention.value_length": (U32, cfg["head_dim"]),
    }
    if cfg.get("attn_logit_softcapping"):
        meta[f"{arch}.attn_logit_softcapping"] = (F32, cfg["attn_logit_softcapping"])
    if cfg.get("final_logit_softcapping"):
        meta[f"{arch}.final_logit_softcapping"] = (F32, cfg["final_logit_softcapping"])
    if cfg.get("sliding_window"):
        meta[f"{arch}.attention.sliding_window"] = (U32, cfg["sliding_window"])
    return meta


def model_metadata(arch, cfg, name):
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    meta = {
        "general.architecture": (STRING, arch),
        "general.name": (STRING, name),
        "general.file_type": (U32, 0 if cfg["torch_dtype"] == "float32" else 32),
        f"{arch}.context_length": (U32, cfg["max_position_embeddings"]),
        f"{arch}.embedding_length": (U32, cfg["hidden_size"]),
        f"{arch}.block_count": (U32, cfg["num_hidden_layers"]),
        f"{arch}.feed_forward_length": (U32, cfg["intermediate_size"]),
        f"{arch}.attention.head_count": (U32, heads),
        f"{arch}.attention.head_count_kv": (U32, cfg["num_key_value_heads"]),
        f"{arch}.rope.freq_base": (F32, cfg["rope_theta"]),
        f"{arch}.attention.layer_norm_rms_epsilon": (F32, cfg["rms_norm_eps"]),
        f"{arch}.rope.dimension_count": (U32, head_dim),
        f"{arch}.vocab_size": (U32, cfg["vocab_size"]),
    }
    if head_dim != cfg["hidden_size"] // heads:
        meta[f"{arch}.attention.key_length"] = (U32, head_dim)
        meta[f"{arch}.attention.value_length"] = (U32, head_dim)
    if arch.startswith("gemma"):
        meta.update(gemma_metadata(arch, cfg))
    if arch == "phi3":
        meta.update(phi3_metadata(cfg))
    return meta


def sentencepiece_vocab(src):
    """convert_hf_to_gguf.py's _create_vocab_sentencepiece: tokens, scores and token types."""
    from sentencepiece import SentencePieceProcessor

    sp = SentencePieceProcessor()
    sp.LoadFromFile(os.path.join(HF, src, "tokenizer.model"))
    tokens, scores, types = [], [], []
    for i in range(sp.vocab_size()):
        tokens.append(sp.IdToPiece(i))
        scores.append(sp.GetScore(i))
        types.append(
            2 if sp.IsUnknown(i) else 3 if sp.IsControl(i) else 5 if sp.IsUnused(i) else 6 if sp.IsByte(i) else 1
        )
    tc = json.load(open(os.path.join(HF, src, "tokenizer_config.json")))
    unk = tokens.index(tc["unk_token"])
    return {
        **spm_metadata(tokens, scores, types, tc, unk),
        "tokenizer.ggml.add_eos_token": (BOOL, tc["add_eos_token"]),
    }


def spm_metadata(tokens, scores, types, tc, unk):
    """The "llama" (SentencePiece) vocabulary keys SpecialVocab and _set_vocab_sentencepiece write."""
    ids = {t: i for i, t in enumerate(tokens)}
    return {
        "tokenizer.ggml.model": (STRING, "llama"),
        "tokenizer.ggml.pre": (STRING, "default"),
        "tokenizer.ggml.tokens": (ARRAY, (STRING, tokens)),
        "tokenizer.ggml.scores": (ARRAY, (F32, scores)),
        "tokenizer.ggml.token_type": (ARRAY, (I32, types)),
        "tokenizer.ggml.bos_token_id": (U32, ids[tc["bos_token"]]),
        "tokenizer.ggml.eos_token_id": (U32, ids[tc["eos_token"]]),
        "tokenizer.ggml.unknown_token_id": (U32, unk),
        "tokenizer.ggml.add_bos_token": (BOOL, tc["add_bos_token"]),
    }


# Phi-3's own added tokens (its tokenizer.json's 32000-32010; llama.cpp looks some of them up by
# text when it loads a phi3 vocabulary), put where the fixture's embedding has rows past its tokenizer.
PHI3_ADDED = [
    "<|endoftext|>",
    "<|assistant|>",
    "<|placeholder1|>",
    "<|placeholder2|>",
    "<|placeholder3|>",
]
PHI3_ADDED += [
    "<|placeholder4|>",
    "<|system|>",
    "<|end|>",
    "<|placeholder5|>",
    "<|placeholder6|>",
    "<|user|>",
]


def sentencepiece_from_json(src, prefix=False, added=()):
    """A SentencePiece-style vocabulary from a tokenizer.json BPE with byte fallback (Gemma's): tokens,
    scores that order the merges (minus the rank of the first merge making each token), token types.
    """
    tj = json.load(open(os.path.join(HF, src, "tokenizer.json")))
    vocab = tj["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    rank = {}
    for r, m in enumerate(tj["model"]["merges"]):
        rank.setdefault("".join(m.split(" ") if isinstance(m, str) else m), r)
    special = {t["id"] for t in tj["added_tokens"] if t["special"]}
    unk = vocab.get(tj["model"].get("unk_token"))

    def kind(i, t):
        return 2 if i == unk else 3 if i in special else 6 if len(t) == 6 and t.startswith("<0x") else 1

    tc = json.load(open(os.path.join(HF, src, "tokenizer_config.json")))
    scores = [float(-1 - rank[t]) if t in rank else 0.0 for t in tokens]
    types = [kind(i, t) for i, t in enumerate(tokens)]
    # As convert_hf_to_gguf.py does, an embedding wider than the vocabulary gets unused [PADn] tokens.
    vocab_size = json.load(open(os.path.join(HF, src, "config.json")))["vocab_size"]
    for i in range(len(tokens), vocab_size):
        tokens, scores, types = tokens + [f"[PAD{i}]"], scores + [-10000.0], types + [5]
    first = len(vocab)
    for i, text in enumerate(added):
        tokens[first + i], scores[first + i], types[first + i] = text, -1000.0, 3
    meta = spm_metadata(tokens, scores, types, tc, unk)
    return meta if prefix else {**meta, "tokenizer.ggml.add_space_prefix": (BOOL, False)}


def bpe_vocab(src, pre, add_bos):
    """convert_hf_to_gguf.py's _set_vocab_gpt2: tokens, token types, merges and the pre-tokenizer's name."""
    tj = json.load(open(os.path.join(HF, src, "tokenizer.json")))
    vocab = tj["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    special = {t["id"] for t in tj["added_tokens"] if t["special"]}
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    tc = json.load(open(os.path.join(HF, src, "tokenizer_config.json")))
    ids = {t: i for i, t in enumerate(tokens)}
    meta = {
        "tokenizer.ggml.model": (STRING, "gpt2"),
        "tokenizer.ggml.pre": (STRING, pre),
        "tokenizer.ggml.tokens": (ARRAY, (STRING, tokens)),
        "tokenizer.ggml.token_type": (
            ARRAY,
            (I32, [3 if i in special else 1 for i in range(len(tokens))]),
        ),
        "tokenizer.ggml.merges": (ARRAY, (STRING, merges)),
        "tokenizer.ggml.eos_token_id": (U32, ids[tc["eos_token"]]),
        "tokenizer.ggml.add_bos_token": (BOOL, add_bos),
    }
    if tc.get("bos_token"):
        meta["tokenizer.ggml.bos_token_id"] = (U32, ids[tc["bos_token"]])
    return meta


def write_model(out, src, arch, vocab, extra=(), g=None, quant=None):
    cfg = json.load(open(os.path.join(HF, src, "config.json")))
    meta = {**model_metadata(arch, cfg, src), **vocab}
    tensors = model_tensors(src, arch, cfg, g, quant) + list(extra)
    write_gguf(os.path.join(OUT, out), meta, tensors)


def write_models(g):
    write_model("llama-spm.gguf", "llama-spm", "llama", sentencepiece_vocab("llama-spm"))
    # Quantized by ggml to Q4_0, coarse enough that the quantization moves the probabilities ten
    # times more than llama.cpp's own rounding does: the import must compute what llama.cpp computes
    # from the same blocks.
    write_model(
        "llama-spm-q4_0.gguf",
        "llama-spm",
        "llama",
        sentencepiece_vocab("llama-spm"),
        g=g,
        quant="Q4_0",
    )
    write_model(
        "qwen2-bf16.gguf",
        "qwen2-bf16",
        "qwen2",
        bpe_vocab("qwen2-bf16", "qwen2", False),
    )
    write_model(
        "qwen3-bf16.gguf",
        "qwen3-bf16",
        "qwen3",
        bpe_vocab("qwen3-bf16", "qwen2", False),
    )
    # The same vocabulary under two more of llama.cpp's pre-tokenizers (GPT-2's split; single digits
    # first): llama.cpp must accept the names and give the ids the import gives. (With 43 merges,
    # none of them of digits, the three splits give the same ids on the sample texts.)
    write_model("bpe-gpt-2.gguf", "qwen2-bf16", "qwen2", bpe_vocab("qwen2-bf16", "gpt-2", False))
    write_model(
        "bpe-smollm.gguf",
        "qwen2-bf16",
        "qwen2",
        bpe_vocab("qwen2-bf16", "smollm", False),
    )
    # SmolLM3: Llama's layout (its rows permuted too) with every fourth layer without RoPE, which
    # llama.cpp fixes rather than stores. The fixture's vocabulary splits as Qwen2's does.
    write_model(
        "smollm3-bf16.gguf",
        "smollm3-bf16",
        "smollm3",
        bpe_vocab("smollm3-bf16", "qwen2", False),
    )
    for arch, src in (
        ("gemma", "gemma-bf16"),
        ("gemma2", "gemma2-bf16"),
        ("gemma3", "gemma3-bf16"),
    ):
        write_model(f"{src}.gguf", src, arch, sentencepiece_from_json(src))
    for src in ("phi3-bf16", "phi35-longrope-bf16", "phi4-mini-bf16"):
        cfg = json.load(open(os.path.join(HF, src, "config.json")))
        vocab = sentencepiece_from_json(src, prefix=True, added=PHI3_ADDED)
        write_model(f"{src}.gguf", src, "phi3", vocab, phi3_rope_factors(cfg))
    cfg = json.load(open(os.path.join(HF, "llama31-rope-scaled", "config.json")))
    factors = llama3_rope_factors(cfg)
    rope_freqs = ("rope_freqs.weight", [len(factors)], "F32", factors.tobytes())
    vocab = bpe_vocab("llama31-rope-scaled", "llama-bpe", True)
    write_model("llama31-rope-scaled.gguf", "llama31-rope-scaled", "llama", vocab, [rope_freqs])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    ggml = load_ggml()
    write_quants(ggml)
    write_models(ggml)
