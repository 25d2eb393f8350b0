"""Named sharing strategies ("cycle:3", "cla:2", ...) expanded into the plan's maps, for configs
given as flags. Checkpoints carry the expanded maps, which the model reads; this expansion is
tested against shareformer's own (src/model/plan.ts) for every strategy in python.test.ts."""

import json


def _count(field, s, name, n, lo, hi):
    arg = s[len(name) + 1 :]
    if not arg.isdigit() or not lo <= int(arg) <= hi:
        raise ValueError(f'{field}: "{s}": {name} needs an integer from {lo} to {hi} for {n} layers')
    return int(arg)


def _array(field, s, n):
    m = json.loads(s) if isinstance(s, str) else s
    if not isinstance(m, list) or len(m) != n or not all(isinstance(v, int) and 0 <= v < n for v in m):
        raise ValueError(f"{field}: an explicit map needs one layer index (0..{n - 1}) per layer ({n}), got {s}")
    return m


def weight_map(s, n, field="shareWeights"):
    if isinstance(s, list) or s.strip().startswith("["):
        return _array(field, s, n)
    s = s.strip()
    if s == "none":
        return list(range(n))
    if s == "all":
        return [0] * n
    if s.startswith("sequence:"):
        m = _count(field, s, "sequence", n, 1, n)
        return [int(i // (n / m)) for i in range(n)]
    if s.startswith("cycle-rev:"):
        m = _count(field, s, "cycle-rev", n, 1, n)
        return [i % m if i < n - m else m - 1 - (i - (n - m)) for i in range(n)]
    if s.startswith("cycle:"):
        m = _count(field, s, "cycle", n, 1, n)
        return [i % m for i in range(n)]
    if s.startswith("repeat:"):
        k = _count(field, s, "repeat", n, 1, n)
        return [i // k for i in range(n)]
    raise ValueError(f'{field}: unknown strategy "{s}"')


def source_map(s, n, field):
    if isinstance(s, list) or s.strip().startswith("["):
        return _array(field, s, n)
    s = s.strip()
    if s == "none":
        return list(range(n))
    name = s.split(":")[0]
    if field == "shareKv" and name == "cla" or field == "shareAttention" and name == "group":
        k = _count(field, s, name, n, 1, n)
        return [i - i % k for i in range(n)]
    if field == "shareKv" and name == "yoco":
        k = _count(field, s, name, n, 1, n - 1)
        return [n - k - 1 if i >= n - k else i for i in range(n)]
    raise ValueError(f'{field}: unknown strategy "{s}"')


def plan_json(c):
    """config.json's "plan" for a resolved model config."""
    n = c["layers"]
    w = weight_map(c["shareWeights"], n)
    ident = list(range(n))
    return {
        "attnSet": ident if c["shareScope"] == "ffn" else w,
        "ffnSet": ident if c["shareScope"] == "attention" else w,
        "kv": source_map(c["shareKv"], n, "shareKv"),
        "attention": source_map(c["shareAttention"], n, "shareAttention"),
    }
