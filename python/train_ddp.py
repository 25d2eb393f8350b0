#!/usr/bin/env python3
"""Trains a shareformer model on several processes, GPUs or machines with PyTorch's
DistributedDataParallel, and writes shareformer checkpoints that `shareformer eval`, `generate` and
`train --resume` read as they are (and resumes from theirs).

    torchrun --nproc_per_node=2 python/train_ddp.py --data input.txt --out runs/a --steps 2000 \
        --layers 6 --d-model 192 --heads 6 --share-weights cycle:3

Flags are `shareformer train`'s. The corpus split, the batches (every rank draws the global batch
from the same seeded generator and keeps its share), the initial weights, AdamW, the warmup +
cosine schedule and the clipping are shareformer's, so a run here follows the curve shareformer
would. gloo on CPU, NCCL on GPUs (bf16 autocast there). Rank 0 writes checkpoints atomically.
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shareformer import ShareformerLM, load_checkpoint, save_checkpoint  # noqa: E402
from shareformer.config import resolve_config  # noqa: E402
from shareformer.data import (  # noqa: E402
    build_tokenizer,
    eval_batches,
    sample_batch,
    sha256,
    split_tokens,
    tokenizer_from_json,
    warmup_cosine,
)
from shareformer.rng import Rng  # noqa: E402
from shareformer.strategies import plan_json  # noqa: E402

MODEL_FLAGS = {
    "layers": int,
    "d_model": int,
    "heads": int,
    "kv_heads": int,
    "context": int,
    "ffn_hidden": int,
    "embed_dim": int,
    "dropout": float,
}
CAMEL = {
    "d_model": "dModel",
    "kv_heads": "kvHeads",
    "ffn_hidden": "ffnHidden",
    "embed_dim": "embedDim",
    "share_weights": "shareWeights",
    "share_scope": "shareScope",
    "share_kv": "shareKv",
    "share_attention": "shareAttention",
    "tie_embeddings": "tieEmbeddings",
}


class UsageError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", help="training text (a UTF-8 file)")
    p.add_argument("--out", help="run directory: checkpoint/, log.jsonl")
    p.add_argument(
        "--resume",
        help="continue the run saved in this directory (shareformer's or this script's)",
    )
    p.add_argument(
        "--config",
        help="JSON file with model fields (layers, dModel, shareKv, ...) and training fields",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="start over in an --out directory that already holds a run",
    )
    for name, kind in MODEL_FLAGS.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=kind)
    p.add_argument("--ffn", choices=["gelu", "swiglu"])
    p.add_argument("--norm", choices=["layernorm", "rmsnorm"])
    p.add_argument("--positions", choices=["learned", "rope", "alibi"])
    p.add_argument("--no-bias", action="store_true")
    p.add_argument("--tie-embeddings", action="store_true")
    p.add_argument("--share-weights")
    p.add_argument("--share-scope", choices=["block", "attention", "ffn"])
    p.add_argument("--share-kv")
    p.add_argument("--share-attention")
    p.add_argument("--tokenizer", choices=["char", "byte"], default="char")
    p.add_argument("--steps", type=int)
    p.add_argument(
        "--batch",
        type=int,
        help="sequences per micro-batch, over all processes (default 16)",
    )
    p.add_argument("--grad-accum", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--min-lr", type=float)
    p.add_argument("--warmup", type=int)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--beta2", type=float)
    p.add_argument("--clip", type=float)
    p.add_argument("--eval-every", type=int)
    p.add_argument("--eval-windows", type=int)
    p.add_argument("--val-fraction", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=0,
        help="also save every N steps (always at the end)",
    )
    p.add_argument(
        "--stop-at",
        type=int,
        help="stop after this step and save; --resume continues on the same curve",
    )
    p.add_argument("--json", action="store_true", help="print a final one-line JSON summary")
    return p.parse_args(argv)


def train_config(args, file, resumed):
    if resumed:
        t = dict(resumed["config"]["train"])
        if args.steps:
            t["steps"] = args.steps
        return t
    t = {
        "steps": 1000,
        "batch": 16,
        "lr": 3e-3,
        "minLr": None,
        "warmup": None,
        "weightDecay": 0.1,
        "beta1": 0.9,
        "beta2": 0.95,
        "clip": 1.0,
        "gradAccum": 1,
        "evalEvery": 100,
        "evalWindows": 64,
        "seed": 0,
    }
    for k in t:
        if k in file:
            t[k] = file[k]
    for flag, key in [
        ("steps", "steps"),
        ("batch", "batch"),
        ("lr", "lr"),
        ("min_lr", "minLr"),
        ("warmup", "warmup"),
        ("weight_decay", "weightDecay"),
        ("beta2", "beta2"),
        ("clip", "clip"),
        ("grad_accum", "gradAccum"),
        ("eval_every", "evalEvery"),
        ("eval_windows", "evalWindows"),
        ("seed", "seed"),
    ]:
        v = getattr(args, flag)
        if v is not None:
            t[key] = v
    if t["minLr"] is None:
        t["minLr"] = t["lr"] / 10
    if t["warmup"] is None:
        t["warmup"] = min(50, t["steps"] // 20)
    return t


def model_config(args, file, vocab_size):
    c = {k: v for k, v in file.items() if k in resolve_config({})}
    for flag in list(MODEL_FLAGS) + [
        "ffn",
        "norm",
        "positions",
        "share_weights",
        "share_scope",
        "share_kv",
        "share_attention",
    ]:
        v = getattr(args, flag)
        if v is not None:
            c[CAMEL.get(flag, flag)] = json.loads(v) if isinstance(v, str) and v.startswith("[") else v
    if args.no_bias:
        c["bias"] = False
    if args.tie_embeddings:
        c["tieEmbeddings"] = True
    c["vocabSize"] = vocab_size
    return resolve_config(c)


class Log:
    """log.jsonl in shareformer's format; cut back to the checkpoint's step on resume."""

    def __init__(self, run, keep_until=None):
        os.makedirs(run, exist_ok=True)
        self.path = os.path.join(run, "log.jsonl")
        if keep_until is not None and os.path.exists(self.path):
            kept = []
            with open(self.path) as f:
                for line in f:
                    try:
                        e = json.loads(line)
                    except ValueError:
                        break
                    if (
                        e.get("type") in ("step", "eval")
                        and e.get("step", 0) > keep_until
                        or e.get("type") == "summary"
                    ):
                        continue
                    kept.append(line if line.endswith("\n") else line + "\n")
            with open(self.path, "w") as f:
                f.writelines(kept)
        elif keep_until is None and os.path.exists(self.path):
            os.remove(self.path)

    def append(self, entry):
        with open(self.path, "a") as f:
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")


def evaluate(model, batches, device):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, targets in batches:
            logits = model(ids.to(device))
            total += F.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]),
                targets.to(device).reshape(-1),
                reduction="sum",
            ).item()
            count += targets.numel()
    model.train()
    return total / count


def main(argv):
    args = parse_args(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    try:
        run_training(args, rank, world, distributed, device)
    except UsageError as e:
        if rank == 0:
            print(f"train_ddp: {e}", file=sys.stderr)
        sys.exit(2)
    finally:
        if distributed:
            dist.destroy_process_group()


def run_training(args, rank, world, distributed, device):
    resumed = load_checkpoint(args.resume) if args.resume else None
    out = args.resume or args.out
    if not out:
        raise UsageError("--out DIR (a new run) or --resume DIR is needed")
    if not resumed and os.path.exists(os.path.join(out, "checkpoint")) and not args.force:
        raise UsageError(f"{out} already holds a run; pass --resume {out} to continue it or --force to start over")
    file = {}
    if args.config:
        try:
            with open(args.config) as f:
                file = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"--config {args.config}: {e}") from None
    data = args.data or (resumed and resumed["config"]["data"]["source"])
    if not data:
        raise UsageError("--data FILE is needed")
    try:
        with open(data, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UsageError(f"--data {data}: {e.strerror}") from None
    train = train_config(args, file, resumed)
    if train["batch"] % world:
        raise UsageError(f"--batch {train['batch']} does not divide over {world} processes; use a multiple of {world}")

    if resumed:
        if resumed["config"]["data"].get("sha256") not in (None, sha256(text)):
            raise UsageError(f"{data} is not the text this run was trained on (its SHA-256 differs)")
        tokenizer = tokenizer_from_json(resumed["tokenizer"])
        model = resumed["model"]
        val_fraction = resumed["config"]["data"]["valFraction"]
    else:
        tokenizer = build_tokenizer(args.tokenizer, text)
        config = model_config(args, file, tokenizer.vocab_size)
        model = ShareformerLM(config, plan_json(config), seed=train["seed"])
        val_fraction = args.val_fraction or 0.1
    c = model.config
    tokens = tokenizer.encode(text)
    train_blocks, val_blocks = split_tokens(tokens, c["context"], val_fraction, train["seed"], data)
    sampler = Rng(train["seed"])
    step, tokens_seen = 0, 0
    dropout_state = Rng(train["seed"] + 1).get_state()
    model.to(device)
    ddp = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    opt = torch.optim.AdamW(
        model.param_groups(train["weightDecay"]),
        lr=train["lr"],
        betas=(train["beta1"], train["beta2"]),
        eps=1e-8,
        foreach=False,
    )
    if resumed:
        step, tokens_seen = resumed["trainer"]["step"], resumed["trainer"]["tokensSeen"]
        sampler.set_state(resumed["trainer"]["sampler"])
        dropout_state = resumed["trainer"]["dropout"]
        for name, p in model.named_tensors():
            s, m, v = resumed["optimizer"][name]
            opt.state[p] = {
                "step": torch.tensor(float(s)),
                "exp_avg": m.to(device).clone(),
                "exp_avg_sq": v.to(device).clone(),
            }
    log = Log(out, step if resumed else None) if rank == 0 else None
    meta = {
        "data": {
            "source": data,
            "tokenizer": tokenizer.kind,
            "charsPerToken": 1,
            "valFraction": val_fraction,
            "sha256": sha256(text),
        },
        "train": train,
    }
    if tokenizer.kind == "byte":
        meta["data"]["charsPerToken"] = len(text) / max(1, len(tokens))

    def save():
        if rank == 0:
            state = {
                n: (
                    int(opt.state[p]["step"]) if p in opt.state else 0,
                    *_moments(opt, p),
                )
                for n, p in model.named_tensors()
            }
            trainer = {
                "step": step,
                "tokensSeen": tokens_seen,
                "sampler": sampler.get_state(),
                "dropout": dropout_state,
            }
            save_checkpoint(out, model, meta, tokenizer.to_json(), trainer, state)
        if distributed:
            dist.barrier()

    share = train["batch"] // world
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else _Null()
    started, first_loss, last_loss = time.time(), None, None
    stop = min(train["steps"], args.stop_at or train["steps"])
    while step < stop:
        lr = warmup_cosine(step, train["lr"], train["minLr"], train["warmup"], train["steps"])
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss_sum = torch.zeros((), device=device)
        for micro in range(train["gradAccum"]):
            ids, targets = sample_batch(train_blocks, c["context"], train["batch"], sampler)
            ids, targets = ids[rank * share : (rank + 1) * share].to(device), targets[
                rank * share : (rank + 1) * share
            ].to(device)
            sync = micro == train["gradAccum"] - 1 or not distributed
            ctx = ddp.no_sync() if not sync else _Null()
            with ctx, autocast:
                logits = ddp(ids)
                loss = (
                    F.cross_entropy(
                        logits.float().reshape(-1, logits.shape[-1]),
                        targets.reshape(-1),
                    )
                    / train["gradAccum"]
                )
            loss.backward()
            loss_sum += loss.detach()
        if distributed:
            dist.all_reduce(loss_sum)
            loss_sum /= world
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), train["clip"]).item()
        loss_value = loss_sum.item()
        if not math.isfinite(loss_value) or not math.isfinite(grad_norm):
            raise UsageError(
                f"step {step + 1}: the loss is {loss_value} and the gradient norm {grad_norm}; {out}/checkpoint holds step {step}, the last finite state; lower --lr"
            )
        opt.step()
        step += 1
        tokens_seen += train["batch"] * train["gradAccum"] * c["context"]
        first_loss = loss_value if first_loss is None else first_loss
        last_loss = loss_value
        if log:
            elapsed = time.time() - started
            log.append(
                {
                    "type": "step",
                    "step": step,
                    "loss": loss_value,
                    "lr": lr,
                    "grad_norm": grad_norm,
                    "tokens": tokens_seen,
                    "tokens_per_s": tokens_seen / max(elapsed, 1e-9),
                }
            )
        if train["evalEvery"] and step % train["evalEvery"] == 0 and step < train["steps"] and log:
            log.append(
                _eval_entry(
                    step,
                    evaluate(
                        model,
                        eval_batches(
                            val_blocks,
                            c["context"],
                            train["batch"],
                            train["evalWindows"],
                        ),
                        device,
                    ),
                    meta,
                )
            )
        if args.checkpoint_every and step % args.checkpoint_every == 0 and step < train["steps"]:
            save()
    save()
    if step < train["steps"]:
        if rank == 0:
            print(
                f"stopped at step {step} of {train['steps']}; continue with --resume {out}",
                file=sys.stderr,
            )
        return
    if rank == 0:
        val = evaluate(
            model,
            eval_batches(val_blocks, c["context"], train["batch"], train["evalWindows"]),
            device,
        )
        log.append(_eval_entry(step, val, meta))
        seconds = time.time() - started
        summary = {
            "steps": step,
            "first_train_loss": first_loss,
            "final_train_loss": last_loss,
            "final_val_loss": val,
            "val_bpc": val / math.log(2) / meta["data"]["charsPerToken"],
            "processes": world,
            "tokens_per_s": tokens_seen / max(seconds, 1e-9),
            "seconds": seconds,
            "parameters": sum(p.numel() for _, p in model.named_tensors()),
            "out": out,
        }
        log.append({"type": "summary", **summary})
        if args.json:
            print(json.dumps(summary))
        else:
            print(
                f"step {step}: train loss {last_loss:.4f}, val loss {val:.4f}; checkpoint in {out}/checkpoint",
                file=sys.stderr,
            )


def _moments(opt, p):
    s = opt.state.get(p)
    if not s:
        return torch.zeros_like(p), torch.zeros_like(p)
    return s["exp_avg"], s["exp_avg_sq"]


def _eval_entry(step, loss, meta):
    return {
        "type": "eval",
        "step": step,
        "val_loss": loss,
        "val_perplexity": math.exp(loss),
        "val_bpc": loss / math.log(2) / meta["data"]["charsPerToken"],
    }


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main(sys.argv[1:])
