"""The data pipeline of `shareformer train`: the tokenizer trained on the text (char or byte), the
seeded split into training and validation blocks, and the random batches, all drawn from the same
generator so Python and shareformer see the same windows in the same order."""

import hashlib

import torch

from .rng import Rng


class CharTokenizer:
    kind = "char"

    def __init__(self, chars, unknown=True):
        self.chars = list(chars)
        self.unknown = unknown
        self.index = {c: i for i, c in enumerate(self.chars)}

    @staticmethod
    def from_text(text):
        return CharTokenizer(sorted(set(text)))

    @property
    def vocab_size(self):
        return len(self.chars) + (1 if self.unknown else 0)

    def encode(self, text):
        unk = len(self.chars) if self.unknown else None
        ids = [self.index.get(c, unk) for c in text]
        if None in ids:
            bad = text[ids.index(None)]
            raise ValueError(f"char tokenizer: {bad!r} is not in the vocabulary")
        return ids

    def to_json(self):
        return {"kind": "char", "chars": self.chars, "unknown": self.unknown}


class ByteTokenizer:
    kind = "byte"
    vocab_size = 256

    def encode(self, text):
        return list(text.encode("utf-8"))

    def to_json(self):
        return {"kind": "byte"}


def tokenizer_from_json(j, where="tokenizer.json"):
    if j.get("kind") == "char":
        return CharTokenizer(j["chars"], j.get("unknown", False))
    if j.get("kind") == "byte":
        return ByteTokenizer()
    raise ValueError(
        f"{where}: tokenizer kind {j.get('kind')!r} is not read by the Python package (char and byte are); train with --tokenizer char or byte"
    )


def build_tokenizer(kind, text):
    if kind == "char":
        return CharTokenizer.from_text(text)
    if kind == "byte":
        return ByteTokenizer()
    raise ValueError(
        f"--tokenizer {kind}: the Python package trains char and byte tokenizers (bpe: train it with shareformer)"
    )


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_tokens(tokens, context, val_fraction=0.1, seed=0, source="data"):
    """Blocks of 8 windows, a seeded random val_fraction of them (at least one) for validation."""
    window = context + 1
    if len(tokens) < 2 * window:
        raise ValueError(
            f"{source}: {len(tokens)} tokens is too short for context {context}; a training and a validation window need at least {2 * window}"
        )
    block = min(8 * window, len(tokens) // 2)
    blocks = []
    s = 0
    while s + window <= len(tokens):
        b = tokens[s : min(s + block, len(tokens))]
        if len(b) >= window:
            blocks.append(b)
        s += block
    rng = Rng(seed)
    order = list(range(len(blocks)))
    for i in range(len(order) - 1, 0, -1):
        j = rng.int(i + 1)
        order[i], order[j] = order[j], order[i]
    n_val = max(1, round_half_up(len(blocks) * val_fraction))
    val = set(order[:n_val])
    return [b for i, b in enumerate(blocks) if i not in val], [b for i, b in enumerate(blocks) if i in val]


def round_half_up(x):
    """JavaScript's Math.round."""
    import math

    return math.floor(x + 0.5)


def sample_batch(blocks, context, batch, rng):
    """`batch` uniformly random windows over every valid start; → (ids, targets) int64 [batch, context]."""
    starts = [len(b) - context for b in blocks]
    total = sum(starts)
    ids, targets = [], []
    for _ in range(batch):
        k, bi = rng.int(total), 0
        while k >= starts[bi]:
            k -= starts[bi]
            bi += 1
        b = blocks[bi]
        ids.append(b[k : k + context])
        targets.append(b[k + 1 : k + 1 + context])
    return torch.tensor(ids, dtype=torch.long), torch.tensor(targets, dtype=torch.long)


def eval_batches(blocks, context, batch, max_windows):
    """Non-overlapping windows from the start of each block, up to max_windows, in batches."""
    windows = []
    for b in blocks:
        s = 0
        while s + context + 1 <= len(b) and len(windows) < max_windows:
            windows.append(b[s : s + context + 1])
            s += context
    out = []
    for i in range(0, len(windows), batch):
        w = torch.tensor(windows[i : i + batch], dtype=torch.long)
        out.append((w[:, :-1], w[:, 1:]))
    return out


def warmup_cosine(step, max_lr, min_lr, warmup, total):
    import math

    if step < warmup:
        return max_lr * (step + 1) / warmup
    if step >= total or total == warmup:
        return min_lr
    ratio = (step - warmup) / (total - warmup)
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
