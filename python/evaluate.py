#!/usr/bin/env python3
"""Evaluates a shareformer checkpoint on a text in PyTorch, as `shareformer eval` does: the text's
windows from its start (context tokens each, up to --max-windows), token-weighted mean loss.

    /usr/bin/python3 python/evaluate.py --checkpoint runs/a --data other.txt --json
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shareformer import load_checkpoint  # noqa: E402
from shareformer.data import eval_batches, tokenizer_from_json  # noqa: E402
from train_ddp import evaluate  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--max-windows", type=int, default=512)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    ck = load_checkpoint(args.checkpoint, with_state=False)
    with open(args.data, encoding="utf-8") as f:
        text = f.read()
    tokens = tokenizer_from_json(ck["tokenizer"]).encode(text)
    context = ck["model"].config["context"]
    loss = evaluate(
        ck["model"],
        eval_batches([tokens], context, args.batch, args.max_windows),
        torch.device("cpu"),
    )
    out = {
        "loss": loss,
        "perplexity": math.exp(loss),
        "bits_per_char": loss / math.log(2) * len(tokens) / len(text),
    }
    print(json.dumps(out) if args.json else f"loss {loss:.4f}, perplexity {math.exp(loss):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
