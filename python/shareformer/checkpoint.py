"""shareformer checkpoints (<run>/checkpoint/: config.json, model.safetensors, tokenizer.json,
optimizer.safetensors, trainer.json), read and written in the same format and with the same atomic
swap as src/io/checkpoint.ts and src/io/atomic-dir.ts: a checkpoint is written to
checkpoint.tmp-<pid>, renamed to checkpoint.new when complete, then swapped in; readers take .new,
then the directory, then .old, each of which exists only while complete."""

import json
import os
import shutil

import torch

from .config import Plan
from .model import ShareformerLM
from .safetensors_io import read_safetensors, safetensors_bytes

FORMAT, VERSION = "shareformer-checkpoint", 1


def checkpoint_dir(path):
    """A run directory or a checkpoint directory → the complete checkpoint to read."""
    base = (
        os.path.join(path, "checkpoint")
        if os.path.isdir(os.path.join(path, "checkpoint")) or os.path.isdir(os.path.join(path, "checkpoint.new"))
        else path
    )
    for candidate in (base + ".new", base, base + ".old"):
        if os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    raise FileNotFoundError(f"{path}: no checkpoint (expected {base}/config.json)")


def load_checkpoint(path, with_state=True):
    """→ dict: model (ShareformerLM), config (config.json), tokenizer (tokenizer.json), and with_state:
    trainer (trainer.json) and optimizer {name: (step, m, v)}."""
    d = checkpoint_dir(path)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("format") != FORMAT or cfg.get("version") != VERSION:
        raise ValueError(f"{d}/config.json: not a {FORMAT} version {VERSION} file")
    plan = Plan.from_json(cfg["plan"], cfg["model"]["layers"], f"{d}/config.json")
    model = ShareformerLM(cfg["model"], plan, seed=None)
    weights, _ = read_safetensors(os.path.join(d, "model.safetensors"))
    model.load_tensors({k: v.float() for k, v in weights.items()}, f"{d}/model.safetensors")
    with open(os.path.join(d, "tokenizer.json")) as f:
        tokenizer = json.load(f)
    out = {"dir": d, "config": cfg, "model": model, "tokenizer": tokenizer}
    if with_state and os.path.exists(os.path.join(d, "trainer.json")):
        with open(os.path.join(d, "trainer.json")) as f:
            out["trainer"] = json.load(f)
        opt, meta = read_safetensors(os.path.join(d, "optimizer.safetensors"))
        names, steps = json.loads(meta["names"]), json.loads(meta["steps"])
        out["optimizer"] = {n: (s, opt[f"m.{n}"], opt[f"v.{n}"]) for n, s in zip(names, steps)}
    return out


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def save_checkpoint(run, model, config, tokenizer, trainer=None, optimizer=None):
    """Writes <run>/checkpoint atomically. config: config.json without "model"/"plan"/"parameters"
    (data, train, ...); optimizer: {name: (step, m, v)}."""
    os.makedirs(run, exist_ok=True)
    final = os.path.join(run, "checkpoint")
    tmp, new = f"{final}.tmp-{os.getpid()}", f"{final}.new"
    _finish_swap(final)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        full = {
            "format": FORMAT,
            "version": VERSION,
            "model": model.config,
            "plan": model.plan.to_json(),
            "parameters": sum(p.numel() for _, p in model.named_tensors()),
            **config,
        }
        _write(
            os.path.join(tmp, "config.json"),
            (json.dumps(full, indent=2) + "\n").encode(),
        )
        weights = [(n, p.detach().float()) for n, p in model.named_tensors()]
        _write(os.path.join(tmp, "model.safetensors"), safetensors_bytes(weights))
        _write(os.path.join(tmp, "tokenizer.json"), json.dumps(tokenizer).encode())
        if trainer is not None:
            names = [n for n, _ in model.named_tensors()]
            tensors = []
            for n in names:
                tensors += [
                    (f"m.{n}", optimizer[n][1].float()),
                    (f"v.{n}", optimizer[n][2].float()),
                ]
            meta = {
                "steps": json.dumps([optimizer[n][0] for n in names]),
                "names": json.dumps(names),
            }
            _write(
                os.path.join(tmp, "optimizer.safetensors"),
                safetensors_bytes(tensors, meta),
            )
            _write(os.path.join(tmp, "trainer.json"), json.dumps(trainer).encode())
        os.rename(tmp, new)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _finish_swap(final)


def _finish_swap(final):
    """Brings the checkpoint to a clean state after any interrupted write (recoverDir in atomic-dir.ts)."""
    new, old = f"{final}.new", f"{final}.old"
    parent = os.path.dirname(final) or "."
    for name in os.listdir(parent):
        if name.startswith(os.path.basename(final) + ".tmp-"):
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
    if os.path.isdir(new):
        if os.path.isdir(final):
            shutil.rmtree(old, ignore_errors=True)
            os.rename(final, old)
        os.rename(new, final)
        _sync_dir(parent)
        shutil.rmtree(old, ignore_errors=True)
    elif not os.path.isdir(final) and os.path.isdir(old):
        os.rename(old, final)
    else:
        shutil.rmtree(old, ignore_errors=True)


def _sync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
