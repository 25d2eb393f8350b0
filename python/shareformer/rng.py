"""xoshiro128** seeded through splitmix32, bit for bit the generator of src/tensor/random.ts, so a
seed gives the same initial weights, corpus split and batches in Python as in shareformer."""

import math

M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, seed):
        if not isinstance(seed, int) or seed < 0 or seed >= 2**53:
            raise ValueError(f"Rng: seed must be a non-negative safe integer, got {seed!r}")
        x = (seed & M32) ^ (seed // 2**32)
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = _imul(z ^ (z >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            s.append((z ^ (z >> 16)) & M32)
        if not any(s):
            s[0] = 1
        self.s = s
        self.spare = None

    def next_uint32(self):
        s = self.s
        result = _imul(_rotl(_imul(s[1], 5), 7), 9)
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def uniform(self):
        hi = self.next_uint32() >> 5
        lo = self.next_uint32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def int(self, n):
        return math.floor(self.uniform() * n)

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u = 0.0
        while u == 0:
            u = self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def get_state(self):
        return {"s": list(self.s), "spare": self.spare}

    def set_state(self, state):
        self.s = [int(v) & M32 for v in state["s"]]
        self.spare = state["spare"]
